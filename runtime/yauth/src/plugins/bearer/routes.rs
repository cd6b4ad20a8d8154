//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`]. (`POST /token` is mounted by the email-password plugin.)

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Service, flows};
use crate::contract::error::{ApiError, ApiJson, ErrorBody};
use crate::contract::plugin::{PluginState, TokenPair};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{BadRequest, RateLimited, Unauthorized};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::no_store;

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// Refresh.
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(refresh))
        .with_state(PluginState::new(state, service))
}

/// Revoke; the admins' key rotation.
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(revoke))
        .routes(routes!(rotate_signing_keys))
        .with_state(PluginState::new(state, service))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RefreshBody {
    refresh_token: String,
}

#[utoipa::path(
    post,
    path = "/token/refresh",
    tag = "bearer",
    operation_id = "bearerRefresh",
    summary = "Exchange a refresh token for a new pair (the old one stops working)",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A new pair of the same family (`Cache-Control: no-store`)", body = TokenPair),
        BadRequest,
        (status = 401, description = "`invalid_token`: unknown, expired or revoked; presenting an already rotated token revokes its whole family", body = ErrorBody),
        (status = 403, description = "`user_banned`", body = ErrorBody),
        RateLimited,
    )
)]
async fn refresh(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, ApiError> {
    let pair = flows::refresh(&state, &service, &body.refresh_token, &meta).await?;
    Ok(no_store(Json(pair).into_response()))
}

#[utoipa::path(
    post,
    path = "/token/revoke",
    tag = "bearer",
    operation_id = "bearerRevoke",
    summary = "End a refresh token's family (its access tokens expire on their own)",
    request_body = RefreshBody,
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked (also the answer for a token that is unknown or not the caller's, which changes nothing)"),
        BadRequest,
        Unauthorized,
    )
)]
async fn revoke(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<StatusCode, ApiError> {
    flows::revoke(&state, &user, &body.refresh_token, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The keys that sign from now on.
#[derive(Serialize, utoipa::ToSchema)]
struct Rotated {
    /// The new keys' ids (one per algorithm in use).
    rotated: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/admin/signing-keys/rotate",
    tag = "bearer",
    operation_id = "bearerRotateSigningKeys",
    summary = "Rotate the signing keys now (admins)",
    description = "Every algorithm in use gets a new key. Tokens signed before keep verifying, and the JWKS keeps the old keys, until the tokens they signed have expired.",
    security(("session" = [])),
    responses(
        (status = 200, description = "The new keys", body = Rotated),
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
async fn rotate_signing_keys(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> Result<Json<Rotated>, ApiError> {
    user.require_admin()?;
    let rotated = super::rotate_signing_keys(&state).await?;
    tracing::info!(admin = %user.id, kids = ?rotated, "signing keys rotated");
    Ok(Json(Rotated { rotated }))
}
