//! The OAuth 2 authorization server, and the OpenID Connect provider on top of it
//! (`OAuth2ServerConfig::oidc`, feature `oidc`).
//!
//! - **Clients** register by RFC 7591 (`POST /oauth/register`, under
//!   [`ClientRegistration`]) or through [`register_client`]. A confidential client's secret
//!   is shown once and stored as its SHA-256 (it is 256 random bits); clients authenticate
//!   with `client_secret_basic` or `client_secret_post`, public ones with `none`.
//! - **Authorization code with PKCE** (S256 only, required of every client): `GET
//!   /oauth/authorize` checks the client and the redirect URI first (an error there is
//!   answered, never redirected), sends a visitor without a session to the login page and a
//!   user who has not consented to the consent page, and otherwise redirects with `code`,
//!   `state` and `iss` (RFC 9207). The consent page answers with `POST /oauth/authorize`.
//!   A code lives 60 s, is stored as its hash and claimed by one guarded write; a second
//!   use revokes every token issued from it.
//! - **The token endpoint** (`POST /oauth/token`): `authorization_code`, `refresh_token`
//!   (rotated on every use, in families; a reused one revokes its family and the family's
//!   access tokens), `client_credentials`, and the device grant (RFC 8628: `POST
//!   /oauth/device/code`, the user's decision on the device page, `authorization_pending`,
//!   `slow_down`, `access_denied`, `expired_token`). Access tokens are JWTs (`typ: at+jwt`, RFC
//!   9068) signed by the key store and recorded by `jti`, so that introspection (RFC 7662)
//!   and revocation (RFC 7009) work and yauth's own protected routes accept them (the
//!   extractor of this plugin: `auth_method: "Bearer"`, the token's scopes).
//! - **OpenID Connect**: an `id_token` for the `openid` scope (RS256, or ES256 when the client
//!   registered it; `nonce`, `auth_time`, `at_hash`, `azp`, and the email and profile claims
//!   of the granted scopes), `/userinfo`, discovery, the JWKS, and RP-initiated logout
//!   (`GET /oauth/logout` with `id_token_hint` and a registered `post_logout_redirect_uri`).
//!
//! - `wire`: RFC 6749 errors, form bodies, client authentication; `clients`: registration;
//!   `authorize`: the authorization endpoint and the consent decision; `device`: the device
//!   grant; `logout`: RP-initiated logout; `tokens`: the grants,
//!   the tokens, introspection, revocation, userinfo and the extractor; `metadata`: the
//!   discovery documents; `routes`: the HTTP surface.

use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::plugin::{BoxFuture, CredentialExtractor, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::limits::Limit;

pub use crate::keys::signing::SigningAlgorithm;
pub use clients::{ClientMetadata, RegisteredClient, register_client};

mod authorize;
mod clients;
mod device;
mod logout;
mod metadata;
mod routes;
mod tokens;
mod wire;

/// The plugin's name.
pub const NAME: &str = "oauth2-server";

/// Scopes of yauth's own credentials (`account` for account changes, `admin` for the admin
/// routes), never granted to an OAuth client.
pub const RESERVED_SCOPES: &[&str] = &[
    crate::contract::user::ACCOUNT_SCOPE,
    crate::contract::user::ADMIN_ROLE,
];

/// How long an authorization code may be redeemed.
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// Who may register clients at `POST /oauth/register`.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum ClientRegistration {
    /// Nobody: the route answers 403 and is not advertised. Clients come from
    /// [`register_client`]. The default.
    #[default]
    Off,
    /// Anyone.
    Open,
    /// Whoever sends `Authorization: Bearer <this token>` (RFC 7591's initial access token).
    InitialAccessToken(String),
}

impl std::fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientRegistration::Off => f.write_str("Off"),
            ClientRegistration::Open => f.write_str("Open"),
            ClientRegistration::InitialAccessToken(_) => f.write_str("InitialAccessToken(..)"),
        }
    }
}

/// `OidcConfig`: the OpenID Connect provider's settings.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer (`iss` of every token, the base of the discovery document): the URL where
    /// yauth is mounted, e.g. `https://auth.example.com/api/auth`. No trailing slash, no
    /// query or fragment.
    pub issuer: String,
    /// How long an id_token is valid. Default 1 hour.
    pub id_token_ttl: Duration,
    /// The claims advertised by discovery. Default `sub`, `email`, `email_verified`, `name`
    /// (and the registered ones every id_token carries).
    pub claims_supported: Vec<String>,
}

impl OidcConfig {
    /// The provider for `issuer`, with the default lifetimes and claims.
    pub fn new(issuer: impl Into<String>) -> Self {
        OidcConfig {
            issuer: issuer.into(),
            id_token_ttl: Duration::from_secs(3600),
            claims_supported: ["sub", "email", "email_verified", "name"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// The rate limits of the plugin's routes, per client IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2RateLimits {
    /// `POST /oauth/register`.
    pub register_per_ip: Limit,
    /// `POST /oauth/token`, `/oauth/introspect`, `/oauth/revoke`, `/oauth/device/code`
    /// together.
    pub token_per_ip: Limit,
    /// User codes tried on the device page (`GET`/`POST /oauth/device`), per user.
    pub device_verify_per_user: Limit,
    /// The same, per client IP.
    pub device_verify_per_ip: Limit,
}

impl Default for OAuth2RateLimits {
    fn default() -> Self {
        OAuth2RateLimits {
            register_per_ip: Limit::per_hour(20),
            token_per_ip: Limit::per_minute(600),
            device_verify_per_user: Limit::per_minute(10),
            device_verify_per_ip: Limit::per_minute(20),
        }
    }
}

/// `OAuth2ServerConfig`: the authorization server's settings.
#[derive(Debug, Clone)]
pub struct OAuth2ServerConfig {
    /// The issuer, when OpenID Connect is off (with `oidc`, its issuer is the one): the URL
    /// where yauth is mounted. Required then: there is no default.
    pub issuer: Option<String>,
    /// Who may register clients at `POST /oauth/register`. Default off.
    pub registration: ClientRegistration,
    /// The sign-in page a visitor without a session is sent to, with `return_to` (the
    /// authorization URL to come back to) and `login_hint` when the client gave one. A path
    /// is taken relative to `YAuthConfig::base_url`. Default `/login`.
    pub login_url: String,
    /// The consent page a user is sent to, with the authorization request's parameters; it
    /// answers with `POST /oauth/authorize`. A path is relative to `base_url`. Default
    /// `/consent`.
    pub consent_url: String,
    /// The device page (RFC 8628's `verification_uri`), where a signed-in user types a
    /// device's code and answers with `POST /oauth/device`. A path is relative to `base_url`.
    /// Default `/device`.
    pub device_url: String,
    /// How long a device code waits for the user. Default 10 minutes.
    pub device_code_ttl: Duration,
    /// The scopes clients may ask for. Default `openid profile email offline_access`
    /// (`openid` only with OpenID Connect on). `account` and `admin` are refused: they are
    /// yauth's own.
    pub scopes_supported: Vec<String>,
    /// How long an access token is valid. Default 15 minutes. Keep it within the bearer
    /// plugin's `access_token_ttl` plus an hour: that is how long a rotated signing key
    /// keeps verifying.
    pub access_token_ttl: Duration,
    /// How long a refresh family lives from its grant. Default 30 days.
    pub refresh_token_ttl: Duration,
    /// Issue a refresh token with every code (when the client may use the `refresh_token`
    /// grant), not only when `offline_access` is granted. Default false.
    pub always_issue_refresh_tokens: bool,
    /// The algorithm of access tokens. Default RS256 (what every resource server reads).
    pub access_token_algorithm: SigningAlgorithm,
    /// The route limits.
    pub rate_limits: OAuth2RateLimits,
    /// OpenID Connect: id_tokens, `/userinfo`, discovery. Off when `None` (the default).
    #[cfg(feature = "oidc")]
    pub oidc: Option<OidcConfig>,
}

impl Default for OAuth2ServerConfig {
    fn default() -> Self {
        OAuth2ServerConfig {
            issuer: None,
            registration: ClientRegistration::Off,
            login_url: "/login".into(),
            consent_url: "/consent".into(),
            device_url: "/device".into(),
            device_code_ttl: Duration::from_secs(600),
            scopes_supported: ["openid", "profile", "email", "offline_access"]
                .map(String::from)
                .to_vec(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            always_issue_refresh_tokens: false,
            access_token_algorithm: SigningAlgorithm::Rs256,
            rate_limits: OAuth2RateLimits::default(),
            #[cfg(feature = "oidc")]
            oidc: None,
        }
    }
}

impl OAuth2ServerConfig {
    fn oidc(&self) -> Option<&OidcConfig> {
        #[cfg(feature = "oidc")]
        return self.oidc.as_ref();
        #[cfg(not(feature = "oidc"))]
        None
    }
}

/// The plugin: `YAuthBuilder::with_oauth2_server(config)`.
#[derive(Debug)]
pub struct OAuth2Server {
    service: Arc<Service>,
}

/// What the routes and the extractor share, completed by `init`.
#[derive(Debug)]
pub(crate) struct Service {
    config: OAuth2ServerConfig,
    /// The issuer, without a trailing slash.
    issuer: String,
    /// Absolute URLs of the login, consent and device pages.
    login_url: String,
    consent_url: String,
    device_url: String,
    /// The validation of this server's access tokens (issuer and audience: the issuer).
    access_validation: jsonwebtoken::Validation,
    /// The validation of an `id_token_hint` (the issuer; any audience, expired or not).
    hint_validation: jsonwebtoken::Validation,
}

impl Service {
    fn oidc(&self) -> Option<&OidcConfig> {
        self.config.oidc()
    }

    /// The absolute URL of one of the server's routes.
    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

impl OAuth2Server {
    /// The plugin with `config` (checked by `init`).
    pub fn new(config: OAuth2ServerConfig) -> Self {
        OAuth2Server {
            service: Arc::new(Service {
                config,
                issuer: String::new(),
                login_url: String::new(),
                consent_url: String::new(),
                device_url: String::new(),
                access_validation: jsonwebtoken::Validation::default(),
                hint_validation: jsonwebtoken::Validation::default(),
            }),
        }
    }
}

/// An issuer as OpenID Connect Discovery wants it: an absolute http(s) URL without query,
/// fragment or trailing slash.
fn checked_issuer(issuer: &str) -> Result<String, PluginError> {
    let parsed = url::Url::parse(issuer)
        .map_err(|_| PluginError(format!("the issuer `{issuer}` is not a URL")))?;
    if !matches!(parsed.scheme(), "https" | "http")
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || issuer.ends_with('/')
        || parsed.host_str().is_none()
    {
        return Err(PluginError(format!(
            "the issuer `{issuer}` must be an http(s) URL without query, fragment or trailing slash"
        )));
    }
    Ok(issuer.to_string())
}

/// `path_or_url` made absolute against `base`.
fn page_url(base: &str, path_or_url: &str) -> Result<String, PluginError> {
    let base = url::Url::parse(base).map_err(|_| PluginError("base_url is not a URL".into()))?;
    base.join(path_or_url)
        .map(String::from)
        .map_err(|_| PluginError(format!("`{path_or_url}` is not a URL or a path")))
}

impl YAuthPlugin for OAuth2Server {
    fn name(&self) -> &'static str {
        NAME
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn init<'a>(&'a mut self, config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if config.secret_key.is_none() {
                return Err(PluginError(
                    "the authorization server signs tokens with keys sealed under \
                     YAuthConfig::secret_key: set it"
                        .into(),
                ));
            }
            let service = Arc::get_mut(&mut self.service).ok_or_else(|| {
                PluginError("the oauth2-server plugin was initialised twice".into())
            })?;
            let own = &service.config;
            if own.access_token_ttl.is_zero()
                || own.refresh_token_ttl.is_zero()
                || own.device_code_ttl.is_zero()
            {
                return Err(PluginError("token lifetimes must be positive".into()));
            }
            if let Some(scope) = own
                .scopes_supported
                .iter()
                .find(|s| !crate::kit::validate::is_scope_token(s))
            {
                return Err(PluginError(format!("`{scope}` is not a valid scope")));
            }
            // yauth's own routes read these scopes on every token: a client must never be
            // granted them.
            if let Some(scope) = own
                .scopes_supported
                .iter()
                .find(|s| RESERVED_SCOPES.contains(&s.as_str()))
            {
                return Err(PluginError(format!(
                    "`{scope}` is reserved for yauth's own credentials and cannot be offered to OAuth clients"
                )));
            }
            if let ClientRegistration::InitialAccessToken(token) = &own.registration
                && token.len() < 16
            {
                return Err(PluginError(
                    "the initial access token must be at least 16 characters".into(),
                ));
            }
            let oidc_on = own.oidc().is_some();
            if !oidc_on {
                // No id_tokens without OpenID Connect: `openid` is not offered.
                service.config.scopes_supported.retain(|s| s != "openid");
            }
            let own = &service.config;
            let issuer = match (own.oidc(), &own.issuer) {
                (Some(oidc), Some(issuer)) if oidc.issuer != *issuer => {
                    return Err(PluginError(
                        "OAuth2ServerConfig::issuer and OidcConfig::issuer differ: set one".into(),
                    ));
                }
                (Some(oidc), _) => oidc.issuer.clone(),
                (None, Some(issuer)) => issuer.clone(),
                (None, None) => {
                    return Err(PluginError(
                        "set OAuth2ServerConfig::issuer (or OidcConfig::issuer): the URL where \
                         yauth is mounted, e.g. https://app.example.com/api/auth"
                            .into(),
                    ));
                }
            };
            if let Some(oidc) = own.oidc()
                && oidc.id_token_ttl.is_zero()
            {
                return Err(PluginError("id_token_ttl must be positive".into()));
            }
            service.issuer = checked_issuer(&issuer)?;
            service.login_url = page_url(&config.base_url, &own.login_url)?;
            service.consent_url = page_url(&config.base_url, &own.consent_url)?;
            service.device_url = page_url(&config.base_url, &own.device_url)?;
            let mut validation = jsonwebtoken::Validation::default();
            validation.set_issuer(&[&service.issuer]);
            validation.set_audience(&[&service.issuer]);
            validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
            validation.leeway = 30;
            service.access_validation = validation;
            let mut hint = jsonwebtoken::Validation::default();
            hint.set_issuer(&[&service.issuer]);
            hint.set_required_spec_claims(&["iss", "sub", "aud"]);
            hint.validate_aud = false;
            hint.validate_exp = false;
            service.hint_validation = hint;
            Ok(())
        })
    }

    fn public_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::public(state, self.service.clone()))
    }

    fn cross_origin_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::cross_origin(state, self.service.clone()))
    }

    fn protected_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected(state, self.service.clone()))
    }

    fn root_routes(&self, state: &YAuthState) -> Option<axum::Router> {
        routes::root(state, self.service.clone())
    }

    fn extractors(&self) -> Vec<Box<dyn CredentialExtractor>> {
        vec![Box::new(AccessToken {
            service: self.service.clone(),
        })]
    }

    fn on_event<'a>(
        &'a self,
        event: &'a crate::contract::event::AuthEvent,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, ()> {
        use crate::contract::event::AuthEvent;
        Box::pin(async move {
            // A new password or a ban ends what clients hold for the user: after an account
            // is recovered, a client the intruder authorized must not keep working.
            let user_id = match event {
                AuthEvent::PasswordChanged { user_id }
                | AuthEvent::PasswordReset { user_id }
                | AuthEvent::UserBanned { user_id, .. } => *user_id,
                _ => return,
            };
            let repos = state.repos();
            if let Err(e) = repos
                .oauth2_refresh_tokens
                .revoke_user_oauth2_refresh_tokens(user_id)
                .await
            {
                tracing::error!(error = %e, %user_id, "could not revoke the user's OAuth refresh tokens");
            }
            if let Err(e) = repos
                .oauth2_access_tokens
                .revoke_user_oauth2_access_tokens(user_id)
                .await
            {
                tracing::error!(error = %e, %user_id, "could not revoke the user's OAuth access tokens");
            }
        })
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            let repos = state.repos();
            let now = chrono::Utc::now();
            Ok(repos
                .authorization_codes
                .delete_expired_authorization_codes(now)
                .await?
                + repos
                    .oauth2_access_tokens
                    .delete_expired_oauth2_access_tokens(now)
                    .await?
                + repos
                    .oauth2_refresh_tokens
                    .delete_expired_oauth2_refresh_tokens(now)
                    .await?
                + repos.device_codes.delete_expired_device_codes(now).await?)
        })
    }
}

/// `Authorization: Bearer <access token of this server>` on yauth's own protected routes.
struct AccessToken {
    service: Arc<Service>,
}

impl CredentialExtractor for AccessToken {
    fn name(&self) -> &'static str {
        NAME
    }

    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Result<Option<AuthUser>, ApiError>> {
        Box::pin(tokens::authenticate(state, &self.service, parts))
    }
}
