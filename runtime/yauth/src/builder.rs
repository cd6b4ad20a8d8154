//! `YAuthBuilder` → `YAuth`: the router to nest and the state to give it.

use std::sync::Arc;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{CredentialExtractor, SessionCookie, require_auth};
use crate::config::YAuthConfig;
use crate::entity::{DatabaseBackend, Repositories};
use crate::plugin::YAuthPlugin;
use crate::state::YAuthState;

/// Why `build` refused.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// Collects the backend, the configuration and the plugins.
pub struct YAuthBuilder {
    repos: Repositories,
    config: YAuthConfig,
    plugins: Vec<Arc<dyn YAuthPlugin>>,
    #[cfg(feature = "email-password")]
    email_password: Option<crate::email_password::EmailPasswordConfig>,
}

impl YAuthBuilder {
    pub fn new(backend: impl DatabaseBackend, config: YAuthConfig) -> Self {
        YAuthBuilder {
            repos: backend.repositories(),
            config,
            plugins: Vec::new(),
            #[cfg(feature = "email-password")]
            email_password: None,
        }
    }

    /// Enables the email-password plugin.
    #[cfg(feature = "email-password")]
    pub fn with_email_password(
        mut self,
        config: crate::email_password::EmailPasswordConfig,
    ) -> Self {
        self.email_password = Some(config);
        self
    }

    /// Adds a plugin; plugins answer events and add extractors in the order they are added.
    pub fn with_plugin(mut self, plugin: Box<dyn YAuthPlugin>) -> Self {
        self.plugins.push(Arc::from(plugin));
        self
    }

    // `mut` is used only when built-in plugins are compiled in.
    #[cfg_attr(not(feature = "email-password"), allow(unused_mut))]
    pub async fn build(mut self) -> Result<YAuth, BuildError> {
        #[cfg(feature = "email-password")]
        if let Some(config) = self.email_password.take() {
            let plugin = crate::email_password::EmailPassword::new(config)
                .await
                .map_err(BuildError::InvalidConfig)?;
            self.plugins.insert(0, Arc::new(plugin));
        }
        let cookie = &self.config.cookie;
        if cookie.name.is_empty()
            || !cookie
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(BuildError::InvalidConfig(format!(
                "cookie name `{}` must be letters, digits, `_` or `-`",
                cookie.name
            )));
        }
        if self.config.session_ttl.is_zero() || self.config.remember_me_ttl.is_zero() {
            return Err(BuildError::InvalidConfig(
                "session lifetimes must be positive".into(),
            ));
        }
        let mut names: Vec<&str> = self.plugins.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(BuildError::InvalidConfig(format!(
                "plugin `{}` was added twice",
                pair[0]
            )));
        }
        let mut extractors: Vec<Box<dyn CredentialExtractor>> = vec![Box::new(SessionCookie)];
        for plugin in &self.plugins {
            extractors.extend(plugin.extractors());
        }
        let state = YAuthState::new(self.repos, self.config, self.plugins.clone(), extractors);

        let mut public = OpenApiRouter::new();
        let mut protected = crate::routes::core::protected();
        for plugin in &self.plugins {
            if let Some(routes) = plugin.public_routes() {
                public = public.merge(routes);
            }
            if let Some(routes) = plugin.protected_routes() {
                protected = protected.merge(routes);
            }
        }
        let protected = protected.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_auth,
        ));
        let (router, paths) = public.merge(protected).split_for_parts();
        let openapi = crate::openapi::document(paths, &state.config().cookie.name);
        Ok(YAuth {
            router,
            state,
            openapi,
        })
    }
}

/// A built yauth: nest [`YAuth::router`] (e.g. at `/api/auth`) and give the app
/// [`YAuth::state`].
pub struct YAuth {
    router: Router<YAuthState>,
    state: YAuthState,
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    openapi: utoipa::openapi::OpenApi,
}

impl YAuth {
    pub fn router(&self) -> Router<YAuthState> {
        self.router.clone()
    }

    pub fn state(&self) -> &YAuthState {
        &self.state
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
