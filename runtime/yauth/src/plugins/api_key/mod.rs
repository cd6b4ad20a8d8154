//! The api-key plugin: long-lived keys a user creates for scripts and services.
//!
//! - `POST /api-keys` shows the key once: a recognisable prefix and 256 random bits. Only its
//!   SHA-256 is stored, so a database dump does not contain usable keys.
//! - `X-Api-Key: <key>` authenticates protected routes after the cookie and the bearer
//!   token, with the key's scopes. An expired or deleted key fails at its next use;
//!   `last_used_at` is written at most once a minute per key.
//! - Keys are created from a signed-in session only (not with a key or a bearer token), so
//!   a stolen credential cannot be turned into one that outlives a password reset; not from
//!   an admin's impersonation either. A password change or reset deletes every key of the
//!   account.
//!
//! - `routes`: the HTTP surface; `flows`: creating, listing, deleting, authenticating.

use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::plugin::{BoxFuture, CredentialExtractor, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::limits::Limit;

mod flows;
mod routes;

/// The plugin's name.
pub const NAME: &str = "api-key";

/// The header that carries a key.
pub const HEADER: &str = "x-api-key";

/// `ApiKeyConfig`: the plugin's settings.
#[derive(Debug, Clone)]
pub struct ApiKeyConfig {
    /// What every key starts with, so that secret scanners and people recognise one.
    /// Default `yauth_`.
    pub prefix: String,
    /// The scopes a key may be given; anything else is 400 `invalid_scope`. Default none.
    pub allowed_scopes: Vec<String>,
    /// How many keys one user may hold. Default 25.
    pub max_keys_per_user: u64,
    /// The longest lifetime a key may be created with, in days; `None` allows keys that never
    /// expire (when `expires_in_days` is omitted). Default 365.
    pub max_expires_in_days: Option<u32>,
    /// `POST /api-keys`, per user.
    pub create_per_user: Limit,
}

impl Default for ApiKeyConfig {
    fn default() -> Self {
        ApiKeyConfig {
            prefix: "yauth_".into(),
            allowed_scopes: Vec::new(),
            max_keys_per_user: 25,
            max_expires_in_days: Some(365),
            create_per_user: Limit::per_hour(20),
        }
    }
}

/// How often `last_used_at` may be written for one key.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// The plugin: `YAuthBuilder::with_api_key(config)`.
#[derive(Debug)]
pub struct ApiKeys {
    service: Arc<Service>,
}

/// What the routes and the extractor share.
#[derive(Debug)]
pub(crate) struct Service {
    config: ApiKeyConfig,
}

impl ApiKeys {
    /// The plugin with `config` (checked by `init`).
    pub fn new(config: ApiKeyConfig) -> Self {
        ApiKeys {
            service: Arc::new(Service { config }),
        }
    }
}

impl YAuthPlugin for ApiKeys {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, _config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            let config = &self.service.config;
            let prefix_ok = !config.prefix.is_empty()
                && config.prefix.len() <= 16
                && config
                    .prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !prefix_ok {
                return Err(PluginError(
                    "the key prefix must be 1 to 16 letters, digits, `_` or `-`".into(),
                ));
            }
            if let Some(scope) = config
                .allowed_scopes
                .iter()
                .find(|s| !crate::kit::validate::is_scope_token(s))
            {
                return Err(PluginError(format!("`{scope}` is not a valid scope")));
            }
            Ok(())
        })
    }

    fn protected_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected(state, self.service.clone()))
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // A new password ends a possible takeover: the keys made meanwhile (with a
            // stolen session) go with the old password, as the sessions do.
            let (AuthEvent::PasswordReset { user_id } | AuthEvent::PasswordChanged { user_id }) =
                event
            else {
                return;
            };
            if let Err(e) = state.repos().api_keys.delete_user_api_keys(*user_id).await {
                tracing::error!(error = %e, %user_id, "could not delete the user's API keys");
            }
        })
    }

    fn extractors(&self) -> Vec<Box<dyn CredentialExtractor>> {
        vec![Box::new(ApiKeyHeader)]
    }
}

/// `X-Api-Key: <key>`.
struct ApiKeyHeader;

impl CredentialExtractor for ApiKeyHeader {
    fn name(&self) -> &'static str {
        NAME
    }

    fn openapi_scheme(&self) -> Option<(&'static str, utoipa::openapi::security::SecurityScheme)> {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        Some((
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        ))
    }

    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Result<Option<AuthUser>, ApiError>> {
        Box::pin(flows::authenticate(state, parts))
    }
}
