//! The plugin interface: routes, and answers to events.

use std::future::Future;
use std::pin::Pin;

use utoipa_axum::router::OpenApiRouter;

use crate::auth::CredentialExtractor;
use crate::event::{AuthEvent, EventResponse};
use crate::state::YAuthState;

/// A boxed future, for the object-safe async methods of plugins and extractors.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A plugin: its routes and its answers to events. Built-in plugins and an application's
/// own (`YAuthBuilder::with_plugin`) implement the same trait.
pub trait YAuthPlugin: Send + Sync + 'static {
    /// A short stable name (`email-password`), listed by the status plugin.
    fn name(&self) -> &'static str;

    /// Routes anyone may call (login, register, ...). Add them with
    /// `OpenApiRouter::new().routes(routes!(handler))` so that each route carries its
    /// `#[utoipa::path]` description into the OpenAPI document; a plain `axum::Router`
    /// converts with `.into()` but leaves its routes undocumented.
    fn public_routes(&self) -> Option<OpenApiRouter<YAuthState>> {
        None
    }

    /// Routes behind the auth middleware: handlers read `Extension<AuthUser>`.
    fn protected_routes(&self) -> Option<OpenApiRouter<YAuthState>> {
        None
    }

    /// Ways of reading credentials that this plugin adds (a bearer token, an API key), tried
    /// after the session cookie in the order plugins were added.
    fn extractors(&self) -> Vec<Box<dyn CredentialExtractor>> {
        Vec::new()
    }

    /// Called for every event, in the order plugins were added; the first answer other than
    /// `Continue` wins.
    fn on_event<'a>(
        &'a self,
        _event: &'a AuthEvent,
        _state: &'a YAuthState,
    ) -> BoxFuture<'a, EventResponse> {
        Box::pin(async { EventResponse::Continue })
    }
}
