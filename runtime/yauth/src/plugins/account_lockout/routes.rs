//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`].

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::flows::Unlocked;
use super::{Service, flows};
use crate::contract::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{BadRequest, Message, RateLimited, Unauthorized};
use crate::kit::request::RequestMeta;

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// Request an unlock link, and redeem it.
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(request_unlock))
        .routes(routes!(unlock))
        .with_state(PluginState::new(state, service))
}

/// The admin's unlock.
pub(super) fn protected() -> OpenApiRouter<YAuthState> {
    OpenApiRouter::new().routes(routes!(admin_unlock))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RequestUnlockBody {
    email: String,
}

#[utoipa::path(
    post,
    path = "/account/request-unlock",
    tag = "accountLockout",
    operation_id = "accountLockoutRequestUnlock",
    summary = "Mail an unlock link to a locked account",
    request_body = RequestUnlockBody,
    responses(
        (status = 200, description = "The same answer whether or not the email has an account or is locked (only a locked account is mailed)", body = Message),
        (status = 400, description = "`invalid_request` or `invalid_email` (the form of the address, never whether it has an account)", body = ErrorBody),
        RateLimited,
    )
)]
async fn request_unlock(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<RequestUnlockBody>,
) -> Result<Json<Message>, ApiError> {
    flows::request_unlock(&state, &service, &body.email, &meta).await?;
    Ok(Json(Message {
        message: "if the account is locked, an unlock link is on its way",
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UnlockBody {
    token: String,
}

#[utoipa::path(
    post,
    path = "/account/unlock",
    tag = "accountLockout",
    operation_id = "accountLockoutUnlock",
    summary = "Unlock an account with a mailed token",
    request_body = UnlockBody,
    responses(
        (status = 200, description = "The lock is lifted (the token is used up)", body = Message),
        (status = 400, description = "`invalid_token`: unknown, used or expired; or a malformed body", body = ErrorBody),
        RateLimited,
    )
)]
async fn unlock(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<UnlockBody>,
) -> Result<Json<Message>, ApiError> {
    flows::unlock(&state, &service, &body.token, &meta).await?;
    Ok(Json(Message {
        message: "the account is unlocked",
    }))
}

#[utoipa::path(
    post,
    path = "/admin/users/{id}/unlock",
    tag = "accountLockout",
    operation_id = "accountLockoutAdminUnlock",
    summary = "Lift a user's lock (admin)",
    params(("id" = Uuid, Path, description = "The user's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Whether a lock was in force; it is lifted and the backoff forgotten", body = Unlocked),
        BadRequest,
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn admin_unlock(
    State(state): State<YAuthState>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Unlocked>, ApiError> {
    Ok(Json(flows::admin_unlock(&state, &caller, id, &meta).await?))
}
