//! The OpenAPI document: each route's description sits on its handler (`#[utoipa::path]`)
//! and travels with it through `OpenApiRouter`, so the document cannot miss a route that a
//! plugin mounts with `routes!`. This module only adds what is not per route.
//!
//! Conventions, relied on by the TypeScript client:
//! - a tag per plugin, in camelCase (`core`, `emailPassword`, later `passkey`, `mfa`, ...),
//!   which becomes the client's namespace (`auth.emailPassword.login`);
//! - operation ids unique across all plugins: the core routes use plain verbs
//!   (`getSession`, `logout`, `updateProfile`), plugin routes prefix the tag
//!   (`emailPasswordLogin`);
//! - protected routes name the `session` security scheme (the session cookie).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};

/// Completes the collected paths and schemas into the document.
pub(crate) fn document(mut paths: OpenApi, cookie_name: &str) -> OpenApi {
    paths.info = InfoBuilder::new()
        .title("yauth")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Authentication routes of yauth, relative to where the router is nested (e.g. `/api/auth`). \
             Every error answers `{ \"error\", \"message\" }` with a 4xx or 5xx status.",
        ))
        .build();
    let components = paths.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(cookie_name))),
    );
    paths
}
