//! The account-lockout plugin: per-email brute-force protection that works across IPs.
//!
//! - Every password attempt (`POST /login`, `POST /token`) is shown to the plugin before the
//!   password is verified ([`Attempt::Password`]). Attempts are counted per normalised email
//!   in `rate_limits` (`lockout:email:<sha256>`, a window of `failure_window`), whether the
//!   email has an account or not, from any IP. A successful sign-in clears the count.
//! - The attempt after `max_failed_attempts` failures locks the email (`account_locks`, keyed
//!   by the email's SHA-256, one atomic claim so concurrent attempts lock once) for
//!   `lockout_duration`, doubled for each earlier lock (with `exponential_backoff`) up to
//!   `max_lockout_duration`. While locked, every password attempt for the email, right or
//!   wrong, gets 423 `account_locked` with `Retry-After`; an email without an account gets
//!   exactly the same answers, so lockout reveals nothing. The backoff's memory (the row)
//!   is forgotten `max_lockout_duration` after the last lock ends.
//! - `POST /account/request-unlock` always answers 200, and mails a locked account a
//!   single-use unlock link (in a task of its own, capped per IP and per address);
//!   `POST /account/unlock` redeems it; `POST /admin/users/{id}/unlock` is the admin's way.
//!   A password reset lifts the lock too (it proved the mailbox).
//! - Other sign-in methods (a magic link, a passkey) are not password guesses and are not
//!   refused by a lock.
//!
//! - `routes`: the HTTP surface; `flows`: counting, locking, unlocking; `mail`: the mail.

use std::sync::Arc;
use std::time::Duration;

use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::{Attempt, AuthEvent, Verdict};
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::kit::limits::Limit;
use crate::mail::Mailer;

mod flows;
mod mail;
mod routes;

/// The plugin's name.
pub const NAME: &str = "account-lockout";

/// The longest `max_lockout_duration` and `failure_window` accepted.
const MAX_LOCK: Duration = Duration::from_secs(365 * 24 * 3600);

/// `AccountLockoutConfig`: the plugin's settings.
#[derive(Clone)]
pub struct AccountLockoutConfig {
    /// Failed password attempts for one email allowed within `failure_window`; the next
    /// attempt locks. Default 5.
    pub max_failed_attempts: u32,
    /// How long the first lock lasts. Default 5 minutes.
    pub lockout_duration: Duration,
    /// Whether each further lock (while the backoff remembers the last one) lasts twice as
    /// long as the one before. Default true.
    pub exponential_backoff: bool,
    /// The longest lock, and how long after a lock ends its backoff is remembered. Default
    /// 24 hours.
    pub max_lockout_duration: Duration,
    /// Whether a lock lifts by itself when its time is up. Default true. When false, only an
    /// unlock link, an admin or a password reset lifts it (and anyone can lock an account
    /// until its owner reads their mail: keep it on unless you need it off).
    pub auto_unlock: bool,
    /// How long failures are counted: the count starts again when no lock happened within
    /// this window of the first failure. Default 12 hours.
    pub failure_window: Duration,
    /// How long an unlock link works. Default 1 hour.
    pub unlock_token_ttl: Duration,
    /// Who delivers unlock links (no default: an SMTP mailer, or `LogMailer` on purpose).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// `POST /account/request-unlock`, per client IP.
    pub request_unlock_per_ip: Limit,
    /// Unlock links mailed to one address.
    pub unlock_mail_per_email: Limit,
    /// `POST /account/unlock`, per client IP.
    pub unlock_per_ip: Limit,
}

impl std::fmt::Debug for AccountLockoutConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountLockoutConfig")
            .field("max_failed_attempts", &self.max_failed_attempts)
            .field("lockout_duration", &self.lockout_duration)
            .field("exponential_backoff", &self.exponential_backoff)
            .field("max_lockout_duration", &self.max_lockout_duration)
            .field("auto_unlock", &self.auto_unlock)
            .field("failure_window", &self.failure_window)
            .field("unlock_token_ttl", &self.unlock_token_ttl)
            .finish_non_exhaustive()
    }
}

impl Default for AccountLockoutConfig {
    fn default() -> Self {
        AccountLockoutConfig {
            max_failed_attempts: 5,
            lockout_duration: Duration::from_secs(5 * 60),
            exponential_backoff: true,
            max_lockout_duration: Duration::from_secs(24 * 3600),
            auto_unlock: true,
            failure_window: Duration::from_secs(12 * 3600),
            unlock_token_ttl: Duration::from_secs(3600),
            mailer: None,
            request_unlock_per_ip: Limit::per_hour(20),
            unlock_mail_per_email: Limit::per_hour(3),
            unlock_per_ip: Limit::per_minute(20),
        }
    }
}

/// The plugin: `YAuthBuilder::with_account_lockout(config)`.
#[derive(Debug)]
pub struct AccountLockout {
    service: Arc<Service>,
}

/// What the routes and the hooks share.
#[derive(Debug)]
pub(crate) struct Service {
    config: AccountLockoutConfig,
    mailer: Arc<dyn Mailer>,
}

impl AccountLockout {
    /// Checks the configuration (a mailer, positive durations, a threshold of at least 1).
    pub fn new(config: AccountLockoutConfig) -> Result<Self, PluginError> {
        let mailer = config.mailer.clone().ok_or_else(|| {
            PluginError(
                "no mailer: set `mailer` (an SMTP mailer), or `Some(Arc::new(LogMailer))` to \
                 write unlock links to the log during development"
                    .into(),
            )
        })?;
        if config.max_failed_attempts == 0 {
            return Err(PluginError("max_failed_attempts must be at least 1".into()));
        }
        for (name, d) in [
            ("lockout_duration", config.lockout_duration),
            ("max_lockout_duration", config.max_lockout_duration),
            ("failure_window", config.failure_window),
            ("unlock_token_ttl", config.unlock_token_ttl),
        ] {
            if d.is_zero() {
                return Err(PluginError(format!("{name} must be positive")));
            }
        }
        if config.max_lockout_duration < config.lockout_duration {
            return Err(PluginError(
                "max_lockout_duration must not be shorter than lockout_duration".into(),
            ));
        }
        // Every lock's end (and its row's expiry) must fit every database's timestamps.
        if config.max_lockout_duration > MAX_LOCK || config.failure_window > MAX_LOCK {
            return Err(PluginError(
                "max_lockout_duration and failure_window must be at most 365 days".into(),
            ));
        }
        Ok(AccountLockout {
            service: Arc::new(Service { config, mailer }),
        })
    }
}

impl YAuthPlugin for AccountLockout {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, _config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if self.service.mailer.writes_to_log() {
                tracing::warn!(
                    "unlock links go to the log (LogMailer): configure a real mailer so that \
                     locked-out users can unlock their accounts"
                );
            }
            Ok(())
        })
    }

    fn public_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::public(state, self.service.clone()))
    }

    fn protected_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected())
    }

    fn check<'a>(
        &'a self,
        attempt: &'a Attempt<'a>,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Attempt::Password { email, client } = attempt else {
                return Verdict::Allow;
            };
            match flows::password_attempt(state, &self.service, email, client).await {
                Ok(verdict) => verdict,
                // Fail closed: a lockout that cannot read its state does not let guesses by.
                Err(e) => {
                    tracing::error!(error = %e.message, "account lockout could not check an attempt");
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
            let result = match event {
                AuthEvent::LoginSucceeded { user_id, .. } => {
                    flows::signed_in(state, *user_id).await
                }
                AuthEvent::PasswordReset { user_id } => {
                    flows::password_reset(state, *user_id).await
                }
                _ => Ok(()),
            };
            if let Err(e) = result {
                tracing::error!(error = %e.message, event = event.name(), "account lockout could not record an event");
            }
        })
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            let now = chrono::Utc::now();
            let repos = state.repos();
            let locks = repos
                .account_locks
                .delete_expired_account_locks(now)
                .await?;
            let tokens = repos
                .unlock_tokens
                .delete_expired_unlock_tokens(now)
                .await?;
            Ok(locks + tokens)
        })
    }
}
