//! Every event that the built plugins can emit is written to the audit log, by one walk
//! through every plugin on the in-memory backend. The list grows with the plugins: an event
//! a plugin stops emitting (or a new one that is never written) fails here.

use std::sync::Arc;

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::Digest as _;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use yauth::prelude::*;

mod support;

use support::app::*;

/// Every event name some built plugin emits. The webhooks' (`webhook_delivered`,
/// `webhook_delivery_failed`) need a receiver: `tests/webhooks.rs` checks them. The OAuth
/// client's (`oauth_account_linked`, `oauth_account_unlinked`,
/// `oauth_account_used`) need a provider on a socket: `demo/tests/oauth.rs` checks them.
const REACHABLE: &[&str] = &[
    "user_registered",
    "email_verified",
    "login_failed",
    "login_succeeded",
    "session_created",
    "logout",
    "profile_updated",
    "password_changed",
    "verification_resent",
    "password_reset_requested",
    "password_reset",
    "token_issued",
    "token_refreshed",
    "token_revoked",
    "refresh_token_reused",
    "api_key_created",
    "api_key_deleted",
    "magic_link_sent",
    "magic_link_verified",
    "user_updated",
    "user_banned",
    "user_unbanned",
    "impersonation_started",
    "session_revoked",
    "user_deleted",
    "account_locked",
    "account_unlocked",
    "mfa_enabled",
    "mfa_disabled",
    "mfa_code_accepted",
    "mfa_code_refused",
    "backup_codes_regenerated",
    "passkey_registered",
    "passkey_used",
    "passkey_deleted",
    "oauth_client_registered",
    "oauth_consent_granted",
    "oauth_code_issued",
    "oauth_token_issued",
    "oauth_token_revoked",
    "oauth_grant_reused",
];

async fn everything() -> App {
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes([9; 32])),
        |builder, mail| {
            builder
                .with_bearer(BearerConfig::default())
                .with_api_key(ApiKeyConfig::default())
                .with_magic_link(MagicLinkConfig {
                    mailer: Some(Arc::new(mail.clone())),
                    ..MagicLinkConfig::default()
                })
                .with_account_lockout(AccountLockoutConfig {
                    mailer: Some(Arc::new(mail.clone())),
                    ..AccountLockoutConfig::default()
                })
                .with_admin()
                .with_mfa(MfaConfig::default())
                .with_passkey(PasskeyConfig::for_public_url("https://app.example").unwrap())
                .with_oauth2_server(OAuth2ServerConfig {
                    oidc: Some(OidcConfig::new("https://app.example/api/auth")),
                    ..OAuth2ServerConfig::default()
                })
        },
    )
    .await
}

async fn with_cookie(app: &App, cookie: &str, method: &str, path: &str, body: Value) -> Reply {
    let r = call(app, method, path, body, Some(cookie), IP).await;
    assert!(r.status.is_success(), "{method} {path}: {}", r.body);
    r
}

/// A form POST; the JSON answer (or null).
async fn form_post(app: &App, path: &str, pairs: &[(&str, &str)]) -> Value {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/api/auth{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", IP)
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

async fn ok(app: &App, path: &str, body: Value) -> Reply {
    let r = post(app, path, body).await;
    assert!(r.status.is_success(), "{path}: {}", r.body);
    r
}

#[tokio::test]
async fn every_reachable_event_of_every_plugin_is_audited() {
    let app = everything().await;
    // Email and password: registration, verification, a failure, a session, the profile,
    // a change, a resend, a reset, a logout.
    registered(&app, "walker@example.com").await;
    post(
        &app,
        "/login",
        json!({"email": "walker@example.com", "password": "wrong-pass-1"}),
    )
    .await;
    let cookie = logged_in(&app, "walker@example.com").await;
    with_cookie(&app, &cookie, "PATCH", "/me", json!({"display_name": "W"})).await;
    with_cookie(
        &app,
        &cookie,
        "POST",
        "/change-password",
        json!({"current_password": PASSWORD, "new_password": "Changed-pass-31"}),
    )
    .await;
    ok(
        &app,
        "/resend-verification",
        json!({"email": "walker@example.com"}),
    )
    .await;
    ok(
        &app,
        "/forgot-password",
        json!({"email": "walker@example.com"}),
    )
    .await;
    let reset = app.mail.last_token("walker@example.com").unwrap();
    let password = "Reset-pass-4242";
    ok(
        &app,
        "/reset-password",
        json!({"token": reset, "password": password}),
    )
    .await;
    let login = json!({"email": "walker@example.com", "password": password});
    let cookie = ok(&app, "/login", login.clone()).await.cookie().unwrap();
    with_cookie(&app, &cookie, "POST", "/logout", Value::Null).await;
    let cookie = ok(&app, "/login", login.clone()).await.cookie().unwrap();

    // Bearer: a pair, a rotation, the reuse of the rotated token, a revocation.
    let pair = ok(&app, "/token", login.clone()).await.body;
    let first = pair["refresh_token"].as_str().unwrap().to_owned();
    let rotated = ok(&app, "/token/refresh", json!({"refresh_token": first})).await;
    assert_eq!(rotated.status, StatusCode::OK);
    post(&app, "/token/refresh", json!({"refresh_token": first})).await;
    let pair = ok(&app, "/token", login.clone()).await.body;
    let access = format!("Bearer {}", pair["access_token"].as_str().unwrap());
    let revoked = send(
        &app,
        "POST",
        "/token/revoke",
        json!({"refresh_token": pair["refresh_token"]}),
        None,
        &[("authorization", &access)],
        IP,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);

    // API keys: one made and deleted.
    let key = with_cookie(&app, &cookie, "POST", "/api-keys", json!({"name": "ci"})).await;
    let path = format!("/api-keys/{}", key.body["id"].as_str().unwrap());
    with_cookie(&app, &cookie, "DELETE", &path, Value::Null).await;

    // Magic link: a sign-in (and sign-up) by link.
    ok(
        &app,
        "/magic-link/send",
        json!({"email": "linked@example.com"}),
    )
    .await;
    let token = app.mail.last_token("linked@example.com").unwrap();
    ok(&app, "/magic-link/verify", json!({"token": token})).await;

    // Admin: an edit, a ban and its end, an impersonation, an ended session, a deletion.
    let admin = admin_logged_in(&app, "boss@example.com").await;
    let walker = user_of(&app, "walker@example.com").await.id;
    let user = format!("/admin/users/{walker}");
    with_cookie(&app, &admin, "PUT", &user, json!({"display_name": "Wal"})).await;
    with_cookie(&app, &admin, "POST", &format!("{user}/ban"), json!({})).await;
    with_cookie(&app, &admin, "POST", &format!("{user}/unban"), Value::Null).await;
    let path = format!("{user}/impersonate");
    with_cookie(&app, &admin, "POST", &path, Value::Null).await;
    ok(&app, "/login", login.clone()).await;
    let path = format!("/admin/sessions?user_id={walker}");
    let sessions = with_cookie(&app, &admin, "GET", &path, Value::Null).await;
    let session = sessions.body["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/admin/sessions/{session}");
    with_cookie(&app, &admin, "DELETE", &path, Value::Null).await;
    let linked = user_of(&app, "linked@example.com").await.id;
    let path = format!("/admin/users/{linked}");
    with_cookie(&app, &admin, "DELETE", &path, Value::Null).await;

    // MFA: setup and confirmation, a refused and an accepted code at sign-in, new backup
    // codes, and turning it off.
    registered(&app, "factor@example.com").await;
    let factor = logged_in(&app, "factor@example.com").await;
    let setup = with_cookie(&app, &factor, "POST", "/mfa/totp/setup", Value::Null).await;
    let totp = totp_rs::Totp::from_url(setup.body["otpauth_url"].as_str().unwrap()).unwrap();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let code = totp.generate(now).to_string();
    with_cookie(
        &app,
        &factor,
        "POST",
        "/mfa/totp/confirm",
        json!({"code": code}),
    )
    .await;
    let factor_login = json!({"email": "factor@example.com", "password": PASSWORD});
    let pending = ok(&app, "/login", factor_login).await.body["pending_session_id"].clone();
    let verify = |code: Value| json!({"pending_session_id": pending, "code": code});
    post(&app, "/mfa/verify", verify(json!("000000"))).await;
    ok(
        &app,
        "/mfa/verify",
        verify(setup.body["backup_codes"][0].clone()),
    )
    .await;
    let path = "/mfa/backup-codes/regenerate";
    let code = json!({"code": setup.body["backup_codes"][1]});
    let fresh = with_cookie(&app, &factor, "POST", path, code).await;
    let code = json!({"code": fresh.body["backup_codes"][0]});
    with_cookie(&app, &factor, "DELETE", "/mfa/totp", code).await;

    // Passkeys: one registered, used and deleted.
    let begun = with_cookie(
        &app,
        &factor,
        "POST",
        "/passkeys/register/begin",
        Value::Null,
    )
    .await;
    let mut device = SoftPasskey::new(true);
    let origin = webauthn_rs::prelude::Url::parse("https://app.example").unwrap();
    let options = serde_json::from_value(begun.body["options"].clone()).unwrap();
    let credential = device.do_registration(origin.clone(), options).unwrap();
    let body =
        json!({"challenge_id": begun.body["challenge_id"], "name": "k", "credential": credential});
    let key = with_cookie(&app, &factor, "POST", "/passkeys/register/finish", body).await;
    let begun = ok(
        &app,
        "/passkey/login/begin",
        json!({"email": "factor@example.com"}),
    )
    .await;
    let options = serde_json::from_value(begun.body["options"].clone()).unwrap();
    let credential = device.do_authentication(origin, options).unwrap();
    let body = json!({"challenge_id": begun.body["challenge_id"], "credential": credential});
    ok(&app, "/passkey/login/finish", body).await;
    let path = format!("/passkeys/{}", key.body["id"].as_str().unwrap());
    with_cookie(&app, &factor, "DELETE", &path, Value::Null).await;

    // The authorization server: a client, a consent and a code, tokens, a reused code, a
    // revocation.
    let client = yauth::plugins::oauth2_server::register_client(
        app.yauth.state(),
        ClientMetadata {
            redirect_uris: vec!["https://rp.example/cb".into()],
            scope: Some("openid offline_access".into()),
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            ..ClientMetadata::default()
        },
    )
    .await
    .unwrap();
    let verifier = "v".repeat(43);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let consent = with_cookie(
        &app,
        &factor,
        "POST",
        "/oauth/authorize",
        json!({"client_id": client.client_id, "redirect_uri": "https://rp.example/cb",
               "response_type": "code", "scope": "openid offline_access",
               "code_challenge": challenge, "code_challenge_method": "S256", "approved": true}),
    )
    .await;
    let redirect = url::Url::parse(consent.body["redirect_to"].as_str().unwrap()).unwrap();
    let code = redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let secret = client.client_secret.clone().unwrap();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://rp.example/cb"),
        ("code_verifier", verifier.as_str()),
        ("client_id", client.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let tokens = form_post(&app, "/oauth/token", &exchange).await;
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}");
    form_post(
        &app,
        "/oauth/revoke",
        &[
            ("token", tokens["access_token"].as_str().unwrap()),
            ("client_id", client.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ],
    )
    .await;
    form_post(&app, "/oauth/token", &exchange).await;

    // Account lockout: a lock and the admin's unlock.
    for _ in 0..6 {
        post(
            &app,
            "/login",
            json!({"email": "walker@example.com", "password": "wrong-pass-2"}),
        )
        .await;
    }
    let r = post(&app, "/login", login.clone()).await;
    assert_eq!(r.status, StatusCode::LOCKED);
    with_cookie(&app, &admin, "POST", &format!("{user}/unlock"), Value::Null).await;

    let mut missing = Vec::new();
    for name in REACHABLE {
        if audited(&app, name).await.is_empty() {
            missing.push(*name);
        }
    }
    assert!(missing.is_empty(), "never audited: {missing:?}");
}
