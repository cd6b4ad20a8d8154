//! The api-key plugin through the router on the in-memory backend: keys shown once and
//! stored hashed, the `X-Api-Key` extractor, ownership, expiry and scopes. Tests are named
//! after the threat.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sha2::Digest as _;
use yauth::prelude::*;

mod support;

use support::app::*;

async fn keys_app() -> App {
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes([3; 32])),
        |builder, _| {
            builder
                .with_bearer(BearerConfig {
                    allowed_scopes: vec!["read".into(), "write".into()],
                    ..BearerConfig::default()
                })
                .with_api_key(ApiKeyConfig {
                    allowed_scopes: vec!["read".into(), "write".into(), "account".into()],
                    ..ApiKeyConfig::default()
                })
        },
    )
    .await
}

async fn as_cookie(app: &App, cookie: &str, method: &str, path: &str, body: Value) -> Reply {
    call(app, method, path, body, Some(cookie), IP).await
}

async fn with_key(app: &App, key: &str, method: &str, path: &str, body: Value) -> Reply {
    send(app, method, path, body, None, &[("x-api-key", key)], IP).await
}

async fn create(app: &App, cookie: &str, body: Value) -> Reply {
    as_cookie(app, cookie, "POST", "/api-keys", body).await
}

async fn user_with_key(app: &App, email: &str, scopes: Value) -> (String, String, String) {
    registered(app, email).await;
    let cookie = logged_in(app, email).await;
    let r = create(app, &cookie, json!({"name": "ci", "scopes": scopes})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (
        cookie,
        r.body["key"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_key_is_shown_once_stored_hashed_and_authenticates_with_its_scopes() {
    let app = keys_app().await;
    let (cookie, key, id) = user_with_key(&app, "ada@example.com", json!(["read"])).await;
    assert!(key.starts_with("yauth_"), "{key}");
    // 256 random bits behind the prefix (43 base64url characters).
    assert!(key.len() >= "yauth_".len() + 43);
    let me = with_key(&app, &key, "GET", "/session", Value::Null).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["auth_method"], "ApiKey");
    assert_eq!(me.body["scopes"], json!(["read"]));
    // Listed without the key.
    let list = as_cookie(&app, &cookie, "GET", "/api-keys", Value::Null).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["id"], id.as_str());
    assert!(list.body[0].get("key").is_none());
    assert!(!list.body.to_string().contains(&key[6..]));
    // Stored as its SHA-256 only.
    let user = user_of(&app, "ada@example.com").await;
    let rows = app
        .yauth
        .state()
        .repos()
        .api_keys
        .list_user_api_keys(user.id)
        .await
        .unwrap();
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(rows[0].key_hash, hex);
    assert!(!format!("{:?}", rows[0]).contains(&key[6..]));
}

#[tokio::test]
async fn a_deleted_key_fails_at_once_and_another_users_key_is_invisible() {
    let app = keys_app().await;
    let (ada, ada_key, ada_id) = user_with_key(&app, "ada@example.com", json!([])).await;
    let (bob, _, _) = user_with_key(&app, "bob@example.com", json!([])).await;
    // Bob sees only his own key and cannot delete Ada's.
    let list = as_cookie(&app, &bob, "GET", "/api-keys", Value::Null).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_ne!(list.body[0]["id"], ada_id.as_str());
    let path = format!("/api-keys/{ada_id}");
    let r = as_cookie(&app, &bob, "DELETE", &path, Value::Null).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        with_key(&app, &ada_key, "GET", "/session", Value::Null)
            .await
            .status,
        StatusCode::OK
    );
    let r = as_cookie(&app, &ada, "DELETE", &path, Value::Null).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        with_key(&app, &ada_key, "GET", "/session", Value::Null)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = as_cookie(&app, &ada, "DELETE", &path, Value::Null).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = as_cookie(&app, &ada, "DELETE", "/api-keys/not-a-uuid", Value::Null).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let app = keys_app().await;
    let (_, key, id) = user_with_key(&app, "ada@example.com", json!([])).await;
    let repos = app.yauth.state().repos();
    let user = user_of(&app, "ada@example.com").await;
    let mut row = repos.api_keys.list_user_api_keys(user.id).await.unwrap()[0].clone();
    assert_eq!(row.id.to_string(), id);
    repos
        .api_keys
        .delete_user_api_key(row.id, user.id)
        .await
        .unwrap();
    row.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    repos.api_keys.insert_api_key(&row).await.unwrap();
    let r = with_key(&app, &key, "GET", "/session", Value::Null).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn keys_are_made_from_a_session_only_never_with_a_key_or_a_bearer_token() {
    let app = keys_app().await;
    let (_, key, _) = user_with_key(&app, "ada@example.com", json!(["read", "write"])).await;
    let r = with_key(&app, &key, "POST", "/api-keys", json!({"name": "more"})).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    // A stolen access token cannot be turned into a key that outlives a reset.
    let r = post(
        &app,
        "/token",
        json!({"email": "ada@example.com", "password": PASSWORD, "scope": "read"}),
    )
    .await;
    let access = format!("Bearer {}", r.body["access_token"].as_str().unwrap());
    let headers = [("authorization", access.as_str())];
    let r = send(
        &app,
        "POST",
        "/api-keys",
        json!({"name": "k"}),
        None,
        &headers,
        IP,
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
}

#[tokio::test]
async fn a_key_without_the_account_scope_cannot_manage_the_account() {
    let app = keys_app().await;
    let (_, key, id) = user_with_key(&app, "ada@example.com", json!(["read"])).await;
    for (method, path, body) in [
        ("GET", "/api-keys".to_string(), Value::Null),
        ("DELETE", format!("/api-keys/{id}"), Value::Null),
        ("GET", "/sessions".to_string(), Value::Null),
        (
            "PATCH",
            "/me".to_string(),
            json!({"display_name": "Mallory"}),
        ),
        (
            "POST",
            "/change-password".to_string(),
            json!({"current_password": PASSWORD, "new_password": "Zq7!nW4@rT1#yU6$"}),
        ),
    ] {
        let r = with_key(&app, &key, method, &path, body).await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::FORBIDDEN, Some("insufficient_scope")),
            "{method} {path}"
        );
    }
    // Reading who it is stays allowed, and the key still exists.
    assert_eq!(
        with_key(&app, &key, "GET", "/session", Value::Null)
            .await
            .status,
        StatusCode::OK
    );
    // With the scope, it may.
    let cookie = logged_in(&app, "ada@example.com").await;
    let r = create(
        &app,
        &cookie,
        json!({"name": "admin tool", "scopes": ["account"]}),
    )
    .await;
    let wide = r.body["key"].as_str().unwrap().to_owned();
    let r = with_key(&app, &wide, "GET", "/api-keys", Value::Null).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_deletes_every_key_of_the_account() {
    let app = keys_app().await;
    let (_, key, _) = user_with_key(&app, "ada@example.com", json!([])).await;
    post(
        &app,
        "/forgot-password",
        json!({"email": "ada@example.com"}),
    )
    .await;
    let token = app.mail.last_token("ada@example.com").unwrap();
    let r = post(
        &app,
        "/reset-password",
        json!({"token": token, "password": "Zq7!nW4@rT1#yU6$"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = with_key(&app, &key, "GET", "/session", Value::Null).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_lifetime_past_every_calendar_is_refused_not_a_panic() {
    let app = app_built(
        |_, _| {},
        |builder, _| {
            builder.with_api_key(ApiKeyConfig {
                max_expires_in_days: None,
                ..ApiKeyConfig::default()
            })
        },
    )
    .await;
    registered(&app, "ada@example.com").await;
    let cookie = logged_in(&app, "ada@example.com").await;
    let r = create(
        &app,
        &cookie,
        json!({"name": "k", "expires_in_days": 4_000_000_000u64}),
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_expiry"))
    );
    let r = create(&app, &cookie, json!({"name": "k"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body["expires_at"],
        Value::Null,
        "no maximum: a key that never expires"
    );
}

#[tokio::test]
async fn bad_names_scopes_and_lifetimes_are_refused_with_400() {
    let app = keys_app().await;
    registered(&app, "ada@example.com").await;
    let cookie = logged_in(&app, "ada@example.com").await;
    for (body, code) in [
        (json!({"name": ""}), "invalid_name"),
        (json!({"name": "x".repeat(101)}), "invalid_name"),
        (json!({"name": "bidi\u{202E}"}), "invalid_name"),
        (json!({"name": "k", "scopes": ["admin"]}), "invalid_scope"),
        (json!({"name": "k", "expires_in_days": 0}), "invalid_expiry"),
        (
            json!({"name": "k", "expires_in_days": 366}),
            "invalid_expiry",
        ),
        (
            json!({"name": "k", "expires_in_days": -1}),
            "invalid_request",
        ),
        (json!({"scopes": []}), "invalid_request"),
    ] {
        let r = create(&app, &cookie, body.clone()).await;
        assert_eq!(
            (r.status, r.error()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}"
        );
    }
    let list = as_cookie(&app, &cookie, "GET", "/api-keys", Value::Null).await;
    assert_eq!(list.body, json!([]), "nothing half-written");
}

#[tokio::test]
async fn last_used_is_written_at_most_once_a_minute() {
    let app = keys_app().await;
    let (cookie, key, _) = user_with_key(&app, "ada@example.com", json!([])).await;
    for _ in 0..3 {
        let r = with_key(&app, &key, "GET", "/session", Value::Null).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let list = as_cookie(&app, &cookie, "GET", "/api-keys", Value::Null).await;
    let first = list.body[0]["last_used_at"].clone();
    assert!(first.is_string());
    let r = with_key(&app, &key, "GET", "/session", Value::Null).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = as_cookie(&app, &cookie, "GET", "/api-keys", Value::Null).await;
    assert_eq!(
        list.body[0]["last_used_at"], first,
        "not rewritten within the minute"
    );
}

#[tokio::test]
async fn a_ban_stops_api_keys_at_the_next_request() {
    let app = keys_app().await;
    let (_, key, _) = user_with_key(&app, "ada@example.com", json!([])).await;
    ban(&app, "ada@example.com").await;
    let r = with_key(&app, &key, "GET", "/session", Value::Null).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("user_banned"))
    );
}
