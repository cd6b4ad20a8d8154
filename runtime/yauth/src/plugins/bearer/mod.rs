//! The bearer plugin: JWT access tokens signed by the key store, and opaque refresh tokens
//! that rotate on every use, in families.
//!
//! - `POST /token` (mounted by the email-password plugin, which owns passwords) signs in
//!   exactly like `/login` and answers a token pair instead of a session.
//! - `POST /token/refresh` rotates: the presented refresh token is claimed (one atomic
//!   write) and its successor stored in the same transaction. Presenting a rotated token
//!   again is reuse: the whole family is revoked, the newest token included, and
//!   `refresh_token_reused` is audited. Of any number of concurrent refreshes of one token
//!   exactly one gets a pair, and the others, being reuse, revoke the family (that pair
//!   included): a client refreshes from one place at a time, or turns on
//!   `refresh_reuse_grace`.
//! - `Authorization: Bearer <jwt>` authenticates protected routes after the session cookie.
//!   Each request loads the user, so a ban or a deletion applies at the next request.
//!
//! - `routes`: the HTTP surface; `flows`: issuing, refreshing, revoking, verifying.

use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::plugin::{
    BoxFuture, CredentialExtractor, PluginError, TokenIssuer, TokenPair, YAuthPlugin,
};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::User;
use crate::kit::limits::Limit;

pub use crate::keys::signing::SigningAlgorithm;

mod flows;
mod routes;

/// The plugin's name.
pub const NAME: &str = "bearer";

/// The rate limits of the plugin's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerRateLimits {
    /// `POST /token/refresh`, per client IP.
    pub refresh_per_ip: Limit,
}

impl Default for BearerRateLimits {
    fn default() -> Self {
        BearerRateLimits {
            refresh_per_ip: Limit::per_minute(120),
        }
    }
}

/// `BearerConfig`: the plugin's settings.
#[derive(Debug, Clone)]
pub struct BearerConfig {
    /// How long an access token works. Default 15 minutes. A revoked family's access tokens
    /// keep working until they expire (a ban or a deletion stops them at once).
    pub access_token_ttl: Duration,
    /// How long a refresh family lives from its sign-in; rotation does not extend it, so a
    /// stolen token cannot be kept alive for ever. Default 30 days.
    pub refresh_token_ttl: Duration,
    /// The token rotated last, presented once more within this time of its rotation, gets a
    /// second pair of the same family instead of revoking it: for clients whose tabs race
    /// to refresh. It also lets one replay by a thief within the window in; a further
    /// repeat is reuse. Default zero (off): every reuse revokes the family.
    pub refresh_reuse_grace: Duration,
    /// The `iss` of access tokens. Default: `YAuthConfig::base_url`.
    pub issuer: Option<String>,
    /// The `aud` of access tokens, checked on every request. Default: the issuer.
    pub audience: Option<String>,
    /// The algorithm that signs access tokens. Default ES256.
    pub algorithm: SigningAlgorithm,
    /// Signing keys older than this are rotated by maintenance; `None` never rotates.
    /// Default 90 days.
    pub signing_key_lifetime: Option<Duration>,
    /// The scopes a token may be asked for (`scope` of `POST /token`); anything else is 400
    /// `invalid_scope`. Default none.
    pub allowed_scopes: Vec<String>,
    /// The scopes of a token whose request names none. Default none.
    pub default_scopes: Vec<String>,
    /// The limits of the plugin's routes.
    pub rate_limits: BearerRateLimits,
}

impl Default for BearerConfig {
    fn default() -> Self {
        BearerConfig {
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_reuse_grace: Duration::ZERO,
            issuer: None,
            audience: None,
            algorithm: SigningAlgorithm::Es256,
            signing_key_lifetime: Some(Duration::from_secs(90 * 24 * 3600)),
            allowed_scopes: Vec::new(),
            default_scopes: Vec::new(),
            rate_limits: BearerRateLimits::default(),
        }
    }
}

/// The plugin: `YAuthBuilder::with_bearer(config)`, or
/// `with_plugin(Box::new(Bearer::new(config)))`.
#[derive(Debug)]
pub struct Bearer {
    service: Arc<Service>,
}

/// What the plugin's routes, issuer and extractor share.
#[derive(Debug)]
pub(crate) struct Service {
    config: BearerConfig,
    /// Filled in by `init` from the shared configuration.
    issuer: String,
    audience: String,
    validation: jsonwebtoken::Validation,
    /// Access tokens whose signature was checked, by the SHA-256 of the token: a client
    /// sends the same token for up to `access_token_ttl`, and an ECDSA verification costs
    /// far more than the rest of the request.
    verified: flows::VerifiedTokens,
}

impl Bearer {
    /// The plugin with `config` (checked by `init`).
    pub fn new(config: BearerConfig) -> Self {
        Bearer {
            service: Arc::new(Service {
                config,
                issuer: String::new(),
                audience: String::new(),
                validation: jsonwebtoken::Validation::default(),
                verified: flows::VerifiedTokens::default(),
            }),
        }
    }
}

/// Rotates the signing keys now (`POST /admin/signing-keys/rotate` does the same): every
/// algorithm in use gets a new key, which signs from now on; tokens signed before keep
/// verifying, and the JWKS publishes the old keys, until maintenance retires them once the
/// tokens they signed have expired. Answers the new keys' `kid`s.
pub async fn rotate_signing_keys(state: &YAuthState) -> Result<Vec<String>, ApiError> {
    Ok(state
        .signing_keys()
        .rotate_all(state.repos(), state.sealer()?)
        .await?)
}

/// How much longer than an access token a rotated signing key keeps verifying: covers a
/// replica that signed with it before it noticed the rotation (each re-reads the keys at
/// least once a minute while it signs or verifies).
const ROTATION_MARGIN: Duration = Duration::from_secs(3600);

impl YAuthPlugin for Bearer {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if config.secret_key.is_none() {
                return Err(PluginError(
                    "bearer signs tokens with keys sealed under YAuthConfig::secret_key: set it \
                     (32 bytes from your secrets, e.g. SecretKey::from_hex of YAUTH_SECRET_KEY)"
                        .into(),
                ));
            }
            let service = Arc::get_mut(&mut self.service)
                .ok_or_else(|| PluginError("the bearer plugin was initialised twice".into()))?;
            let bearer = &service.config;
            if bearer.access_token_ttl.is_zero() || bearer.refresh_token_ttl.is_zero() {
                return Err(PluginError("token lifetimes must be positive".into()));
            }
            for scope in bearer.allowed_scopes.iter().chain(&bearer.default_scopes) {
                if !crate::kit::validate::is_scope_token(scope) {
                    return Err(PluginError(format!("`{scope}` is not a valid scope")));
                }
            }
            if let Some(scope) = bearer
                .default_scopes
                .iter()
                .find(|s| !bearer.allowed_scopes.contains(s))
            {
                return Err(PluginError(format!(
                    "default scope `{scope}` is not in allowed_scopes"
                )));
            }
            service.issuer = bearer
                .issuer
                .clone()
                .unwrap_or_else(|| config.base_url.clone());
            service.audience = bearer
                .audience
                .clone()
                .unwrap_or_else(|| service.issuer.clone());
            let mut validation = jsonwebtoken::Validation::default();
            validation.set_issuer(&[&service.issuer]);
            validation.set_audience(&[&service.audience]);
            validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
            validation.leeway = 30;
            service.validation = validation;
            Ok(())
        })
    }

    fn public_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::public(state, self.service.clone()))
    }

    fn protected_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected(state, self.service.clone()))
    }

    fn extractors(&self) -> Vec<Box<dyn CredentialExtractor>> {
        vec![Box::new(BearerToken {
            service: self.service.clone(),
        })]
    }

    fn token_issuer(&self) -> Option<Arc<dyn TokenIssuer>> {
        Some(Arc::new(Issuer {
            service: self.service.clone(),
        }))
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // A new password or a ban ends every refresh family of the user.
            let user_id = match event {
                AuthEvent::PasswordChanged { user_id }
                | AuthEvent::PasswordReset { user_id }
                | AuthEvent::UserBanned { user_id, .. } => *user_id,
                _ => return,
            };
            if let Err(e) = state
                .repos()
                .refresh_tokens
                .revoke_user_refresh_tokens(user_id)
                .await
            {
                tracing::error!(error = %e, %user_id, "could not revoke the user's refresh tokens");
            }
        })
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            let repos = state.repos();
            let expired = repos
                .refresh_tokens
                .delete_expired_refresh_tokens(chrono::Utc::now())
                .await?;
            let keys = state
                .signing_keys()
                .maintain(
                    repos,
                    state.sealer()?,
                    self.service.config.access_token_ttl + ROTATION_MARGIN,
                    self.service.config.signing_key_lifetime,
                )
                .await?;
            Ok(expired + keys)
        })
    }

    fn reseal<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            Ok(state
                .signing_keys()
                .reseal(state.repos(), state.sealer()?)
                .await?)
        })
    }
}

/// Issues token pairs for the sign-in path.
struct Issuer {
    service: Arc<Service>,
}

impl TokenIssuer for Issuer {
    fn scopes(&self, requested: Option<&str>) -> Result<Vec<String>, ApiError> {
        flows::granted_scopes(&self.service.config, requested)
    }

    fn issue<'a>(
        &'a self,
        state: &'a YAuthState,
        user: &'a User,
        scopes: &'a [String],
        client: &'a crate::contract::event::RequestMeta,
    ) -> BoxFuture<'a, Result<TokenPair, ApiError>> {
        Box::pin(flows::issue(state, &self.service, user, scopes, client))
    }
}

/// `Authorization: Bearer <access token>`.
struct BearerToken {
    service: Arc<Service>,
}

impl CredentialExtractor for BearerToken {
    fn name(&self) -> &'static str {
        NAME
    }

    fn openapi_scheme(&self) -> Option<(&'static str, utoipa::openapi::security::SecurityScheme)> {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        Some((
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        ))
    }

    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Result<Option<AuthUser>, ApiError>> {
        Box::pin(flows::authenticate(state, &self.service, parts))
    }
}
