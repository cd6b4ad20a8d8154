//! The MFA plugin through the router on the in-memory backend: TOTP codes computed the way
//! an authenticator app does (from the `otpauth://` URL the server hands out), backup codes,
//! and the login step on every primary path. Tests are named after the threat.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Value, json};
use yauth::kit::limits::Limit;
use yauth::prelude::*;

mod support;

use support::app::*;

const SECRET: [u8; 32] = [7; 32];

async fn mfa_app_with(change: impl FnOnce(&mut MfaConfig)) -> App {
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes(SECRET)),
        |builder, mail| {
            let mut config = MfaConfig::default();
            change(&mut config);
            builder
                .with_mfa(config)
                .with_bearer(BearerConfig::default())
                .with_magic_link(MagicLinkConfig {
                    mailer: Some(Arc::new(mail.clone())),
                    ..MagicLinkConfig::default()
                })
                .with_admin()
        },
    )
    .await
}

async fn mfa_app() -> App {
    mfa_app_with(|_| {}).await
}

/// What an authenticator app holds after scanning the setup's QR code, and the code that
/// confirmed the setup (computed again later, a code may belong to the next step).
struct Authenticator(totp_rs::Totp, String);

impl Authenticator {
    /// The code `steps` steps from now (30 s each).
    fn code(&self, steps: i64) -> String {
        let now = chrono::Utc::now().timestamp() + steps * 30;
        self.0.generate(u64::try_from(now).unwrap()).to_string()
    }
}

/// Signs `email` up and turns MFA on: the authenticator, the backup codes, and the
/// session cookie.
async fn enrolled(app: &App, email: &str) -> (Authenticator, Vec<String>, String) {
    registered(app, email).await;
    enrol(app, email).await
}

/// Turns MFA on for the registered `email`.
async fn enrol(app: &App, email: &str) -> (Authenticator, Vec<String>, String) {
    let cookie = logged_in(app, email).await;
    let r = call(
        app,
        "POST",
        "/mfa/totp/setup",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let url = r.body["otpauth_url"].as_str().unwrap();
    let mut app_side = Authenticator(
        totp_rs::Totp::from_url(url).expect("an authenticator app reads the URL"),
        String::new(),
    );
    // The secret typed in by hand is the same secret.
    let typed = totp_rs::Secret::try_from_base32(r.body["secret"].as_str().unwrap()).unwrap();
    assert_eq!(typed.as_bytes(), app_side.0.secret().as_bytes());
    let backup: Vec<String> = serde_json::from_value(r.body["backup_codes"].clone()).unwrap();
    assert_eq!(backup.len(), 10);
    app_side.1 = app_side.code(0);
    let r = call(
        app,
        "POST",
        "/mfa/totp/confirm",
        json!({"code": app_side.1}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (app_side, backup, cookie)
}

/// [`enrolled`] on a multi-threaded runtime, where the verification mail is sent by
/// another thread: waits for it.
async fn enrolled_waiting(app: &App, email: &str) -> (Authenticator, Vec<String>, String) {
    let r = post(
        app,
        "/register",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mut token = None;
    for _ in 0..200 {
        token = app.mail.last_token(email);
        if token.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let r = post(
        app,
        "/verify-email",
        json!({"token": token.expect("a verification mail")}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    enrol(app, email).await
}

/// A password login that stops at the second factor: the pending id.
async fn pending(app: &App, email: &str) -> String {
    let r = post(app, "/login", json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["mfa_required"], true, "{}", r.body);
    assert!(r.cookie().is_none(), "no session before the code");
    r.body["pending_session_id"].as_str().unwrap().to_string()
}

async fn verify(app: &App, pending: &str, code: &str) -> Reply {
    post(
        app,
        "/mfa/verify",
        json!({"pending_session_id": pending, "code": code}),
    )
    .await
}

#[tokio::test]
async fn mfa_stays_off_until_a_code_confirms_the_secret() {
    let app = mfa_app().await;
    registered(&app, "ada@example.com").await;
    let cookie = logged_in(&app, "ada@example.com").await;
    let r = call(
        &app,
        "POST",
        "/mfa/totp/setup",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["otpauth_url"]
            .as_str()
            .unwrap()
            .contains("algorithm=SHA1&digits=6&period=30")
    );
    // Not confirmed: a login is not stopped, and the backup codes count for nothing.
    let r = post(
        &app,
        "/login",
        json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    assert!(r.cookie().is_some(), "{}", r.body);
    let r = call(
        &app,
        "GET",
        "/mfa/backup-codes",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.body, json!({"remaining": 0}));
    let r = call(
        &app,
        "POST",
        "/mfa/totp/confirm",
        json!({"code": "000000"}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), Some("invalid_code"));
}

#[tokio::test]
async fn a_password_login_needs_the_code_and_then_sets_the_session() {
    let app = mfa_app().await;
    let (authenticator, _, _) = enrolled(&app, "ada@example.com").await;
    let pending = pending(&app, "ada@example.com").await;
    let r = verify(&app, &pending, "123456").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), Some("invalid_code"));
    // The code of the confirmation is used: the next step's code (within the ±1 window).
    let r = verify(&app, &pending, &authenticator.code(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email"], "ada@example.com");
    let cookie = r.cookie().expect("the session cookie");
    let r = call(&app, "GET", "/session", Value::Null, Some(&cookie), IP).await;
    assert_eq!(r.status, StatusCode::OK);
    // The pending login is finished.
    let r = verify(&app, &pending, &authenticator.code(1)).await;
    assert_eq!(r.error(), Some("mfa_login_expired"));
    assert_eq!(audited(&app, "mfa_enabled").await.len(), 1);
    assert!(!audited(&app, "mfa_code_accepted").await.is_empty());
    assert!(!audited(&app, "mfa_code_refused").await.is_empty());
}

#[tokio::test]
async fn a_totp_code_replayed_within_its_window_is_refused() {
    let app = mfa_app().await;
    let (authenticator, _, _) = enrolled(&app, "ada@example.com").await;
    // The confirmation's code (of its step) does not sign in.
    let first = pending(&app, "ada@example.com").await;
    let r = verify(&app, &first, &authenticator.1).await;
    assert_eq!(r.error(), Some("invalid_code"), "{}", r.body);
    let code = authenticator.code(1);
    assert_eq!(verify(&app, &first, &code).await.status, StatusCode::OK);
    // The same code, seen by someone else, on a new login of theirs.
    let second = pending(&app, "ada@example.com").await;
    let r = verify(&app, &second, &code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), Some("invalid_code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_verifications_of_one_code_have_exactly_one_winner() {
    let app = Arc::new(
        mfa_app_with(|c| {
            c.verify_per_user = Limit::per_minute(100);
            c.verify_per_ip = Limit::per_minute(100);
        })
        .await,
    );
    let (authenticator, _, _) = enrolled_waiting(&app, "ada@example.com").await;
    let mut pendings = Vec::new();
    for i in 0..24 {
        let r = call(
            &app,
            "POST",
            "/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
            None,
            &format!("203.0.113.{i}"),
        )
        .await;
        let id = r.body["pending_session_id"].as_str();
        pendings.push(id.unwrap_or_else(|| panic!("{}", r.body)).to_string());
    }
    let code = authenticator.code(1);
    let tasks: Vec<_> = pendings
        .into_iter()
        .map(|p| {
            let app = app.clone();
            let code = code.clone();
            tokio::spawn(async move { verify(&app, &p, &code).await.status })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        let status = task.await.unwrap();
        if status == StatusCode::OK {
            winners += 1;
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn a_backup_code_works_once_and_regeneration_voids_the_old_set() {
    let app = mfa_app().await;
    let (_, backup, cookie) = enrolled(&app, "ada@example.com").await;
    let first = pending(&app, "ada@example.com").await;
    // Typed loosely: lower case, spaces for dashes.
    let loose = backup[0].to_lowercase().replace('-', " ");
    let r = verify(&app, &first, &loose).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = pending(&app, "ada@example.com").await;
    let r = verify(&app, &second, &backup[0]).await;
    assert_eq!(r.error(), Some("invalid_code"));
    let r = call(
        &app,
        "GET",
        "/mfa/backup-codes",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.body, json!({"remaining": 9}));
    let path = "/mfa/backup-codes/regenerate";
    let r = call(
        &app,
        "POST",
        path,
        json!({"code": "000000"}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(
        r.error(),
        Some("invalid_code"),
        "a stolen session cannot renew them"
    );
    let r = call(
        &app,
        "POST",
        path,
        json!({"code": backup[5]}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh: Vec<String> = serde_json::from_value(r.body["backup_codes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    let r = verify(&app, &second, &backup[1]).await;
    assert_eq!(r.error(), Some("invalid_code"), "an old code is void");
    assert_eq!(
        verify(&app, &second, &fresh[0]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn brute_force_on_a_pending_login_kills_it_after_five_wrong_codes() {
    let app = mfa_app().await;
    let (authenticator, _, _) = enrolled(&app, "ada@example.com").await;
    let pending = pending(&app, "ada@example.com").await;
    for guess in ["000000", "111111", "222222", "333333", "444444"] {
        let r = verify(&app, &pending, guess).await;
        assert_eq!(r.error(), Some("invalid_code"));
    }
    let r = verify(&app, &pending, &authenticator.code(1)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.error(),
        Some("mfa_login_expired"),
        "the right code comes too late"
    );
}

#[tokio::test]
async fn new_pending_logins_do_not_buy_new_guesses() {
    let app = mfa_app().await;
    let (authenticator, _, _) = enrolled(&app, "ada@example.com").await;
    // The confirmation was one check; nine more wrong ones over fresh logins.
    for _ in 0..9 {
        let p = pending(&app, "ada@example.com").await;
        assert_eq!(
            verify(&app, &p, "000000").await.error(),
            Some("invalid_code")
        );
    }
    let p = pending(&app, "ada@example.com").await;
    let r = verify(&app, &p, &authenticator.code(1)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
}

#[tokio::test]
async fn no_login_path_hands_out_a_session_or_tokens_before_the_code() {
    let app = mfa_app().await;
    let (authenticator, backup, _) = enrolled(&app, "ada@example.com").await;

    // POST /token: no token pair; the verification answers the pair.
    let r = post(
        &app,
        "/token",
        json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["mfa_required"], true);
    assert!(r.body.get("access_token").is_none() && r.body.get("refresh_token").is_none());
    let p = r.body["pending_session_id"].as_str().unwrap();
    let r = verify(&app, p, &authenticator.code(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["access_token"].is_string() && r.body["refresh_token"].is_string());
    assert!(r.cookie().is_none(), "a token sign-in sets no cookie");
    let bearer = format!("Bearer {}", r.body["access_token"].as_str().unwrap());
    let r = send(
        &app,
        "GET",
        "/session",
        Value::Null,
        None,
        &[("authorization", &bearer)],
        IP,
    )
    .await;
    assert_eq!(r.body["auth_method"], "Bearer");

    // A magic link: no cookie until the code.
    assert_eq!(
        post(
            &app,
            "/magic-link/send",
            json!({"email": "ada@example.com"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let mail = app.mail.sent();
    let link = mail
        .iter()
        .rev()
        .find(|m| m.subject == "Your sign-in link")
        .unwrap();
    let token = yauth::mail::token_in(&link.text).unwrap();
    let r = post(&app, "/magic-link/verify", json!({"token": token})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["mfa_required"], true);
    assert!(r.cookie().is_none());

    // /login with remember_me: the finished session is the remembered kind.
    let r = post(
        &app,
        "/login",
        json!({"email": "ada@example.com", "password": PASSWORD, "remember_me": true}),
    )
    .await;
    assert!(r.cookie().is_none());
    let p = r.body["pending_session_id"].as_str().unwrap().to_string();
    // The TOTP steps up to the next one are used: a backup code finishes it.
    let r = verify(&app, &p, &backup[0]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let set = r.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("Max-Age"), "remembered: {set}");
}

#[tokio::test]
async fn the_totp_secret_and_backup_codes_are_not_in_the_database_in_the_clear() {
    let app = mfa_app().await;
    let (authenticator, backup, _) = enrolled(&app, "ada@example.com").await;
    let user = user_of(&app, "ada@example.com").await;
    let repos = app.yauth.state().repos();
    let row = repos
        .totp_secrets
        .get_totp_secret(user.id)
        .await
        .unwrap()
        .unwrap();
    let raw = authenticator.0.secret().as_bytes().to_vec();
    let base32 = authenticator.0.secret().to_base32();
    let dump = format!("{row:?}");
    assert!(
        !row.encrypted_secret
            .windows(raw.len())
            .any(|w| w == raw.as_slice())
    );
    assert!(!dump.contains(&base32) && !dump.contains(base32.trim_end_matches('=')));
    for code in &backup {
        let canonical = code.replace('-', "");
        let found = repos
            .backup_codes
            .find_backup_code(user.id, &canonical)
            .await
            .unwrap();
        assert!(found.is_none(), "a backup code is stored only hashed");
    }
    // A row moved to another user does not open (the seal is bound to its user).
    let other_user = uuid::Uuid::now_v7();
    let sealer = app.yauth.state().sealer().unwrap();
    assert!(
        sealer
            .open("totp_secret", other_user.as_bytes(), &row.encrypted_secret)
            .is_err()
    );
}

#[tokio::test]
async fn a_stolen_session_cannot_swap_or_drop_the_second_factor_without_a_code() {
    let app = mfa_app().await;
    let (authenticator, backup, cookie) = enrolled(&app, "ada@example.com").await;
    let r = call(
        &app,
        "POST",
        "/mfa/totp/setup",
        Value::Null,
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error(), Some("mfa_already_enabled"));
    let r = call(
        &app,
        "DELETE",
        "/mfa/totp",
        json!({"code": "000000"}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.error(), Some("invalid_code"));
    // With a backup code it goes, and logins no longer stop.
    let r = call(
        &app,
        "DELETE",
        "/mfa/totp",
        json!({"code": backup[3]}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post(
        &app,
        "/login",
        json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    assert!(r.cookie().is_some());
    assert_eq!(audited(&app, "mfa_disabled").await.len(), 1);
    drop(authenticator);
}

#[tokio::test]
async fn a_pending_login_ends_when_the_password_changes() {
    let app = mfa_app().await;
    let (authenticator, _, cookie) = enrolled(&app, "ada@example.com").await;
    let p = pending(&app, "ada@example.com").await;
    let r = call(
        &app,
        "POST",
        "/change-password",
        json!({"current_password": PASSWORD, "new_password": "Zq7!hT4@wN2#bV9x"}),
        Some(&cookie),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = verify(&app, &p, &authenticator.code(1)).await;
    assert_eq!(r.error(), Some("mfa_login_expired"));
}

#[tokio::test]
async fn an_impersonating_admin_cannot_touch_the_users_factors() {
    let app = mfa_app().await;
    let admin = admin_logged_in(&app, "root@example.com").await;
    registered(&app, "ada@example.com").await;
    let id = user_of(&app, "ada@example.com").await.id;
    let r = call(
        &app,
        "POST",
        &format!("/admin/users/{id}/impersonate"),
        Value::Null,
        Some(&admin),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let as_ada = r.cookie().unwrap();
    let r = call(
        &app,
        "POST",
        "/mfa/totp/setup",
        Value::Null,
        Some(&as_ada),
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        app.yauth
            .state()
            .repos()
            .totp_secrets
            .get_totp_secret(id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn right_passwords_that_stop_at_mfa_do_not_count_as_failures() {
    let app = mfa_app().await;
    let (authenticator, _, _) = enrolled(&app, "ada@example.com").await;
    // More sign-ins than the failed-login budget of an email (10 per 15 minutes).
    for _ in 0..12 {
        pending(&app, "ada@example.com").await;
    }
    let p = pending(&app, "ada@example.com").await;
    assert_eq!(
        verify(&app, &p, &authenticator.code(1)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_bearer_token_cannot_manage_the_users_factors() {
    let app = mfa_app().await;
    registered(&app, "ada@example.com").await;
    let r = post(
        &app,
        "/token",
        json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    let bearer = format!("Bearer {}", r.body["access_token"].as_str().unwrap());
    let r = send(
        &app,
        "POST",
        "/mfa/totp/setup",
        Value::Null,
        None,
        &[("authorization", &bearer)],
        IP,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
