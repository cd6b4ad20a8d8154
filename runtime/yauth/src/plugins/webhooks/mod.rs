//! The webhooks plugin: signed HTTP callbacks to other systems when auth events happen.
//!
//! - Admins manage webhooks at `/webhooks` (role `admin`; any admin sees and changes all of
//!   them, `max_webhooks` counts per creating admin). A webhook names the events it wants
//!   ([`AuthEvent::NAMES`]) and has a signing secret, stored sealed under
//!   `YAuthConfig::secret_key`; a generated one is shown once.
//! - **Delivery is a durable outbox.** When an event matches a webhook, a row of
//!   `webhook_deliveries` is written before the request that caused it answers. Workers
//!   ([`crate::builder::YAuth::spawn_workers`], one per replica) claim due rows with a
//!   compare-and-set on `attempt`, which also leases the row for `timeout` plus a margin, POST
//!   it, and record the outcome. A failure is retried after `retry_delay`, doubling each time,
//!   up to `max_retries` retries. A process killed mid-delivery loses nothing: the lease ends
//!   and another worker (or the same one after a restart) sends the row again. The guarantee
//!   is at-least-once; receivers deduplicate by `X-Webhook-Id`.
//! - **The request**: `POST` of `{ id, event, created_at, data }` with `X-Webhook-Id` (the
//!   delivery's id, the same on every retry), `X-Webhook-Event`, `X-Webhook-Timestamp` (unix
//!   seconds of this attempt) and `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of
//!   "<timestamp>.<body>">` with the secret; see [`verify_signature`].
//! - **SSRF guard** ([`guard`]): http and https only; the host's addresses are checked at
//!   creation and at every delivery, and the delivery connects to the address checked.
//!   Redirects are not followed, and no proxy is used. `allow_private_targets` lifts the
//!   address rule for local development.
//! - [`AuthEvent::WebhookDelivered`] and [`AuthEvent::WebhookDeliveryFailed`] are emitted
//!   (audited) and are never themselves delivered.
//!
//! - `routes`: the HTTP surface; `flows`: the admin operations; `delivery`: the outbox and
//!   the worker; `guard`: the URL and address rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use hmac::{KeyInit as _, Mac as _};
use utoipa_axum::router::OpenApiRouter;

use crate::config::YAuthConfig;
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::plugin::{BoxFuture, PluginError, YAuthPlugin};
use crate::contract::state::YAuthState;

mod delivery;
mod flows;
pub mod guard;
mod routes;

/// The plugin's name.
pub const NAME: &str = "webhooks";

/// The event name of `POST /webhooks/{id}/test`: sent on demand only, never subscribed to.
pub const TEST_EVENT: &str = "webhook_test";

/// `WebhookConfig`: the plugin's settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Retries after a failed first attempt. Default 3.
    pub max_retries: u32,
    /// The wait before the first retry; each further retry waits twice as long. Default 30 s.
    pub retry_delay: Duration,
    /// The time one attempt may take (connecting, sending, reading the status). Default 10 s.
    pub timeout: Duration,
    /// How many webhooks one admin may create. Default 10.
    pub max_webhooks: u64,
    /// Let webhooks target loopback, private and other non-public addresses (local
    /// development and tests only: it turns webhooks into a way to reach internal services).
    /// Default off.
    pub allow_private_targets: bool,
    /// How long delivery rows are kept (pruned by the maintenance round). Default 30 days.
    pub delivery_retention: Duration,
    /// How often a worker looks for due deliveries when nothing woke it. Default 1 s.
    pub poll_interval: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            max_retries: 3,
            retry_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            max_webhooks: 10,
            allow_private_targets: false,
            delivery_retention: Duration::from_secs(30 * 24 * 3600),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// The plugin: `YAuthBuilder::with_webhooks(config)`.
#[derive(Debug)]
pub struct Webhooks {
    service: Arc<Service>,
}

/// What the routes, the event handler and the worker share.
#[derive(Debug)]
pub(crate) struct Service {
    config: WebhookConfig,
    /// Wakes this process's worker when a delivery was queued here.
    wake: tokio::sync::Notify,
    /// How many workers run in this process (a warning when none, once).
    workers: AtomicUsize,
    warned_no_worker: AtomicBool,
}

impl Webhooks {
    /// The plugin with `config` (checked by `init`).
    pub fn new(config: WebhookConfig) -> Self {
        Webhooks {
            service: Arc::new(Service {
                config,
                wake: tokio::sync::Notify::new(),
                workers: AtomicUsize::new(0),
                warned_no_worker: AtomicBool::new(false),
            }),
        }
    }
}

impl YAuthPlugin for Webhooks {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init<'a>(&'a mut self, config: &'a YAuthConfig) -> BoxFuture<'a, Result<(), PluginError>> {
        Box::pin(async move {
            if config.secret_key.is_none() {
                return Err(PluginError(
                    "webhook secrets are stored sealed: set YAuthConfig::secret_key".into(),
                ));
            }
            let c = &self.service.config;
            if c.timeout.is_zero() || c.poll_interval.is_zero() {
                return Err(PluginError(
                    "timeout and poll_interval must be longer than zero".into(),
                ));
            }
            if c.max_retries > delivery::MAX_RETRIES {
                return Err(PluginError(format!(
                    "max_retries is at most {}",
                    delivery::MAX_RETRIES
                )));
            }
            Ok(())
        })
    }

    fn protected_routes(&self, state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected(state, self.service.clone()))
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(delivery::enqueue(state, &self.service, event))
    }

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(delivery::prune(state, &self.service))
    }

    fn reseal<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(flows::reseal(state))
    }

    fn worker(&self, state: &YAuthState) -> Option<BoxFuture<'static, ()>> {
        Some(Box::pin(delivery::work(
            state.clone(),
            self.service.clone(),
        )))
    }
}

impl Service {
    #[cfg(test)]
    fn for_tests(config: WebhookConfig) -> Self {
        Arc::into_inner(Webhooks::new(config).service).expect("not shared yet")
    }

    fn note_worker(&self, started: bool) {
        if started {
            self.workers.fetch_add(1, Ordering::Relaxed);
        } else {
            self.workers.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// After queueing: wake the local worker, or say (once) that none runs here.
    fn queued(&self) {
        if self.workers.load(Ordering::Relaxed) > 0 {
            self.wake.notify_one();
        } else if !self.warned_no_worker.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "webhook deliveries are queued but no worker runs in this process: call YAuth::spawn_workers (another replica's worker delivers them otherwise)"
            );
        }
    }
}

/// The signature header's value for `body` sent at `timestamp` (unix seconds):
/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("sha256={}", crate::kit::token::hex(&digest))
}

/// A receiver's check of a delivery, for Rust receivers (the algorithm is in
/// `docs/webhooks.md` for others): the signature must be `secret`'s over
/// `"<timestamp>.<body>"` (compared in constant time), and the timestamp within `tolerance`
/// of `now` (unix seconds), so that a captured request cannot be replayed later. Replays
/// inside the window are caught by remembering `X-Webhook-Id`s.
pub fn verify_signature(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> bool {
    let Ok(timestamp) = timestamp_header.trim().parse::<i64>() else {
        return false;
    };
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() {
        return false;
    }
    let Some(hex) = signature_header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(given) = decode_hex(hex) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&given).is_ok()
}

/// HMAC-SHA256 keyed with `secret` over `"<timestamp>.<body>"`, not yet finalized.
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> hmac::Hmac<sha2::Sha256> {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_and_fresh_timestamp() {
        let body = br#"{"event":"user_registered"}"#;
        let header = sign(b"whsec-test-secret", 1_700_000_000, body);
        let tolerance = Duration::from_secs(300);
        let check = |secret: &[u8], ts: &str, sig: &str, body: &[u8], now: i64| {
            verify_signature(secret, ts, sig, body, now, tolerance)
        };
        assert!(check(
            b"whsec-test-secret",
            "1700000000",
            &header,
            body,
            1_700_000_100
        ));
        // Another secret, another body, a shifted timestamp: forged.
        assert!(!check(
            b"another-secret",
            "1700000000",
            &header,
            body,
            1_700_000_100
        ));
        assert!(!check(
            b"whsec-test-secret",
            "1700000000",
            &header,
            b"{}",
            1_700_000_100
        ));
        assert!(!check(
            b"whsec-test-secret",
            "1700000001",
            &header,
            body,
            1_700_000_100
        ));
        // The same request replayed an hour later.
        assert!(!check(
            b"whsec-test-secret",
            "1700000000",
            &header,
            body,
            1_700_003_600
        ));
        // Malformed headers.
        assert!(!check(
            b"whsec-test-secret",
            "soon",
            &header,
            body,
            1_700_000_100
        ));
        assert!(!check(
            b"whsec-test-secret",
            "1700000000",
            &header[7..],
            body,
            1_700_000_100
        ));
        assert!(!check(
            b"whsec-test-secret",
            "1700000000",
            "sha256=zz",
            body,
            1_700_000_100
        ));
    }

    /// The value Python's `hmac.new(secret, b"<ts>.<body>", hashlib.sha256).hexdigest()`
    /// computes (the receiver's check in docs/webhooks.md): plain HMAC-SHA256, no framing of
    /// our own.
    #[test]
    fn the_signature_matches_an_independent_hmac_sha256() {
        assert_eq!(
            sign(
                b"whsec-test-secret",
                1_700_000_000,
                br#"{"event":"user_registered"}"#
            ),
            "sha256=1b49fc9f004aab0fdd32f2353778504ad0e95ebd39beeeab775ef884a2663c81"
        );
    }
}
