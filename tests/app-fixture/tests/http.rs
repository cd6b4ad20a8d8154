//! The application's HTTP flow on each generated backend: `YAuthBuilder::new` takes the
//! module `cargo yauth generate` wrote into this crate like a built-in backend, and a person
//! registers with an extra field, signs in, reads it back in the session and changes it,
//! with every row in the `auth_*` tables; values of the wrong type, fields the user may not
//! set and unknown fields are refused with 400 and change nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use yauth::email_password::EmailPasswordConfig;
use yauth::password::HashingConfig;
use yauth::prelude::*;
use yauth_app_fixture::open;

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";

struct Reply {
    status: StatusCode,
    body: Value,
    cookie: Option<String>,
}

async fn send(
    router: &axum::Router,
    method: &str,
    path: &str,
    body: Value,
    cookie: Option<&str>,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/auth{path}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = cookie {
        request = request.header(header::COOKIE, format!("__Host-yauth_session={token}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("__Host-yauth_session="))
        .and_then(|v| v.split(';').next())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Reply {
        status,
        body,
        cookie,
    }
}

async fn app(backend: impl DatabaseBackend) -> YAuth {
    YAuthBuilder::new(backend, YAuthConfig::default())
        .with_email_password(EmailPasswordConfig {
            hashing: HashingConfig::insecure_fast_for_tests(),
            require_email_verification: false,
            hibp: None,
            mailer: Some(std::sync::Arc::new(LogMailer)),
            ..EmailPasswordConfig::default()
        })
        .build()
        .await
        .expect("yauth builds on the generated backend")
}

async fn router(backend: impl DatabaseBackend) -> axum::Router {
    let yauth = app(backend).await;
    axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone())
}

/// Registers with an extra field, signs in, reads the session and changes the profile;
/// answers the email.
async fn person_signs_up_and_edits_their_profile(router: &axum::Router) -> String {
    let email = format!("ada-{}@example.com", uuid_like());
    let register = |extra: Value| json!({"email": email, "password": PASSWORD, "display_name": "Ada", "extra": extra});
    // A refused registration creates nothing: signing in with it fails afterwards.
    for (extra, field) in [
        (json!({"company": 42}), "extra.company"),
        (json!({"plan": "pro"}), "extra.plan"),
        (json!({"shoe_size": 42}), "extra.shoe_size"),
        (json!({"company": "a".repeat(256)}), "extra.company"),
        (json!({"company": "nul\u{0}byte"}), "extra.company"),
    ] {
        let r = send(router, "POST", "/register", register(extra), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.body["error"], "invalid_extra", "{}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(field),
            "{}",
            r.body
        );
    }
    let login = json!({"email": email, "password": PASSWORD});
    let r = send(router, "POST", "/login", login.clone(), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    let r = send(
        router,
        "POST",
        "/register",
        register(json!({"company": "Acme", "newsletter": true})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = send(router, "POST", "/login", login, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // What the user gave, and the application's defaults (`seats`: nullable with a default).
    let registered = extra(json!("Acme"), true, Value::Null);
    assert_eq!(r.body["extra"], registered, "{}", r.body);
    let cookie = r.cookie.expect("a session cookie");

    let body = session(router, &cookie).await;
    assert_eq!(body["email"], email.as_str(), "{body}");
    assert_eq!(body["extra"], registered, "{body}");

    let r = send(
        router,
        "PATCH",
        "/me",
        json!({"extra": {"company": "Initech", "bio": "Line one\nline two"}}),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let changed = extra(json!("Initech"), true, json!("Line one\nline two"));
    assert_eq!(r.body["extra"], changed);
    let body = session(router, &cookie).await;
    assert_eq!(body["extra"], changed, "{body}");
    assert_eq!(
        body["display_name"], "Ada",
        "a field left out keeps its value"
    );

    for patch in [
        json!({"extra": {"company": true}}),
        json!({"extra": {"plan": "enterprise"}}),
        json!({"extra": {"seats": 10}}),
        json!({"extra": {"newsletter": null}}),
        json!({"extra": {"newsletter": "yes"}}),
        json!({"extra": {"bio": 7}}),
        json!({"extra": {"shoe_size": 42}}),
        json!({"display_name": "Changed", "extra": {"company": ["x"]}}),
    ] {
        let r = send(router, "PATCH", "/me", patch.clone(), Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{patch}: {}", r.body);
        assert!(
            matches!(r.body["error"].as_str(), Some("invalid_extra")),
            "{}",
            r.body
        );
    }
    let body = session(router, &cookie).await;
    assert_eq!(body["extra"], changed, "{body}");
    assert_eq!(body["display_name"], "Ada", "a refused change kept nothing");

    let r = send(
        router,
        "PATCH",
        "/me",
        json!({"display_name": null, "extra": {"company": null}}),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = session(router, &cookie).await;
    assert_eq!(
        body["extra"],
        extra(Value::Null, true, json!("Line one\nline two")),
        "{body}"
    );
    assert_eq!(body["display_name"], Value::Null);
    email
}

/// The `extra` of a user of this fixture, with the application's own columns as a new
/// user has them.
fn extra(company: Value, newsletter: bool, bio: Value) -> Value {
    json!({
        "company": company,
        "plan": "free",
        "newsletter": newsletter,
        "seats": 1,
        "credits": null,
        "bio": bio,
    })
}

async fn session(router: &axum::Router, cookie: &str) -> Value {
    let r = send(router, "GET", "/session", Value::Null, Some(cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_sqlite_serves_the_app_from_auth_tables_only() {
    let backend = open::sqlx_sqlite().await;
    let pool = backend.pool().clone();
    let email = person_signs_up_and_edits_their_profile(&router(backend).await).await;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_users WHERE email = ?")
        .bind(&email)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let foreign: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'yauth!_%' ESCAPE '!'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(foreign, 0, "no table carries yauth's default prefix");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_pg_serves_the_app_from_auth_tables_only() {
    let backend = open::sqlx_pg().await;
    let pool = backend.pool().clone();
    let email = person_signs_up_and_edits_their_profile(&router(backend).await).await;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_users WHERE email = $1")
        .bind(&email)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let foreign: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'yauth!_%' ESCAPE '!'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(foreign, 0, "no table carries yauth's default prefix");
}

/// The document the application serves describes its extra fields, so that a client
/// generated from it (the TypeScript one) has them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_has_the_extra_fields() {
    let yauth = app(open::sqlx_sqlite().await).await;
    let doc = serde_json::to_value(yauth.openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let user = &schemas["AuthUser"];
    // Present for the user's own credentials, absent for an OAuth 2 client's token.
    assert!(
        !user["required"]
            .as_array()
            .unwrap()
            .contains(&json!("extra"))
    );
    let company = json!({"type": ["string", "null"], "maxLength": 255});
    let newsletter = json!({"type": "boolean", "default": false});
    let bio = json!({"type": ["string", "null"], "description": "At most 65535 bytes (UTF-8)."});
    assert_eq!(
        user["properties"]["extra"]["properties"],
        json!({
            "company": company,
            "plan": {"type": "string", "maxLength": 255, "default": "free"},
            "newsletter": newsletter,
            "seats": {"type": ["integer", "null"], "format": "int32", "default": 1},
            "credits": {"type": ["integer", "null"], "format": "int64"},
            "bio": bio,
        })
    );
    assert_eq!(
        user["properties"]["extra"]["required"],
        json!(["newsletter", "plan"])
    );
    for body in ["UpdateMe", "RegisterBody"] {
        let extra = &schemas[body]["properties"]["extra"];
        assert_eq!(
            extra["properties"],
            json!({"company": company, "newsletter": newsletter, "bio": bio}),
            "{body}: only what the user may set"
        );
        assert_eq!(extra["additionalProperties"], json!(false), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_mysql_serves_the_app() {
    let backend = open::sqlx_mysql().await;
    person_signs_up_and_edits_their_profile(&router(backend).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diesel_sqlite_serves_the_app() {
    let backend = open::diesel_sqlite().await;
    person_signs_up_and_edits_their_profile(&router(backend).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seaorm_sqlite_serves_the_app() {
    let backend = open::seaorm_sqlite().await;
    person_signs_up_and_edits_their_profile(&router(backend).await).await;
}
