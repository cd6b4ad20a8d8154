//! The magic-link plugin through the router on the in-memory backend: links that work once,
//! answers that do not enumerate, sign-up, and the pre-registration takeover. Tests are
//! named after the threat.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Value, json};
use yauth::prelude::*;

mod support;

use support::app::*;

async fn links_app_with(change: impl FnOnce(&mut MagicLinkConfig)) -> App {
    app_built(
        |_, _| {},
        |builder, mail| {
            let mut config = MagicLinkConfig {
                mailer: Some(Arc::new(mail.clone())),
                ..MagicLinkConfig::default()
            };
            change(&mut config);
            builder.with_magic_link(config)
        },
    )
    .await
}

async fn links_app() -> App {
    links_app_with(|_| {}).await
}

async fn send(app: &App, email: &str) -> Reply {
    post(app, "/magic-link/send", json!({"email": email})).await
}

async fn verify(app: &App, token: &str) -> Reply {
    post(app, "/magic-link/verify", json!({"token": token})).await
}

fn link_token(app: &App, email: &str) -> Option<String> {
    let mail = app.mail.sent();
    let last = mail
        .iter()
        .rev()
        .find(|m| m.to == email && m.subject == "Your sign-in link")?;
    yauth::mail::token_in(&last.text)
}

#[tokio::test]
async fn a_link_signs_in_once_and_verifies_the_email() {
    let app = links_app().await;
    let r = send(&app, "Ada@Example.com").await;
    assert_eq!(r.status, StatusCode::OK);
    let token = link_token(&app, "ada@example.com").expect("a link");
    assert!(
        app.mail
            .sent()
            .last()
            .unwrap()
            .text
            .contains(&format!("/magic-link?token={token}"))
    );
    let r = verify(&app, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email"], "ada@example.com");
    assert_eq!(r.body["email_verified"], true);
    let cookie = r.cookie().expect("a session cookie");
    let me = call(&app, "GET", "/session", Value::Null, Some(&cookie), IP).await;
    assert_eq!(me.status, StatusCode::OK);
    // Used once: the second try is refused like an unknown token.
    let again = verify(&app, &token).await;
    assert_eq!(
        (again.status, again.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
    let unknown = verify(&app, "no-such-token").await;
    assert_eq!(again.body, unknown.body);
    let repos = app.yauth.state().repos();
    for event in [
        "magic_link_sent",
        "magic_link_verified",
        "user_registered",
        "login_succeeded",
    ] {
        let rows = repos
            .audit_log
            .list_audit_by_event(event, 10, 0)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{event}");
    }
}

#[tokio::test]
async fn send_answers_the_same_for_known_unknown_and_signup_disabled_addresses() {
    let app = links_app_with(|c| c.allow_signup = false).await;
    registered(&app, "ada@example.com").await;
    let known = send(&app, "ada@example.com").await;
    let unknown = send(&app, "nobody@example.com").await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert!(link_token(&app, "ada@example.com").is_some());
    assert!(
        link_token(&app, "nobody@example.com").is_none(),
        "no account, no sign-up: no mail"
    );
    // Only the form of the address is judged.
    let r = send(&app, "not an email").await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_email"))
    );
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let app = links_app_with(|c| c.link_ttl = std::time::Duration::from_millis(1)).await;
    send(&app, "ada@example.com").await;
    let token = link_token(&app, "ada@example.com").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let r = verify(&app, &token).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
}

#[tokio::test]
async fn a_new_link_replaces_the_earlier_one() {
    let app = links_app().await;
    send(&app, "ada@example.com").await;
    let first = link_token(&app, "ada@example.com").unwrap();
    send(&app, "ada@example.com").await;
    let second = link_token(&app, "ada@example.com").unwrap();
    assert_ne!(first, second);
    assert_eq!(verify(&app, &first).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(verify(&app, &second).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_pre_registered_password_does_not_survive_the_owners_magic_link() {
    // Someone registers the victim's address with a password of their own and never
    // verifies it (they cannot). The owner later signs in by link: the stranger's password
    // must not open the account afterwards.
    let app = links_app().await;
    let r = post(
        &app,
        "/register",
        json!({"email": "victim@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    send(&app, "victim@example.com").await;
    let token = link_token(&app, "victim@example.com").unwrap();
    let r = verify(&app, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post(
        &app,
        "/login",
        json!({"email": "victim@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
}

#[tokio::test]
async fn a_pre_registered_display_name_does_not_survive_the_owners_magic_link() {
    // The stranger who registered the address also chose how the account introduces itself.
    let app = links_app().await;
    let r = post(
        &app,
        "/register",
        json!({"email": "victim@example.com", "password": PASSWORD, "display_name": "Support Team"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    send(&app, "victim@example.com").await;
    let token = link_token(&app, "victim@example.com").unwrap();
    let r = verify(&app, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["display_name"], Value::Null, "{}", r.body);
    let stored = app
        .yauth
        .state()
        .repos()
        .users
        .find_user_by_email("victim@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.display_name, None);
    assert!(stored.email_verified);
}

#[tokio::test]
async fn a_pre_registrants_consents_and_passkeys_do_not_survive_the_owners_magic_link() {
    // A consent left behind would let the stranger's OAuth 2 client be authorized by the
    // signed-in owner without a consent screen; a passkey would sign the stranger in.
    let app = links_app().await;
    let r = post(
        &app,
        "/register",
        json!({"email": "victim@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = user_of(&app, "victim@example.com").await.id;
    plant_strangers_setup(&app, id).await;
    assert_eq!(
        strangers_setup_left(&app, id).await,
        ["consent", "passkey", "display name"]
    );
    send(&app, "victim@example.com").await;
    let token = link_token(&app, "victim@example.com").unwrap();
    assert_eq!(verify(&app, &token).await.status, StatusCode::OK);
    assert!(strangers_setup_left(&app, id).await.is_empty());
}

#[tokio::test]
async fn without_signup_an_unknown_address_gets_no_account() {
    let app = links_app_with(|c| c.allow_signup = false).await;
    send(&app, "nobody@example.com").await;
    let user = app
        .yauth
        .state()
        .repos()
        .users
        .find_user_by_email("nobody@example.com")
        .await
        .unwrap();
    assert!(user.is_none());
}

#[tokio::test]
async fn a_banned_user_cannot_sign_in_by_link() {
    let app = links_app().await;
    registered(&app, "ada@example.com").await;
    ban(&app, "ada@example.com").await;
    send(&app, "ada@example.com").await;
    let token = link_token(&app, "ada@example.com").unwrap();
    let r = verify(&app, &token).await;
    assert_eq!(
        (r.status, r.error()),
        (StatusCode::FORBIDDEN, Some("user_banned"))
    );
    assert!(r.cookie().is_none());
}

#[tokio::test]
async fn magic_link_needs_a_mailer() {
    let error = YAuthBuilder::new(
        yauth::backends::memory::InMemoryBackend::new(),
        YAuthConfig::default(),
    )
    .with_magic_link(MagicLinkConfig::default())
    .build()
    .await
    .unwrap_err();
    assert!(error.to_string().contains("mailer"), "{error}");
}

#[tokio::test]
async fn a_pre_registered_account_loses_the_strangers_sessions_and_keys_to_the_owners_link() {
    // With verification off, the stranger who registered the address can sign in and make
    // an API key before the owner ever shows up.
    let app = app_built(
        |ep, _| ep.require_email_verification = false,
        |builder, mail| {
            builder
                .with_api_key(ApiKeyConfig::default())
                .with_magic_link(MagicLinkConfig {
                    mailer: Some(Arc::new(mail.clone())),
                    ..MagicLinkConfig::default()
                })
        },
    )
    .await;
    let r = post(
        &app,
        "/register",
        json!({"email": "victim@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let stranger = logged_in(&app, "victim@example.com").await;
    let key = call(
        &app,
        "POST",
        "/api-keys",
        json!({"name": "backdoor"}),
        Some(&stranger),
        IP,
    )
    .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.body);
    let key = key.body["key"].as_str().unwrap().to_owned();
    send(&app, "victim@example.com").await;
    let token = link_token(&app, "victim@example.com").unwrap();
    assert_eq!(verify(&app, &token).await.status, StatusCode::OK);
    let session = call(&app, "GET", "/session", Value::Null, Some(&stranger), IP).await;
    assert_eq!(
        session.status,
        StatusCode::UNAUTHORIZED,
        "the stranger's session ended"
    );
    let r = support::app::send(
        &app,
        "GET",
        "/session",
        Value::Null,
        None,
        &[("x-api-key", &key)],
        IP,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the stranger's key is gone"
    );
}
