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
//! - protected routes name the `session` security scheme (the session cookie); the schemes
//!   of the plugins' credential extractors (`bearer`, …) are added here as alternatives on
//!   every protected route.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, RefOr};

/// Completes the collected paths and schemas into the document. `schemes` are the extra
/// credentials every protected route accepts.
pub(crate) fn document(
    mut paths: OpenApi,
    cookie_name: &str,
    schemes: Vec<(&'static str, SecurityScheme)>,
) -> OpenApi {
    paths.info = InfoBuilder::new()
        .title("yauth")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Authentication routes of yauth, relative to where the router is nested (e.g. `/api/auth`). \
             Every error answers `{ \"error\", \"message\" }` with a 4xx or 5xx status, except \
             the OAuth 2 endpoints of clients (`/oauth/token`, `/oauth/introspect`, \
             `/oauth/revoke`, `/oauth/register`, `/userinfo`), which answer \
             `{ \"error\", \"error_description\" }` as RFC 6749 says.",
        ))
        .build();
    let components = paths.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(cookie_name))),
    );
    for (name, scheme) in &schemes {
        components.add_security_scheme(*name, scheme.clone());
    }
    for item in paths.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            accept_schemes(operation, &schemes);
            document_body_limit(operation);
        }
    }
    paths
}

/// A route that reads a body answers 413 to one over [`crate::builder::MAX_BODY`] bytes,
/// with the error body of its 400 (`{ error, message }`, or RFC 6749's on the OAuth 2
/// endpoints of clients): one line here rather than one on every handler.
fn document_body_limit(operation: &mut Operation) {
    if operation.request_body.is_none() {
        return;
    }
    let responses = &mut operation.responses.responses;
    let Some(RefOr::T(bad_request)) = responses.get("400") else {
        return;
    };
    let mut too_large = bad_request.clone();
    too_large.description = format!(
        "`invalid_request`: the body is over {} KiB",
        crate::builder::MAX_BODY / 1024
    );
    too_large.headers.clear();
    responses.insert("413".into(), RefOr::T(too_large));
}

/// A protected route (one that names a security scheme) accepts each extra scheme too.
fn accept_schemes(operation: &mut Operation, schemes: &[(&'static str, SecurityScheme)]) {
    if let Some(security) = operation.security.as_mut().filter(|s| !s.is_empty()) {
        for (name, _) in schemes {
            security.push(SecurityRequirement::new(*name, Vec::<String>::new()));
        }
    }
}
