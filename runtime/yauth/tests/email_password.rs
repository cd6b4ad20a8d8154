//! The email-password flows through the router on the in-memory backend (the conformance
//! suite covers the storage of every backend). Security tests are named after the threat.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use yauth::backends::memory::InMemoryBackend;
use yauth::email_password::EmailPasswordConfig;
use yauth::kit::limits::Limit;
use yauth::mail::RecordingMailer;
use yauth::password::{HashingConfig, PasswordPolicyConfig};
use yauth::prelude::*;

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";

struct App {
    yauth: YAuth,
    router: axum::Router,
    mail: RecordingMailer,
}

fn config(mail: &RecordingMailer) -> EmailPasswordConfig {
    EmailPasswordConfig {
        hashing: HashingConfig::insecure_fast_for_tests(),
        mailer: Arc::new(mail.clone()),
        // No network here; the HIBP tests point it at a local stand-in.
        hibp: None,
        ..EmailPasswordConfig::default()
    }
}

async fn app_with(change: impl FnOnce(&mut EmailPasswordConfig, &mut YAuthConfig)) -> App {
    let mail = RecordingMailer::new();
    let mut ep = config(&mail);
    let mut core = YAuthConfig {
        trusted_proxy_header: Some("x-forwarded-for".into()),
        ..YAuthConfig::default()
    };
    change(&mut ep, &mut core);
    let yauth = YAuthBuilder::new(InMemoryBackend::new(), core)
        .with_email_password(ep)
        .build()
        .await
        .unwrap();
    let router = axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone());
    App {
        yauth,
        router,
        mail,
    }
}

async fn app() -> App {
    app_with(|_, _| {}).await
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn cookie(&self) -> Option<String> {
        let set = self.headers.get(header::SET_COOKIE)?.to_str().ok()?;
        let value = set.strip_prefix("yauth_session=")?.split(';').next()?;
        (!value.is_empty()).then(|| value.to_string())
    }
}

async fn call(
    app: &App,
    method: &str,
    path: &str,
    body: Value,
    cookie: Option<&str>,
    ip: &str,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/auth{path}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", ip);
    if let Some(token) = cookie {
        request = request.header(header::COOKIE, format!("yauth_session={token}"));
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    // Mail is handed over in a task of its own: let it run (a current-thread runtime runs
    // the spawned task before resuming a task that yielded).
    tokio::task::yield_now().await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Reply {
        status,
        headers,
        body,
    }
}

async fn post(app: &App, path: &str, body: Value) -> Reply {
    call(app, "POST", path, body, None, "198.51.100.1").await
}

/// Registers and verifies `email`; returns nothing (log in next).
async fn registered(app: &App, email: &str) {
    let r = post(
        app,
        "/register",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = app.mail.last_token(email).expect("a verification mail");
    assert_eq!(
        post(app, "/verify-email", json!({"token": token}))
            .await
            .status,
        StatusCode::OK
    );
}

async fn logged_in(app: &App, email: &str) -> String {
    let r = post(app, "/login", json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.cookie().expect("a session cookie")
}

#[tokio::test]
async fn register_verify_login_session_logout() {
    let app = app().await;
    let r = post(
        &app,
        "/register",
        json!({"email": "  Ada@Example.com ", "password": PASSWORD, "display_name": "Ada"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body["message"].is_string());
    // Not verified yet.
    let r = post(
        &app,
        "/login",
        json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("email_not_verified"))
    );
    assert!(r.cookie().is_none());
    let token = app.mail.last_token("ada@example.com").unwrap();
    assert!(
        app.mail.sent()[0]
            .text
            .contains(&format!("/verify-email?token={token}"))
    );
    assert_eq!(
        post(&app, "/verify-email", json!({"token": token}))
            .await
            .status,
        StatusCode::OK
    );

    let r = post(
        &app,
        "/login",
        json!({"email": "ADA@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email"], "ada@example.com");
    assert_eq!(r.body["display_name"], "Ada");
    assert_eq!(r.body["role"], "user");
    assert_eq!(r.body["auth_method"], "Session");
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookie = r.cookie().unwrap();
    let session = call(
        &app,
        "GET",
        "/session",
        Value::Null,
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    assert_eq!(
        (session.status, session.body["email"].as_str()),
        (StatusCode::OK, Some("ada@example.com"))
    );
    assert_eq!(
        call(
            &app,
            "POST",
            "/logout",
            Value::Null,
            Some(&cookie),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(
            &app,
            "GET",
            "/session",
            Value::Null,
            Some(&cookie),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn token_reuse_is_refused() {
    let app = app().await;
    post(
        &app,
        "/register",
        json!({"email": "reuse@example.com", "password": PASSWORD}),
    )
    .await;
    let token = app.mail.last_token("reuse@example.com").unwrap();
    assert_eq!(
        post(&app, "/verify-email", json!({"token": token}))
            .await
            .status,
        StatusCode::OK
    );
    let again = post(&app, "/verify-email", json!({"token": token})).await;
    assert_eq!(
        (again.status, again.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
    let unknown = post(&app, "/verify-email", json!({"token": "nope"})).await;
    assert_eq!(unknown.body["error"], "invalid_token");

    assert_eq!(
        post(
            &app,
            "/forgot-password",
            json!({"email": "reuse@example.com"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let reset = app.mail.last_token("reuse@example.com").unwrap();
    let r = post(
        &app,
        "/reset-password",
        json!({"token": reset, "password": "An0ther-fine-pass"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post(
        &app,
        "/reset-password",
        json!({"token": reset, "password": "Yet-an0ther-pass"}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
    let login = post(
        &app,
        "/login",
        json!({"email": "reuse@example.com", "password": "An0ther-fine-pass"}),
    )
    .await;
    assert_eq!(login.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = app_with(|ep, _| ep.reset_ttl = std::time::Duration::from_millis(1)).await;
    registered(&app, "late@example.com").await;
    post(
        &app,
        "/forgot-password",
        json!({"email": "late@example.com"}),
    )
    .await;
    let token = app.mail.last_token("late@example.com").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let r = post(
        &app,
        "/reset-password",
        json!({"token": token, "password": "An0ther-fine-pass"}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
}

#[tokio::test]
async fn enumeration_unknown_email_and_wrong_password_look_the_same() {
    let app = app().await;
    registered(&app, "known@example.com").await;
    let before = app.mail.sent().len();
    let wrong = post(
        &app,
        "/login",
        json!({"email": "known@example.com", "password": "wrong-password-1"}),
    )
    .await;
    let unknown = post(
        &app,
        "/login",
        json!({"email": "nobody@example.com", "password": "wrong-password-1"}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(wrong.body["error"], "invalid_credentials");
    // Forgot-password and resend answer the same for unknown and known emails.
    let a = post(
        &app,
        "/forgot-password",
        json!({"email": "known@example.com"}),
    )
    .await;
    let b = post(
        &app,
        "/forgot-password",
        json!({"email": "nobody@example.com"}),
    )
    .await;
    assert_eq!((a.status, &a.body), (b.status, &b.body));
    let a = post(
        &app,
        "/resend-verification",
        json!({"email": "known@example.com"}),
    )
    .await;
    let b = post(
        &app,
        "/resend-verification",
        json!({"email": "nobody@example.com"}),
    )
    .await;
    assert_eq!((a.status, &a.body), (b.status, &b.body));
    // Only the reset mail to the real account went out.
    assert_eq!(app.mail.sent().len(), before + 1);
}

#[tokio::test]
async fn enumeration_costs_one_argon2_verification_on_both_paths() {
    let mail = RecordingMailer::new();
    let plugin = yauth::email_password::EmailPassword::new(config(&mail)).unwrap();
    let hasher = plugin.hasher().clone();
    let yauth = YAuthBuilder::new(InMemoryBackend::new(), YAuthConfig::default())
        .with_plugin(Box::new(plugin))
        .build()
        .await
        .unwrap();
    let router = axum::Router::new()
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone());
    let app = App {
        yauth,
        router,
        mail,
    };
    post(
        &app,
        "/register",
        json!({"email": "count@example.com", "password": PASSWORD}),
    )
    .await;
    let before = hasher.verification_count();
    post(
        &app,
        "/login",
        json!({"email": "count@example.com", "password": "wrong-password-1"}),
    )
    .await;
    assert_eq!(hasher.verification_count(), before + 1);
    post(
        &app,
        "/login",
        json!({"email": "ghost@example.com", "password": "wrong-password-1"}),
    )
    .await;
    assert_eq!(hasher.verification_count(), before + 2);
    post(
        &app,
        "/login",
        json!({"email": "not an email", "password": "wrong-password-1"}),
    )
    .await;
    assert_eq!(hasher.verification_count(), before + 3);
}

#[tokio::test]
async fn a_duplicate_registration_answers_like_a_new_one_and_mails_the_owner() {
    let app = app().await;
    let first = post(
        &app,
        "/register",
        json!({"email": "dup@example.com", "password": PASSWORD}),
    )
    .await;
    let second = post(
        &app,
        "/register",
        json!({"email": "DUP@example.com", "password": "Other-pass-123"}),
    )
    .await;
    assert_eq!((first.status, &first.body), (second.status, &second.body));
    let mails: Vec<_> = app
        .mail
        .sent()
        .into_iter()
        .filter(|m| m.to == "dup@example.com")
        .collect();
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1].text.contains("already has one"),
        "{}",
        mails[1].text
    );
    assert_eq!(
        app.yauth.state().repos().users.count_users().await.unwrap(),
        1
    );

    let strict =
        app_with(|ep, _| ep.duplicate_registration = DuplicateRegistration::Conflict).await;
    post(
        &strict,
        "/register",
        json!({"email": "dup@example.com", "password": PASSWORD}),
    )
    .await;
    let r = post(
        &strict,
        "/register",
        json!({"email": "dup@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::CONFLICT, Some("email_taken"))
    );
}

#[tokio::test]
async fn a_session_token_is_not_stored_in_plain_text_and_login_issues_a_new_one() {
    let app = app().await;
    registered(&app, "fix@example.com").await;
    let first = logged_in(&app, "fix@example.com").await;
    let second = logged_in(&app, "fix@example.com").await;
    assert_ne!(
        first, second,
        "session fixation: every login issues a new token"
    );
    let user = app
        .yauth
        .state()
        .repos()
        .users
        .find_user_by_email("fix@example.com")
        .await
        .unwrap()
        .unwrap();
    for s in app
        .yauth
        .state()
        .repos()
        .sessions
        .list_user_sessions(user.id)
        .await
        .unwrap()
    {
        assert_ne!(s.token_hash, first);
        assert_ne!(s.token_hash, second);
        assert_eq!(s.token_hash.len(), 64);
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let app = app_with(|ep, _| ep.rate_limits.login_per_ip = Limit::per_minute(3)).await;
    for _ in 0..3 {
        let r = call(
            &app,
            "POST",
            "/login",
            json!({"email": "x@example.com", "password": "whatever-1"}),
            None,
            "203.0.113.50",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = call(
        &app,
        "POST",
        "/login",
        json!({"email": "x@example.com", "password": "whatever-1"}),
        None,
        "203.0.113.50",
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let retry: u64 = r
        .headers
        .get(header::RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another client is not affected.
    let r = call(
        &app,
        "POST",
        "/login",
        json!({"email": "x@example.com", "password": "whatever-1"}),
        None,
        "203.0.113.51",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn mail_to_one_address_is_capped_per_address() {
    let app = app_with(|ep, _| ep.rate_limits.mail_per_email = Limit::per_hour(2)).await;
    registered(&app, "bomb@example.com").await;
    let before = app.mail.sent().len();
    for i in 0..5 {
        let r = call(
            &app,
            "POST",
            "/forgot-password",
            json!({"email": "bomb@example.com"}),
            None,
            &format!("203.0.113.{i}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(app.mail.sent().len(), before + 2);
}

#[tokio::test]
async fn password_history_refuses_a_recent_password() {
    let app = app_with(|ep, _| {
        ep.password_policy = PasswordPolicyConfig {
            password_history_count: 3,
            ..PasswordPolicyConfig::default()
        }
    })
    .await;
    registered(&app, "hist@example.com").await;
    let cookie = logged_in(&app, "hist@example.com").await;
    let change = |from: &'static str, to: &'static str| json!({"current_password": from, "new_password": to});
    let r = call(
        &app,
        "POST",
        "/change-password",
        change(PASSWORD, "Second-pass-42"),
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(
        &app,
        "POST",
        "/change-password",
        change("Second-pass-42", PASSWORD),
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("password_reused"))
    );
    let r = call(
        &app,
        "POST",
        "/change-password",
        change("Second-pass-42", "Second-pass-42"),
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    assert_eq!(r.body["error"], "password_reused");
}

#[tokio::test]
async fn the_common_password_list_and_the_policy_are_enforced() {
    let app = app().await;
    for (password, code) in [
        ("password1", "password_common"),
        ("sunshine", "password_common"),
        ("P@ssw0rd", "password_common"),
        ("short", "password_too_short"),
    ] {
        let r = post(
            &app,
            "/register",
            json!({"email": "weak@example.com", "password": password}),
        )
        .await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{password}"
        );
    }
    assert_eq!(
        app.yauth.state().repos().users.count_users().await.unwrap(),
        0
    );
}

#[tokio::test]
async fn change_password_needs_the_current_one_and_ends_other_sessions() {
    let app = app().await;
    registered(&app, "chg@example.com").await;
    let this = logged_in(&app, "chg@example.com").await;
    let other = logged_in(&app, "chg@example.com").await;
    let r = call(
        &app,
        "POST",
        "/change-password",
        json!({"current_password": "wrong-pass-1", "new_password": "Brand-new-pass-9"}),
        Some(&this),
        "198.51.100.1",
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let r = call(
        &app,
        "POST",
        "/change-password",
        json!({"current_password": PASSWORD, "new_password": "Brand-new-pass-9"}),
        Some(&this),
        "198.51.100.1",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        call(
            &app,
            "GET",
            "/session",
            Value::Null,
            Some(&this),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &app,
            "GET",
            "/session",
            Value::Null,
            Some(&other),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    // A reset ends every session.
    post(
        &app,
        "/forgot-password",
        json!({"email": "chg@example.com"}),
    )
    .await;
    let token = app.mail.last_token("chg@example.com").unwrap();
    post(
        &app,
        "/reset-password",
        json!({"token": token, "password": "Reset-pass-777"}),
    )
    .await;
    assert_eq!(
        call(
            &app,
            "GET",
            "/session",
            Value::Null,
            Some(&this),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_input_gets_4xx_json() {
    let app = app().await;
    let long = "x".repeat(10_000);
    let cases = [
        (
            "/register",
            json!({"email": format!("{long}@example.com"), "password": PASSWORD}),
        ),
        ("/register", json!({"email": "a@example.com"})),
        ("/register", json!({"email": 5, "password": PASSWORD})),
        ("/login", json!([])),
        ("/verify-email", json!({})),
        ("/reset-password", json!({"token": "x"})),
    ];
    for (path, body) in cases {
        let r = post(&app, path, body.clone()).await;
        assert!(r.status.is_client_error(), "{path} {body}: {}", r.status);
        assert!(
            r.body["error"].is_string() && r.body["message"].is_string(),
            "{path}: {}",
            r.body
        );
    }
    let r = app
        .router
        .clone()
        .oneshot(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_reachable_event_is_written_to_the_audit_log() {
    let app = app().await;
    registered(&app, "audit@example.com").await;
    post(
        &app,
        "/login",
        json!({"email": "audit@example.com", "password": "wrong-pass-1"}),
    )
    .await;
    let cookie = logged_in(&app, "audit@example.com").await;
    call(
        &app,
        "PATCH",
        "/me",
        json!({"display_name": "Audrey"}),
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    call(
        &app,
        "POST",
        "/change-password",
        json!({"current_password": PASSWORD, "new_password": "Changed-pass-31"}),
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    post(
        &app,
        "/resend-verification",
        json!({"email": "audit@example.com"}),
    )
    .await;
    post(
        &app,
        "/forgot-password",
        json!({"email": "audit@example.com"}),
    )
    .await;
    let token = app.mail.last_token("audit@example.com").unwrap();
    post(
        &app,
        "/reset-password",
        json!({"token": token, "password": "Reset-pass-4242"}),
    )
    .await;
    let cookie = {
        let r = post(
            &app,
            "/login",
            json!({"email": "audit@example.com", "password": "Reset-pass-4242"}),
        )
        .await;
        r.cookie().unwrap()
    };
    call(
        &app,
        "POST",
        "/logout",
        Value::Null,
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    let repos = app.yauth.state().repos();
    let user = repos
        .users
        .find_user_by_email("audit@example.com")
        .await
        .unwrap()
        .unwrap();
    let mut names: Vec<String> = repos
        .audit_log
        .list_user_audit(user.id, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.event_type)
        .collect();
    // A failed login for a wrong password is recorded without a user (enumeration-safe).
    names.extend(
        repos
            .audit_log
            .list_audit_by_event("login_failed", 10, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.event_type),
    );
    for expected in [
        "user_registered",
        "email_verified",
        "login_failed",
        "login_succeeded",
        "session_created",
        "profile_updated",
        "password_changed",
        "verification_resent",
        "password_reset_requested",
        "password_reset",
        "logout",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

/// A stand-in for the HIBP range API on 127.0.0.1: `Breached-pass-99` is listed (count 12),
/// `Padded-pass-777` only as a padding line (count 0).
async fn hibp_stand_in() -> String {
    use sha1::Digest as _;
    let hex = |p: &str| {
        sha1::Sha1::digest(p.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    };
    let listed = [(hex("Breached-pass-99"), 12), (hex("Padded-pass-777"), 0)];
    let app = axum::Router::new().route(
        "/range/{prefix}",
        axum::routing::get(
            move |axum::extract::Path(prefix): axum::extract::Path<String>, headers: HeaderMap| {
                let listed = listed.clone();
                async move {
                    assert_eq!(headers.get("add-padding").unwrap(), "true");
                    let mut body = String::from("0000000000000000000000000000000000A:0\r\n");
                    for (hash, count) in &listed {
                        if hash[..5] == prefix {
                            body.push_str(&format!("{}:{count}\r\n", &hash[5..]));
                        }
                    }
                    body
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_breached_password_is_refused_and_padding_is_ignored() {
    let url = hibp_stand_in().await;
    let app = app_with(|ep, _| {
        ep.hibp = Some(yauth::hibp::HibpConfig {
            base_url: url.clone(),
            timeout: std::time::Duration::from_secs(5),
        })
    })
    .await;
    let r = post(
        &app,
        "/register",
        json!({"email": "hibp@example.com", "password": "Breached-pass-99"}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("password_breached"))
    );
    let r = post(
        &app,
        "/register",
        json!({"email": "hibp@example.com", "password": "Padded-pass-777"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn hibp_fails_open_when_unreachable() {
    let app = app_with(|ep, _| {
        ep.hibp = Some(yauth::hibp::HibpConfig {
            base_url: "http://127.0.0.1:9".into(),
            timeout: std::time::Duration::from_millis(500),
        })
    })
    .await;
    let r = post(
        &app,
        "/register",
        json!({"email": "open@example.com", "password": "Breached-pass-99"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
