//! `YAuthBuilder` → `YAuth`: the router to nest and the state to give it.

use std::sync::Arc;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{ProtectedLayer, SessionCookie};
use crate::config::{HOST_PREFIX, TrustedProxies, YAuthConfig};
use crate::contract::plugin::{CredentialExtractor, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::entity::{DatabaseBackend, Repositories};
use crate::kit::origin::{origin_of, refuse_cross_site};

/// The largest request body yauth's routes read (16 KiB): every body is a small JSON object.
pub const MAX_BODY: usize = 16 * 1024;

/// Why `build` refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The session cookie's name is not a valid cookie name.
    #[error("cookie name `{0}` must be letters, digits, `_` or `-`")]
    CookieName(String),
    /// `base_url` is not an absolute http(s) URL.
    #[error("base_url `{0}` must be an absolute URL such as https://app.example.com")]
    BaseUrl(String),
    /// `TrustedProxies::Hops(0)`: zero proxies is `TrustedProxies::None`.
    #[error("TrustedProxies::Hops needs at least one proxy (use TrustedProxies::None for none)")]
    TrustedProxies,
    /// A session lifetime is zero.
    #[error("session lifetimes must be positive")]
    SessionLifetime,
    /// Two plugins have the same name.
    #[error("plugin `{0}` was added twice")]
    DuplicatePlugin(&'static str),
    /// A plugin refused its configuration.
    #[error("plugin `{plugin}`: {error}")]
    Plugin {
        /// The plugin's name.
        plugin: &'static str,
        /// What it said.
        error: PluginError,
    },
}

/// Collects the backend, the configuration and the plugins.
pub struct YAuthBuilder {
    repos: Repositories,
    /// The backend's short name (`sqlx-pg`), for the repository spans.
    #[cfg_attr(not(feature = "telemetry"), allow(dead_code))]
    backend_name: &'static str,
    config: YAuthConfig,
    plugins: Vec<Box<dyn YAuthPlugin>>,
    /// A plugin shorthand (`with_email_password`) whose configuration was refused.
    refused: Option<BuildError>,
    /// `with_redis`: the connection and how to use it.
    #[cfg(feature = "redis")]
    redis: Option<(redis::aio::ConnectionManager, crate::cache::RedisConfig)>,
}

impl std::fmt::Debug for YAuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YAuthBuilder")
            .field("config", &self.config)
            .field(
                "plugins",
                &self.plugins.iter().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl YAuthBuilder {
    /// Starts with a backend and the shared configuration.
    pub fn new(backend: impl DatabaseBackend, config: YAuthConfig) -> Self {
        YAuthBuilder {
            backend_name: backend_name(backend.type_name()),
            repos: backend.repositories(),
            config,
            plugins: vec![Box::new(crate::plugins::core::Core)],
            refused: None,
            #[cfg(feature = "redis")]
            redis: None,
        }
    }

    /// Puts Redis in front of the database for what every request reads (the session check,
    /// API keys, the user behind a bearer token) and for the state replicas share (rate-limit
    /// counters, WebAuthn ceremonies, pending MFA sign-ins), with [`crate::cache::RedisConfig`]'s
    /// defaults. Every write that changes what is cached invalidates it; with Redis down,
    /// yauth uses the database. See [`crate::cache`].
    #[cfg(feature = "redis")]
    pub fn with_redis(self, conn: redis::aio::ConnectionManager) -> Self {
        self.with_redis_config(conn, crate::cache::RedisConfig::default())
    }

    /// [`YAuthBuilder::with_redis`] with a key prefix, entry lifetime and timeout of your own.
    #[cfg(feature = "redis")]
    pub fn with_redis_config(
        mut self,
        conn: redis::aio::ConnectionManager,
        config: crate::cache::RedisConfig,
    ) -> Self {
        self.redis = Some((conn, config));
        self
    }

    /// Enables the email-password plugin (`with_plugin(Box::new(EmailPassword::new(config)?))`).
    #[cfg(feature = "email-password")]
    pub fn with_email_password(
        self,
        config: crate::plugins::email_password::EmailPasswordConfig,
    ) -> Self {
        use crate::plugins::email_password::{EmailPassword, NAME};
        match EmailPassword::new(config) {
            Ok(plugin) => self.with_plugin(Box::new(plugin)),
            Err(error) => self.refuse(BuildError::Plugin {
                plugin: NAME,
                error,
            }),
        }
    }

    /// Enables the bearer plugin (`with_plugin(Box::new(Bearer::new(config)))`): JWT access
    /// tokens, rotating refresh tokens, `POST /token` with the email-password plugin. Needs
    /// `YAuthConfig::secret_key`.
    #[cfg(feature = "bearer")]
    pub fn with_bearer(self, config: crate::plugins::bearer::BearerConfig) -> Self {
        self.with_plugin(Box::new(crate::plugins::bearer::Bearer::new(config)))
    }

    /// Enables the api-key plugin: `POST`/`GET /api-keys`, `DELETE /api-keys/{id}`, and
    /// `X-Api-Key` on protected routes.
    #[cfg(feature = "api-key")]
    pub fn with_api_key(self, config: crate::plugins::api_key::ApiKeyConfig) -> Self {
        self.with_plugin(Box::new(crate::plugins::api_key::ApiKeys::new(config)))
    }

    /// Enables the magic-link plugin (`POST /magic-link/send`, `/magic-link/verify`).
    #[cfg(feature = "magic-link")]
    pub fn with_magic_link(self, config: crate::plugins::magic_link::MagicLinkConfig) -> Self {
        use crate::plugins::magic_link::{MagicLink, NAME};
        match MagicLink::new(config) {
            Ok(plugin) => self.with_plugin(Box::new(plugin)),
            Err(error) => self.refuse(BuildError::Plugin {
                plugin: NAME,
                error,
            }),
        }
    }

    /// Enables the MFA plugin (TOTP and backup codes; every primary sign-in of a user with
    /// MFA on stops for `POST /mfa/verify`). Needs `YAuthConfig::secret_key`.
    #[cfg(feature = "mfa")]
    pub fn with_mfa(self, config: crate::plugins::mfa::MfaConfig) -> Self {
        use crate::plugins::mfa::{Mfa, NAME};
        match Mfa::new(config) {
            Ok(plugin) => self.with_plugin(Box::new(plugin)),
            Err(error) => self.refuse(BuildError::Plugin {
                plugin: NAME,
                error,
            }),
        }
    }

    /// Enables the passkey plugin (WebAuthn registration and sign-in). Needs
    /// `YAuthConfig::secret_key`.
    #[cfg(feature = "passkey")]
    pub fn with_passkey(self, config: crate::plugins::passkey::PasskeyConfig) -> Self {
        use crate::plugins::passkey::{NAME, Passkeys};
        match Passkeys::new(config) {
            Ok(plugin) => self.with_plugin(Box::new(plugin)),
            Err(error) => self.refuse(BuildError::Plugin {
                plugin: NAME,
                error,
            }),
        }
    }

    /// Enables the OAuth client plugin: sign in with OpenID Connect and OAuth 2 providers,
    /// and link them to accounts. Needs `YAuthConfig::secret_key` (provider tokens are
    /// stored sealed).
    #[cfg(feature = "oauth")]
    pub fn with_oauth(self, config: crate::plugins::oauth::OAuthConfig) -> Self {
        self.with_plugin(Box::new(crate::plugins::oauth::OAuth::new(config)))
    }

    /// Enables the OAuth 2 authorization server (and, with `config.oidc`, the OpenID Connect
    /// provider). Needs `YAuthConfig::secret_key` and the bearer plugin's key store.
    #[cfg(feature = "oauth2-server")]
    pub fn with_oauth2_server(
        self,
        config: crate::plugins::oauth2_server::OAuth2ServerConfig,
    ) -> Self {
        self.with_plugin(Box::new(crate::plugins::oauth2_server::OAuth2Server::new(
            config,
        )))
    }

    /// Enables the admin plugin: user and session management for `role = "admin"`.
    #[cfg(feature = "admin")]
    pub fn with_admin(self) -> Self {
        self.with_plugin(Box::new(crate::plugins::admin::Admin))
    }

    /// Enables the webhooks plugin: admin routes at `/webhooks`, and signed deliveries of
    /// the events each webhook names through a durable outbox (start the delivery worker with
    /// [`YAuth::spawn_workers`]). Needs `YAuthConfig::secret_key`.
    #[cfg(feature = "webhooks")]
    pub fn with_webhooks(self, config: crate::plugins::webhooks::WebhookConfig) -> Self {
        self.with_plugin(Box::new(crate::plugins::webhooks::Webhooks::new(config)))
    }

    /// Enables the telemetry plugin: a `tracing` span per request and per repository
    /// operation, and OpenTelemetry counters of sign-ins, tokens and webhook deliveries on the
    /// global meter provider (install it before `build()`). See
    /// [`crate::plugins::telemetry`] for every span and attribute.
    #[cfg(feature = "telemetry")]
    pub fn with_telemetry(self) -> Self {
        self.with_plugin(Box::new(crate::plugins::telemetry::Telemetry::new()))
    }

    /// Enables the status plugin: `GET /status` lists the enabled plugins.
    #[cfg(feature = "status")]
    pub fn with_status(self) -> Self {
        self.with_plugin(Box::new(crate::plugins::status::Status))
    }

    /// Enables the account-lockout plugin: password attempts counted per email across IPs,
    /// 423 `account_locked` past the threshold, `POST /account/request-unlock`,
    /// `/account/unlock` and `/admin/users/{id}/unlock`.
    #[cfg(feature = "account-lockout")]
    pub fn with_account_lockout(
        self,
        config: crate::plugins::account_lockout::AccountLockoutConfig,
    ) -> Self {
        use crate::plugins::account_lockout::{AccountLockout, NAME};
        match AccountLockout::new(config) {
            Ok(plugin) => self.with_plugin(Box::new(plugin)),
            Err(error) => self.refuse(BuildError::Plugin {
                plugin: NAME,
                error,
            }),
        }
    }

    #[cfg_attr(
        not(any(
            feature = "email-password",
            feature = "magic-link",
            feature = "account-lockout"
        )),
        allow(dead_code)
    )]
    fn refuse(mut self, error: BuildError) -> Self {
        self.refused.get_or_insert(error);
        self
    }

    /// Adds a plugin; plugins answer events and add extractors in the order they are added.
    pub fn with_plugin(mut self, plugin: Box<dyn YAuthPlugin>) -> Self {
        self.plugins.push(plugin);
        self
    }

    /// Checks the configuration, runs every plugin's `init`, and mounts the routes.
    pub async fn build(mut self) -> Result<YAuth, BuildError> {
        if let Some(refused) = self.refused.take() {
            return Err(refused);
        }
        let cookie = &mut self.config.cookie;
        if let Some(bare) = cookie.name.strip_prefix(HOST_PREFIX)
            && !cookie.allows_host_prefix()
        {
            tracing::warn!(
                name = %cookie.name,
                "the session cookie is not Secure, has a Domain or a path other than `/`: \
                 browsers refuse `__Host-` cookies like that, so the prefix is dropped"
            );
            cookie.name = bare.to_string();
        }
        if self.config.trusted_proxies == TrustedProxies::Hops(0) {
            return Err(BuildError::TrustedProxies);
        }
        if origin_of(&self.config.base_url).is_none() {
            return Err(BuildError::BaseUrl(self.config.base_url.clone()));
        }
        let cookie = &self.config.cookie;
        if cookie.name.is_empty()
            || !cookie
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(BuildError::CookieName(cookie.name.clone()));
        }
        if self.config.session_ttl.is_zero()
            || self.config.remember_me_ttl.is_zero()
            || self.config.idle_timeout.is_some_and(|t| t.is_zero())
        {
            return Err(BuildError::SessionLifetime);
        }
        let mut names: Vec<&'static str> = self.plugins.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(BuildError::DuplicatePlugin(pair[0]));
        }
        for plugin in &mut self.plugins {
            let name = plugin.name();
            plugin
                .init(&self.config)
                .await
                .map_err(|error| BuildError::Plugin {
                    plugin: name,
                    error,
                })?;
        }
        let plugins: Vec<Arc<dyn YAuthPlugin>> = self.plugins.into_iter().map(Arc::from).collect();
        let mut extractors: Vec<Box<dyn CredentialExtractor>> = vec![Box::new(SessionCookie)];
        for plugin in &plugins {
            extractors.extend(plugin.extractors());
        }
        let schemes = extractors
            .iter()
            .filter_map(|e| e.openapi_scheme())
            .collect();
        #[cfg(feature = "telemetry")]
        let traced = plugins
            .iter()
            .any(|p| p.name() == crate::plugins::telemetry::NAME);
        #[cfg(feature = "telemetry")]
        if traced {
            self.repos = crate::entity::traced(&self.repos, self.backend_name);
        }
        // Redis outside the spans: a repository span is a database operation.
        #[cfg(feature = "redis")]
        if let Some((conn, config)) = self.redis.take() {
            self.repos = crate::cache::cached(&self.repos, conn, config);
        }
        let state = YAuthState::new(self.repos, self.config, plugins.clone(), extractors);

        // Every body of the API is a small JSON object; axum's default allows 2 MB. Public
        // routes: body limit, then cross-site refusal. Protected routes: the same two and the
        // session check, in one layer (`require_auth` and these middlewares, unboxed). With
        // telemetry, the request span wraps each plugin's routes outside all of them.
        let mut api = OpenApiRouter::new();
        let mut root = Router::new();
        for plugin in &plugins {
            let mut routes = OpenApiRouter::new();
            if let Some(public) = plugin.public_routes(&state) {
                routes = routes.merge(when_routed(public, |public| {
                    public
                        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
                        .route_layer(axum::middleware::from_fn_with_state(
                            state.clone(),
                            refuse_cross_site,
                        ))
                }));
            }
            if let Some(cross_origin) = plugin.cross_origin_routes(&state) {
                routes = routes.merge(when_routed(cross_origin, |routes| {
                    routes.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
                }));
            }
            if let Some(protected) = plugin.protected_routes(&state) {
                routes = routes.merge(when_routed(protected, |protected| {
                    protected.route_layer(ProtectedLayer::new(state.clone(), MAX_BODY))
                }));
            }
            if let Some(routes) = plugin.root_routes(&state) {
                root = root.merge(routes);
            }
            #[cfg(feature = "telemetry")]
            if traced {
                let name = plugin.name();
                routes = when_routed(routes, |routes| {
                    crate::plugins::telemetry::trace_routes(name, routes)
                });
            }
            api = api.merge(routes);
        }
        let (router, paths) = api.split_for_parts();
        let openapi = crate::openapi::document(
            paths,
            &state.config().cookie.name,
            schemes,
            state.repos().users.extra_columns(),
        );
        Ok(YAuth {
            router,
            root,
            state,
            openapi,
        })
    }
}

/// The short name of a backend type for telemetry: its crate without `yauth_backend_`
/// (`yauth_backend_sqlx_pg::SqlxPgBackend` → `sqlx-pg`); another crate's backend by its
/// crate's name.
fn backend_name(type_name: &'static str) -> &'static str {
    let krate = type_name.split("::").next().unwrap_or(type_name);
    match krate.strip_prefix("yauth_backend_") {
        Some("memory") => "memory",
        Some("sqlx_pg") => "sqlx-pg",
        Some("sqlx_mysql") => "sqlx-mysql",
        Some("sqlx_sqlite") => "sqlx-sqlite",
        Some("diesel_pg") => "diesel-pg",
        Some("diesel_mysql") => "diesel-mysql",
        Some("diesel_sqlite") => "diesel-sqlite",
        Some("seaorm_pg") => "seaorm-pg",
        Some("seaorm_mysql") => "seaorm-mysql",
        Some("seaorm_sqlite") => "seaorm-sqlite",
        _ => krate,
    }
}

/// `layered(routes)`, unless `routes` has none: axum refuses a route layer on no routes (a
/// build with no plugin that has public routes).
fn when_routed(
    routes: OpenApiRouter<YAuthState>,
    layered: impl FnOnce(OpenApiRouter<YAuthState>) -> OpenApiRouter<YAuthState>,
) -> OpenApiRouter<YAuthState> {
    let (router, openapi) = routes.split_for_parts();
    let has_routes = router.has_routes();
    let routes = OpenApiRouter::with_openapi(openapi).merge(router.into());
    if has_routes { layered(routes) } else { routes }
}

/// A built yauth: nest [`YAuth::router`] (e.g. at `/api/auth`) and give the app
/// [`YAuth::state`].
pub struct YAuth {
    router: Router<YAuthState>,
    root: Router,
    state: YAuthState,
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    openapi: utoipa::openapi::OpenApi,
}

impl std::fmt::Debug for YAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YAuth")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl YAuth {
    /// The routes of every plugin, to nest where the API lives (`/api/auth`).
    pub fn router(&self) -> Router<YAuthState> {
        self.router.clone()
    }

    /// The routes to mount at the host's root (merge them into the application's router),
    /// outside the API's mount: with the oauth2-server plugin and an issuer with a path,
    /// the RFC 8414 metadata at `/.well-known/oauth-authorization-server/<issuer path>`.
    /// Empty when no plugin has any.
    pub fn root_router(&self) -> Router {
        self.root.clone()
    }

    /// The state to give the application's router (`.with_state(yauth.state().clone())`).
    pub fn state(&self) -> &YAuthState {
        &self.state
    }

    /// Starts the upkeep task: every `interval`, each plugin deletes its expired rows
    /// (sessions, one-time tokens, rate-limit windows) and audit rows older than
    /// `YAuthConfig::audit_retention`. Call it once per process (each replica may run it; the
    /// deletes are idempotent). Needs a Tokio runtime with the time driver.
    pub fn spawn_maintenance(&self, interval: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let state = self.state.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let removed = state.run_maintenance().await;
                tracing::debug!(removed, "maintenance round");
            }
        })
    }

    /// Starts every plugin's background worker (the webhooks' delivery worker) on the current
    /// Tokio runtime, and answers their handles (abort them to stop). Call it once per
    /// process, beside [`YAuth::spawn_maintenance`]; with several replicas, each runs its
    /// own workers and they share the work through the database.
    pub fn spawn_workers(&self) -> Vec<tokio::task::JoinHandle<()>> {
        self.state.workers().into_iter().map(tokio::spawn).collect()
    }

    /// Seals every stored secret again under `YAuthConfig::secret_key` (after rotating it,
    /// with the previous key in `old_secret_keys`); answers how many values changed. Run it
    /// once after a rotation, then drop the old key from the configuration.
    pub async fn reseal(&self) -> Result<u64, crate::contract::error::ApiError> {
        self.state.reseal().await
    }

    /// The OpenAPI 3.1 document of every route of this `YAuth` (paths relative to where the
    /// router is nested). Operation ids and tags are stable: the TypeScript client's
    /// namespaces come from them. `openapi.json` at the repository root is this document
    /// for every plugin.
    #[cfg(feature = "openapi")]
    pub fn openapi(&self) -> &utoipa::openapi::OpenApi {
        &self.openapi
    }
}
