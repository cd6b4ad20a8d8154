//! The magic-link plugin: sign in with a link mailed to the address.
//!
//! - `POST /magic-link/send` answers the same for every well-formed email, at once: the
//!   lookup, the token and the mail happen in a task of their own (the answer's timing tells
//!   nothing), capped per IP and per address.
//! - `POST /magic-link/verify` claims the token (single use, one atomic write) and signs the
//!   owner in through the kit's sign-in path (bans, vetoes, MFA). The email counts as
//!   verified. An account that was not verified until then was possibly created by someone
//!   else with a password of their choosing (pre-registration): its password, sessions,
//!   refresh tokens and API keys are dropped first, so only the mailbox's owner is in.
//! - With `allow_signup` an unknown email gets an account on verify; the answer to `send`
//!   is the same either way.
//!
//! - `routes`: the HTTP surface; `flows`: send and verify; `mail`: the mail.

use std::sync::Arc;
use std::time::Duration;

use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::kit::limits::Limit;
use crate::mail::Mailer;

mod flows;
mod mail;
mod routes;

/// The plugin's name (and the `method` of its sign-ins).
pub const NAME: &str = "magic-link";

/// `MagicLinkConfig`: the plugin's settings.
#[derive(Clone)]
pub struct MagicLinkConfig {
    /// How long a link works. Default 15 minutes.
    pub link_ttl: Duration,
    /// Whether verifying a link for an unknown email creates the account. Default true.
    pub allow_signup: bool,
    /// Who delivers the links (no default: an SMTP mailer, or `LogMailer` on purpose).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// `POST /magic-link/send`, per client IP.
    pub send_per_ip: Limit,
    /// Links mailed to one address.
    pub send_per_email: Limit,
    /// `POST /magic-link/verify`, per client IP.
    pub verify_per_ip: Limit,
}

impl std::fmt::Debug for MagicLinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MagicLinkConfig")
            .field("link_ttl", &self.link_ttl)
            .field("allow_signup", &self.allow_signup)
            .field("send_per_ip", &self.send_per_ip)
            .field("send_per_email", &self.send_per_email)
            .field("verify_per_ip", &self.verify_per_ip)
            .finish_non_exhaustive()
    }
}

impl Default for MagicLinkConfig {
    fn default() -> Self {
        MagicLinkConfig {
            link_ttl: Duration::from_secs(15 * 60),
            allow_signup: true,
            mailer: None,
            send_per_ip: Limit::per_hour(20),
            send_per_email: Limit::per_hour(5),
            verify_per_ip: Limit::per_minute(20),
        }
    }
}

/// The plugin: `YAuthBuilder::with_magic_link(config)`.
#[derive(Debug)]
pub struct MagicLink {
    service: Arc<Service>,
}

/// What the routes share.
#[derive(Debug)]
pub(crate) struct Service {
    config: MagicLinkConfig,
    mailer: Arc<dyn Mailer>,
}

impl MagicLink {
    /// Checks the configuration (a mailer, a positive lifetime).
    pub fn new(config: MagicLinkConfig) -> Result<Self, PluginError> {
        let mailer = config.mailer.clone().ok_or_else(|| {
            PluginError(
                "no mailer: set `mailer` (an SMTP mailer), or `Some(Arc::new(LogMailer))` to \
                 write links to the log during development"
                    .into(),
            )
        })?;
        if config.link_ttl.is_zero() {
            return Err(PluginError("link_ttl must be positive".into()));
        }
        Ok(MagicLink {
            service: Arc::new(Service { config, mailer }),
        })
    }
}

impl YAuthPlugin for MagicLink {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, _config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if self.service.mailer.writes_to_log() {
                tracing::warn!(
                    "magic links go to the log (LogMailer): anyone who can read the log can sign \
                     in as anyone; configure a real mailer"
                );
            }
            Ok(())
        })
    }

    fn public_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::public(state, self.service.clone()))
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            Ok(state
                .repos()
                .magic_links
                .delete_expired_magic_links(chrono::Utc::now())
                .await?)
        })
    }
}
