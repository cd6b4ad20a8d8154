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
use utoipa::openapi::{InfoBuilder, OpenApi, RefOr, Schema};
use yauth_entity::{ExtraColumn, ExtraType};

/// Completes the collected paths and schemas into the document. `schemes` are the extra
/// credentials every protected route accepts.
pub(crate) fn document(
    mut paths: OpenApi,
    cookie_name: &str,
    schemes: Vec<(&'static str, SecurityScheme)>,
    extra: &[ExtraColumn],
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
    if extra.is_empty() {
        return paths;
    }
    document_extra(paths, extra)
}

/// The application's extra user columns in the schemas that carry them: `AuthUser.extra`
/// (every column, the non-null ones always present; `extra` itself is absent for an OAuth 2
/// client's token) and `extra` of `UpdateMe` and
/// `RegisterBody` (the columns the user may set, all optional; nothing else accepted), each
/// schema only where a plugin put it in the document.
fn document_extra(mut document: OpenApi, extra: &[ExtraColumn]) -> OpenApi {
    use serde_json::{Value, json};
    let column = |c: &ExtraColumn| {
        let (ty, mut schema) = match c.ty {
            ExtraType::String => ("string", json!({ "maxLength": 255 })),
            ExtraType::Text => (
                "string",
                json!({ "description": "At most 65535 bytes (UTF-8)." }),
            ),
            ExtraType::Bool => ("boolean", json!({})),
            ExtraType::Int => ("integer", json!({ "format": "int32" })),
            ExtraType::BigInt => ("integer", json!({ "format": "int64" })),
        };
        schema["type"] = if c.nullable {
            json!([ty, "null"])
        } else {
            json!(ty)
        };
        if let Some(default) = c.default {
            schema["default"] = default.to_json();
        }
        schema
    };
    let object = |columns: &[&ExtraColumn], required: bool, description: &str| {
        let properties: serde_json::Map<String, Value> = columns
            .iter()
            .map(|c| (c.name.to_string(), column(c)))
            .collect();
        let mut object = json!({
            "type": "object",
            "description": description,
            "properties": properties,
            "additionalProperties": false,
        });
        if required {
            object["required"] = columns
                .iter()
                .filter(|c| !c.nullable)
                .map(|c| c.name)
                .collect();
        }
        // Built here, with a type on every schema: it reads back (the fixture application's
        // test checks the served document).
        match serde_json::from_value::<Schema>(object) {
            Ok(schema) => Some(RefOr::T(schema)),
            Err(e) => {
                tracing::error!(error = %e, "the extra fields' schema did not read back");
                None
            }
        }
    };
    let Some(components) = document.components.as_mut() else {
        return document;
    };
    let all: Vec<&ExtraColumn> = extra.iter().collect();
    let settable: Vec<&ExtraColumn> = extra.iter().filter(|c| c.settable).collect();
    if let Some(RefOr::T(Schema::Object(user))) = components.schemas.get_mut("AuthUser")
        && let Some(schema) = object(&all, true, "The application's extra fields, by name.")
    {
        user.properties.insert("extra".into(), schema);
    }
    if !settable.is_empty() {
        for (name, description) in [
            (
                "UpdateMe",
                "The extra fields to change; those left out keep their value.",
            ),
            (
                "RegisterBody",
                "The extra fields to set; those left out get their default.",
            ),
        ] {
            if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut(name)
                && let Some(schema) = object(&settable, false, description)
            {
                body.properties.insert("extra".into(), schema);
            }
        }
    }
    document
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
