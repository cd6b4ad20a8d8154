//! The plugin interface: setup, routes, credential extractors, and answers to events and
//! attempts.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::{Attempt, AuthEvent, RequestMeta, Verdict};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::User;

/// The name of the core plugin (sessions, logout, profile), which is always enabled.
pub const CORE_PLUGIN: &str = "core";

/// A boxed future, for the object-safe async methods of plugins and extractors.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a plugin refused to start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PluginError(pub String);

/// A plugin: its setup, routes, extractors and answers. Built-in plugins and an
/// application's own (`YAuthBuilder::with_plugin`) implement the same trait.
///
/// Handlers reach the plugin's own state through axum's typed `State`: build the routes
/// over [`PluginState<P>`] and finish them with `.with_state(PluginState::new(state, p))`,
/// so a missing state is a compile error, never a 500.
pub trait YAuthPlugin: Send + Sync + 'static {
    /// A short stable name (`email-password`), listed by the status plugin.
    fn name(&self) -> &'static str;

    /// The plugin as [`std::any::Any`], for [`YAuthState::plugin`]: a plugin that offers a
    /// Rust API beside its routes answers `Some(self)`.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// Asynchronous setup (calibrating a hasher, opening a client), run once by
    /// `YAuthBuilder::build` before any route is built; an error stops the build.
    fn init<'a>(&'a mut self, _config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async { Ok(()) })
    }

    /// Routes anyone may call (login, register, ...). Add them with
    /// `OpenApiRouter::new().routes(routes!(handler))` so that each route carries its
    /// `#[utoipa::path]` description into the OpenAPI document.
    fn public_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        None
    }

    /// Routes that other sites and servers call with credentials of their own, never the
    /// session cookie (an OAuth 2 token endpoint, a discovery document): mounted with the
    /// body limit but without the cross-site refusal of [`YAuthPlugin::public_routes`],
    /// since a browser application on another origin may call them. A handler here must
    /// not read the session cookie.
    fn cross_origin_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        None
    }

    /// Routes the application mounts at its host's root, outside yauth's own mount
    /// ([`crate::builder::YAuth::root_router`]): documents whose place a standard fixes
    /// (RFC 8414 §3.1 puts an issuer's metadata at `/.well-known/…/<issuer path>`).
    fn root_routes(&self, _state: &YAuthState) -> Option<axum::Router> {
        None
    }

    /// Routes behind the auth middleware: handlers take [`AuthUser`] as an extractor.
    fn protected_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        None
    }

    /// Ways of reading credentials that this plugin adds (a bearer token, an API key), tried
    /// after the session cookie in the order plugins were added.
    fn extractors(&self) -> Vec<Box<dyn CredentialExtractor>> {
        Vec::new()
    }

    /// Something happened (already committed and audited). Called for every event, in the
    /// order plugins were added. There is no answer: an event cannot be vetoed.
    fn on_event<'a>(&'a self, _event: &'a AuthEvent, _state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// Periodic upkeep (`YAuth::spawn_maintenance`): delete the plugin's expired rows.
    /// Answers how many rows went.
    fn maintain<'a>(&'a self, _state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async { Ok(0) })
    }

    /// A task that runs for as long as the process serves (the webhooks' delivery worker),
    /// started by `YAuth::spawn_workers` in every replica.
    fn worker(&self, _state: &YAuthState) -> Option<BoxFuture<'static, ()>> {
        None
    }

    /// What issues token pairs when a sign-in asks for tokens instead of a session
    /// (`POST /token`): the bearer plugin's. The first plugin that has one provides it.
    fn token_issuer(&self) -> Option<Arc<dyn TokenIssuer>> {
        None
    }

    /// Seals the plugin's stored secrets again under the current secret key (after a key
    /// rotation; `YAuth::reseal`). Answers how many values changed.
    fn reseal<'a>(&'a self, _state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async { Ok(0) })
    }

    /// Something is about to happen: allow it, block it, or (for a sign-in) ask for a
    /// second factor. Every plugin is asked, in the order they were added; a block wins over
    /// a second-factor request, which wins over allow (the first of each kind counts).
    fn check<'a>(
        &'a self,
        _attempt: &'a Attempt<'a>,
        _state: &'a YAuthState,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async { Verdict::Allow })
    }
}

/// An access token and the refresh token that renews it: the 200 body of `POST /token` and
/// `POST /token/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// A signed JWT; send it as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// An opaque single-use token for `POST /token/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Issues a token pair to a user whom the sign-in path has cleared (the bearer plugin).
pub trait TokenIssuer: Send + Sync + 'static {
    /// The scopes a token request gets: `requested` (space-separated, RFC 6749 §3.3), or the
    /// default ones when absent; 400 `invalid_scope` for a scope the issuer does not grant.
    fn scopes(&self, requested: Option<&str>) -> Result<Vec<String>, ApiError>;

    /// A new pair (a new refresh family) for `user` with `scopes`; `client` goes to the
    /// audit row.
    fn issue<'a>(
        &'a self,
        state: &'a YAuthState,
        user: &'a User,
        scopes: &'a [String],
        client: &'a RequestMeta,
    ) -> BoxFuture<'a, Result<TokenPair, ApiError>>;
}

/// One way of reading credentials from a request. `Ok(None)` means "not mine, try the next".
pub trait CredentialExtractor: Send + Sync + 'static {
    /// A short name for logs.
    fn name(&self) -> &'static str;

    /// How the OpenAPI document names these credentials: a security scheme that every
    /// protected route then accepts besides the session cookie (`bearer`, `apiKey`).
    fn openapi_scheme(&self) -> Option<(&'static str, utoipa::openapi::security::SecurityScheme)> {
        None
    }

    /// The caller these credentials belong to, if they are this extractor's and valid.
    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Result<Option<AuthUser>, ApiError>>;
}

/// The state of a plugin's routes: yauth's state and the plugin's own, each reachable as
/// `State<…>` through [`FromRef`] (`State(yauth): State<YAuthState>`,
/// `State(me): State<Arc<P>>`).
#[derive(Debug)]
pub struct PluginState<P> {
    /// yauth's shared state.
    pub yauth: YAuthState,
    /// The plugin's own state.
    pub plugin: Arc<P>,
}

impl<P> PluginState<P> {
    /// Pairs yauth's state with the plugin's.
    pub fn new(yauth: &YAuthState, plugin: Arc<P>) -> Self {
        PluginState {
            yauth: yauth.clone(),
            plugin,
        }
    }
}

impl<P> Clone for PluginState<P> {
    fn clone(&self) -> Self {
        PluginState {
            yauth: self.yauth.clone(),
            plugin: self.plugin.clone(),
        }
    }
}

impl<P> FromRef<PluginState<P>> for YAuthState {
    fn from_ref(state: &PluginState<P>) -> Self {
        state.yauth.clone()
    }
}

impl<P> FromRef<PluginState<P>> for Arc<P> {
    fn from_ref(state: &PluginState<P>) -> Self {
        state.plugin.clone()
    }
}
