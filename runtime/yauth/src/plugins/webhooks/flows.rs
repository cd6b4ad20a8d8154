//! The admin operations on webhooks; no HTTP types beyond the error.

use std::collections::BTreeSet;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::delivery::{self, Outcome};
use super::{Service, TEST_EVENT, guard};
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::{Webhook, WebhookDelivery};

/// What a webhook's secret is sealed for (with the webhook's id as the context).
const SECRET_PURPOSE: &str = "webhook-secret";

/// A secret chosen by the admin: 16 to 256 printable ASCII characters.
const MIN_SECRET: usize = 16;
const MAX_SECRET: usize = 256;

/// The most event names one webhook may list.
const MAX_EVENTS: usize = 64;

/// How many deliveries `GET /webhooks/{id}` shows.
const RECENT: u64 = 20;

/// A webhook as shown (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct WebhookInfo {
    id: Uuid,
    url: String,
    /// The event names it receives.
    #[schema(value_type = Vec<super::routes::EventName>)]
    events: Vec<String>,
    /// Whether deliveries are made (an inactive webhook queues nothing).
    active: bool,
    /// The admin who created it; absent once that account was deleted.
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A webhook just created: `secret` is present (once) when the server generated it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CreatedWebhook {
    #[serde(flatten)]
    webhook: WebhookInfo,
    /// The generated signing secret, shown only in this answer; absent when the request
    /// chose one.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// One delivery as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct DeliveryInfo {
    /// The delivery's id: its `X-Webhook-Id`.
    id: Uuid,
    event: String,
    /// Attempts made so far.
    attempt: i32,
    success: bool,
    /// The receiver's status on the last attempt.
    status_code: Option<i32>,
    /// Why the last attempt failed.
    error: Option<String>,
    /// The start (1 KiB) of the receiver's last answer.
    response_body: Option<String>,
    /// When the next attempt is due; absent once delivered or given up.
    next_attempt_at: Option<DateTime<Utc>>,
    /// When the last attempt ended.
    attempted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// A webhook and its recent deliveries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct WebhookDetail {
    #[serde(flatten)]
    webhook: WebhookInfo,
    /// The most recent deliveries (up to 20), newest first.
    deliveries: Vec<DeliveryInfo>,
}

fn info(row: &Webhook) -> WebhookInfo {
    WebhookInfo {
        id: row.id,
        url: row.url.clone(),
        events: delivery::events_of(row),
        active: row.active,
        created_by: row.user_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

fn delivery_info(row: WebhookDelivery) -> DeliveryInfo {
    DeliveryInfo {
        id: row.id,
        event: row.event_type,
        attempt: row.attempt,
        success: row.success,
        status_code: row.status_code,
        error: row.error,
        response_body: row.response_body,
        next_attempt_at: row.next_attempt_at,
        attempted_at: row.attempted_at,
        created_at: row.created_at,
    }
}

fn invalid_url(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_url", message)
}

/// The URL, in form and (unless private targets are allowed) by its addresses.
async fn checked_url(service: &Service, url: &str) -> Result<String, ApiError> {
    let parsed = guard::parse(url.trim()).map_err(|e| invalid_url(e.0))?;
    guard::target(&parsed, service.config.allow_private_targets)
        .await
        .map_err(|e| invalid_url(e.0))?;
    Ok(parsed.to_string())
}

/// The event names: known, deliverable, at least one; duplicates dropped.
fn checked_events(events: &[String]) -> Result<Vec<String>, ApiError> {
    let invalid = |message: String| ApiError::bad_request("invalid_events", message);
    if events.is_empty() {
        return Err(invalid("name at least one event".into()));
    }
    if events.len() > MAX_EVENTS {
        return Err(invalid(format!("at most {MAX_EVENTS} events")));
    }
    let mut unique = BTreeSet::new();
    for event in events {
        if !AuthEvent::NAMES.contains(&event.as_str()) {
            let shown: String = event.chars().take(64).collect();
            return Err(invalid(format!("`{shown}` is not an event name")));
        }
        if !delivery::deliverable(event) {
            return Err(invalid(format!(
                "`{event}` is about webhooks themselves and is not delivered"
            )));
        }
        unique.insert(event.clone());
    }
    Ok(unique.into_iter().collect())
}

fn checked_secret(secret: &str) -> Result<&str, ApiError> {
    let ok = (MIN_SECRET..=MAX_SECRET).contains(&secret.len())
        && secret.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(secret)
    } else {
        Err(ApiError::bad_request(
            "invalid_secret",
            format!("a secret is {MIN_SECRET} to {MAX_SECRET} printable ASCII characters"),
        ))
    }
}

/// A new secret: `whsec_` and 256 random bits, base64url.
fn generated_secret() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).expect("the operating system provides randomness");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref())
    )
}

fn seal_secret(state: &YAuthState, id: Uuid, secret: &str) -> Result<Vec<u8>, ApiError> {
    Ok(state
        .sealer()?
        .seal(SECRET_PURPOSE, id.as_bytes(), secret.as_bytes()))
}

/// The webhook's secret in the clear (wiped when dropped).
pub(super) fn open_secret(
    state: &YAuthState,
    webhook: &Webhook,
) -> Result<Zeroizing<Vec<u8>>, ApiError> {
    state
        .sealer()?
        .open(SECRET_PURPOSE, webhook.id.as_bytes(), &webhook.secret_enc)
        .map_err(ApiError::internal)
}

/// `POST /webhooks`.
pub(super) async fn create(
    state: &YAuthState,
    service: &Service,
    admin: &AuthUser,
    url: &str,
    events: &[String],
    secret: Option<&str>,
) -> Result<CreatedWebhook, ApiError> {
    let events = checked_events(events)?;
    let chosen = secret.map(checked_secret).transpose()?;
    let url = checked_url(service, url).await?;
    let count = state.repos().webhooks.count_user_webhooks(admin.id).await?;
    if count >= service.config.max_webhooks {
        return Err(ApiError::bad_request(
            "too_many_webhooks",
            format!(
                "an admin may create at most {} webhooks",
                service.config.max_webhooks
            ),
        ));
    }
    let generated = chosen.is_none().then(generated_secret);
    let plain = chosen.or(generated.as_deref()).unwrap_or_default();
    let id = Uuid::now_v7();
    let now = Utc::now();
    let row = Webhook {
        id,
        user_id: Some(admin.id),
        url,
        secret_enc: seal_secret(state, id, plain)?,
        events: json!(events),
        active: true,
        created_at: now,
        updated_at: now,
    };
    state.repos().webhooks.insert_webhook(&row).await?;
    Ok(CreatedWebhook {
        webhook: info(&row),
        secret: generated,
    })
}

/// `GET /webhooks`.
pub(super) async fn list(state: &YAuthState) -> Result<Vec<WebhookInfo>, ApiError> {
    let rows = state.repos().webhooks.list_webhooks().await?;
    Ok(rows.iter().map(info).collect())
}

async fn find(state: &YAuthState, id: Uuid) -> Result<Webhook, ApiError> {
    state
        .repos()
        .webhooks
        .get_webhook(id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such webhook"))
}

/// `GET /webhooks/{id}`.
pub(super) async fn get(state: &YAuthState, id: Uuid) -> Result<WebhookDetail, ApiError> {
    let row = find(state, id).await?;
    let deliveries = state
        .repos()
        .webhook_deliveries
        .list_webhook_deliveries(id, RECENT, 0)
        .await?;
    Ok(WebhookDetail {
        webhook: info(&row),
        deliveries: deliveries.into_iter().map(delivery_info).collect(),
    })
}

/// What `PUT /webhooks/{id}` may change.
pub(super) struct Changes<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a [String]>,
    pub secret: Option<&'a str>,
    pub active: Option<bool>,
}

/// `PUT /webhooks/{id}`.
pub(super) async fn update(
    state: &YAuthState,
    service: &Service,
    id: Uuid,
    changes: Changes<'_>,
) -> Result<WebhookInfo, ApiError> {
    let mut row = find(state, id).await?;
    if let Some(events) = changes.events {
        row.events = json!(checked_events(events)?);
    }
    if let Some(secret) = changes.secret {
        row.secret_enc = seal_secret(state, id, checked_secret(secret)?)?;
    }
    if let Some(url) = changes.url {
        row.url = checked_url(service, url).await?;
    }
    if let Some(active) = changes.active {
        row.active = active;
    }
    row.updated_at = Utc::now();
    state
        .repos()
        .webhooks
        .update_webhook(
            &row.url,
            &row.events,
            &row.secret_enc,
            row.active,
            row.updated_at,
            id,
        )
        .await?;
    Ok(info(&row))
}

/// `DELETE /webhooks/{id}`: the webhook and its deliveries (pending ones are dropped).
pub(super) async fn delete(state: &YAuthState, id: Uuid) -> Result<(), ApiError> {
    if state.repos().webhooks.delete_webhook(id).await? == 0 {
        return Err(ApiError::not_found("no such webhook"));
    }
    Ok(())
}

/// `POST /webhooks/{id}/test`: a `webhook_test` delivery sent now, once, and its outcome
/// (recorded among the deliveries, never retried).
pub(super) async fn test(
    state: &YAuthState,
    service: &Service,
    admin: &AuthUser,
    id: Uuid,
) -> Result<Outcome, ApiError> {
    let webhook = find(state, id).await?;
    // Inserted as its own first attempt and never due: no worker takes it, even if this
    // request is dropped midway.
    let row = delivery::new_row(
        webhook.id,
        TEST_EVENT,
        json!({ "requested_by": admin.id }),
        false,
    );
    state
        .repos()
        .webhook_deliveries
        .insert_webhook_delivery(&row)
        .await?;
    Ok(delivery::attempt(state, service, row, false).await)
}

/// Seals every webhook secret again under the current key.
pub(super) async fn reseal(state: &YAuthState) -> Result<u64, ApiError> {
    let sealer = state.sealer()?;
    let mut changed = 0;
    for row in state.repos().webhooks.list_webhooks().await? {
        let Some(sealed) = sealer
            .reseal(SECRET_PURPOSE, row.id.as_bytes(), &row.secret_enc)
            .map_err(ApiError::internal)?
        else {
            continue;
        };
        state
            .repos()
            .webhooks
            .update_webhook(
                &row.url,
                &row.events,
                &sealed,
                row.active,
                row.updated_at,
                row.id,
            )
            .await?;
        changed += 1;
    }
    Ok(changed)
}
