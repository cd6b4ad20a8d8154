//! The email-password flows through the router on the in-memory backend (the conformance
//! suite covers the storage of every backend). Security tests are named after the threat.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use yauth::backends::memory::InMemoryBackend;
use yauth::email_password::EmailPasswordConfig;
use yauth::kit::limits::Limit;
use yauth::mail::RecordingMailer;
use yauth::password::PasswordPolicyConfig;
use yauth::prelude::*;

mod support;

use support::app::*;

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
    let first = app.mail.last_token("ada@example.com").unwrap();
    // Not verified yet: refused like a wrong password, and a new link is mailed.
    let r = post(
        &app,
        "/login",
        json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    assert!(r.cookie().is_none());
    let token = app.mail.last_token("ada@example.com").unwrap();
    assert_ne!(token, first);
    assert!(
        app.mail.sent()[1]
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
    // Not remembered: a browser-session cookie, gone when the browser closes.
    assert!(!set.contains("Max-Age"), "{set}");
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

// ---- attacks from the security review (../shared/reviews/security-2026-12.md) ----

/// A request with any headers and, optionally, the connection's address.
async fn raw(
    app: &App,
    method: &str,
    path: &str,
    body: Value,
    headers: &[(&str, &str)],
    peer: Option<&str>,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/auth{path}"))
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::from(body.to_string())).unwrap();
    if let Some(peer) = peer {
        let ip: std::net::IpAddr = peer.parse().unwrap();
        let addr = std::net::SocketAddr::new(ip, 40000);
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn login_body() -> Value {
    json!({"email": "nobody@example.com", "password": "whatever-123"})
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_escape_the_ip_limit_without_a_trusted_proxy() {
    let app = app_with(|ep, core| {
        ep.rate_limits.login_per_ip = Limit::per_minute(3);
        core.trusted_proxies = yauth::config::TrustedProxies::None;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let spoof = format!("198.18.0.{i}");
        let r = raw(
            &app,
            "POST",
            "/login",
            login_body(),
            &[("x-forwarded-for", &spoof)],
            Some("203.0.113.7"),
        )
        .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() {
    let app = app_with(|ep, core| {
        ep.rate_limits.login_per_ip = Limit::per_minute(2);
        core.trusted_proxies =
            yauth::config::TrustedProxies::networks(["10.0.0.0/8".parse().unwrap()]);
    })
    .await;
    // The client prepends whatever it likes; the proxy appends the real address.
    let mut statuses = Vec::new();
    for i in 0..4 {
        let chain = format!("198.18.0.{i}, 203.0.113.9, 10.0.0.2");
        let r = raw(
            &app,
            "POST",
            "/login",
            login_body(),
            &[("x-forwarded-for", &chain)],
            Some("10.0.0.1"),
        )
        .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
    // Another real client behind the same proxy has its own budget.
    let r = raw(
        &app,
        "POST",
        "/login",
        login_body(),
        &[("x-forwarded-for", "203.0.113.10")],
        Some("10.0.0.1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A peer that is not a proxy is the client, whatever it forwards.
    for i in 0..3 {
        let spoof = format!("198.18.1.{i}");
        let r = raw(
            &app,
            "POST",
            "/login",
            login_body(),
            &[("x-forwarded-for", &spoof)],
            Some("203.0.113.11"),
        )
        .await;
        assert_eq!(r.status.as_u16(), if i < 2 { 401 } else { 429 }, "{i}");
    }
}

#[tokio::test]
async fn an_unparsable_forwarded_address_is_never_trusted_and_unknown_clients_share_a_bucket() {
    let app = app_with(|ep, _| ep.rate_limits.login_per_ip = Limit::per_minute(2)).await;
    // `Hops(1)` in these tests: the last entry is the client. "x" names nobody, and with no
    // connection address the request is an unknown client: one shared bucket, not no limit.
    let mut statuses = Vec::new();
    for value in ["x", "not-an-ip", "999.1.1.1", ""] {
        let r = raw(
            &app,
            "POST",
            "/login",
            login_body(),
            &[("x-forwarded-for", value)],
            None,
        )
        .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64_not_per_address() {
    let app = app_with(|ep, _| ep.rate_limits.login_per_ip = Limit::per_minute(2)).await;
    let mut statuses = Vec::new();
    for i in 1..=3 {
        let ip = format!("2001:db8:7:7::{i:x}");
        let r = call(&app, "POST", "/login", login_body(), None, &ip).await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
}

#[tokio::test]
async fn register_refuses_control_and_format_characters_in_the_display_name_for_any_email() {
    let app = app().await;
    registered(&app, "known@example.com").await;
    for name in [
        "\u{0}",
        "Eve\u{202E}gnp.exe",
        "zero\u{200B}width",
        "line\nbreak",
    ] {
        for email in ["known@example.com", "fresh@example.com"] {
            let r = post(
                &app,
                "/register",
                json!({"email": email, "password": PASSWORD, "display_name": name}),
            )
            .await;
            assert_eq!(
                (r.status, r.body["error"].as_str()),
                (StatusCode::BAD_REQUEST, Some("invalid_display_name")),
                "{name:?} {email}"
            );
        }
    }
    assert!(
        app.yauth
            .state()
            .repos()
            .users
            .find_user_by_email("fresh@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_login_to_an_unverified_account_answers_exactly_like_a_wrong_password() {
    let app = app_with(|ep, _| ep.rate_limits.mail_per_email = Limit::per_hour(3)).await;
    // The attacker registers the victim's address with a password of their choosing…
    post(
        &app,
        "/register",
        json!({"email": "victim@example.com", "password": PASSWORD}),
    )
    .await;
    registered(&app, "owner@example.com").await;
    let unverified = post(
        &app,
        "/login",
        json!({"email": "victim@example.com", "password": PASSWORD}),
    )
    .await;
    // …and learns nothing a wrong password would not tell.
    let wrong = post(
        &app,
        "/login",
        json!({"email": "owner@example.com", "password": "wrong-password-9"}),
    )
    .await;
    assert_eq!(unverified.status, wrong.status);
    assert_eq!(unverified.body, wrong.body);
    assert!(unverified.cookie().is_none());
    // The owner of the address gets a new link each time, up to the per-address cap.
    for _ in 0..5 {
        post(
            &app,
            "/login",
            json!({"email": "victim@example.com", "password": PASSWORD}),
        )
        .await;
    }
    let to_victim = app
        .mail
        .sent()
        .iter()
        .filter(|m| m.to == "victim@example.com")
        .count();
    assert_eq!(
        to_victim,
        1 + 3,
        "the welcome mail, then at most three links an hour"
    );
}

#[tokio::test]
async fn forgot_password_and_resend_answer_before_looking_the_email_up() {
    let app = app().await;
    registered(&app, "timed@example.com").await;
    let audit = |app: &App| {
        let state = app.yauth.state().clone();
        async move {
            state
                .repos()
                .audit_log
                .list_audit_by_event("password_reset_requested", 10, 0)
                .await
                .unwrap()
                .len()
        }
    };
    let before_mail = app.mail.sent().len();
    // Drive the router without yielding afterwards: the answer is complete while the
    // lookup, the token write and the mail have not started.
    let request = Request::post("/api/auth/forgot-password")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": "timed@example.com"}).to_string(),
        ))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(audit(&app).await, 0, "the lookup ran before the answer");
    assert_eq!(app.mail.sent().len(), before_mail);
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
    assert_eq!(audit(&app).await, 1);
    assert_eq!(app.mail.sent().len(), before_mail + 1);
}

#[tokio::test]
async fn change_password_is_rate_limited_per_user() {
    let app = app_with(|ep, _| ep.rate_limits.change_password = Limit::per_hour(2)).await;
    registered(&app, "spray@example.com").await;
    let cookie = logged_in(&app, "spray@example.com").await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        // A stolen session guessing the current password from many addresses.
        let r = call(
            &app,
            "POST",
            "/change-password",
            json!({"current_password": "guess-number-1", "new_password": "Xk9#mP2$vL5nQ8wZ"}),
            Some(&cookie),
            &format!("203.0.113.{i}"),
        )
        .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
}

#[tokio::test]
async fn email_verified_stays_false_until_a_link_is_redeemed_whatever_the_policy() {
    let app = app_with(|ep, _| ep.require_email_verification = false).await;
    let r = post(
        &app,
        "/register",
        json!({"email": "ceo@victim-corp.example", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = post(
        &app,
        "/login",
        json!({"email": "ceo@victim-corp.example", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "signing in unverified is allowed by this policy"
    );
    assert_eq!(r.body["email_verified"], false);
    // Registration mailed a link anyway, and resend works.
    let first = app
        .mail
        .last_token("ceo@victim-corp.example")
        .expect("a verification link");
    post(
        &app,
        "/resend-verification",
        json!({"email": "ceo@victim-corp.example"}),
    )
    .await;
    let second = app.mail.last_token("ceo@victim-corp.example").unwrap();
    assert_ne!(first, second);
    assert_eq!(
        post(&app, "/verify-email", json!({"token": second}))
            .await
            .status,
        StatusCode::OK
    );
    let cookie = r.cookie().unwrap();
    let me = call(
        &app,
        "GET",
        "/session",
        Value::Null,
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    assert_eq!(me.body["email_verified"], true);
}

#[tokio::test]
async fn a_254_character_email_never_gives_a_500() {
    let app = app().await;
    let local = "l".repeat(64);
    let domain = format!(
        "{}.{}.{}.example",
        "a".repeat(60),
        "b".repeat(60),
        "c".repeat(59)
    );
    let email = format!("{local}@{domain}");
    assert_eq!(email.len(), 254);
    for _ in 0..2 {
        let r = post(
            &app,
            "/register",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        for path in ["/forgot-password", "/resend-verification"] {
            assert_eq!(
                post(&app, path, json!({"email": email})).await.status,
                StatusCode::OK
            );
        }
    }
    // The same on PostgreSQL and MariaDB (a 255-character key column): demo/tests/http.rs.
}

#[tokio::test]
async fn equivalent_spellings_of_an_email_are_one_account() {
    let app = app().await;
    let r = post(
        &app,
        "/register",
        json!({"email": "jos\u{e9}@b\u{fc}cher.example", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Stored and mailed in canonical form: NFC, IDNA ASCII domain.
    assert!(
        app.mail
            .last_token("jos\u{e9}@xn--bcher-kva.example")
            .is_some()
    );
    let before = app.mail.sent().len();
    // Decomposed é, upper case, punycode domain: the same mailbox, so a duplicate.
    let r = post(
        &app,
        "/register",
        json!({"email": "JOSE\u{301}@XN--BCHER-KVA.example", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let sent = app.mail.sent();
    assert_eq!(sent.len(), before + 1);
    assert_eq!(
        sent[before].subject,
        "Someone tried to register with your email"
    );
    assert_eq!(sent[before].to, "jos\u{e9}@xn--bcher-kva.example");
    for spoof in [
        "<jos\u{e9}@b\u{fc}cher.example>",
        "\"jose\"@b\u{fc}cher.example",
    ] {
        let r = post(
            &app,
            "/register",
            json!({"email": spoof, "password": PASSWORD}),
        )
        .await;
        assert_eq!(r.body["error"], "invalid_email", "{spoof}");
    }
}

#[tokio::test]
async fn passwords_are_compared_in_nfkc_form() {
    let app = app().await;
    let decomposed = "Caf\u{0065}\u{0301}-Xk9#mP2$vL";
    let composed = "Caf\u{00e9}-Xk9#mP2$vL";
    post(
        &app,
        "/register",
        json!({"email": "nfkc@example.com", "password": decomposed}),
    )
    .await;
    let token = app.mail.last_token("nfkc@example.com").unwrap();
    post(&app, "/verify-email", json!({"token": token})).await;
    let r = post(
        &app,
        "/login",
        json!({"email": "nfkc@example.com", "password": composed}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn change_password_ends_pending_reset_links_and_mails_the_owner() {
    let app = app().await;
    registered(&app, "notice@example.com").await;
    let cookie = logged_in(&app, "notice@example.com").await;
    post(
        &app,
        "/forgot-password",
        json!({"email": "notice@example.com"}),
    )
    .await;
    let reset = app.mail.last_token("notice@example.com").unwrap();
    let r = call(
        &app,
        "POST",
        "/change-password",
        json!({"current_password": PASSWORD, "new_password": "Xk9#mP2$vL5nQ8wZ"}),
        Some(&cookie),
        "198.51.100.1",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let last = app.mail.sent().last().unwrap().clone();
    assert_eq!(
        (last.to.as_str(), last.subject.as_str()),
        ("notice@example.com", "Your password was changed")
    );
    // The older reset link no longer works.
    let r = post(
        &app,
        "/reset-password",
        json!({"token": reset, "password": "Xk9#mP2$vL5nQ8wY"}),
    )
    .await;
    assert_eq!(r.body["error"], "invalid_token");
    // A reset also notifies.
    post(
        &app,
        "/forgot-password",
        json!({"email": "notice@example.com"}),
    )
    .await;
    let reset = app.mail.last_token("notice@example.com").unwrap();
    assert_eq!(
        post(
            &app,
            "/reset-password",
            json!({"token": reset, "password": "Xk9#mP2$vL5nQ8wY"})
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.mail.sent().last().unwrap().subject,
        "Your password was changed"
    );
}

/// A plugin that changes the user's password while the login is between its password check
/// and its new session, as a reset committing at that moment would.
struct ResetDuringLogin;

impl YAuthPlugin for ResetDuringLogin {
    fn name(&self) -> &'static str {
        "reset-during-login"
    }

    fn check<'a>(
        &'a self,
        attempt: &'a Attempt<'a>,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            if let Attempt::SignIn { user, .. } = attempt {
                let password = yauth::entity::Password {
                    user_id: user.id,
                    password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
                        .into(),
                };
                state
                    .repos()
                    .passwords
                    .upsert_password(&password)
                    .await
                    .unwrap();
            }
            Verdict::Allow
        })
    }
}

#[tokio::test]
async fn a_login_that_raced_a_reset_does_not_keep_its_session() {
    let mail = RecordingMailer::new();
    let yauth = YAuthBuilder::new(
        InMemoryBackend::new(),
        YAuthConfig {
            trusted_proxies: yauth::config::TrustedProxies::Hops(1),
            ..YAuthConfig::default()
        },
    )
    .with_email_password(config(&mail))
    .with_plugin(Box::new(ResetDuringLogin))
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
    registered(&app, "race@example.com").await;
    let r = post(
        &app,
        "/login",
        json!({"email": "race@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let user = app
        .yauth
        .state()
        .repos()
        .users
        .find_user_by_email("race@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.yauth
            .state()
            .repos()
            .sessions
            .list_user_sessions(user.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_state_changing_request_from_a_foreign_origin_is_refused() {
    let app = app_with(|_, core| core.base_url = "https://app.example.com".into()).await;
    let body = json!({"email": "csrf@example.com", "password": PASSWORD});
    let foreign = raw(
        &app,
        "POST",
        "/register",
        body.clone(),
        &[("origin", "https://evil.example")],
        None,
    )
    .await;
    assert_eq!(
        (foreign.status, foreign.body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("cross_site_request"))
    );
    let fetch = raw(
        &app,
        "POST",
        "/register",
        body.clone(),
        &[("sec-fetch-site", "cross-site")],
        None,
    )
    .await;
    assert_eq!(fetch.status, StatusCode::FORBIDDEN);
    let own = raw(
        &app,
        "POST",
        "/register",
        body,
        &[
            ("origin", "https://app.example.com"),
            ("sec-fetch-site", "same-origin"),
        ],
        None,
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    // Reading is not changing state.
    let read = raw(
        &app,
        "GET",
        "/session",
        Value::Null,
        &[("origin", "https://evil.example")],
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_email_password_plugin_refuses_to_start_without_a_chosen_mailer() {
    let error = YAuthBuilder::new(InMemoryBackend::new(), YAuthConfig::default())
        .with_email_password(EmailPasswordConfig {
            mailer: None,
            hibp: None,
            ..EmailPasswordConfig::default()
        })
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no mailer"), "{error}");
}

#[tokio::test]
async fn the_maintenance_round_deletes_expired_rows() {
    let app = app().await;
    registered(&app, "sweep@example.com").await;
    let state = app.yauth.state();
    let user = state
        .repos()
        .users
        .find_user_by_email("sweep@example.com")
        .await
        .unwrap()
        .unwrap();
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let session = yauth::entity::Session {
        id: uuid::Uuid::now_v7(),
        user_id: user.id,
        token_hash: yauth::kit::token::hash_token("expired"),
        ip_address: None,
        user_agent: None,
        expires_at: past,
        created_at: past,
        impersonator_id: None,
        last_seen_at: Some(past),
        persistent: false,
    };
    state
        .repos()
        .sessions
        .insert_session(&session)
        .await
        .unwrap();
    state
        .repos()
        .rate_limits
        .hit_rate_limit("old", past, past)
        .await
        .unwrap();
    let removed = state.run_maintenance().await;
    assert!(removed >= 2, "{removed}");
    assert!(
        state
            .repos()
            .sessions
            .get_session(session.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_oversized_hibp_answer_is_not_read_past_its_cap() {
    use sha1::Digest as _;
    let hex: String = sha1::Sha1::digest(b"Breached-pass-99")
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    // A hostile or broken range server: megabytes of lines, the real answer at the end.
    let body = format!(
        "{}{}:12\r\n",
        "0000000000000000000000000000000000A:0\r\n".repeat(60_000),
        &hex[5..]
    );
    assert!(body.len() > yauth::kit::http::MAX_BODY);
    let server = axum::Router::new().route(
        "/range/{prefix}",
        axum::routing::get(move || {
            let body = body.clone();
            async move { body }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, server).await.unwrap() });
    let app = app_with(|ep, _| {
        ep.hibp = Some(yauth::hibp::HibpConfig {
            base_url: format!("http://{addr}"),
            timeout: std::time::Duration::from_secs(5),
        })
    })
    .await;
    // The check gives up at the cap and fails open, as for an unreachable service.
    let r = post(
        &app,
        "/register",
        json!({"email": "cap@example.com", "password": "Breached-pass-99"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn a_user_lists_their_sessions_and_ends_one_but_never_anothers() {
    let app = app().await;
    registered(&app, "mine@example.com").await;
    registered(&app, "theirs@example.com").await;
    let phone = logged_in(&app, "mine@example.com").await;
    let laptop = logged_in(&app, "mine@example.com").await;
    let theirs = logged_in(&app, "theirs@example.com").await;
    let list = call(
        &app,
        "GET",
        "/sessions",
        Value::Null,
        Some(&laptop),
        "198.51.100.1",
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let sessions = list.body.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    for field in [
        "id",
        "created_at",
        "last_seen_at",
        "ip_address",
        "user_agent",
    ] {
        assert!(sessions[0].get(field).is_some(), "{field}");
    }
    let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another user cannot end it: the same 404 as an unknown id.
    let other = call(
        &app,
        "DELETE",
        &format!("/sessions/{phone_id}"),
        Value::Null,
        Some(&theirs),
        "198.51.100.1",
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let unknown = call(
        &app,
        "DELETE",
        &format!("/sessions/{}", uuid::Uuid::now_v7()),
        Value::Null,
        Some(&theirs),
        "198.51.100.1",
    )
    .await;
    assert_eq!((unknown.status, &unknown.body), (other.status, &other.body));
    assert_eq!(
        call(
            &app,
            "GET",
            "/session",
            Value::Null,
            Some(&phone),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::OK
    );
    // Its owner can.
    let ended = call(
        &app,
        "DELETE",
        &format!("/sessions/{phone_id}"),
        Value::Null,
        Some(&laptop),
        "198.51.100.1",
    )
    .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(
            &app,
            "GET",
            "/session",
            Value::Null,
            Some(&phone),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &app,
            "GET",
            "/session",
            Value::Null,
            Some(&laptop),
            "198.51.100.1"
        )
        .await
        .status,
        StatusCode::OK
    );
    let bad = call(
        &app,
        "DELETE",
        "/sessions/not-a-uuid",
        Value::Null,
        Some(&laptop),
        "198.51.100.1",
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

#[tokio::test]
async fn an_idle_session_ends_and_use_slides_its_expiry_within_the_absolute_lifetime() {
    let app =
        app_with(|_, core| core.idle_timeout = Some(std::time::Duration::from_secs(600))).await;
    registered(&app, "idle@example.com").await;
    let state = app.yauth.state();
    let user = state
        .repos()
        .users
        .find_user_by_email("idle@example.com")
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    let minutes = chrono::Duration::minutes;
    // A session as the clock would have left it: created and last seen in the past.
    let session = |token: &str, created: i64, seen: i64, expires: i64| yauth::entity::Session {
        id: uuid::Uuid::now_v7(),
        user_id: user.id,
        token_hash: yauth::kit::token::hash_token(token),
        ip_address: None,
        user_agent: None,
        expires_at: now + minutes(expires),
        created_at: now - minutes(created),
        impersonator_id: None,
        last_seen_at: Some(now - minutes(seen)),
        persistent: false,
    };
    let active = session("active", 5, 5, 5);
    let idle = session("idle", 20, 11, -1);
    let old = session("old", 12 * 60 - 2, 5, 2);
    for s in [&active, &idle, &old] {
        state.repos().sessions.insert_session(s).await.unwrap();
    }
    let status = |token: &'static str| {
        let app = &app;
        async move {
            call(
                app,
                "GET",
                "/session",
                Value::Null,
                Some(token),
                "198.51.100.1",
            )
            .await
            .status
        }
    };
    // Used again within the idle timeout: its expiry slides to ten minutes from now.
    assert_eq!(status("active").await, StatusCode::OK);
    let slid = state
        .repos()
        .sessions
        .get_session(active.id)
        .await
        .unwrap()
        .unwrap();
    assert!(slid.expires_at > now + minutes(9), "{:?}", slid.expires_at);
    // Left alone past the idle timeout: over.
    assert_eq!(status("idle").await, StatusCode::UNAUTHORIZED);
    // Near its absolute lifetime (12 h): use does not extend it past that.
    assert_eq!(status("old").await, StatusCode::OK);
    let capped = state
        .repos()
        .sessions
        .get_session(old.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        capped.expires_at <= old.created_at + chrono::Duration::hours(12),
        "{:?}",
        capped.expires_at
    );
    // A new login's session starts with the idle expiry, not the absolute one.
    logged_in(&app, "idle@example.com").await;
    let fresh = state
        .repos()
        .sessions
        .list_user_sessions(user.id)
        .await
        .unwrap();
    let newest = fresh.iter().max_by_key(|s| s.created_at).unwrap();
    assert!(newest.expires_at <= chrono::Utc::now() + minutes(10));
}

#[tokio::test]
async fn a_json_array_is_not_accepted_as_a_body() {
    let app = app().await;
    registered(&app, "arr@example.com").await;
    let r = post(&app, "/login", json!(["arr@example.com", PASSWORD])).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    assert!(r.cookie().is_none());
}

#[tokio::test]
async fn failed_logins_are_throttled_per_email_from_any_ip_known_or_not() {
    let app = app_with(|ep, _| {
        ep.rate_limits.failed_logins_per_email = Limit::per_hour(3);
    })
    .await;
    registered(&app, "sprayed@example.com").await;
    for email in ["sprayed@example.com", "ghost@example.com"] {
        let mut statuses = Vec::new();
        for i in 0..5 {
            // A different address for every guess: the per-IP limit never sees a repeat.
            let ip = format!("198.18.{}.{i}", email.len());
            let r = call(
                &app,
                "POST",
                "/login",
                json!({"email": email, "password": "guess-number-1"}),
                None,
                &ip,
            )
            .await;
            statuses.push(r.status.as_u16());
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(r.headers.get(header::RETRY_AFTER).is_some());
            }
        }
        // The same for a known and an unknown email: no enumeration.
        assert_eq!(statuses, [401, 401, 401, 429, 429], "{email}");
    }
    // Past the threshold even the right password waits: the throttle is checked first.
    let r = post(
        &app,
        "/login",
        json!({"email": "sprayed@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Failed logins name the account in the audit log.
    let user = app
        .yauth
        .state()
        .repos()
        .users
        .find_user_by_email("sprayed@example.com")
        .await
        .unwrap()
        .unwrap();
    let failed = app
        .yauth
        .state()
        .repos()
        .audit_log
        .list_audit_by_event("login_failed", 50, 0)
        .await
        .unwrap();
    assert!(failed.iter().any(|a| a.user_id == Some(user.id)));
}

#[tokio::test]
async fn an_ipv4_proxy_seen_through_a_dual_stack_listener_is_still_trusted() {
    let app = app_with(|ep, core| {
        ep.rate_limits.login_per_ip = Limit::per_minute(2);
        core.trusted_proxies =
            yauth::config::TrustedProxies::networks(["10.0.0.0/8".parse().unwrap()]);
    })
    .await;
    // `[::]:port` shows the IPv4 proxy as ::ffff:10.0.0.1; each real client keeps its budget.
    for client in ["203.0.113.20", "203.0.113.21", "203.0.113.22"] {
        let r = raw(
            &app,
            "POST",
            "/login",
            login_body(),
            &[("x-forwarded-for", client)],
            Some("::ffff:10.0.0.1"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{client}");
    }
}

#[tokio::test]
async fn a_non_ascii_byte_before_the_proxys_entry_does_not_hide_the_client() {
    let app = app_with(|ep, core| {
        ep.rate_limits.login_per_ip = Limit::per_minute(2);
        core.trusted_proxies =
            yauth::config::TrustedProxies::networks(["10.0.0.0/8".parse().unwrap()]);
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let mut request = Request::post("/api/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                "x-forwarded-for",
                axum::http::HeaderValue::from_bytes(b"\xff, 203.0.113.30").unwrap(),
            )
            .body(Body::from(login_body().to_string()))
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 1],
                40000,
            ))));
        statuses.push(
            app.router
                .clone()
                .oneshot(request)
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    // Counted as 203.0.113.30 (limited after two), not moved into the proxy's bucket…
    assert_eq!(statuses, [401, 401, 429]);
    // …which another client behind the proxy still has to itself.
    let r = raw(
        &app,
        "POST",
        "/login",
        login_body(),
        &[("x-forwarded-for", "203.0.113.31")],
        Some("10.0.0.1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn zero_trusted_proxy_hops_is_refused_at_build() {
    let mail = RecordingMailer::new();
    let error = YAuthBuilder::new(
        InMemoryBackend::new(),
        YAuthConfig {
            trusted_proxies: yauth::config::TrustedProxies::Hops(0),
            ..YAuthConfig::default()
        },
    )
    .with_email_password(config(&mail))
    .build()
    .await
    .unwrap_err();
    assert!(error.to_string().contains("Hops"), "{error}");
}

#[tokio::test]
async fn an_oversized_password_is_refused_before_any_unicode_work_or_hashing() {
    let app = app().await;
    // U+FDFA grows elevenfold under NFKC.
    let huge = "\u{FDFA}".repeat(5_000);
    let r = post(
        &app,
        "/register",
        json!({"email": "huge@example.com", "password": huge}),
    )
    .await;
    assert_eq!(r.body["error"], "password_too_long");
    registered(&app, "owner2@example.com").await;
    let r = post(
        &app,
        "/login",
        json!({"email": "owner2@example.com", "password": huge}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    // A body over 16 KiB is not read at all.
    let r = post(
        &app,
        "/login",
        json!({"email": "owner2@example.com", "password": "x".repeat(20_000)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_ligature_does_not_count_as_many_characters() {
    let app = app_with(|ep, _| ep.password_policy.min_length = 15).await;
    // One keystroke whose NFKC form is 18 characters.
    let r = post(
        &app,
        "/register",
        json!({"email": "lig@example.com", "password": "\u{FDFA}"}),
    )
    .await;
    assert_eq!(r.body["error"], "password_too_short");
}

#[tokio::test]
async fn strangers_failures_do_not_lock_out_an_owner_whose_network_signed_in_before() {
    let app = app_with(|ep, _| ep.rate_limits.failed_logins_per_email = Limit::per_hour(3)).await;
    registered(&app, "owner3@example.com").await;
    // The owner signed in from 192.0.2.10 once.
    let r = call(
        &app,
        "POST",
        "/login",
        json!({"email": "owner3@example.com", "password": PASSWORD}),
        None,
        "192.0.2.10",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // An attacker spends the email's budget from elsewhere…
    for i in 0..5 {
        call(
            &app,
            "POST",
            "/login",
            json!({"email": "owner3@example.com", "password": "guess-number-1"}),
            None,
            &format!("198.18.9.{i}"),
        )
        .await;
    }
    let r = call(
        &app,
        "POST",
        "/login",
        json!({"email": "owner3@example.com", "password": PASSWORD}),
        None,
        "198.18.9.99",
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "strangers stay throttled"
    );
    // …and the owner, from their network, still signs in.
    let r = call(
        &app,
        "POST",
        "/login",
        json!({"email": "owner3@example.com", "password": PASSWORD}),
        None,
        "192.0.2.10",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_cannot_pass_the_per_email_throttle_together() {
    let app = app_with(|ep, _| ep.rate_limits.failed_logins_per_email = Limit::per_hour(3)).await;
    registered(&app, "burst@example.com").await;
    let app = &app;
    let guesses = (0..12).map(|i| async move {
        let ip = format!("198.18.7.{i}");
        let body = json!({"email": "burst@example.com", "password": "guess-number-1"});
        call(app, "POST", "/login", body, None, &ip).await
    });
    let statuses: Vec<u16> = futures_join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        9,
        "{statuses:?}"
    );
}

/// Runs the futures together on this (current-thread) runtime.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in pinned.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn a_success_clears_the_failed_logins_of_the_email() {
    let app = app_with(|ep, _| ep.rate_limits.failed_logins_per_email = Limit::per_hour(3)).await;
    registered(&app, "clear@example.com").await;
    for i in 0..2 {
        call(
            &app,
            "POST",
            "/login",
            json!({"email": "clear@example.com", "password": "guess-number-1"}),
            None,
            &format!("198.18.6.{i}"),
        )
        .await;
    }
    assert_eq!(
        post(
            &app,
            "/login",
            json!({"email": "clear@example.com", "password": PASSWORD})
        )
        .await
        .status,
        StatusCode::OK
    );
    // Three more failures fit again (from a new network: the known one is exempt anyway).
    let mut statuses = Vec::new();
    for i in 0..4 {
        let r = call(
            &app,
            "POST",
            "/login",
            json!({"email": "clear@example.com", "password": "guess-number-1"}),
            None,
            &format!("198.18.5.{i}"),
        )
        .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}

#[tokio::test]
async fn an_allowed_origin_on_another_site_may_change_state() {
    let app = app_with(|_, core| {
        core.base_url = "https://app.example.com".into();
        core.allowed_origins = vec!["https://admin.example.net".into()];
    })
    .await;
    let body = json!({"email": "origin@example.com", "password": PASSWORD});
    let r = raw(
        &app,
        "POST",
        "/register",
        body,
        &[
            ("origin", "https://admin.example.net"),
            ("sec-fetch-site", "cross-site"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn a_password_reset_that_proves_a_pre_registered_mailbox_removes_the_strangers_setup() {
    // The reset link reached the owner: the account is theirs, with the password they just
    // chose and nothing the stranger set up before.
    let app = app().await;
    let r = post(
        &app,
        "/register",
        json!({"email": "owner@example.com", "password": "Str4nger-chosen-pass"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = user_of(&app, "owner@example.com").await.id;
    assert!(!user_of(&app, "owner@example.com").await.email_verified);
    plant_strangers_setup(&app, id).await;
    let r = post(
        &app,
        "/forgot-password",
        json!({"email": "owner@example.com"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let token = app.mail.last_token("owner@example.com").unwrap();
    let r = post(
        &app,
        "/reset-password",
        json!({"token": token, "password": "0wner-chosen-pass"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(strangers_setup_left(&app, id).await.is_empty());
    assert!(user_of(&app, "owner@example.com").await.email_verified);
    let login = post(
        &app,
        "/login",
        json!({"email": "owner@example.com", "password": "0wner-chosen-pass"}),
    )
    .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
}
