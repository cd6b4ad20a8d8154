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
use crate::contract::event::{Attempt, AuthEvent, Verdict};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;

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

/// One way of reading credentials from a request. `Ok(None)` means "not mine, try the next".
pub trait CredentialExtractor: Send + Sync + 'static {
    /// A short name for logs.
    fn name(&self) -> &'static str;

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
