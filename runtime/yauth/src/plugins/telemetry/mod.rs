//! The telemetry plugin: OpenTelemetry through `tracing` and the OpenTelemetry metrics API.
//!
//! With it (`YAuthBuilder::with_telemetry()`), yauth opens
//! - a span per request, `yauth.request` (target `yauth::request`): `otel.name`
//!   (`METHOD route`), `otel.kind = "server"`, `http.request.method`, `http.route` (the route's
//!   template, never the URL: query strings carry tokens), `yauth.plugin` (the plugin whose
//!   route it is), `http.response.status_code` and `yauth.outcome` (`ok` or the error's
//!   machine code, `invalid_credentials`, …); a 5xx sets `otel.status_code = "ERROR"`;
//! - a span per repository operation, `yauth.repo` ([`yauth_entity::trace`]): the operation,
//!   the table's plugin, the backend and the outcome, a child of the request's span;
//! - counters on the meter `yauth`: `yauth.logins` (`outcome` = `succeeded` or `failed`,
//!   with the sign-in `method` or the failure's `reason`), `yauth.tokens.issued` (`kind` =
//!   `bearer`, `bearer_refresh` or `oauth2`, with the OAuth 2 `grant_type`) and
//!   `yauth.webhooks.deliveries` (`outcome` = `delivered` or `failed`).
//!
//! No attribute holds a token, password, secret, code or email address: spans record names,
//! templates and codes, never arguments or bodies. The application chooses the exporter: a
//! `tracing_opentelemetry` layer for the spans and a global meter provider, installed before
//! `build()` (the counters are created there). The demo's `--otlp-endpoint` shows both, over
//! OTLP/HTTP.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Meter};
use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ErrorCode;
use crate::contract::event::AuthEvent;
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;

/// The plugin's name.
pub const NAME: &str = "telemetry";

/// The plugin: `YAuthBuilder::with_telemetry()` (the global meter provider's meter `yauth`)
/// or `with_plugin(Box::new(Telemetry::with_meter(meter)))`.
#[derive(Default)]
pub struct Telemetry {
    meter: Option<Meter>,
    counters: Option<Counters>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Telemetry {
    /// Counts on the global meter provider's meter `yauth`, as it is when `build()` runs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts on this meter.
    pub fn with_meter(meter: Meter) -> Self {
        Telemetry {
            meter: Some(meter),
            counters: None,
        }
    }
}

struct Counters {
    logins: Counter<u64>,
    tokens: Counter<u64>,
    webhooks: Counter<u64>,
}

impl Counters {
    fn new(meter: &Meter) -> Self {
        Counters {
            logins: meter
                .u64_counter("yauth.logins")
                .with_description("Sign-ins, by outcome")
                .build(),
            tokens: meter
                .u64_counter("yauth.tokens.issued")
                .with_description("Access tokens issued, by kind")
                .build(),
            webhooks: meter
                .u64_counter("yauth.webhooks.deliveries")
                .with_description("Webhook deliveries finished, by outcome")
                .build(),
        }
    }

    fn count(&self, event: &AuthEvent) {
        match event {
            AuthEvent::LoginSucceeded { method, .. } => self.logins.add(
                1,
                &[
                    KeyValue::new("outcome", "succeeded"),
                    KeyValue::new("method", method.clone()),
                ],
            ),
            AuthEvent::LoginFailed { reason, .. } => self.logins.add(
                1,
                &[
                    KeyValue::new("outcome", "failed"),
                    KeyValue::new("reason", reason.clone()),
                ],
            ),
            AuthEvent::TokenIssued { .. } => {
                self.tokens.add(1, &[KeyValue::new("kind", "bearer")]);
            }
            AuthEvent::TokenRefreshed { .. } => {
                self.tokens
                    .add(1, &[KeyValue::new("kind", "bearer_refresh")]);
            }
            AuthEvent::OAuthTokenIssued { grant_type, .. } => self.tokens.add(
                1,
                &[
                    KeyValue::new("kind", "oauth2"),
                    KeyValue::new("grant_type", grant_type.clone()),
                ],
            ),
            AuthEvent::WebhookDelivered { .. } => {
                self.webhooks
                    .add(1, &[KeyValue::new("outcome", "delivered")]);
            }
            AuthEvent::WebhookDeliveryFailed { .. } => {
                self.webhooks.add(1, &[KeyValue::new("outcome", "failed")]);
            }
            _ => {}
        }
    }
}

impl YAuthPlugin for Telemetry {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, _config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        let meter = self
            .meter
            .take()
            .unwrap_or_else(|| opentelemetry::global::meter("yauth"));
        self.counters = Some(Counters::new(&meter));
        Box::pin(async { Ok(()) })
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, _state: &'a YAuthState) -> BoxFuture<'a, ()> {
        if let Some(counters) = &self.counters {
            counters.count(event);
        }
        Box::pin(async {})
    }
}

/// Wraps every route of `routes` (one plugin's) in the request span.
pub(crate) fn trace_routes(
    plugin: &'static str,
    routes: OpenApiRouter<YAuthState>,
) -> OpenApiRouter<YAuthState> {
    // A route layer: only requests that matched one of the plugin's routes get a span.
    routes.route_layer(axum::middleware::from_fn(
        move |request: Request, next: Next| request_span(plugin, request, next),
    ))
}

async fn request_span(plugin: &'static str, request: Request, next: Next) -> Response {
    // A client may send any token as a method: the span names only the standard ones.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "CONNECT" | "OPTIONS" | "TRACE"
        | "PATCH") => m,
        _ => "_OTHER",
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let name = format!("{method} {route}");
    let span = tracing::info_span!(
        target: "yauth::request",
        "yauth.request",
        otel.name = %name,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
        yauth.plugin = plugin,
        yauth.outcome = tracing::field::Empty,
    );
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    let outcome = response
        .extensions()
        .get::<ErrorCode>()
        .map_or(if status.is_success() { "ok" } else { "error" }, |c| c.0);
    span.record("yauth.outcome", outcome);
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
}
