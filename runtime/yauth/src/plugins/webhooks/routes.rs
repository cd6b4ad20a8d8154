//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`]. Every route is for admins.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::Service;
use super::delivery::Outcome;
use super::delivery::deliverable;
use super::flows::{self, Changes, CreatedWebhook, WebhookDetail, WebhookInfo};
use crate::contract::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::contract::event::AuthEvent;
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::contract::user::AdminUser;
use crate::kit::openapi::{AdminOnly, BadRequest, Unauthorized};

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// Create, list, read, change, delete, test.
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(test))
        .with_state(PluginState::new(state, service))
}

/// In the document: an event name a webhook can receive, the names of [`AuthEvent::NAMES`]
/// but the webhooks' own (a client generated from the document gets them as a union).
pub(super) struct EventName;

impl utoipa::PartialSchema for EventName {
    fn schema() -> RefOr<Schema> {
        let names: Vec<&str> = AuthEvent::NAMES
            .iter()
            .copied()
            .filter(|n| deliverable(n))
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some("An event name, as in the audit log"))
            .into()
    }
}

impl utoipa::ToSchema for EventName {}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateWebhookBody {
    /// Where deliveries are POSTed: an http or https URL whose host resolves to public
    /// addresses only.
    url: String,
    /// The event names to receive (the names of the audit log: `user_registered`,
    /// `login_succeeded`, …).
    #[schema(value_type = Vec<EventName>)]
    events: Vec<String>,
    /// The signing secret (16 to 256 printable ASCII characters); generated and shown once
    /// when absent.
    secret: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateWebhookBody {
    url: Option<String>,
    #[schema(value_type = Option<Vec<EventName>>)]
    events: Option<Vec<String>>,
    /// A new signing secret (16 to 256 printable ASCII characters).
    secret: Option<String>,
    /// Whether deliveries are made; pending ones of an inactive webhook are given up.
    active: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    operation_id = "webhooksCreate",
    summary = "Create a webhook (admins)",
    request_body = CreateWebhookBody,
    security(("session" = [])),
    responses(
        (status = 201, description = "The webhook; `secret` only when generated, and only in this answer", body = CreatedWebhook),
        (status = 400, description = "`invalid_request`, `invalid_url` (not http(s), credentials in it, unresolvable, or a non-public address), `invalid_events`, `invalid_secret`, or `too_many_webhooks`", body = ErrorBody),
        Unauthorized,
        AdminOnly,
    )
)]
async fn create(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    AdminUser(user): AdminUser,
    ApiJson(body): ApiJson<CreateWebhookBody>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let created = flows::create(
        &state,
        &service,
        &user,
        &body.url,
        &body.events,
        body.secret.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    operation_id = "webhooksList",
    summary = "Every webhook, newest first (admins)",
    security(("session" = [])),
    responses(
        (status = 200, description = "The webhooks, without their secrets", body = Vec<WebhookInfo>),
        Unauthorized,
        AdminOnly,
    )
)]
async fn list(
    State(state): State<YAuthState>,
    AdminUser(_): AdminUser,
) -> Result<Json<Vec<WebhookInfo>>, ApiError> {
    Ok(Json(flows::list(&state).await?))
}

#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    tag = "webhooks",
    operation_id = "webhooksGet",
    summary = "A webhook and its recent deliveries (admins)",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The webhook and its last 20 deliveries", body = WebhookDetail),
        BadRequest,
        Unauthorized,
        AdminOnly,
        (status = 404, description = "`not_found`: no such webhook", body = ErrorBody),
    )
)]
async fn get(
    State(state): State<YAuthState>,
    AdminUser(_): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<WebhookDetail>, ApiError> {
    Ok(Json(flows::get(&state, id).await?))
}

#[utoipa::path(
    put,
    path = "/webhooks/{id}",
    tag = "webhooks",
    operation_id = "webhooksUpdate",
    summary = "Change a webhook (admins)",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    request_body = UpdateWebhookBody,
    security(("session" = [])),
    responses(
        (status = 200, description = "The webhook as changed", body = WebhookInfo),
        (status = 400, description = "`invalid_request`, `invalid_url`, `invalid_events` or `invalid_secret`", body = ErrorBody),
        Unauthorized,
        AdminOnly,
        (status = 404, description = "`not_found`: no such webhook", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    AdminUser(_): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateWebhookBody>,
) -> Result<Json<WebhookInfo>, ApiError> {
    let changes = Changes {
        url: body.url.as_deref(),
        events: body.events.as_deref(),
        secret: body.secret.as_deref(),
        active: body.active,
    };
    Ok(Json(flows::update(&state, &service, id, changes).await?))
}

#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    operation_id = "webhooksDelete",
    summary = "Delete a webhook and its deliveries (admins)",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Deleted; its pending deliveries are dropped"),
        BadRequest,
        Unauthorized,
        AdminOnly,
        (status = 404, description = "`not_found`: no such webhook", body = ErrorBody),
    )
)]
async fn delete(
    State(state): State<YAuthState>,
    AdminUser(_): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    flows::delete(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/webhooks/{id}/test",
    tag = "webhooks",
    operation_id = "webhooksTest",
    summary = "Send a `webhook_test` event now (admins)",
    description = "One attempt, made before answering and recorded among the deliveries; never retried. A failed delivery is still a 200: the answer says how it failed.",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The attempt's outcome", body = Outcome),
        BadRequest,
        Unauthorized,
        AdminOnly,
        (status = 404, description = "`not_found`: no such webhook", body = ErrorBody),
    )
)]
async fn test(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    AdminUser(user): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Outcome>, ApiError> {
    Ok(Json(flows::test(&state, &service, &user, id).await?))
}
