//! The outbox: delivery rows written with the event, and the worker that sends them.
//!
//! A row is due while `next_attempt_at <= now`. A worker claims it by raising `attempt` from
//! the value it read (compare and set) and moving `next_attempt_at` to the end of a lease
//! (`timeout` plus [`LEASE_MARGIN`]); only one worker wins. It then sends the request and
//! records the outcome, guarded by the same `attempt`: a worker whose lease ran out and whose
//! row another worker took over records nothing. A killed worker's row becomes due again
//! when its lease ends.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{Service, TEST_EVENT, flows, guard};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, RequestMeta};
use crate::contract::state::YAuthState;
use crate::entity::{Webhook, WebhookDelivery};
use crate::kit::token::expires_after;

/// The most retries `max_retries` may ask for.
pub(super) const MAX_RETRIES: u32 = 20;

/// Added to `timeout` for a claimed row's lease: the resolution of the host (at most 5 s)
/// and the recording of the outcome.
const LEASE_MARGIN: Duration = Duration::from_secs(15);

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// Rows claimed per round, and attempts running at once in one worker.
const BATCH: u64 = 16;
const PARALLEL: usize = 8;

/// The part of a receiver's answer that is kept.
const KEPT_ANSWER: usize = 1024;

/// Whether an event may be delivered: not the plugin's own (which would loop).
pub(super) fn deliverable(name: &str) -> bool {
    !matches!(
        name,
        "webhook_delivered" | "webhook_delivery_failed" | TEST_EVENT
    )
}

/// The webhook's subscribed event names.
pub(super) fn events_of(webhook: &Webhook) -> Vec<String> {
    serde_json::from_value(webhook.events.clone()).unwrap_or_default()
}

/// The body sent: `{ id, webhook_id, event, created_at, data }`. It is what the signature
/// covers, so receivers deduplicate on its `id` (the header `X-Webhook-Id` repeats it).
pub(super) fn payload(
    id: Uuid,
    webhook_id: Uuid,
    event: &str,
    created_at: DateTime<Utc>,
    data: serde_json::Value,
) -> serde_json::Value {
    json!({
        "id": id,
        "webhook_id": webhook_id,
        "event": event,
        "created_at": created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
}

/// A new row for `webhook`: queued (due at once, attempt 0), or a test delivery that its
/// request sends itself (attempt 1, never due, so no worker ever takes it).
pub(super) fn new_row(
    webhook_id: Uuid,
    event: &str,
    data: serde_json::Value,
    queued: bool,
) -> WebhookDelivery {
    let id = Uuid::now_v7();
    let now = Utc::now();
    WebhookDelivery {
        id,
        webhook_id,
        event_type: event.to_owned(),
        payload: payload(id, webhook_id, event, now, data),
        status_code: None,
        response_body: None,
        error: None,
        success: false,
        attempt: if queued { 0 } else { 1 },
        next_attempt_at: queued.then_some(now),
        attempted_at: None,
        created_at: now,
    }
}

/// The event's data: the user it is about, and its audit details (never a secret).
fn data_of(event: &AuthEvent) -> serde_json::Value {
    let mut data = event.metadata();
    if let (Some(user_id), Some(map)) = (event.user_id(), data.as_object_mut()) {
        map.insert("user_id".into(), json!(user_id));
    }
    data
}

/// Writes a row for every active webhook that wants `event`, before the request answers.
pub(super) async fn enqueue(state: &YAuthState, service: &Service, event: &AuthEvent) {
    let name = event.name();
    if !deliverable(name) {
        return;
    }
    let webhooks = match state.repos().webhooks.list_active_webhooks().await {
        Ok(webhooks) => webhooks,
        Err(e) => {
            tracing::error!(error = %e, event = name, "could not read the webhooks; the event is not delivered");
            return;
        }
    };
    let mut queued = false;
    for webhook in webhooks {
        if !events_of(&webhook).iter().any(|e| e == name) {
            continue;
        }
        let row = new_row(webhook.id, name, data_of(event), true);
        match state
            .repos()
            .webhook_deliveries
            .insert_webhook_delivery(&row)
            .await
        {
            Ok(()) => queued = true,
            Err(e) => tracing::error!(
                error = %e,
                event = name,
                webhook_id = %webhook.id,
                "could not queue a webhook delivery"
            ),
        }
    }
    if queued {
        service.queued();
    }
}

/// Unsets the worker flag when the worker's task ends (aborted or dropped).
struct Running<'a>(&'a Service);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.note_worker(false);
    }
}

/// The worker: claims due rows and sends them, woken by local events or every
/// `poll_interval` (rows queued by other replicas, retries coming due).
pub(super) async fn work(state: YAuthState, service: Arc<Service>) {
    service.note_worker(true);
    let _running = Running(&service);
    let slots = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    loop {
        let claimed = round(&state, &service, &slots).await;
        if claimed < BATCH {
            tokio::select! {
                () = service.wake.notified() => {}
                () = tokio::time::sleep(service.config.poll_interval) => {}
            }
        }
    }
}

/// One round: the due rows, each claimed and sent in its own task. Answers how many rows
/// were looked at.
async fn round(
    state: &YAuthState,
    service: &Arc<Service>,
    slots: &Arc<tokio::sync::Semaphore>,
) -> u64 {
    let now = Utc::now();
    let due = match state
        .repos()
        .webhook_deliveries
        .list_due_webhook_deliveries(now, BATCH, 0)
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "could not read the due webhook deliveries");
            return 0;
        }
    };
    let seen = due.len() as u64;
    for mut row in due {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        if !claim(state, service, &mut row).await {
            continue;
        }
        let (state, service) = (state.clone(), service.clone());
        tokio::spawn(async move {
            attempt(&state, &service, row, true).await;
            drop(permit);
        });
    }
    seen
}

/// Claims `row` for one attempt (raising its `attempt`); false when another worker won.
async fn claim(state: &YAuthState, service: &Service, row: &mut WebhookDelivery) -> bool {
    let now = Utc::now();
    let lease = expires_after(now, service.config.timeout + LEASE_MARGIN);
    let next = row.attempt.saturating_add(1);
    match state
        .repos()
        .webhook_deliveries
        .claim_webhook_delivery(next, Some(lease), row.id, row.attempt, now)
        .await
    {
        Ok(true) => {
            row.attempt = next;
            true
        }
        Ok(false) => false,
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %row.id, "could not claim a webhook delivery");
            false
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub(super) struct Outcome {
    /// The delivery (its `X-Webhook-Id`).
    pub delivery_id: Uuid,
    /// Whether the receiver answered 2xx.
    pub success: bool,
    /// The receiver's status, when it answered.
    pub status_code: Option<i32>,
    /// Why the attempt failed.
    pub error: Option<String>,
    /// The attempt's number (1 for the first).
    pub attempt: i32,
    /// When the next retry is due; absent once delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Sends a claimed row and records the outcome; with `retry` (a queued delivery), a failure
/// is retried later (until `max_retries`), otherwise it is final (a test delivery, sent even
/// to an inactive webhook, and not audited).
pub(super) async fn attempt(
    state: &YAuthState,
    service: &Service,
    row: WebhookDelivery,
    retry: bool,
) -> Outcome {
    let webhook = match state.repos().webhooks.get_webhook(row.webhook_id).await {
        Ok(webhook) => webhook,
        Err(e) => {
            // Nothing recorded: the lease ends and the row is tried again.
            tracing::error!(error = %e, delivery_id = %row.id, "could not read the webhook");
            return outcome_unrecorded(&row, "the webhook could not be read");
        }
    };
    let sent = match &webhook {
        None => Err("the webhook was deleted".to_owned()),
        Some(webhook) if !webhook.active && retry => Err("the webhook is inactive".to_owned()),
        Some(webhook) => send(state, service, webhook, &row).await,
    };
    let (success, status_code, answer, error) = match sent {
        Ok((status, answer)) if (200..300).contains(&status) => {
            (true, Some(status), Some(answer), None)
        }
        Ok((status, answer)) => (
            false,
            Some(status),
            Some(answer),
            Some(format!("the receiver answered {status}")),
        ),
        Err(error) => (false, None, None, Some(error)),
    };
    let retries_left = retry
        && webhook.as_ref().is_some_and(|w| w.active)
        && u32::try_from(row.attempt).unwrap_or(u32::MAX) <= service.config.max_retries;
    let now = Utc::now();
    let next_attempt_at =
        (!success && retries_left).then(|| expires_after(now, backoff(service, row.attempt)));
    let recorded = state
        .repos()
        .webhook_deliveries
        .record_webhook_attempt(
            status_code,
            answer.as_deref(),
            error.as_deref(),
            success,
            next_attempt_at,
            Some(now),
            row.attempt,
            row.id,
            row.attempt,
        )
        .await;
    let outcome = Outcome {
        delivery_id: row.id,
        success,
        status_code,
        error,
        attempt: row.attempt,
        next_attempt_at,
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(delivery_id = %row.id, "a webhook attempt outlived its lease; another worker took the delivery over");
            return outcome;
        }
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %row.id, "could not record a webhook attempt");
            return outcome;
        }
    }
    if retry && webhook.is_some() {
        let event = if success {
            Some(AuthEvent::WebhookDelivered {
                webhook_id: row.webhook_id,
                delivery_id: row.id,
            })
        } else if next_attempt_at.is_none() {
            Some(AuthEvent::WebhookDeliveryFailed {
                webhook_id: row.webhook_id,
                delivery_id: row.id,
            })
        } else {
            None
        };
        if let Some(event) = event {
            state.emit(event, &RequestMeta::default()).await;
        }
    }
    outcome
}

fn outcome_unrecorded(row: &WebhookDelivery, error: &str) -> Outcome {
    Outcome {
        delivery_id: row.id,
        success: false,
        status_code: None,
        error: Some(error.to_owned()),
        attempt: row.attempt,
        next_attempt_at: None,
    }
}

/// The wait after failed attempt `attempt` (1-based): `retry_delay`, doubling, capped.
fn backoff(service: &Service, attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    service
        .config
        .retry_delay
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

/// POSTs the row to the webhook's URL, connecting only to the address the guard checked.
/// Answers the status and the start of the answer, or why nothing was answered.
async fn send(
    state: &YAuthState,
    service: &Service,
    webhook: &Webhook,
    row: &WebhookDelivery,
) -> Result<(i32, String), String> {
    let url = guard::parse(&webhook.url).map_err(|e| e.0)?;
    let address = guard::target(&url, service.config.allow_private_targets)
        .await
        .map_err(|e| e.0)?;
    let secret = flows::open_secret(state, webhook)
        .map_err(|_| "the signing secret could not be opened".to_owned())?;
    let body = serde_json::to_vec(&row.payload).map_err(|e| e.to_string())?;
    let timestamp = Utc::now().timestamp();
    let signature = super::sign(&secret, timestamp, &body);
    let mut builder = crate::kit::http::builder(service.config.timeout)?.no_proxy();
    if let Some(url::Host::Domain(name)) = url.host() {
        builder = builder.resolve(name, address);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let request = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-webhook-id", row.id.to_string())
        .header("x-webhook-event", &row.event_type)
        .header("x-webhook-timestamp", timestamp.to_string())
        .header("x-webhook-signature", signature)
        .body(body);
    let mut response = request.send().await.map_err(describe)?;
    let status = i32::from(response.status().as_u16());
    let mut kept = Vec::new();
    while kept.len() < KEPT_ANSWER {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    kept.truncate(KEPT_ANSWER);
    Ok((status, String::from_utf8_lossy(&kept).into_owned()))
}

/// A transport error with its causes (`connection refused`, `timed out`), without the URL.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = if error.is_timeout() {
        "the receiver did not answer in time".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Deletes delivery rows older than `delivery_retention`; answers how many went.
pub(super) async fn prune(state: &YAuthState, service: &Service) -> Result<u64, ApiError> {
    let before = chrono::Duration::from_std(service.config.delivery_retention)
        .ok()
        .and_then(|retention| Utc::now().checked_sub_signed(retention))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut removed = 0;
    for webhook in state.repos().webhooks.list_webhooks().await? {
        removed += state
            .repos()
            .webhook_deliveries
            .delete_webhook_deliveries_before(webhook.id, before)
            .await?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_a_day() {
        let service = Service::for_tests(crate::plugins::webhooks::WebhookConfig::default());
        let waits: Vec<u64> = (1..=4).map(|n| backoff(&service, n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240]);
        assert_eq!(backoff(&service, 30), MAX_BACKOFF);
        assert_eq!(backoff(&service, i32::MAX), MAX_BACKOFF);
    }
}
