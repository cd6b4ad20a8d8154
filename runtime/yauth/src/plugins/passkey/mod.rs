//! The passkey plugin: WebAuthn registration and sign-in (webauthn-rs).
//!
//! - Registration asks for a discoverable credential (`residentKey: "preferred"`) with user
//!   verification required, and lists the user's passkeys in `excludeCredentials`, so one
//!   authenticator registers once. A credential id already stored (for anyone) is refused.
//! - Sign-in: without an email, a discoverable-credential ceremony (empty
//!   `allowCredentials`; the browser offers the passkeys it holds for the RP, also through
//!   autofill with `mediation: "conditional"`). With an email that has passkeys,
//!   `allowCredentials` lists them. With any other email (unknown, or without passkeys) it
//!   lists one or two stand-in ids derived from the email with the secret key: the same on
//!   every call and replica, shaped like real ones, and matching no credential, so the
//!   answer does not tell whether the account exists.
//! - Ceremony state lives in `webauthn_challenges` (any replica finishes what another
//!   began), expires after `challenge_ttl`, and is consumed by one guarded delete before it
//!   is checked, so a challenge works once. Registration state is bound to the user who
//!   began it.
//! - A finished sign-in stores the new counter and backup flags; a counter that does not
//!   advance (a possibly cloned authenticator) is refused, logged and audited. A
//!   user-verified passkey satisfies MFA unless `satisfies_mfa` is off.
//! - Passkeys are managed from the user's own session only (not a bearer token, an API key
//!   or an impersonation), and a password reset (account recovery) removes them all.
//!
//! - `flows`: the ceremonies; `routes`: the HTTP surface.

use std::sync::Arc;
use std::time::Duration;

use utoipa_axum::router::OpenApiRouter;
use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::kit::limits::Limit;

mod flows;
mod routes;

/// The plugin's name (and the `method` of its sign-ins).
pub const NAME: &str = "passkey";

/// `PasskeyConfig`: the relying party and the plugin's settings.
#[derive(Debug, Clone)]
pub struct PasskeyConfig {
    /// The RP ID: the site's domain (`example.com`, or `localhost`), which passkeys are
    /// bound to. Browsers refuse IP addresses.
    pub rp_id: String,
    /// The origin pages run on (`https://example.com`; `http://localhost:3000` in
    /// development): its host must be `rp_id` or a subdomain of it.
    pub rp_origin: String,
    /// The name authenticators show.
    pub rp_name: String,
    /// How long a ceremony may take. Default 5 minutes.
    pub challenge_ttl: Duration,
    /// Whether a sign-in with a user-verified passkey (PIN or biometrics on the device)
    /// satisfies MFA. Default true.
    pub satisfies_mfa: bool,
    /// Passkeys per user. Default 20.
    pub max_passkeys: u64,
    /// `POST /passkey/login/begin` and `/finish`, per client IP. Default 30 per minute.
    pub login_per_ip: Limit,
}

impl PasskeyConfig {
    /// The relying party of a public URL (`http://localhost:3000`, `https://example.com`):
    /// its host is the RP ID and the name, its origin the only allowed one.
    pub fn for_public_url(url: &str) -> Result<Self, PluginError> {
        let url = Url::parse(url).map_err(|e| PluginError(format!("passkey public URL: {e}")))?;
        let host = url
            .host_str()
            .ok_or_else(|| PluginError("the passkey public URL has no host".into()))?
            .to_owned();
        Ok(PasskeyConfig {
            rp_id: host.clone(),
            rp_origin: url.origin().ascii_serialization(),
            rp_name: host,
            challenge_ttl: Duration::from_secs(5 * 60),
            satisfies_mfa: true,
            max_passkeys: 20,
            login_per_ip: Limit::per_minute(30),
        })
    }
}

/// The plugin: `YAuthBuilder::with_passkey(config)`.
#[derive(Debug)]
pub struct Passkeys {
    service: Arc<Service>,
}

/// What the routes share.
pub(crate) struct Service {
    config: PasskeyConfig,
    webauthn: Webauthn,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Passkeys {
    /// Checks the relying party (the RP ID must be the origin's host or a parent domain of
    /// it, and not an IP address) and the limits.
    pub fn new(config: PasskeyConfig) -> Result<Self, PluginError> {
        if config.rp_id.parse::<std::net::IpAddr>().is_ok() {
            return Err(PluginError(
                "rp_id is an IP address, which browsers refuse: use a domain (for a local \
                 demo, http://localhost:PORT)"
                    .into(),
            ));
        }
        if config.challenge_ttl.is_zero() || config.max_passkeys == 0 {
            return Err(PluginError(
                "challenge_ttl and max_passkeys must be positive".into(),
            ));
        }
        let origin = Url::parse(&config.rp_origin)
            .map_err(|e| PluginError(format!("rp_origin is not a URL: {e}")))?;
        let webauthn = WebauthnBuilder::new(&config.rp_id, &origin)
            .map_err(|e| PluginError(format!("rp_id does not match rp_origin: {e}")))?
            .rp_name(&config.rp_name)
            .timeout(config.challenge_ttl)
            .build()
            .map_err(|e| PluginError(format!("passkey configuration: {e}")))?;
        Ok(Passkeys {
            service: Arc::new(Service { config, webauthn }),
        })
    }
}

impl YAuthPlugin for Passkeys {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if config.secret_key.is_none() {
                return Err(PluginError(
                    "passkey derives the stand-in credential ids of emails without passkeys \
                     from YAuthConfig::secret_key: set it"
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

    fn on_event<'a>(&'a self, event: &'a AuthEvent, state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // A reset by mailed link is account recovery: whoever held the account before
            // (a passkey planted from a stolen session) is out, like their sessions.
            if let AuthEvent::PasswordReset { user_id } = event
                && let Err(e) = state
                    .repos()
                    .webauthn_credentials
                    .delete_user_webauthn_credentials(*user_id)
                    .await
            {
                tracing::error!(error = %e, user_id = %user_id, "could not remove passkeys after a reset");
            }
        })
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            Ok(state
                .repos()
                .webauthn_challenges
                .delete_expired_webauthn_challenges(chrono::Utc::now())
                .await?)
        })
    }
}
