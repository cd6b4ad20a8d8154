//! The MFA plugin: a second factor by TOTP (authenticator apps) and single-use backup codes.
//!
//! - `POST /mfa/totp/setup` makes a secret (sealed with `YAuthConfig::secret_key` under the
//!   user's id) and a set of backup codes (stored as salted SHA-256); MFA stays off until
//!   `POST /mfa/totp/confirm` proves a code.
//! - With MFA on, the kit's sign-in path asks this plugin ([`Attempt::SignIn`]) and every
//!   primary login (password, magic link, `POST /token`, a passkey without user
//!   verification, the OAuth callback) stops at a pending login: 200
//!   `{ mfa_required, pending_session_id }` and nothing else. `POST /mfa/verify` finishes
//!   it with a code: the session cookie, or the token pair that `/token` asked for.
//! - Replay: a TOTP step at or before the last accepted one is refused (one guarded
//!   update of `last_used_step`, so on every replica); a backup code is claimed by one
//!   guarded update. A pending login dies after `max_attempts` wrong codes or
//!   `pending_ttl`; code checks per user are capped across pending logins
//!   (`verify_per_user`), so new logins do not buy new guesses.
//!
//! - `codes`: TOTP and backup codes; `flows`: setup, confirm, verify, disable, backup codes;
//!   `routes`: the HTTP surface.

use std::sync::Arc;
use std::time::Duration;

use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::{Attempt, AuthEvent, Verdict};
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::kit::limits::Limit;

mod codes;
mod flows;
mod routes;

/// The plugin's name.
pub const NAME: &str = "mfa";

/// `MfaConfig`: the plugin's settings.
#[derive(Debug, Clone)]
pub struct MfaConfig {
    /// The name authenticator apps show beside the account (the `otpauth://` issuer).
    /// Default `yauth`.
    pub issuer: String,
    /// Backup codes per set. Default 10.
    pub backup_code_count: usize,
    /// How long a pending login waits for its code. Default 5 minutes.
    pub pending_ttl: Duration,
    /// Wrong codes after which a pending login is dead. Default 5.
    pub max_attempts: u32,
    /// Code checks per user, over every pending login and MFA change together. Default 10
    /// per 15 minutes.
    pub verify_per_user: Limit,
    /// The same over a day, so that slow guessing stays slow. Default 30 per 24 hours.
    pub verify_per_user_daily: Limit,
    /// `POST /mfa/verify`, per client IP. Default 30 per minute.
    pub verify_per_ip: Limit,
}

impl Default for MfaConfig {
    fn default() -> Self {
        MfaConfig {
            issuer: "yauth".into(),
            backup_code_count: 10,
            pending_ttl: Duration::from_secs(5 * 60),
            max_attempts: 5,
            verify_per_user: Limit {
                max: 10,
                window: Duration::from_secs(15 * 60),
            },
            verify_per_user_daily: Limit {
                max: 30,
                window: Duration::from_secs(24 * 3600),
            },
            verify_per_ip: Limit::per_minute(30),
        }
    }
}

/// The plugin: `YAuthBuilder::with_mfa(config)`.
#[derive(Debug)]
pub struct Mfa {
    service: Arc<Service>,
}

/// What the routes share.
#[derive(Debug)]
pub(crate) struct Service {
    config: MfaConfig,
}

impl Mfa {
    /// Checks the configuration (a positive lifetime and attempt count, 1 to 100 backup
    /// codes, an issuer).
    pub fn new(config: MfaConfig) -> Result<Self, PluginError> {
        if config.pending_ttl.is_zero() || config.max_attempts == 0 {
            return Err(PluginError(
                "pending_ttl and max_attempts must be positive".into(),
            ));
        }
        if !(1..=100).contains(&config.backup_code_count) {
            return Err(PluginError("backup_code_count must be 1 to 100".into()));
        }
        if config.issuer.trim().is_empty() {
            return Err(PluginError("issuer must not be empty".into()));
        }
        Ok(Mfa {
            service: Arc::new(Service { config }),
        })
    }
}

impl YAuthPlugin for Mfa {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if config.secret_key.is_none() {
                return Err(PluginError(
                    "mfa seals TOTP secrets with YAuthConfig::secret_key: set it (32 random \
                     bytes, kept out of the database)"
                        .into(),
                ));
            }
            Ok(())
        })
    }

    fn public_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::public(state, self.service.clone()))
    }

    fn protected_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected(state, self.service.clone()))
    }

    fn check<'a>(
        &'a self,
        attempt: &'a Attempt<'a>,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Attempt::SignIn {
                user,
                method,
                grant,
                client,
                second_factor: false,
            } = attempt
            else {
                return Verdict::Allow;
            };
            match flows::park_if_enrolled(state, &self.service, user, method, *grant, client).await
            {
                Ok(Some(pending_session_id)) => Verdict::RequireMfa { pending_session_id },
                Ok(None) => Verdict::Allow,
                // Fail closed: a sign-in whose second factor cannot be checked does not
                // go through without it.
                Err(e) => {
                    tracing::error!(error = %e.message, "mfa could not check a sign-in");
                    Verdict::Block {
                        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        message: "sign-in is unavailable; try again later".into(),
                    }
                }
            }
        })
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // A pending login proved a password that is no longer the password.
            if let AuthEvent::PasswordChanged { user_id } | AuthEvent::PasswordReset { user_id } =
                event
                && let Err(e) = state
                    .repos()
                    .mfa_pending_logins
                    .delete_user_mfa_pending_logins(*user_id)
                    .await
            {
                tracing::error!(error = %e, user_id = %user_id, "could not end pending logins");
            }
        })
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            Ok(state
                .repos()
                .mfa_pending_logins
                .delete_expired_mfa_pending_logins(chrono::Utc::now())
                .await?)
        })
    }

    fn reseal<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(flows::reseal(state))
    }
}
