//! The Redis decorator against the real Redis on 127.0.0.1:6379, with two replicas: two
//! `YAuth`s over one database (a shared in-memory store) and one Redis, each with its own
//! decorator, as two processes would be. Every write that ends or changes what is cached must
//! reach the other replica at its next request; Redis going away must change no answer.
//! Tests are named after the behaviour or the threat.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;
use yauth::backends::memory::InMemoryBackend;
use yauth::cache::RedisConfig;
use yauth::mail::RecordingMailer;
use yauth::prelude::*;
use yauth::redis::aio::ConnectionManager;

mod support;

use support::app::*;

const REDIS: &str = "127.0.0.1:6379";

/// A prefix of the test's own, so tests share one Redis without meeting.
fn prefix() -> String {
    format!("yauth-test-{}:", Uuid::new_v4().simple())
}

async fn connect(addr: &str) -> ConnectionManager {
    let config = yauth::redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(std::time::Duration::from_millis(500)))
        .set_response_timeout(Some(std::time::Duration::from_millis(500)))
        .set_number_of_retries(1);
    yauth::redis::Client::open(format!("redis://{addr}"))
        .unwrap()
        .get_connection_manager_with_config(config)
        .await
        .expect("Redis on 127.0.0.1:6379")
}

/// One replica over `backend` and the Redis at `redis` (a forwarder, for the outage tests).
async fn replica(backend: &InMemoryBackend, redis: &str, prefix: &str) -> App {
    let mail = RecordingMailer::new();
    let core = YAuthConfig {
        trusted_proxies: yauth::config::TrustedProxies::Hops(1),
        secret_key: Some(SecretKey::from_bytes([7; 32])),
        ..YAuthConfig::default()
    };
    let yauth = YAuthBuilder::new(backend.clone(), core)
        .with_email_password(config(&mail))
        .with_bearer(BearerConfig::default())
        .with_api_key(ApiKeyConfig::default())
        .with_admin()
        .with_mfa(MfaConfig::default())
        .with_redis_config(
            connect(redis).await,
            RedisConfig {
                prefix: prefix.to_owned(),
                ..RedisConfig::default()
            },
        )
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

/// Two replicas over one database and one Redis, and the database's own repositories (what
/// a write behind yauth's back would use).
async fn replicas() -> (App, App, Repositories) {
    let backend = InMemoryBackend::new();
    let prefix = prefix();
    let a = replica(&backend, REDIS, &prefix).await;
    let b = replica(&backend, REDIS, &prefix).await;
    (a, b, backend.repositories())
}

async fn get(app: &App, cookie: &str, path: &str) -> Reply {
    call(app, "GET", path, Value::Null, Some(cookie), IP).await
}

async fn act(app: &App, cookie: &str, method: &str, path: &str, body: Value) -> Reply {
    call(app, method, path, body, Some(cookie), IP).await
}

/// Registers `email` on `a`, signs in, and has `b` check the session once (so `b`'s Redis
/// entry exists). Answers the cookie.
async fn cached_session(a: &App, b: &App, email: &str) -> String {
    registered(a, email).await;
    let cookie = logged_in(a, email).await;
    assert_eq!(get(b, &cookie, "/session").await.status, StatusCode::OK);
    cookie
}

/// A banned user's session: ended (401) or refused (403), never served.
fn refused(status: StatusCode) -> bool {
    status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
}

/// `GET /session` with one credential header: the status.
async fn with_header(app: &App, name: &str, value: &str) -> StatusCode {
    send(
        app,
        "GET",
        "/session",
        Value::Null,
        None,
        &[(name, value)],
        IP,
    )
    .await
    .status
}

/// Signs `email` in as an admin on `app` (the role given through `app`'s repositories).
async fn admin(app: &App, email: &str) -> String {
    admin_logged_in(app, email).await
}

#[tokio::test]
async fn the_session_check_is_answered_from_redis_once_cached() {
    let (a, b, db) = replicas().await;
    let cookie = cached_session(&a, &b, "cached@example.com").await;
    // Behind yauth's back the rows go; a cached check does not read the database, so it
    // still answers (what `RedisConfig::max_ttl` bounds).
    let user = user_of(&a, "cached@example.com").await;
    db.sessions.delete_user_sessions(user.id).await.unwrap();
    assert_eq!(get(&b, &cookie, "/session").await.status, StatusCode::OK);
    assert_eq!(get(&a, &cookie, "/session").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_cache_entry_does_not_survive_a_ban() {
    let (a, b, _) = replicas().await;
    let root = admin(&a, "root@example.com").await;
    let cookie = cached_session(&a, &b, "banned@example.com").await;
    let id = user_of(&a, "banned@example.com").await.id;
    let r = act(
        &a,
        &root,
        "POST",
        &format!("/admin/users/{id}/ban"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = get(&b, &cookie, "/session").await;
    assert_ne!(
        r.status,
        StatusCode::OK,
        "the banned session still works on B"
    );
}

#[tokio::test]
async fn an_unban_reaches_the_other_replica() {
    let (a, b, _) = replicas().await;
    let root = admin(&a, "root@example.com").await;
    registered(&a, "paroled@example.com").await;
    let id = user_of(&a, "paroled@example.com").await.id;
    let pair = post(
        &a,
        "/token",
        json!({"email": "paroled@example.com", "password": PASSWORD}),
    )
    .await;
    let bearer = format!("Bearer {}", pair.body["access_token"].as_str().unwrap());
    assert_eq!(
        with_header(&b, "authorization", &bearer).await,
        StatusCode::OK
    );
    act(
        &a,
        &root,
        "POST",
        &format!("/admin/users/{id}/ban"),
        json!({}),
    )
    .await;
    assert_eq!(
        with_header(&b, "authorization", &bearer).await,
        StatusCode::FORBIDDEN,
        "the cached user was banned"
    );
    act(
        &a,
        &root,
        "POST",
        &format!("/admin/users/{id}/unban"),
        Value::Null,
    )
    .await;
    assert_eq!(
        with_header(&b, "authorization", &bearer).await,
        StatusCode::OK,
        "the unban reached B"
    );
}

#[tokio::test]
async fn logout_on_one_replica_ends_the_session_on_the_other() {
    let (a, b, _) = replicas().await;
    let cookie = cached_session(&a, &b, "leaving@example.com").await;
    assert_eq!(
        act(&a, &cookie, "POST", "/logout", Value::Null)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&b, &cookie, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_deleted_user_is_signed_out_everywhere() {
    let (a, b, _) = replicas().await;
    let root = admin(&a, "root@example.com").await;
    let cookie = cached_session(&a, &b, "gone@example.com").await;
    let key = act(&b, &cookie, "POST", "/api-keys", json!({"name": "k"})).await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    assert_eq!(with_header(&b, "x-api-key", &key).await, StatusCode::OK);
    let id = user_of(&a, "gone@example.com").await.id;
    let r = act(
        &a,
        &root,
        "DELETE",
        &format!("/admin/users/{id}"),
        Value::Null,
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(
        get(&b, &cookie, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        with_header(&b, "x-api-key", &key).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_profile_update_is_seen_by_the_other_replica() {
    let (a, b, _) = replicas().await;
    let cookie = cached_session(&a, &b, "renamed@example.com").await;
    let r = act(
        &a,
        &cookie,
        "PATCH",
        "/me",
        json!({"display_name": "New Name"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = get(&b, &cookie, "/session").await;
    assert_eq!(r.body["display_name"], "New Name", "{}", r.body);
}

#[tokio::test]
async fn a_role_change_is_seen_by_the_other_replica() {
    let (a, b, _) = replicas().await;
    let root = admin(&a, "root@example.com").await;
    let cookie = cached_session(&a, &b, "promoted@example.com").await;
    assert_eq!(
        get(&b, &cookie, "/admin/users").await.status,
        StatusCode::FORBIDDEN
    );
    let id = user_of(&a, "promoted@example.com").await.id;
    let r = act(
        &a,
        &root,
        "PUT",
        &format!("/admin/users/{id}"),
        json!({"role": "admin"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        get(&b, &cookie, "/admin/users").await.status,
        StatusCode::OK,
        "B still answered with the cached role"
    );
}

#[tokio::test]
async fn an_impersonation_session_ends_with_its_admin() {
    let (a, b, _) = replicas().await;
    let root = admin(&a, "root@example.com").await;
    registered(&a, "target@example.com").await;
    let id = user_of(&a, "target@example.com").await.id;
    let r = act(
        &a,
        &root,
        "POST",
        &format!("/admin/users/{id}/impersonate"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let as_target = r.cookie().expect("the impersonation's cookie");
    assert_eq!(get(&b, &as_target, "/session").await.status, StatusCode::OK);
    // The admin goes (its impersonation sessions with it, by the database's cascade): the
    // entry, cached under the target, must go too.
    let admin_id = user_of(&a, "root@example.com").await.id;
    a.yauth
        .state()
        .repos()
        .users
        .delete_user(admin_id)
        .await
        .unwrap();
    assert_eq!(
        get(&b, &as_target, "/session").await.status,
        StatusCode::UNAUTHORIZED,
        "the impersonation outlived its admin on B"
    );
}

#[tokio::test]
async fn a_password_change_ends_the_other_cached_sessions() {
    let (a, b, _) = replicas().await;
    let stolen = cached_session(&a, &b, "changed@example.com").await;
    let mine = logged_in(&a, "changed@example.com").await;
    let r = act(
        &a,
        &mine,
        "POST",
        "/change-password",
        json!({"current_password": PASSWORD, "new_password": "Brand-new-pass-9"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        get(&b, &stolen, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&b, &mine, "/session").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_ends_every_cached_session() {
    let (a, b, _) = replicas().await;
    let stolen = cached_session(&a, &b, "reset@example.com").await;
    let before = a.mail.sent().len();
    post(
        &a,
        "/forgot-password",
        json!({"email": "reset@example.com"}),
    )
    .await;
    // The lookup and the mail run in a task of their own (and talk to Redis): wait for it.
    for _ in 0..500 {
        if a.mail.sent().len() > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let token = a
        .mail
        .last_token("reset@example.com")
        .expect("a reset mail");
    let r = post(
        &a,
        "/reset-password",
        json!({"token": token, "password": "An0ther-fine-pass"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        get(&b, &stolen, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_admin_session_delete_reaches_the_cached_session() {
    let (a, b, _) = replicas().await;
    let root = admin(&a, "root@example.com").await;
    let cookie = cached_session(&a, &b, "ended@example.com").await;
    let id = user_of(&a, "ended@example.com").await.id;
    let sessions = get(&a, &root, &format!("/admin/sessions?user_id={id}")).await;
    let session = sessions.body["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = act(
        &a,
        &root,
        "DELETE",
        &format!("/admin/sessions/{session}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&b, &cookie, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_users_own_session_delete_reaches_the_cached_session() {
    let (a, b, _) = replicas().await;
    let old = cached_session(&a, &b, "tidy@example.com").await;
    let mine = logged_in(&a, "tidy@example.com").await;
    let list = get(&a, &mine, "/sessions").await;
    let sessions = list.body.as_array().cloned().unwrap_or_else(|| {
        list.body["sessions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    });
    let other = sessions
        .iter()
        .find(|s| s["current"] != true)
        .and_then(|s| s["id"].as_str())
        .expect("the other session")
        .to_owned();
    let r = act(
        &a,
        &mine,
        "DELETE",
        &format!("/sessions/{other}"),
        Value::Null,
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(
        get(&b, &old, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_api_key_delete_takes_effect_on_the_other_replica() {
    let (a, b, _) = replicas().await;
    let cookie = cached_session(&a, &b, "keys@example.com").await;
    let created = act(&a, &cookie, "POST", "/api-keys", json!({"name": "k"})).await;
    let key = created.body["key"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(with_header(&b, "x-api-key", &key).await, StatusCode::OK);
    assert_eq!(with_header(&b, "x-api-key", &key).await, StatusCode::OK);
    let r = act(
        &a,
        &cookie,
        "DELETE",
        &format!("/api-keys/{id}"),
        Value::Null,
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(
        with_header(&b, "x-api-key", &key).await,
        StatusCode::UNAUTHORIZED
    );
}

/// The user's invalidation time in Redis, if any.
async fn invalidated_at(prefix_of: &App, user: Uuid) -> Option<String> {
    let _ = prefix_of;
    let mut conn = connect(REDIS).await;
    let keys: Vec<String> = yauth::redis::cmd("KEYS")
        .arg(format!("yauth-test-*:inv:{user}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let key = keys.first()?;
    yauth::redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_mfa_change_voids_the_users_cached_entries() {
    let (a, b, _) = replicas().await;
    let cookie = cached_session(&a, &b, "mfa@example.com").await;
    let user = user_of(&a, "mfa@example.com").await.id;
    let before = invalidated_at(&a, user).await;
    let r = act(&a, &cookie, "POST", "/mfa/totp/setup", Value::Null).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = invalidated_at(&a, user).await;
    assert!(
        after.is_some() && after != before,
        "setting up TOTP invalidated the user"
    );
    assert_eq!(get(&b, &cookie, "/session").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_login_rate_limit_is_shared_by_the_replicas() {
    let (a, b, _) = replicas().await;
    // 20 a minute per IP: the 21st attempt is refused, wherever the attempts went (each
    // names another email, so only the per-IP limit counts).
    let wrong = |i: usize| json!({"email": format!("nobody{i}@example.com"), "password": "not-the-password"});
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = post(app, "/login", wrong(i)).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            r.body
        );
    }
    let r = post(&b, "/login", wrong(20)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = post(&a, "/login", wrong(21)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn rate_limit_counters_live_in_redis_not_the_database() {
    let (a, _, db) = replicas().await;
    let repos = a.yauth.state().repos();
    let now = chrono::Utc::now();
    let end = now + chrono::Duration::seconds(60);
    for expected in 1..=3 {
        let row = repos
            .rate_limits
            .hit_rate_limit("k", now, end)
            .await
            .unwrap();
        assert_eq!(row.count, expected);
    }
    assert!(
        db.rate_limits
            .get_rate_limit("k", now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        repos
            .rate_limits
            .get_rate_limit("k", now)
            .await
            .unwrap()
            .map(|r| r.count),
        Some(3)
    );
    assert_eq!(repos.rate_limits.delete_rate_limit("k").await.unwrap(), 1);
    assert!(
        repos
            .rate_limits
            .get_rate_limit("k", now)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn pending_mfa_and_ceremony_state_are_shared_and_consumed_once() {
    let (a, b, db) = replicas().await;
    registered(&a, "pending@example.com").await;
    let user = user_of(&a, "pending@example.com").await.id;
    let (ra, rb) = (a.yauth.state().repos(), b.yauth.state().repos());
    let now = chrono::Utc::now();
    let pending = yauth::entity::MfaPendingLogin {
        id: Uuid::now_v7(),
        user_id: user,
        token_hash: format!("hash-{}", Uuid::new_v4()),
        method: "email-password".into(),
        remember_me: false,
        scopes: None,
        ip_address: None,
        user_agent: None,
        attempts: 0,
        expires_at: now + chrono::Duration::minutes(5),
        created_at: now,
    };
    ra.mfa_pending_logins
        .insert_mfa_pending_login(&pending)
        .await
        .unwrap();
    assert!(
        db.mfa_pending_logins
            .find_mfa_pending_login(&pending.token_hash, now)
            .await
            .unwrap()
            .is_none(),
        "the pending sign-in is in Redis, not the database"
    );
    let found = rb
        .mfa_pending_logins
        .find_mfa_pending_login(&pending.token_hash, now)
        .await
        .unwrap()
        .expect("B finds what A stored");
    assert_eq!(found.user_id, user);
    assert_eq!(
        rb.mfa_pending_logins
            .count_mfa_attempt(pending.id)
            .await
            .unwrap(),
        Some(1)
    );
    assert_eq!(
        ra.mfa_pending_logins
            .count_mfa_attempt(pending.id)
            .await
            .unwrap(),
        Some(2)
    );
    let again = ra
        .mfa_pending_logins
        .find_mfa_pending_login(&pending.token_hash, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 2);
    assert_eq!(
        rb.mfa_pending_logins
            .delete_mfa_pending_login(pending.id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        ra.mfa_pending_logins
            .delete_mfa_pending_login(pending.id)
            .await
            .unwrap(),
        0
    );
    assert!(
        ra.mfa_pending_logins
            .find_mfa_pending_login(&pending.token_hash, now)
            .await
            .unwrap()
            .is_none()
    );

    let challenge = yauth::entity::WebauthnChallenge {
        id: Uuid::now_v7(),
        user_id: Some(user),
        kind: "registration".into(),
        state: json!({"s": 1}),
        expires_at: now + chrono::Duration::minutes(5),
        created_at: now,
    };
    ra.webauthn_challenges
        .insert_webauthn_challenge(&challenge)
        .await
        .unwrap();
    assert!(
        db.webauthn_challenges
            .find_webauthn_challenge(challenge.id, now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        rb.webauthn_challenges
            .find_webauthn_challenge(challenge.id, now)
            .await
            .unwrap(),
        Some(challenge.clone())
    );
    let first = rb
        .webauthn_challenges
        .delete_webauthn_challenge(challenge.id);
    let second = ra
        .webauthn_challenges
        .delete_webauthn_challenge(challenge.id);
    let (first, second) = tokio::join!(first, second);
    assert_eq!(
        first.unwrap() + second.unwrap(),
        1,
        "a ceremony state is consumed once"
    );
}

/// A TCP forwarder to Redis that can be cut: what a network partition or a stopped Redis
/// looks like to one replica.
struct Link {
    addr: String,
    up: Arc<AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Link {
    async fn start() -> Link {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (flag, tasks) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: connection closed at once
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(REDIS).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(task);
            }
        });
        Link {
            addr,
            up,
            connections,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn with_redis_down_every_answer_stays_right() {
    let backend = InMemoryBackend::new();
    let link = Link::start().await;
    let app = replica(&backend, &link.addr, &prefix()).await;
    let root = admin(&app, "root@example.com").await;
    registered(&app, "steady@example.com").await;
    let cookie = logged_in(&app, "steady@example.com").await;
    assert_eq!(get(&app, &cookie, "/session").await.status, StatusCode::OK);

    link.cut();
    // Everything answers from the database, and correctly.
    assert_eq!(get(&app, &cookie, "/session").await.status, StatusCode::OK);
    let other = logged_in(&app, "steady@example.com").await;
    assert_eq!(get(&app, &other, "/session").await.status, StatusCode::OK);
    assert_eq!(
        act(&app, &other, "POST", "/logout", Value::Null)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&app, &other, "/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong = post(
        &app,
        "/login",
        json!({"email": "steady@example.com", "password": "wrong-password"}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let id = user_of(&app, "steady@example.com").await.id;
    act(
        &app,
        &root,
        "POST",
        &format!("/admin/users/{id}/ban"),
        json!({}),
    )
    .await;
    assert!(refused(get(&app, &cookie, "/session").await.status));

    // Redis comes back (after the breaker's second): the entry cached before the ban must
    // not come back with it.
    link.restore();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(refused(get(&app, &cookie, "/session").await.status));
    assert!(refused(get(&app, &cookie, "/session").await.status));
}

#[tokio::test]
async fn an_invalidation_lost_in_an_outage_voids_the_cache_once_redis_is_back() {
    let backend = InMemoryBackend::new();
    let prefix = prefix();
    let link = Link::start().await;
    let a = replica(&backend, &link.addr, &prefix).await;
    let b = replica(&backend, REDIS, &prefix).await;
    let root = admin(&a, "root@example.com").await;
    let cookie = cached_session(&a, &b, "outage@example.com").await;
    let id = user_of(&a, "outage@example.com").await.id;

    link.cut();
    let r = act(
        &a,
        &root,
        "POST",
        &format!("/admin/users/{id}/ban"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(refused(get(&a, &cookie, "/session").await.status));

    link.restore();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // A's next request reaches Redis and voids every entry; B then reads the ban.
    assert_eq!(get(&a, &root, "/session").await.status, StatusCode::OK);
    assert!(
        refused(get(&b, &cookie, "/session").await.status),
        "B served the stale entry"
    );
}

#[tokio::test]
async fn a_cached_session_lives_no_longer_than_the_session() {
    let (a, b, _) = replicas().await;
    let cookie = cached_session(&a, &b, "short@example.com").await;
    let mut conn = connect(REDIS).await;
    let hash = yauth::kit::token::hash_token(&cookie);
    let keys: Vec<String> = yauth::redis::cmd("KEYS")
        .arg(format!("yauth-test-*:s:{hash}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "the session is cached");
    let ttl: i64 = yauth::redis::cmd("PTTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        ttl > 0 && ttl <= 60_000,
        "the entry expires within max_ttl: {ttl} ms"
    );
}
