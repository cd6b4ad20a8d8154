//! The OAuth client plugin: sign in with an OpenID Connect or OAuth 2 provider (Google,
//! Microsoft, GitHub, another yauth), and link providers to an account.
//!
//! - `GET /oauth/{provider}/authorize?redirect_to=…` answers 302 to the provider with a
//!   `state`, a PKCE S256 challenge and, for OpenID Connect, a `nonce`. The flow is stored in
//!   `oauth_states` for 10 minutes under the SHA-256 of the state *and* a random value kept
//!   in an HttpOnly cookie of this browser, so a state is only good in the browser that
//!   started the flow. The PKCE verifier is stored sealed, the nonce as its hash.
//! - `GET`/`POST /oauth/{provider}/callback` claim the flow (one guarded delete: a replay
//!   finds nothing), exchange the code, and read who signed in: from the `id_token`
//!   (signature against the provider's JWKS, `iss`, `aud`, `azp`, `exp`, `nonce`) for
//!   OpenID Connect, from the userinfo API for OAuth 2. Then a known provider account signs
//!   in; an unknown one whose verified email belongs to an account is linked to it (when
//!   [`OAuthConfig::link_verified_emails`]); otherwise a new account is created for a
//!   verified email. An unverified email neither links nor creates (unless
//!   [`OAuthConfig::signup_with_unverified_email`]). Every sign-in goes through the kit's
//!   path (bans, vetoes, MFA): the answer is a 302 to `redirect_to` with the session cookie,
//!   or with `#mfa_required=true&pending_session_id=…` when a second factor is needed.
//! - `redirect_to` is a path of the application (`base_url`) or a URL of an allowed origin:
//!   anything else is refused before the flow starts.
//! - The provider's access and refresh tokens are stored sealed by the key store. A
//!   password reset unlinks every provider (as it removes passkeys): the owner links again.
//! - Linking needs the user's own live session at the callback too: a flow started from a
//!   session that has ended since (stolen, wiped when the mailbox was proven) links nothing.
//! - `GET /oauth/accounts`, `POST /oauth/{provider}/link` (answers `{ authorize_url }`; its
//!   callback links the provider to the signed-in user), `DELETE /oauth/{provider}` (refused
//!   with `last_login_method` when the user would have no password, passkey or other
//!   provider left), and `GET /oauth/providers` (the names, for sign-in buttons).
//!
//! - With [`OAuthConfig::mailer`], the owner is mailed whenever a provider is linked.
//!
//! - `provider`: discovery, JWKS, the token exchange, id_token validation and userinfo;
//!   `flows`: starting, finishing, linking and unlinking; `routes`: the HTTP surface;
//!   `mail`: the link notice.

use std::sync::Arc;
use std::time::Duration;

use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::kit::limits::Limit;
use crate::mail::Mailer;

mod flows;
mod mail;
mod provider;
mod routes;

/// The plugin's name (and the `method` of its sign-ins).
pub const NAME: &str = "oauth";

/// How long a started flow may come back.
pub const STATE_TTL: Duration = Duration::from_secs(10 * 60);

/// Path segments after `/oauth/` that other routes own (the client plugin's own and the
/// authorization server's): no provider may be named after one.
const RESERVED_NAMES: &[&str] = &[
    "accounts",
    "providers",
    "authorize",
    "token",
    "introspect",
    "revoke",
    "register",
    "device",
    "userinfo",
    "jwks",
    "logout",
];

/// How the client authenticates at the provider's token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `Authorization: Basic` (RFC 6749 §2.3.1), the default.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
}

/// How the provider returns to the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// A redirect with the code in the query (`GET` callback), the default.
    #[default]
    Query,
    /// An auto-submitted form (`POST` callback, `response_mode=form_post`). The browser sends
    /// the flow's cookie with a cross-site POST only when it is `SameSite=None; Secure`, so
    /// this needs HTTPS (`CookieConfig::secure`).
    FormPost,
}

/// Where a plain OAuth 2 provider's userinfo answer keeps the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserinfoMapping {
    /// The field with the provider's stable user id (a string or a number).
    pub id: String,
    /// The field with the email, if the answer has one.
    pub email: Option<String>,
    /// The field saying the email is verified (`true` or `"true"`); without it the
    /// answer's email counts as unverified.
    pub email_verified: Option<String>,
    /// The field with the display name.
    pub name: Option<String>,
    /// A GitHub-style list of the user's emails (`[{ email, primary, verified }]`): when set,
    /// the email is the primary one, verified only if the list says so.
    pub emails_url: Option<String>,
}

/// Where a provider's endpoints come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEndpoints {
    /// OpenID Connect: endpoints and keys from `{issuer}/.well-known/openid-configuration`.
    Oidc {
        /// The issuer, exactly as the provider's `iss` claim says it.
        issuer: String,
    },
    /// Plain OAuth 2: explicit endpoints, and a userinfo API read through a mapping.
    OAuth2 {
        /// The authorization endpoint.
        authorize_url: String,
        /// The token endpoint.
        token_url: String,
        /// The API that answers the signed-in user's profile.
        userinfo_url: String,
        /// How to read it.
        mapping: UserinfoMapping,
    },
}

/// One provider. Start from a preset ([`OAuthProvider::google`], [`OAuthProvider::microsoft`],
/// [`OAuthProvider::github`]) or [`OAuthProvider::oidc`] for any OpenID provider.
#[derive(Clone)]
pub struct OAuthProvider {
    /// The name in the routes (`/oauth/{name}/…`): lower-case letters, digits and `-`.
    pub name: String,
    /// The client id the provider issued.
    pub client_id: String,
    /// The client secret (`None` for a public client, which relies on PKCE alone).
    pub client_secret: Option<String>,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The endpoints.
    pub endpoints: ProviderEndpoints,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// How the provider comes back.
    pub response_mode: ResponseMode,
    /// Further authorization parameters (`prompt`, `hd`, …).
    pub extra_params: Vec<(String, String)>,
}

impl std::fmt::Debug for OAuthProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthProvider")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl OAuthProvider {
    /// Any OpenID Connect provider, by its issuer; scopes `openid email profile`.
    pub fn oidc(
        name: impl Into<String>,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<String>,
    ) -> Self {
        OAuthProvider {
            name: name.into(),
            client_id: client_id.into(),
            client_secret,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            endpoints: ProviderEndpoints::Oidc {
                issuer: issuer.into(),
            },
            client_auth: ClientAuth::Basic,
            response_mode: ResponseMode::Query,
            extra_params: Vec::new(),
        }
    }

    /// Google (OpenID Connect, issuer `https://accounts.google.com`), named `google`.
    pub fn google(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self::oidc(
            "google",
            "https://accounts.google.com",
            client_id,
            Some(client_secret.into()),
        )
    }

    /// Microsoft Entra ID (OpenID Connect), named `microsoft`. `tenant` is a tenant id or
    /// `common`, `organizations`, `consumers`; for those the token's issuer names the user's
    /// own tenant (`tid`). Microsoft does not say whether an email is verified, so its
    /// emails neither link nor create accounts unless
    /// [`OAuthConfig::signup_with_unverified_email`] is on.
    pub fn microsoft(
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self::oidc(
            "microsoft",
            format!("https://login.microsoftonline.com/{tenant}/v2.0"),
            client_id,
            Some(client_secret.into()),
        )
    }

    /// GitHub (OAuth 2), named `github`: the profile from `/user`, the email from
    /// `/user/emails`, where only the verified primary address counts.
    pub fn github(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        let mut provider = OAuthProvider {
            name: "github".into(),
            client_id: client_id.into(),
            client_secret: Some(client_secret.into()),
            scopes: vec!["read:user".into(), "user:email".into()],
            endpoints: ProviderEndpoints::Oidc {
                issuer: String::new(),
            },
            client_auth: ClientAuth::Post,
            response_mode: ResponseMode::Query,
            extra_params: Vec::new(),
        };
        provider.endpoints = github_endpoints("https://github.com", "https://api.github.com");
        provider
    }

    /// Points the preset at another server (a GitHub Enterprise host, a test's stand-in):
    /// the issuer of an OpenID provider; for GitHub, the one base of both the web endpoints
    /// (`/login/oauth/…`) and the API (`/user`, `/user/emails`).
    #[must_use]
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        self.endpoints = match self.endpoints {
            ProviderEndpoints::Oidc { .. } => ProviderEndpoints::Oidc {
                issuer: base.to_owned(),
            },
            ProviderEndpoints::OAuth2 { .. } => github_endpoints(base, base),
        };
        self
    }

    /// Another name (two providers of one kind, or a name of your own).
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

fn github_endpoints(web: &str, api: &str) -> ProviderEndpoints {
    ProviderEndpoints::OAuth2 {
        authorize_url: format!("{web}/login/oauth/authorize"),
        token_url: format!("{web}/login/oauth/access_token"),
        userinfo_url: format!("{api}/user"),
        mapping: UserinfoMapping {
            id: "id".into(),
            email: None,
            email_verified: None,
            name: Some("name".into()),
            emails_url: Some(format!("{api}/user/emails")),
        },
    }
}

/// `OAuthConfig`: the plugin's settings.
#[derive(Clone)]
pub struct OAuthConfig {
    /// The providers offered.
    pub providers: Vec<OAuthProvider>,
    /// Where yauth's routes are reached from outside: the callback of provider `p` is
    /// `{api_url}/oauth/p/callback`, the redirect URI to register at the provider. Default
    /// `{base_url}/api/auth`.
    pub api_url: Option<String>,
    /// A provider account whose verified email belongs to an existing account is linked to
    /// it and signs in. Default true. Off, such a sign-in is refused (`email_in_use`): the
    /// owner signs in and links from their settings.
    pub link_verified_emails: bool,
    /// An unknown provider account with a verified email gets a new account. Default true.
    pub allow_signup: bool,
    /// Also create accounts for emails the provider did not verify. Default false: such an
    /// account holds an address nobody proved, which lets someone claim a victim's address
    /// before the victim registers (pre-account takeover).
    pub signup_with_unverified_email: bool,
    /// Origins besides `base_url` and `allowed_origins` that `redirect_to` may name.
    pub redirect_origins: Vec<String>,
    /// Timeout of each request to a provider.
    pub http_timeout: Duration,
    /// Flows started (`authorize`, `link`) per client IP.
    pub start_per_ip: Limit,
    /// Callbacks per client IP.
    pub callback_per_ip: Limit,
    /// Who mails the owner when a provider is linked to their account (none by default:
    /// set it, as a linked provider is a way in).
    pub mailer: Option<Arc<dyn Mailer>>,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("providers", &self.providers)
            .field("api_url", &self.api_url)
            .field("link_verified_emails", &self.link_verified_emails)
            .field("allow_signup", &self.allow_signup)
            .field(
                "signup_with_unverified_email",
                &self.signup_with_unverified_email,
            )
            .field("redirect_origins", &self.redirect_origins)
            .finish_non_exhaustive()
    }
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            providers: Vec::new(),
            api_url: None,
            link_verified_emails: true,
            allow_signup: true,
            signup_with_unverified_email: false,
            redirect_origins: Vec::new(),
            http_timeout: Duration::from_secs(10),
            start_per_ip: Limit::per_minute(30),
            callback_per_ip: Limit::per_minute(30),
            mailer: None,
        }
    }
}

/// The plugin: `YAuthBuilder::with_oauth(config)`.
#[derive(Debug)]
pub struct OAuth {
    config: Option<OAuthConfig>,
    service: Option<Arc<Service>>,
}

/// What the routes share.
#[derive(Debug)]
pub(crate) struct Service {
    config: OAuthConfig,
    providers: Vec<provider::Provider>,
    /// `{api_url}`, without a trailing slash.
    api_url: String,
    /// `base_url`, without a trailing slash.
    base_url: String,
    /// Origins `redirect_to` may name.
    redirect_origins: Vec<String>,
}

impl Service {
    fn provider(&self, name: &str) -> Result<&provider::Provider, ApiError> {
        self.providers
            .iter()
            .find(|p| p.config.name == name)
            .ok_or_else(|| ApiError::not_found("no such provider"))
    }

    fn callback_url(&self, provider: &str) -> String {
        format!("{}/oauth/{provider}/callback", self.api_url)
    }
}

impl OAuth {
    /// The plugin for `config` (checked when the app is built).
    pub fn new(config: OAuthConfig) -> Self {
        OAuth {
            config: Some(config),
            service: None,
        }
    }
}

fn check_name(name: &str) -> Result<(), PluginError> {
    let well_formed = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err(PluginError(format!(
            "provider name `{name}`: use 1 to 40 lower-case letters, digits and `-`"
        )));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(PluginError(format!(
            "provider name `{name}` is taken by a route of its own"
        )));
    }
    Ok(())
}

impl YAuthPlugin for OAuth {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            let oauth = self
                .config
                .take()
                .ok_or_else(|| PluginError("initialised twice".into()))?;
            if config.secret_key.is_none() {
                return Err(PluginError(
                    "YAuthConfig::secret_key is needed: provider tokens and PKCE verifiers are \
                     stored sealed"
                        .into(),
                ));
            }
            let mut names = std::collections::HashSet::new();
            let mut providers = Vec::new();
            for p in &oauth.providers {
                check_name(&p.name)?;
                if !names.insert(p.name.clone()) {
                    return Err(PluginError(format!("provider `{}` is named twice", p.name)));
                }
                if p.response_mode == ResponseMode::FormPost && !config.cookie.secure {
                    return Err(PluginError(format!(
                        "provider `{}`: form_post needs secure cookies (HTTPS)",
                        p.name
                    )));
                }
                providers.push(
                    provider::Provider::new(p.clone(), oauth.http_timeout)
                        .map_err(|e| PluginError(format!("provider `{}`: {e}", p.name)))?,
                );
            }
            let base_url = config.base_url.trim_end_matches('/').to_owned();
            let api_url = oauth
                .api_url
                .clone()
                .unwrap_or_else(|| format!("{base_url}/api/auth"))
                .trim_end_matches('/')
                .to_owned();
            let redirect_origins = std::iter::once(&config.base_url)
                .chain(&config.allowed_origins)
                .chain(&oauth.redirect_origins)
                .filter_map(|url| crate::kit::origin::origin_of(url))
                .collect();
            self.service = Some(Arc::new(Service {
                config: oauth,
                providers,
                api_url,
                base_url,
                redirect_origins,
            }));
            Ok(())
        })
    }

    fn public_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::public(state, self.service.clone()?))
    }

    fn cross_origin_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::cross_origin(state, self.service.clone()?))
    }

    fn protected_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected(state, self.service.clone()?))
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // A reset is how an owner takes an account back: a provider linked by whoever
            // held it (a stolen session, a pre-registration) goes with the sessions and
            // passkeys; the owner links theirs again.
            if let AuthEvent::PasswordReset { user_id } = event
                && let Err(e) = crate::kit::session::unlink_providers(state, *user_id).await
            {
                tracing::error!(error = %e, "could not unlink the providers of a reset account");
            }
        })
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            Ok(state
                .repos()
                .oauth_states
                .delete_expired_oauth_states(chrono::Utc::now())
                .await?)
        })
    }
}
