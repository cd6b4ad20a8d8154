//! Webhooks that survive a crash, with the demo as separate processes on PostgreSQL.
//!
//! The receiver is down while events happen; the demo is killed with SIGKILL; then the
//! receiver comes up and two demo processes (replicas) start on the same database. Every
//! event must arrive, signed, and no delivery twice: the outbox rows were written before
//! each request answered, and the replicas claim rows with a compare-and-set.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use hmac::{KeyInit as _, Mac as _};
use serde_json::{Value, json};

#[path = "support/process.rs"]
mod process;

use process::{DemoProcess, free_port};

const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR";
const SECRET: &str = "whsec_kill_nine_0123456789";
/// The demo's secret key (it seals the webhook secret): the same for every process.
const SECRET_KEY: &str = "4f1c2b3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708";

async fn start_demo(database_url: &str) -> DemoProcess {
    DemoProcess::start(
        &[
            "--database-url",
            database_url,
            "--no-hibp",
            "--insecure-cookies",
            "--plugins",
            "email-password,admin,webhooks",
            "--webhooks-allow-private",
            "--webhook-retry-delay",
            "1",
            "--webhook-max-retries",
            "20",
        ],
        &[("YAUTH_SECRET_KEY", SECRET_KEY)],
    )
    .await
}

/// What the receiver got: the body of each request by its `id` (what receivers deduplicate
/// on), how many times each id came, and how many requests were forged or inconsistent.
#[derive(Default)]
struct Received {
    bodies: HashMap<String, Value>,
    times: HashMap<String, usize>,
    bad_signatures: usize,
}

/// The receiver's check, written from the documented algorithm with the `hmac` crate (not
/// yauth's own verifier): HMAC-SHA256 of `"<timestamp>.<body>"`, hex, after `sha256=`.
fn valid_signature(headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let timestamp = header("x-webhook-timestamp");
    let Some(given) = header("x-webhook-signature")
        .strip_prefix("sha256=")
        .map(str::to_owned)
    else {
        return false;
    };
    let Ok(sent_at) = timestamp.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - sent_at).abs() > 300 {
        return false;
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == given
}

async fn start_receiver(port: u16) -> Arc<Mutex<Received>> {
    let received = Arc::new(Mutex::new(Received::default()));
    let shared = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let shared = shared.clone();
            async move {
                let mut got = shared.lock().unwrap();
                if !valid_signature(&headers, &body) {
                    got.bad_signatures += 1;
                }
                // Deduplicate on the signed body's id; the header must repeat it.
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let id = body["id"].as_str().unwrap_or_default().to_owned();
                let header = headers.get("x-webhook-id").and_then(|v| v.to_str().ok());
                if header != Some(id.as_str()) {
                    got.bad_signatures += 1;
                }
                *got.times.entry(id.clone()).or_default() += 1;
                got.bodies.insert(id, body);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    received
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let response = client.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_webhook_and_two_replicas_deliver_each_once() {
    // reqwest here brings no TLS provider of its own (the demo installs ring's).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A database of this test's own (the demo creates the tables).
    let database_url = yauth_conformance::setup::postgres_database("kill9").await;

    // The receiver's port, with nothing listening yet.
    let receiver_port = free_port();
    let demo = start_demo(&database_url).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();

    // An admin (the role given in the database), and a webhook to the receiver that is down.
    let admin = "admin@example.com";
    let (status, _) = post(
        &client,
        &format!("{}/register", demo.base),
        json!({"email": admin, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 201);
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    sqlx::query("UPDATE yauth_users SET role = 'admin' WHERE email = $1")
        .bind(admin)
        .execute(&pool)
        .await
        .unwrap();
    let (status, _) = post(
        &client,
        &format!("{}/login", demo.base),
        json!({"email": admin, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post(
        &client,
        &format!("{}/webhooks", demo.base),
        json!({
            "url": format!("http://127.0.0.1:{receiver_port}/hook"),
            "events": ["user_registered"],
            "secret": SECRET,
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // Events while the receiver is down: each answer comes after its row was written.
    let mut users = BTreeSet::new();
    for i in 0..6 {
        let (status, body) = post(
            &reqwest::Client::new(),
            &format!("{}/register", demo.base),
            json!({"email": format!("user{i}@example.com"), "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        users.insert(format!("user{i}@example.com"));
    }
    // Let a first attempt or two fail (connection refused), then kill without warning.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    demo.kill_9();

    let queued: Vec<(uuid::Uuid,)> = sqlx::query_as(
        "SELECT id FROM yauth_webhook_deliveries WHERE event_type = 'user_registered' AND NOT success",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(queued.len(), 6, "every event was queued and none delivered");

    // The receiver comes up; two replicas start on the same database.
    let received = start_receiver(receiver_port).await;
    let one = start_demo(&database_url).await;
    let two = start_demo(&database_url).await;
    let mut waited = 0;
    while received.lock().unwrap().times.len() < 6 {
        assert!(waited < 600, "not every delivery arrived in 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    // Time for a duplicate to show up, if one were coming.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop((one, two));

    {
        let got = received.lock().unwrap();
        let ids: BTreeSet<String> = got.times.keys().cloned().collect();
        let expected: BTreeSet<String> = queued.iter().map(|(id,)| id.to_string()).collect();
        assert_eq!(
            ids, expected,
            "every queued delivery arrived, under its own id"
        );
        assert!(
            got.times.values().all(|n| *n == 1),
            "a delivery arrived twice: {:?}",
            got.times
        );
        assert_eq!(got.bad_signatures, 0);
        assert!(
            got.bodies
                .values()
                .all(|b| b["event"] == "user_registered" && b["data"]["user_id"].is_string())
        );
    }
    let delivered: Vec<(bool,)> = sqlx::query_as(
        "SELECT success FROM yauth_webhook_deliveries WHERE event_type = 'user_registered'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        delivered.iter().all(|(ok,)| *ok),
        "every row is recorded as delivered"
    );
    pool.close().await;
}
