//! OpenTelemetry over OTLP/HTTP, read by a receiver of this test's own.
//!
//! The demo runs as a separate process with `--otlp-endpoint` pointing at a receiver here,
//! which decodes what the OpenTelemetry SDK's exporter sent with the OpenTelemetry project's
//! own protobuf types. It must find a span per request and per repository operation (the
//! repository's a child of the request's, naming the backend), the counters of sign-ins,
//! tokens and webhook deliveries, and no password, email, token, cookie or secret anywhere.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{Value, json};

#[path = "support/process.rs"]
mod process;

use process::{DemoProcess, free_port};

const EMAIL: &str = "otel-user@example.com";
const PASSWORD: &str = "Xk9#mP2$vL5nQ8wR-otel";
const WEBHOOK_SECRET: &str = "whsec_otel_never_exported_42";
const SECRET_KEY: &str = "7a1c2b3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7aa";

/// Everything the collector received.
#[derive(Default)]
struct Collected {
    traces: Vec<ExportTraceServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
    webhooks: usize,
}

impl Collected {
    fn spans(&self) -> Vec<Span> {
        self.traces
            .iter()
            .flat_map(|r| &r.resource_spans)
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| s.spans.clone())
            .collect()
    }

    /// The latest value of a cumulative counter for the data points whose attributes
    /// include `attr` = `value` (0 when none arrived).
    fn counter(&self, name: &str, attr: &str, value: &str) -> i64 {
        let mut latest = 0;
        for request in &self.metrics {
            for metric in request
                .resource_metrics
                .iter()
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics)
                .filter(|m| m.name == name)
            {
                let Some(metric::Data::Sum(sum)) = &metric.data else {
                    continue;
                };
                let total: i64 = sum
                    .data_points
                    .iter()
                    .filter(|p| string_attr(&p.attributes, attr).as_deref() == Some(value))
                    .map(|p| match p.value {
                        Some(number_data_point::Value::AsInt(n)) => n,
                        Some(number_data_point::Value::AsDouble(d)) => d as i64,
                        None => 0,
                    })
                    .sum();
                latest = latest.max(total);
            }
        }
        latest
    }

    /// Every string the collector received, attribute keys and values included.
    fn dump(&self) -> String {
        format!("{:?}\n{:?}", self.traces, self.metrics)
    }
}

fn string_attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| match &v.value {
            Some(any_value::Value::StringValue(s)) => Some(s.clone()),
            Some(any_value::Value::IntValue(i)) => Some(i.to_string()),
            _ => None,
        })
}

/// An OTLP/HTTP collector (`/v1/traces`, `/v1/metrics`, protobuf) and a webhook receiver.
async fn start_collector() -> (u16, Arc<Mutex<Collected>>) {
    let collected = Arc::new(Mutex::new(Collected::default()));
    let (traces, metrics, hooks) = (collected.clone(), collected.clone(), collected.clone());
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(move |body: axum::body::Bytes| {
                let traces = traces.clone();
                async move {
                    let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                    traces.lock().unwrap().traces.push(request);
                    axum::http::StatusCode::OK
                }
            }),
        )
        .route(
            "/v1/metrics",
            axum::routing::post(move |body: axum::body::Bytes| {
                let metrics = metrics.clone();
                async move {
                    let request = ExportMetricsServiceRequest::decode(body).expect("OTLP protobuf");
                    metrics.lock().unwrap().metrics.push(request);
                    axum::http::StatusCode::OK
                }
            }),
        )
        .route(
            "/hook",
            axum::routing::post(move || {
                let hooks = hooks.clone();
                async move {
                    hooks.lock().unwrap().webhooks += 1;
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, collected)
}

async fn start_demo(database_url: &str, otlp: &str) -> DemoProcess {
    DemoProcess::start(
        &[
            "--database-url",
            database_url,
            "--no-hibp",
            "--insecure-cookies",
            "--plugins",
            "email-password,bearer,admin,webhooks,telemetry",
            "--webhooks-allow-private",
            "--webhook-max-retries",
            "0",
            "--otlp-endpoint",
            otlp,
        ],
        &[
            ("YAUTH_SECRET_KEY", SECRET_KEY),
            // Export often, so the test does not wait for the defaults (5 s and 60 s).
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "300"),
        ],
    )
    .await
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> (u16, Value, Vec<String>) {
    let response = client.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .filter_map(|c| c.split_once('=').map(|(_, v)| v.to_owned()))
        .filter(|v| !v.is_empty())
        .collect();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        cookies,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_receiver_gets_request_and_repository_spans_and_counters_without_secrets() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (collector_port, collected) = start_collector().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("telemetry.db");
    let database_url = format!("sqlite://{}", db.display());
    // The base URL, with a trailing slash: the exporters' paths are appended to it.
    let demo = start_demo(
        &database_url,
        &format!("http://127.0.0.1:{collector_port}/"),
    )
    .await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let mut secrets = vec![
        EMAIL.to_owned(),
        PASSWORD.to_owned(),
        WEBHOOK_SECRET.to_owned(),
    ];

    let (status, body, _) = post(
        &client,
        &format!("{}/register", demo.base),
        json!({"email": EMAIL, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let pool = sqlx::SqlitePool::connect(&database_url).await.unwrap();
    sqlx::query("UPDATE yauth_users SET role = 'admin' WHERE email = ?")
        .bind(EMAIL)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let (status, _, _) = post(
        &client,
        &format!("{}/login", demo.base),
        json!({"email": EMAIL, "password": "not-the-password-1"}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, cookies) = post(
        &client,
        &format!("{}/login", demo.base),
        json!({"email": EMAIL, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!cookies.is_empty(), "the login set a session cookie");
    secrets.extend(cookies);

    // One webhook that answers, one whose receiver is down (no retries: it fails at once).
    for target in [
        format!("http://127.0.0.1:{collector_port}/hook"),
        format!("http://127.0.0.1:{}/hook", free_port()),
    ] {
        let (status, body, _) = post(
            &client,
            &format!("{}/webhooks", demo.base),
            json!({"url": target, "events": ["token_issued"], "secret": WEBHOOK_SECRET}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, tokens, _) = post(
        &reqwest::Client::new(),
        &format!("{}/token", demo.base),
        json!({"email": EMAIL, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    for key in ["access_token", "refresh_token"] {
        secrets.push(tokens[key].as_str().expect(key).to_owned());
    }
    let session = client
        .get(format!("{}/session", demo.base))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);

    // Wait for every counter and the spans of the requests above.
    let wanted = |c: &Collected| {
        c.counter("yauth.logins", "outcome", "succeeded") >= 1
            && c.counter("yauth.logins", "outcome", "failed") >= 1
            && c.counter("yauth.tokens.issued", "kind", "bearer") >= 1
            && c.counter("yauth.webhooks.deliveries", "outcome", "delivered") >= 1
            && c.counter("yauth.webhooks.deliveries", "outcome", "failed") >= 1
            && c.spans().iter().any(|s| s.name.ends_with("/session"))
    };
    let mut waited = 0;
    while !wanted(&collected.lock().unwrap()) {
        assert!(
            waited < 300,
            "the collector did not get every counter and span in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }

    // SIGTERM: the demo sends what it still holds and exits cleanly.
    let pid = demo.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut demo = demo;
    let exit = demo.child.wait().unwrap();
    assert!(exit.success(), "the demo exits cleanly on SIGTERM: {exit}");

    let got = collected.lock().unwrap();
    let spans = got.spans();
    let attr = |s: &Span, key: &str| string_attr(&s.attributes, key);

    // The request spans: method and route template, plugin, status and outcome.
    let logins: Vec<&Span> = spans
        .iter()
        .filter(|s| attr(s, "http.route").is_some_and(|r| r.ends_with("/login")))
        .collect();
    let failed = logins
        .iter()
        .find(|s| attr(s, "http.response.status_code").as_deref() == Some("401"))
        .expect("the failed login's span");
    assert_eq!(
        attr(failed, "yauth.outcome").as_deref(),
        Some("invalid_credentials")
    );
    assert_eq!(
        attr(failed, "yauth.plugin").as_deref(),
        Some("email-password")
    );
    assert_eq!(attr(failed, "http.request.method").as_deref(), Some("POST"));
    let ok = logins
        .iter()
        .find(|s| attr(s, "yauth.outcome").as_deref() == Some("ok"))
        .expect("the successful login's span");
    assert_eq!(ok.name, format!("POST {}", attr(ok, "http.route").unwrap()));
    assert_eq!(ok.kind, 2, "a server span");

    // The repository spans: operation, backend, plugin and outcome, inside the request.
    let children: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == ok.trace_id && s.parent_span_id == ok.span_id)
        .collect();
    assert!(
        !children.is_empty(),
        "the login's repository operations are its children"
    );
    for child in &children {
        assert_eq!(attr(child, "yauth.backend").as_deref(), Some("sqlx-sqlite"));
        assert_eq!(attr(child, "yauth.outcome").as_deref(), Some("ok"));
        assert!(attr(child, "db.operation.name").is_some());
        assert!(attr(child, "yauth.plugin").is_some());
    }
    assert!(
        children
            .iter()
            .any(|c| c.name.starts_with("users.")
                && attr(c, "yauth.plugin").as_deref() == Some("core")),
        "the user lookup is among them: {:?}",
        children.iter().map(|c| &c.name).collect::<Vec<_>>()
    );
    assert!(
        spans.iter().any(|s| s.name == "POST /api/auth/webhooks"
            && attr(s, "yauth.plugin").as_deref() == Some("webhooks")),
        "the webhook routes are traced under their plugin"
    );
    assert_eq!(got.webhooks, 1, "one webhook delivered, the other failed");

    // Nothing secret or personal anywhere in what was exported.
    let dump = got.dump();
    for secret in &secrets {
        assert!(
            !dump.contains(secret.as_str()),
            "`{secret}` was exported to the collector"
        );
    }
    assert!(
        !dump.contains("example.com"),
        "an email domain was exported"
    );
}
