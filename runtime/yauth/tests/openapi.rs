//! The OpenAPI document: `openapi.json` at the repository root is the document of every
//! plugin and is kept fresh here (`YAUTH_BLESS=1 cargo test -p yauth --features
//! full,memory-backend --test openapi` rewrites it). Tags and operation ids are stable, since
//! the TypeScript client's namespaces and method names come from them.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt as _;
use yauth::backends::memory::InMemoryBackend;
use yauth::mail::RecordingMailer;
use yauth::password::HashingConfig;
use yauth::prelude::*;

async fn everything() -> YAuth {
    let mailer = Arc::new(RecordingMailer::new());
    let config = YAuthConfig {
        secret_key: Some(SecretKey::from_bytes([1; 32])),
        ..YAuthConfig::default()
    };
    YAuthBuilder::new(InMemoryBackend::new(), config)
        .with_email_password(EmailPasswordConfig {
            hashing: HashingConfig::insecure_fast_for_tests(),
            mailer: Some(mailer.clone()),
            hibp: None,
            ..EmailPasswordConfig::default()
        })
        .with_bearer(BearerConfig::default())
        .with_api_key(ApiKeyConfig::default())
        .with_magic_link(MagicLinkConfig {
            mailer: Some(mailer.clone()),
            ..MagicLinkConfig::default()
        })
        .with_account_lockout(AccountLockoutConfig {
            mailer: Some(mailer),
            ..AccountLockoutConfig::default()
        })
        .with_admin()
        .with_status()
        .with_mfa(MfaConfig::default())
        .with_passkey(PasskeyConfig::for_public_url("https://app.example").unwrap())
        .with_oauth(OAuthConfig {
            providers: vec![
                OAuthProvider::github("client", "secret")
                    .with_base_url("https://idp.invalid")
                    .named("test-idp"),
            ],
            ..OAuthConfig::default()
        })
        .with_webhooks(WebhookConfig::default())
        .with_oauth2_server(OAuth2ServerConfig {
            registration: ClientRegistration::Open,
            oidc: Some(OidcConfig::new("https://app.example/api/auth")),
            ..OAuth2ServerConfig::default()
        })
        .build()
        .await
        .unwrap()
}

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), operation));
        }
    }
    out
}

#[tokio::test]
async fn committed_document_is_fresh() {
    let yauth = everything().await;
    let fresh = format!("{}\n", yauth.openapi().to_pretty_json().unwrap());
    if let Err(e) = yauth_codegen::compare::ensure_file_contents(
        yauth_codegen::compare::Mode::from_env(),
        &committed_path(),
        &fresh,
        "YAUTH_BLESS=1 cargo test -p yauth --features full,memory-backend --test openapi",
    ) {
        panic!("{e}");
    }
}

/// The spec's route tables, with the tag and operation id each route keeps.
const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("GET", "/session", "core", "getSession"),
    ("POST", "/logout", "core", "logout"),
    ("PATCH", "/me", "core", "updateProfile"),
    (
        "POST",
        "/register",
        "emailPassword",
        "emailPasswordRegister",
    ),
    ("POST", "/login", "emailPassword", "emailPasswordLogin"),
    (
        "POST",
        "/verify-email",
        "emailPassword",
        "emailPasswordVerifyEmail",
    ),
    (
        "POST",
        "/resend-verification",
        "emailPassword",
        "emailPasswordResendVerification",
    ),
    (
        "POST",
        "/forgot-password",
        "emailPassword",
        "emailPasswordForgotPassword",
    ),
    (
        "POST",
        "/reset-password",
        "emailPassword",
        "emailPasswordResetPassword",
    ),
    (
        "POST",
        "/change-password",
        "emailPassword",
        "emailPasswordChangePassword",
    ),
    ("GET", "/sessions", "core", "listSessions"),
    ("DELETE", "/sessions/{id}", "core", "endSession"),
    ("POST", "/token", "bearer", "bearerToken"),
    ("POST", "/token/refresh", "bearer", "bearerRefresh"),
    ("POST", "/token/revoke", "bearer", "bearerRevoke"),
    ("POST", "/api-keys", "apiKeys", "apiKeysCreate"),
    ("GET", "/api-keys", "apiKeys", "apiKeysList"),
    ("DELETE", "/api-keys/{id}", "apiKeys", "apiKeysDelete"),
    ("POST", "/webhooks", "webhooks", "webhooksCreate"),
    ("GET", "/webhooks", "webhooks", "webhooksList"),
    ("GET", "/webhooks/{id}", "webhooks", "webhooksGet"),
    ("PUT", "/webhooks/{id}", "webhooks", "webhooksUpdate"),
    ("DELETE", "/webhooks/{id}", "webhooks", "webhooksDelete"),
    ("POST", "/webhooks/{id}/test", "webhooks", "webhooksTest"),
    ("POST", "/magic-link/send", "magicLink", "magicLinkSend"),
    ("POST", "/magic-link/verify", "magicLink", "magicLinkVerify"),
    (
        "POST",
        "/account/request-unlock",
        "accountLockout",
        "accountLockoutRequestUnlock",
    ),
    (
        "POST",
        "/account/unlock",
        "accountLockout",
        "accountLockoutUnlock",
    ),
    (
        "POST",
        "/admin/users/{id}/unlock",
        "accountLockout",
        "accountLockoutAdminUnlock",
    ),
    ("GET", "/status", "status", "statusGet"),
    ("GET", "/admin/users", "admin", "adminListUsers"),
    ("GET", "/admin/users/{id}", "admin", "adminGetUser"),
    ("PUT", "/admin/users/{id}", "admin", "adminUpdateUser"),
    ("DELETE", "/admin/users/{id}", "admin", "adminDeleteUser"),
    ("POST", "/admin/users/{id}/ban", "admin", "adminBanUser"),
    ("POST", "/admin/users/{id}/unban", "admin", "adminUnbanUser"),
    (
        "POST",
        "/admin/users/{id}/impersonate",
        "admin",
        "adminImpersonateUser",
    ),
    ("GET", "/admin/sessions", "admin", "adminListSessions"),
    ("DELETE", "/admin/sessions/{id}", "admin", "adminEndSession"),
    ("POST", "/mfa/verify", "mfa", "mfaVerify"),
    ("POST", "/mfa/totp/setup", "mfa", "mfaTotpSetup"),
    ("POST", "/mfa/totp/confirm", "mfa", "mfaTotpConfirm"),
    ("DELETE", "/mfa/totp", "mfa", "mfaTotpDisable"),
    ("GET", "/mfa/backup-codes", "mfa", "mfaBackupCodes"),
    (
        "POST",
        "/mfa/backup-codes/regenerate",
        "mfa",
        "mfaBackupCodesRegenerate",
    ),
    (
        "POST",
        "/passkeys/register/begin",
        "passkey",
        "passkeyRegisterBegin",
    ),
    (
        "POST",
        "/passkeys/register/finish",
        "passkey",
        "passkeyRegisterFinish",
    ),
    ("GET", "/passkeys", "passkey", "passkeyList"),
    ("DELETE", "/passkeys/{id}", "passkey", "passkeyDelete"),
    (
        "POST",
        "/passkey/login/begin",
        "passkey",
        "passkeyLoginBegin",
    ),
    (
        "POST",
        "/passkey/login/finish",
        "passkey",
        "passkeyLoginFinish",
    ),
    ("GET", "/oauth/authorize", "oauth2Server", "oauth2Authorize"),
    ("POST", "/oauth/authorize", "oauth2Server", "oauth2Consent"),
    ("POST", "/oauth/token", "oauth2Server", "oauth2Token"),
    ("GET", "/oauth/providers", "oauth", "oauthProviders"),
    (
        "GET",
        "/oauth/{provider}/authorize",
        "oauth",
        "oauthAuthorize",
    ),
    (
        "GET",
        "/oauth/{provider}/callback",
        "oauth",
        "oauthCallback",
    ),
    (
        "POST",
        "/oauth/{provider}/callback",
        "oauth",
        "oauthCallbackPost",
    ),
    ("GET", "/oauth/accounts", "oauth", "oauthAccounts"),
    ("POST", "/oauth/{provider}/link", "oauth", "oauthLink"),
    ("DELETE", "/oauth/{provider}", "oauth", "oauthUnlink"),
    (
        "POST",
        "/oauth/introspect",
        "oauth2Server",
        "oauth2Introspect",
    ),
    ("POST", "/oauth/revoke", "oauth2Server", "oauth2Revoke"),
    ("POST", "/oauth/register", "oauth2Server", "oauth2Register"),
    (
        "POST",
        "/oauth/device/code",
        "oauth2Server",
        "oauth2DeviceCode",
    ),
    ("GET", "/oauth/device", "oauth2Server", "oauth2DeviceLookup"),
    (
        "POST",
        "/oauth/device",
        "oauth2Server",
        "oauth2DeviceDecide",
    ),
    (
        "GET",
        "/.well-known/oauth-authorization-server",
        "oauth2Server",
        "oauth2Metadata",
    ),
    (
        "GET",
        "/.well-known/openid-configuration",
        "oidc",
        "oidcConfiguration",
    ),
    ("GET", "/.well-known/jwks.json", "oidc", "oidcJwks"),
    ("GET", "/userinfo", "oidc", "oidcUserinfo"),
    ("GET", "/oauth/logout", "oidc", "oidcEndSession"),
    (
        "POST",
        "/admin/signing-keys/rotate",
        "bearer",
        "bearerRotateSigningKeys",
    ),
    ("POST", "/userinfo", "oidc", "oidcUserinfoPost"),
];

/// The routes of OAuth 2 clients, whose errors are RFC 6749's `{ error, error_description }`
/// (the authorization endpoint's too, when it cannot redirect).
fn oauth_error_body(method: &str, path: &str) -> bool {
    matches!(
        path,
        "/oauth/token"
            | "/oauth/introspect"
            | "/oauth/revoke"
            | "/oauth/register"
            | "/oauth/device/code"
            | "/userinfo"
    ) || (method == "GET" && matches!(path, "/oauth/authorize" | "/oauth/logout"))
}

#[tokio::test]
async fn every_route_is_described_with_its_stable_tag_and_operation_id() {
    let yauth = everything().await;
    let doc = serde_json::to_value(yauth.openapi()).unwrap();
    let found: BTreeSet<(String, String, String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, op)| {
            (
                method,
                path,
                op["tags"][0].as_str().unwrap_or_default().to_owned(),
                op["operationId"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String, String)> = ROUTES
        .iter()
        .map(|(m, p, t, o)| (m.to_string(), p.to_string(), t.to_string(), o.to_string()))
        .collect();
    assert_eq!(found, expected);

    for (method, path, op) in operations(&doc) {
        // Every error answer is the one error body; every protected route names the cookie.
        for (status, response) in op["responses"].as_object().unwrap() {
            if !status.starts_with('2') && status != "302" {
                // The browser endpoints' 403 (a banned session) is yauth's own.
                let oauth = oauth_error_body(&method, &path)
                    && !(status == "403"
                        && matches!(path.as_str(), "/oauth/authorize" | "/oauth/logout"));
                let body = if oauth {
                    "#/components/schemas/OAuthErrorBody"
                } else {
                    "#/components/schemas/ErrorBody"
                };
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"], body,
                    "{method} {path} {status}"
                );
            }
        }
        let protected = matches!(
            path.as_str(),
            "/session"
                | "/logout"
                | "/me"
                | "/change-password"
                | "/sessions"
                | "/sessions/{id}"
                | "/token/revoke"
                | "/api-keys"
                | "/api-keys/{id}"
                | "/webhooks"
                | "/webhooks/{id}"
                | "/webhooks/{id}/test"
                | "/status"
                | "/mfa/totp/setup"
                | "/mfa/totp/confirm"
                | "/mfa/totp"
                | "/mfa/backup-codes"
                | "/mfa/backup-codes/regenerate"
                | "/passkeys/register/begin"
                | "/passkeys/register/finish"
                | "/passkeys"
                | "/passkeys/{id}"
                | "/oauth/accounts"
                | "/oauth/{provider}/link"
                | "/oauth/{provider}"
        ) || path.starts_with("/admin/")
            || (method == "POST" && path == "/oauth/authorize")
            || path == "/oauth/device";
        assert_eq!(
            op.get("security").is_some(),
            protected,
            "{method} {path}: security"
        );
        // A protected route takes the cookie, a bearer token or an API key.
        if protected {
            assert_eq!(
                op["security"],
                serde_json::json!([{"session": []}, {"bearer": []}, {"apiKey": []}]),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["session"],
        serde_json::json!({"type": "apiKey", "in": "cookie", "name": "__Host-yauth_session"})
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        serde_json::json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["apiKey"],
        serde_json::json!({"type": "apiKey", "in": "header", "name": "X-Api-Key"})
    );
}

#[tokio::test]
async fn every_described_route_is_mounted() {
    let yauth = everything().await;
    let doc = serde_json::to_value(yauth.openapi()).unwrap();
    let router = axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone());
    for (method, path, _) in operations(&doc) {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            // A configured provider: an unknown one is a 404 of the route itself.
            .uri(format!(
                "/api/auth{}",
                path.replace("{provider}", "test-idp")
            ))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let status = router.clone().oneshot(request).await.unwrap().status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {status}"
        );
    }
}

/// A body over the limit is refused before anything reads it, with the 413 the document
/// lists on every route that takes a body (a client or a fuzzer meets no undocumented
/// status). Protected routes check the credentials first, so a caller without them gets 401.
#[tokio::test]
async fn an_oversized_body_answers_the_documented_413_on_every_route_that_takes_one() {
    let yauth = everything().await;
    let doc = serde_json::to_value(yauth.openapi()).unwrap();
    let router = axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone());
    let filler = "a".repeat(yauth::builder::MAX_BODY);
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        let Some(content) = op.get("requestBody").map(|b| &b["content"]) else {
            continue;
        };
        assert!(
            op["responses"].get("413").is_some(),
            "{method} {path}: the document lists no 413"
        );
        let content_type = content.as_object().unwrap().keys().next().unwrap().clone();
        let body = if content_type == "application/json" {
            format!("{{\"x\":\"{filler}\"}}")
        } else {
            format!("x={filler}")
        };
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(format!(
                "/api/auth{}",
                path.replace("{provider}", "test-idp")
                    .replace("{id}", "00000000-0000-0000-0000-000000000000")
            ))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let protected = op.get("security").is_some();
        if protected && status == StatusCode::UNAUTHORIZED {
            continue;
        }
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{method} {path}");
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{method} {path}: {}", String::from_utf8_lossy(&bytes)));
        assert_eq!(body["error"], "invalid_request", "{method} {path}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} public routes took a body");
}

/// Schemas are named after their Rust type, and two types of one name (two plugins'
/// `CreateBody`) would silently share one entry of the document: one route would be
/// described with the other's body. Every type that derives `ToSchema` has its own name.
#[test]
fn every_schema_type_has_a_name_of_its_own() {
    fn walk(dir: &std::path::Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen: std::collections::BTreeMap<String, PathBuf> = Default::default();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut derives_schema = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                derives_schema = true;
                continue;
            }
            if line.starts_with("#[") || line.starts_with("///") {
                continue;
            }
            if derives_schema {
                let name = line
                    .split_whitespace()
                    .skip_while(|w| *w != "struct" && *w != "enum")
                    .nth(1)
                    .map(|n| n.trim_end_matches(['{', '(', ';', '<']).to_owned());
                if let Some(name) = name
                    && let Some(other) = seen.insert(name.clone(), file.clone())
                {
                    panic!("`{name}` is a schema in {other:?} and in {file:?}");
                }
            }
            derives_schema = false;
        }
    }
    assert!(seen.len() > 20, "{seen:?}");
}
