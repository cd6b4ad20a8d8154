//! The account-lockout plugin through the router on the in-memory backend: locks that tell
//! known and unknown emails apart by nothing, hold across IPs and against the right
//! password, double, lift by themselves, by a mailed token, by an admin and by a reset.
//! Tests are named after the threat.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use yauth::kit::token::hash_token;
use yauth::prelude::*;

mod support;

use support::app::*;

const WRONG: &str = "not-the-password-1";

async fn lockout_app_with(change: impl FnOnce(&mut AccountLockoutConfig)) -> App {
    app_built(
        // The core's own per-email throttle (429 after 10 attempts in 15 minutes) stays out
        // of the way of tests that lock several times.
        |ep, _| ep.rate_limits.failed_logins_per_email.max = 1000,
        |builder, mail| {
            let mut config = AccountLockoutConfig {
                mailer: Some(Arc::new(mail.clone())),
                ..AccountLockoutConfig::default()
            };
            change(&mut config);
            builder.with_account_lockout(config).with_admin()
        },
    )
    .await
}

async fn lockout_app() -> App {
    lockout_app_with(|_| {}).await
}

async fn login_from(app: &App, email: &str, password: &str, ip: &str) -> Reply {
    call(
        app,
        "POST",
        "/login",
        json!({"email": email, "password": password}),
        None,
        ip,
    )
    .await
}

async fn login(app: &App, email: &str, password: &str) -> Reply {
    login_from(app, email, password, IP).await
}

fn retry_after(r: &Reply) -> Option<u64> {
    r.headers.get("retry-after")?.to_str().ok()?.parse().ok()
}

/// `n` wrong passwords for `email`, each from its own IP; the statuses.
async fn fail(app: &App, email: &str, n: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let ip = format!("203.0.113.{}", i + 1);
        statuses.push(login_from(app, email, WRONG, &ip).await.status);
    }
    statuses
}

/// What a client can observe of an answer: status, body and the names and values of the
/// headers that matter.
fn observable(r: &Reply) -> (StatusCode, Value, Option<u64>, bool) {
    (
        r.status,
        r.body.clone(),
        retry_after(r),
        r.headers.contains_key("set-cookie"),
    )
}

#[tokio::test]
async fn lockout_answers_are_identical_for_known_and_unknown_emails() {
    let app = lockout_app().await;
    registered(&app, "known@example.com").await;
    let mut seen = Vec::new();
    for email in ["known@example.com", "nobody@example.com"] {
        let statuses = fail(&app, email, 5).await;
        assert_eq!(statuses, [StatusCode::UNAUTHORIZED; 5], "{email}");
        // The sixth attempt is refused, with the right password as with a wrong one.
        let right = login(&app, email, PASSWORD).await;
        let wrong = login(&app, email, WRONG).await;
        assert_eq!(right.status, StatusCode::LOCKED, "{}", right.body);
        assert_eq!(right.error(), Some("account_locked"));
        assert_eq!(retry_after(&right), Some(300));
        assert_eq!(observable(&right), observable(&wrong));
        seen.push(observable(&right));
    }
    assert_eq!(seen[0], seen[1]);
}

#[tokio::test]
async fn failures_from_many_ips_lock_the_email_and_nothing_else() {
    let app = lockout_app().await;
    registered(&app, "target@example.com").await;
    registered(&app, "bystander@example.com").await;
    fail(&app, "target@example.com", 5).await;
    let r = login_from(&app, "target@example.com", PASSWORD, "192.0.2.77").await;
    assert_eq!(r.status, StatusCode::LOCKED);
    // Another account, from the same addresses, is untouched.
    assert_eq!(
        login_from(&app, "bystander@example.com", PASSWORD, "203.0.113.1")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_count() {
    let app = lockout_app().await;
    registered(&app, "typo@example.com").await;
    fail(&app, "typo@example.com", 4).await;
    assert_eq!(
        login(&app, "typo@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        fail(&app, "typo@example.com", 5).await,
        [StatusCode::UNAUTHORIZED; 5]
    );
    assert_eq!(
        login(&app, "typo@example.com", PASSWORD).await.status,
        StatusCode::LOCKED
    );
}

#[tokio::test]
async fn the_lock_lifts_after_its_time_and_the_next_one_lasts_twice_as_long() {
    let app = lockout_app_with(|c| {
        c.lockout_duration = Duration::from_secs(1);
        c.max_lockout_duration = Duration::from_secs(3);
    })
    .await;
    registered(&app, "patient@example.com").await;
    let mut waits = Vec::new();
    for _ in 0..3 {
        fail(&app, "patient@example.com", 5).await;
        let r = login(&app, "patient@example.com", WRONG).await;
        assert_eq!(r.status, StatusCode::LOCKED);
        let wait = retry_after(&r).unwrap();
        waits.push(wait);
        tokio::time::sleep(Duration::from_millis(wait * 1000 + 100)).await;
    }
    // 1 s, doubled, then capped at 3 s.
    assert_eq!(waits, [1, 2, 3]);
    // Once the time is up the right password works again.
    assert_eq!(
        login(&app, "patient@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_auto_unlock_the_lock_holds_until_an_unlock() {
    let app = lockout_app_with(|c| {
        c.auto_unlock = false;
        c.lockout_duration = Duration::from_secs(1);
    })
    .await;
    registered(&app, "held@example.com").await;
    fail(&app, "held@example.com", 5).await;
    let r = login(&app, "held@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::LOCKED);
    assert_eq!(retry_after(&r), None);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        login(&app, "held@example.com", PASSWORD).await.status,
        StatusCode::LOCKED
    );
}

#[tokio::test]
async fn concurrent_attempts_past_the_threshold_lock_once() {
    let app = Arc::new(lockout_app().await);
    registered(&app, "burst@example.com").await;
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..24 {
        let app = app.clone();
        attempts.spawn(async move {
            let ip = format!("203.0.113.{}", i + 1);
            login_from(&app, "burst@example.com", WRONG, &ip)
                .await
                .status
        });
    }
    let statuses = attempts.join_all().await;
    let verified = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(verified <= 5, "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::LOCKED)
            .count(),
        24 - verified
    );
    let lock = app
        .yauth
        .state()
        .repos()
        .account_locks
        .get_account_lock(&hash_token("burst@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lock.lock_count, 1);
}

/// Asks for a reset link for `email` and returns its token.
async fn reset_token(app: &App, email: &str) -> String {
    post(app, "/forgot-password", json!({"email": email})).await;
    app.mail.last_token(email).expect("a reset link")
}

fn unlock_token(app: &App, email: &str) -> Option<String> {
    let mail = app.mail.sent();
    let last = mail
        .iter()
        .rev()
        .find(|m| m.to == email && m.subject == "Unlock your account")?;
    yauth::mail::token_in(&last.text)
}

#[tokio::test]
async fn an_unlock_link_lifts_the_lock_once() {
    let app = lockout_app().await;
    registered(&app, "locked@example.com").await;
    registered(&app, "free@example.com").await;
    fail(&app, "locked@example.com", 6).await;
    let ask = |email: &'static str| {
        let app = &app;
        async move { post(app, "/account/request-unlock", json!({"email": email})).await }
    };
    let locked = ask("locked@example.com").await;
    // The same answer for an unlocked account and for no account, and no mail for them.
    for other in ["free@example.com", "nobody@example.com"] {
        let r = ask(other).await;
        assert_eq!((r.status, &r.body), (locked.status, &locked.body));
        assert_eq!(unlock_token(&app, other), None);
    }
    assert_eq!(locked.status, StatusCode::OK);
    let token = unlock_token(&app, "locked@example.com").expect("an unlock link");
    assert!(
        app.mail
            .sent()
            .iter()
            .any(|m| m.text.contains(&format!("/unlock-account?token={token}")))
    );
    let r = post(&app, "/account/unlock", json!({"token": token})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        login(&app, "locked@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let again = post(&app, "/account/unlock", json!({"token": token})).await;
    assert_eq!(
        (again.status, again.error()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
    let unknown = post(&app, "/account/unlock", json!({"token": "made-up"})).await;
    assert_eq!(again.body, unknown.body);
    let audit = audited(&app, "account_unlocked").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].user_id,
        Some(user_of(&app, "locked@example.com").await.id)
    );
}

#[tokio::test]
async fn spending_the_address_mail_budget_does_not_starve_unlock_links() {
    let app = lockout_app().await;
    registered(&app, "starved@example.com").await;
    fail(&app, "starved@example.com", 6).await;
    // A stranger spends the address's shared mail budget on reset links.
    for _ in 0..10 {
        post(
            &app,
            "/forgot-password",
            json!({"email": "starved@example.com"}),
        )
        .await;
    }
    let r = post(
        &app,
        "/account/request-unlock",
        json!({"email": "starved@example.com"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(unlock_token(&app, "starved@example.com").is_some());
}

#[tokio::test]
async fn a_reset_voids_the_mailed_unlock_links() {
    let app = lockout_app().await;
    registered(&app, "void@example.com").await;
    fail(&app, "void@example.com", 6).await;
    post(
        &app,
        "/account/request-unlock",
        json!({"email": "void@example.com"}),
    )
    .await;
    let token = unlock_token(&app, "void@example.com").unwrap();
    let reset = reset_token(&app, "void@example.com").await;
    post(
        &app,
        "/reset-password",
        json!({"token": reset, "password": "An0ther-fine-pass"}),
    )
    .await;
    let r = post(&app, "/account/unlock", json!({"token": token})).await;
    assert_eq!(r.error(), Some("invalid_token"));
}

#[tokio::test]
async fn a_lock_is_audited_with_the_client_and_only_for_an_account() {
    let app = lockout_app().await;
    registered(&app, "audited@example.com").await;
    for email in ["audited@example.com", "ghost@example.com"] {
        fail(&app, email, 5).await;
        let r = send(
            &app,
            "POST",
            "/login",
            json!({"email": email, "password": WRONG}),
            None,
            &[("user-agent", "guesser/2.0")],
            "192.0.2.9",
        )
        .await;
        assert_eq!(r.status, StatusCode::LOCKED);
    }
    let audit = audited(&app, "account_locked").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    let row = &audit[0];
    assert_eq!(
        row.user_id,
        Some(user_of(&app, "audited@example.com").await.id)
    );
    assert_eq!(row.ip_address.as_deref(), Some("192.0.2.9"));
    assert_eq!(row.user_agent.as_deref(), Some("guesser/2.0"));
    assert!(row.metadata.as_ref().unwrap()["until"].is_string());
}

#[tokio::test]
async fn only_an_admin_unlocks_and_the_unlock_is_attributed() {
    let app = lockout_app().await;
    let boss_cookie = admin_logged_in(&app, "boss@example.com").await;
    let boss = user_of(&app, "boss@example.com").await;
    registered(&app, "plain@example.com").await;
    let plain_cookie = logged_in(&app, "plain@example.com").await;
    registered(&app, "victim@example.com").await;
    let victim = user_of(&app, "victim@example.com").await;
    fail(&app, "victim@example.com", 6).await;
    let path = format!("/admin/users/{}/unlock", victim.id);
    let refused = call(&app, "POST", &path, Value::Null, Some(&plain_cookie), IP).await;
    assert_eq!(
        (refused.status, refused.error()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let r = call(&app, "POST", &path, Value::Null, Some(&boss_cookie), IP).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["was_locked"], true);
    assert_eq!(
        login(&app, "victim@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let r = call(&app, "POST", &path, Value::Null, Some(&boss_cookie), IP).await;
    assert_eq!(r.body["was_locked"], false);
    let missing = format!("/admin/users/{}/unlock", uuid::Uuid::now_v7());
    let r = call(&app, "POST", &missing, Value::Null, Some(&boss_cookie), IP).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let audit = audited(&app, "account_unlocked").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].metadata.as_ref().unwrap()["admin_id"],
        json!(boss.id)
    );
}

#[tokio::test]
async fn a_password_reset_lifts_the_lock() {
    let app = lockout_app().await;
    registered(&app, "forgetful@example.com").await;
    fail(&app, "forgetful@example.com", 6).await;
    let token = reset_token(&app, "forgetful@example.com").await;
    let r = post(
        &app,
        "/reset-password",
        json!({"token": token, "password": "An0ther-fine-pass"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        login(&app, "forgetful@example.com", "An0ther-fine-pass")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_magic_link_is_not_a_password_guess_and_is_not_locked_out() {
    let app = app_built(
        |_, _| {},
        |builder, mail| {
            builder
                .with_account_lockout(AccountLockoutConfig {
                    mailer: Some(Arc::new(mail.clone())),
                    ..AccountLockoutConfig::default()
                })
                .with_magic_link(MagicLinkConfig {
                    mailer: Some(Arc::new(mail.clone())),
                    ..MagicLinkConfig::default()
                })
        },
    )
    .await;
    registered(&app, "linked@example.com").await;
    fail(&app, "linked@example.com", 6).await;
    post(
        &app,
        "/magic-link/send",
        json!({"email": "linked@example.com"}),
    )
    .await;
    let token = app.mail.last_token("linked@example.com").unwrap();
    let r = post(&app, "/magic-link/verify", json!({"token": token})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The password path stays locked.
    assert_eq!(
        login(&app, "linked@example.com", PASSWORD).await.status,
        StatusCode::LOCKED
    );
}

#[tokio::test]
async fn a_configuration_without_a_mailer_or_with_a_zero_threshold_is_refused() {
    for config in [
        AccountLockoutConfig::default(),
        AccountLockoutConfig {
            mailer: Some(Arc::new(LogMailer)),
            max_failed_attempts: 0,
            ..AccountLockoutConfig::default()
        },
    ] {
        let built = YAuthBuilder::new(
            yauth::backends::memory::InMemoryBackend::new(),
            YAuthConfig::default(),
        )
        .with_account_lockout(config)
        .build()
        .await;
        assert!(built.is_err());
    }
}
