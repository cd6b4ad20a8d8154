//! The application's HTTP flow on each generated backend: `YAuthBuilder::new` takes the
//! module `cargo yauth generate` wrote into this crate like a built-in backend, and a person
//! registers, signs in, reads the session and changes their profile, with every row in the
//! `auth_*` tables.

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

async fn router(backend: impl DatabaseBackend) -> axum::Router {
    let yauth = YAuthBuilder::new(backend, YAuthConfig::default())
        .with_email_password(EmailPasswordConfig {
            hashing: HashingConfig::insecure_fast_for_tests(),
            require_email_verification: false,
            hibp: None,
            mailer: Some(std::sync::Arc::new(LogMailer)),
            ..EmailPasswordConfig::default()
        })
        .build()
        .await
        .expect("yauth builds on the generated backend");
    axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone())
}

/// Registers, signs in, reads the session and renames the account; answers the email.
async fn person_signs_up_and_edits_their_profile(router: &axum::Router) -> String {
    let email = format!("ada-{}@example.com", uuid_like());
    let r = send(
        router,
        "POST",
        "/register",
        json!({"email": email, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = send(
        router,
        "POST",
        "/login",
        json!({"email": email, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cookie = r.cookie.expect("a session cookie");

    let r = send(router, "GET", "/session", Value::Null, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email"], email.as_str(), "{}", r.body);

    let r = send(
        router,
        "PATCH",
        "/me",
        json!({"display_name": "Ada L."}),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = send(router, "GET", "/session", Value::Null, Some(&cookie)).await;
    assert_eq!(r.body["display_name"], "Ada L.", "{}", r.body);

    let r = send(
        router,
        "PATCH",
        "/me",
        json!({"display_name": 42}),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = send(router, "GET", "/session", Value::Null, Some(&cookie)).await;
    assert_eq!(
        r.body["display_name"], "Ada L.",
        "a refused change kept nothing"
    );
    email
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
