//! The webhooks plugin through the router on the in-memory backend, delivering to a receiver
//! on 127.0.0.1: the admin routes, the outbox (rows written before the answer, retries with
//! backoff, two workers sharing rows), the signature, and the SSRF guard. Tests are named
//! after the behaviour or the threat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use yauth::plugins::webhooks::verify_signature;
use yauth::prelude::*;

mod support;

use support::app::*;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A receiver on 127.0.0.1 that records every request and answers the statuses queued in
/// `answers` (then 200), or a redirect when told.
#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    answers: Arc<Mutex<Vec<StatusCode>>>,
    url: String,
}

impl Receiver {
    async fn start() -> Receiver {
        Self::start_answering(vec![]).await
    }

    async fn start_answering(answers: Vec<StatusCode>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut receiver = Receiver {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            answers: Arc::new(Mutex::new(answers)),
            ..Receiver::default()
        };
        let shared = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let shared = shared.clone();
                async move {
                    shared.hits.lock().unwrap().push(Hit {
                        headers,
                        body: body.to_vec(),
                    });
                    let mut answers = shared.answers.lock().unwrap();
                    let status = if answers.is_empty() {
                        StatusCode::OK
                    } else {
                        answers.remove(0)
                    };
                    let mut response = axum::response::IntoResponse::into_response(status);
                    if status == StatusCode::FOUND {
                        response.headers_mut().insert(
                            "location",
                            "http://169.254.169.254/latest/meta-data/".parse().unwrap(),
                        );
                    }
                    response
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver.url = receiver.url.clone();
        receiver
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until the receiver has `count` requests.
    async fn wait_for(&self, count: usize) -> Vec<Hit> {
        for _ in 0..1000 {
            let hits = self.hits();
            if hits.len() >= count {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "the receiver got {} requests, not {count}",
            self.hits().len()
        );
    }
}

fn fast(allow_private: bool) -> WebhookConfig {
    WebhookConfig {
        retry_delay: Duration::from_millis(50),
        poll_interval: Duration::from_millis(20),
        timeout: Duration::from_secs(2),
        max_retries: 2,
        allow_private_targets: allow_private,
        ..WebhookConfig::default()
    }
}

async fn hooks_app(config: WebhookConfig) -> App {
    app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes([6; 32])),
        |builder, _| builder.with_admin().with_webhooks(config),
    )
    .await
}

async fn act(app: &App, cookie: &str, method: &str, path: &str, body: Value) -> Reply {
    call(app, method, path, body, Some(cookie), IP).await
}

/// `POST /webhooks/{id}/test`.
async fn send_test(app: &App, admin: &str, id: &str) -> Reply {
    act(
        app,
        admin,
        "POST",
        &format!("/webhooks/{id}/test"),
        Value::Null,
    )
    .await
}

/// `GET /webhooks/{id}`: the webhook and its deliveries.
async fn detail(app: &App, admin: &str, id: &str) -> Reply {
    act(app, admin, "GET", &format!("/webhooks/{id}"), Value::Null).await
}

/// Creates a webhook for `events` at `url` with a chosen secret; its id.
async fn created(app: &App, admin: &str, url: &str, events: &[&str], secret: &str) -> String {
    let r = act(
        app,
        admin,
        "POST",
        "/webhooks",
        json!({"url": url, "events": events, "secret": secret}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.body.get("secret").is_none(),
        "a chosen secret is not echoed"
    );
    r.body["id"].as_str().unwrap().to_owned()
}

const SECRET: &str = "whsec_test_0123456789abcdef";

/// Waits (up to 10 s) until `count` audit rows of the event `name` exist: a worker writes
/// them once it has recorded an outcome.
async fn settled(app: &App, name: &str, count: usize) {
    for _ in 0..1000 {
        if audited(app, name).await.len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {count} `{name}` rows after 10 s");
}

fn signed_by(hit: &Hit, secret: &str) -> bool {
    verify_signature(
        secret.as_bytes(),
        hit.header("x-webhook-timestamp"),
        hit.header("x-webhook-signature"),
        &hit.body,
        chrono::Utc::now().timestamp(),
        Duration::from_secs(300),
    )
}

#[tokio::test]
async fn webhook_routes_are_for_admins_only() {
    let app = hooks_app(fast(true)).await;
    registered(&app, "user@example.com").await;
    let user = logged_in(&app, "user@example.com").await;
    let id = Uuid::now_v7();
    for (method, path) in [
        ("POST", "/webhooks".to_string()),
        ("GET", "/webhooks".to_string()),
        ("GET", format!("/webhooks/{id}")),
        ("PUT", format!("/webhooks/{id}")),
        ("DELETE", format!("/webhooks/{id}")),
        ("POST", format!("/webhooks/{id}/test")),
    ] {
        let body = json!({"url": "http://127.0.0.1:9/", "events": ["user_registered"]});
        let r = act(&app, &user, method, &path, body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        // A malformed body or id tells a non-admin nothing either.
        let r = act(
            &app,
            &user,
            method,
            &path.replace(&id.to_string(), "x"),
            json!({}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path} (malformed)"
        );
        let r = call(&app, method, &path, body, None, IP).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn a_generated_secret_is_shown_once_and_stored_sealed() {
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let r = act(
        &app,
        &admin,
        "POST",
        "/webhooks",
        json!({"url": "http://127.0.0.1:9/hook", "events": ["login_succeeded", "user_registered", "login_succeeded"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    assert_eq!(
        r.body["events"],
        json!(["login_succeeded", "user_registered"])
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    for path in ["/webhooks".to_string(), format!("/webhooks/{id}")] {
        let r = act(&app, &admin, "GET", &path, Value::Null).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            !r.body.to_string().contains(&secret),
            "{path} shows the secret"
        );
    }
    let row = app
        .yauth
        .state()
        .repos()
        .webhooks
        .get_webhook(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let stored = String::from_utf8_lossy(&row.secret_enc);
    assert!(
        !stored.contains(&secret[6..]),
        "the secret is stored in the clear"
    );
}

#[tokio::test]
async fn unknown_and_self_referential_events_are_refused() {
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    for events in [
        json!([]),
        json!(["user_registred"]),
        json!(["webhook_delivered"]),
        json!(["webhook_delivery_failed"]),
        json!(["webhook_test"]),
    ] {
        let r = act(
            &app,
            &admin,
            "POST",
            "/webhooks",
            json!({"url": "http://127.0.0.1:9/", "events": events}),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{events}");
        assert_eq!(r.error(), Some("invalid_events"), "{events}");
    }
    let r = act(
        &app,
        &admin,
        "POST",
        "/webhooks",
        json!({"url": "http://127.0.0.1:9/", "events": ["logout"], "secret": "short"}),
    )
    .await;
    assert_eq!(r.error(), Some("invalid_secret"));
}

#[tokio::test]
async fn ssrf_to_internal_addresses_is_refused_at_creation() {
    let app = hooks_app(fast(false)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    for url in [
        "http://127.0.0.1:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.5/",
        "http://localhost:3000/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
    ] {
        let r = act(
            &app,
            &admin,
            "POST",
            "/webhooks",
            json!({"url": url, "events": ["logout"]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(r.error(), Some("invalid_url"), "{url}");
    }
    let r = act(&app, &admin, "GET", "/webhooks", Value::Null).await;
    assert_eq!(r.body, json!([]), "nothing was created");
}

#[tokio::test]
async fn a_matching_event_is_queued_before_the_answer_and_delivered_signed() {
    let receiver = Receiver::start().await;
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let id = created(&app, &admin, &receiver.url, &["user_registered"], SECRET).await;

    // No worker yet: the row is there as soon as the request has answered.
    let r = post(
        &app,
        "/register",
        json!({"email": "new@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = detail(&app, &admin, &id).await;
    let deliveries = r.body["deliveries"].as_array().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "{}", r.body);
    assert_eq!(deliveries[0]["event"], "user_registered");
    assert_eq!(deliveries[0]["attempt"], 0);
    assert!(receiver.hits().is_empty());

    let workers = app.yauth.spawn_workers();
    let hit = receiver.wait_for(1).await.remove(0);
    assert_eq!(hit.header("x-webhook-event"), "user_registered");
    assert_eq!(hit.header("content-type"), "application/json");
    assert_eq!(
        hit.header("x-webhook-id"),
        deliveries[0]["id"].as_str().unwrap()
    );
    assert!(signed_by(&hit, SECRET));
    assert!(!signed_by(&hit, "whsec_another_secret_value"));
    let body = hit.json();
    assert_eq!(body["id"], deliveries[0]["id"]);
    assert_eq!(body["webhook_id"], json!(id));
    assert_eq!(body["event"], "user_registered");
    let user = user_of(&app, "new@example.com").await;
    assert_eq!(body["data"]["user_id"], json!(user.id));
    assert!(body["created_at"].as_str().is_some());
    // No email, password or token in what left the server.
    let text = String::from_utf8_lossy(&hit.body);
    assert!(!text.contains("new@example.com") && !text.contains(PASSWORD));

    // The outcome is recorded, and the delivery is audited.
    settled(&app, "webhook_delivered", 1).await;
    let r = detail(&app, &admin, &id).await;
    let delivery = &r.body["deliveries"][0];
    assert_eq!(delivery["success"], true, "{}", r.body);
    assert_eq!(delivery["status_code"], 200);
    assert_eq!(delivery["attempt"], 1);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    assert_eq!(audited(&app, "webhook_delivered").await.len(), 1);
    // Events the webhook did not ask for are not sent.
    logged_in(&app, "admin@example.com").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.hits().len(), 1);
    workers.iter().for_each(|w| w.abort());
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_id_until_it_succeeds() {
    let receiver = Receiver::start_answering(vec![
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::SERVICE_UNAVAILABLE,
    ])
    .await;
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let id = created(&app, &admin, &receiver.url, &["logout"], SECRET).await;
    let workers = app.yauth.spawn_workers();
    let r = act(&app, &admin, "POST", "/logout", Value::Null).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let hits = receiver.wait_for(3).await;
    let ids: Vec<&str> = hits.iter().map(|h| h.header("x-webhook-id")).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert!(hits.iter().all(|h| signed_by(h, SECRET)));
    settled(&app, "webhook_delivered", 1).await;
    let admin = logged_in(&app, "admin@example.com").await;
    let r = detail(&app, &admin, &id).await;
    let delivery = &r.body["deliveries"][0];
    assert_eq!(
        (
            &delivery["attempt"],
            &delivery["success"],
            &delivery["status_code"]
        ),
        (&json!(3), &json!(true), &json!(200)),
        "{}",
        r.body
    );
    assert_eq!(receiver.hits().len(), 3, "delivered once it succeeded");
    workers.iter().for_each(|w| w.abort());
}

#[tokio::test]
async fn a_delivery_is_given_up_after_max_retries_and_audited() {
    let receiver = Receiver::start_answering(vec![StatusCode::INTERNAL_SERVER_ERROR; 10]).await;
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let id = created(&app, &admin, &receiver.url, &["logout"], SECRET).await;
    let workers = app.yauth.spawn_workers();
    act(&app, &admin, "POST", "/logout", Value::Null).await;
    // max_retries 2: three attempts in all, then nothing more.
    receiver.wait_for(3).await;
    settled(&app, "webhook_delivery_failed", 1).await;
    assert_eq!(receiver.hits().len(), 3);
    assert_eq!(audited(&app, "webhook_delivery_failed").await.len(), 1);
    let admin = logged_in(&app, "admin@example.com").await;
    let r = detail(&app, &admin, &id).await;
    let delivery = &r.body["deliveries"][0];
    assert_eq!(delivery["attempt"], 3);
    assert_eq!(delivery["success"], false);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    assert_eq!(delivery["error"], "the receiver answered 500");
    workers.iter().for_each(|w| w.abort());
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let receiver = Receiver::start_answering(vec![StatusCode::FOUND]).await;
    let app = hooks_app(WebhookConfig {
        max_retries: 0,
        ..fast(true)
    })
    .await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let id = created(&app, &admin, &receiver.url, &["logout"], SECRET).await;
    let r = send_test(&app, &admin, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["success"], false);
    assert_eq!(r.body["status_code"], 302);
    assert_eq!(receiver.hits().len(), 1);
}

#[tokio::test]
async fn the_test_route_sends_a_signed_webhook_test_at_once() {
    let receiver = Receiver::start().await;
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let id = created(&app, &admin, &receiver.url, &["logout"], SECRET).await;
    let r = send_test(&app, &admin, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            &r.body["success"],
            &r.body["status_code"],
            &r.body["attempt"]
        ),
        (&json!(true), &json!(200), &json!(1))
    );
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].header("x-webhook-event"), "webhook_test");
    assert_eq!(
        hits[0].header("x-webhook-id"),
        r.body["delivery_id"].as_str().unwrap()
    );
    assert!(signed_by(&hits[0], SECRET));
    let r = act(
        &app,
        &admin,
        "POST",
        &format!("/webhooks/{}/test", Uuid::now_v7()),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// DNS rebinding: the URL passed the check at creation, but its name now resolves to an
/// internal address (`localhost`, through the resolver). The delivery checks again, and
/// connects nowhere.
#[tokio::test]
async fn ssrf_is_refused_again_at_delivery_when_the_name_now_resolves_internally() {
    let receiver = Receiver::start().await;
    let app = hooks_app(WebhookConfig {
        max_retries: 0,
        ..fast(false)
    })
    .await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    // Stored directly: the routes would refuse this URL.
    let state = app.yauth.state();
    let webhook_id = Uuid::now_v7();
    let sealed =
        state
            .sealer()
            .unwrap()
            .seal("webhook-secret", webhook_id.as_bytes(), SECRET.as_bytes());
    let now = chrono::Utc::now();
    state
        .repos()
        .webhooks
        .insert_webhook(&yauth::entity::Webhook {
            id: webhook_id,
            user_id: Some(user_of(&app, "admin@example.com").await.id),
            url: receiver.url.replace("127.0.0.1", "localhost"),
            secret_enc: sealed,
            events: json!(["logout"]),
            active: true,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    let r = send_test(&app, &admin, &webhook_id.to_string()).await;
    assert_eq!(r.body["success"], false, "{}", r.body);
    let error = r.body["error"].as_str().unwrap();
    assert!(error.contains("public addresses only"), "{error}");
    assert!(
        !error.contains("127.0.0.1"),
        "the answer maps internal names: {error}"
    );
    assert!(
        receiver.hits().is_empty(),
        "the internal receiver was reached"
    );
}

#[tokio::test]
async fn two_workers_deliver_each_row_once() {
    let receiver = Receiver::start().await;
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    created(&app, &admin, &receiver.url, &["login_succeeded"], SECRET).await;
    let mut workers = app.yauth.spawn_workers();
    workers.extend(app.yauth.spawn_workers());
    for _ in 0..12 {
        logged_in(&app, "admin@example.com").await;
    }
    receiver.wait_for(12).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for hit in receiver.hits() {
        *seen
            .entry(hit.header("x-webhook-id").to_owned())
            .or_default() += 1;
    }
    assert_eq!(seen.len(), 12);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    workers.iter().for_each(|w| w.abort());
}

#[tokio::test]
async fn an_inactive_webhook_queues_nothing_and_a_deleted_one_is_gone() {
    let receiver = Receiver::start().await;
    let app = hooks_app(fast(true)).await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let id = created(&app, &admin, &receiver.url, &["login_succeeded"], SECRET).await;
    let r = act(
        &app,
        &admin,
        "PUT",
        &format!("/webhooks/{id}"),
        json!({"active": false}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["active"], false);
    logged_in(&app, "admin@example.com").await;
    let r = detail(&app, &admin, &id).await;
    assert_eq!(r.body["deliveries"], json!([]));
    let r = act(
        &app,
        &admin,
        "PUT",
        &format!("/webhooks/{id}"),
        json!({"url": "gopher://x/"}),
    )
    .await;
    assert_eq!(r.error(), Some("invalid_url"));
    let r = act(
        &app,
        &admin,
        "DELETE",
        &format!("/webhooks/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = detail(&app, &admin, &id).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = act(
        &app,
        &admin,
        "DELETE",
        &format!("/webhooks/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn max_webhooks_counts_per_admin() {
    let app = hooks_app(WebhookConfig {
        max_webhooks: 2,
        ..fast(true)
    })
    .await;
    let first = admin_logged_in(&app, "first@example.com").await;
    let second = admin_logged_in(&app, "second@example.com").await;
    for _ in 0..2 {
        created(&app, &first, "http://127.0.0.1:9/", &["logout"], SECRET).await;
    }
    let r = act(
        &app,
        &first,
        "POST",
        "/webhooks",
        json!({"url": "http://127.0.0.1:9/", "events": ["logout"]}),
    )
    .await;
    assert_eq!(r.error(), Some("too_many_webhooks"));
    created(&app, &second, "http://127.0.0.1:9/", &["logout"], SECRET).await;
    let r = act(&app, &second, "GET", "/webhooks", Value::Null).await;
    assert_eq!(
        r.body.as_array().unwrap().len(),
        3,
        "every admin sees every webhook"
    );
}

/// An admin's API key reaches the webhooks only with the `admin` scope: a key made for a
/// script that reads cannot send every event of every user somewhere else.
#[tokio::test]
async fn an_admins_api_key_without_the_admin_scope_cannot_manage_webhooks() {
    let app = app_built(
        |_, core| core.secret_key = Some(SecretKey::from_bytes([6; 32])),
        |builder, _| {
            builder
                .with_admin()
                .with_api_key(ApiKeyConfig {
                    allowed_scopes: vec!["read".into(), "admin".into()],
                    ..ApiKeyConfig::default()
                })
                .with_webhooks(fast(true))
        },
    )
    .await;
    let admin = admin_logged_in(&app, "admin@example.com").await;
    let key = |scopes: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = act(
                app,
                &admin,
                "POST",
                "/api-keys",
                json!({"name": "script", "scopes": scopes}),
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["key"].as_str().unwrap().to_owned()
        }
    };
    let reader = key(json!(["read"])).await;
    let manager = key(json!(["admin"])).await;
    let body = json!({"url": "http://127.0.0.1:9/", "events": ["logout"], "secret": SECRET});
    for (key, expected) in [
        (&reader, StatusCode::FORBIDDEN),
        (&manager, StatusCode::CREATED),
    ] {
        let r = send(
            &app,
            "POST",
            "/webhooks",
            body.clone(),
            None,
            &[("x-api-key", key)],
            IP,
        )
        .await;
        assert_eq!(r.status, expected, "{}", r.body);
    }
}
