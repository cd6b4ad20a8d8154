//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`].

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::flows::{CreatedKey, KeyInfo};
use super::{Service, flows};
use crate::contract::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{AccountScope, BadRequest, RateLimited, Unauthorized};
use crate::kit::request::RequestMeta;

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// Create, list and delete.
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(delete))
        .with_state(PluginState::new(state, service))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CreateBody {
    /// What the key is for (1 to 100 characters).
    name: String,
    /// Scopes from the server's allowed list; none by default.
    scopes: Option<Vec<String>>,
    /// Days until the key expires; the server's maximum (365 by default) when absent.
    expires_in_days: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/api-keys",
    tag = "apiKeys",
    operation_id = "apiKeysCreate",
    summary = "Create an API key (shown once)",
    request_body = CreateBody,
    security(("session" = [])),
    responses(
        (status = 201, description = "The key, with `key` shown only in this answer", body = CreatedKey),
        (status = 400, description = "`invalid_request`, `invalid_name`, `invalid_scope`, `invalid_expiry`, or `too_many_keys`", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: keys are created from a signed-in session, not with a bearer token or a key", body = ErrorBody),
        RateLimited,
    )
)]
async fn create(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let created = flows::create(
        &state,
        &service,
        &user,
        &body.name,
        body.scopes.as_deref(),
        body.expires_in_days,
        &meta,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/api-keys",
    tag = "apiKeys",
    operation_id = "apiKeysList",
    summary = "The caller's API keys (without the keys)",
    security(("session" = [])),
    responses(
        (status = 200, description = "Newest first", body = Vec<KeyInfo>),
        Unauthorized,
        AccountScope,
    )
)]
async fn list(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> Result<Json<Vec<KeyInfo>>, ApiError> {
    user.require_account_scope()?;
    Ok(Json(flows::list(&state, &user).await?))
}

#[utoipa::path(
    delete,
    path = "/api-keys/{id}",
    tag = "apiKeys",
    operation_id = "apiKeysDelete",
    summary = "Delete one of the caller's API keys",
    params(("id" = Uuid, Path, description = "The key's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Deleted; the key fails at its next use"),
        BadRequest,
        Unauthorized,
        AccountScope,
        (status = 404, description = "`not_found`: no such key of the caller's (another user's keys are invisible)", body = ErrorBody),
    )
)]
async fn delete(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    user.require_account_scope()?;
    flows::delete(&state, &user, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
