//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`].

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Service, flows};
use crate::contract::error::{ApiError, ApiJson, ErrorBody};
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::kit::openapi::RateLimited;
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::SignInAnswer;

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// Send and verify.
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(send))
        .routes(routes!(verify))
        .with_state(PluginState::new(state, service))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SendBody {
    email: String,
}

/// The answer of `send`, the same for every address.
#[derive(Serialize, utoipa::ToSchema)]
struct Sent {
    message: &'static str,
}

#[utoipa::path(
    post,
    path = "/magic-link/send",
    tag = "magicLink",
    operation_id = "magicLinkSend",
    summary = "Mail a sign-in link",
    request_body = SendBody,
    responses(
        (status = 200, description = "The same answer whether or not the email has an account", body = Sent),
        (status = 400, description = "`invalid_request` or `invalid_email` (the form of the address, never whether it has an account)", body = ErrorBody),
        RateLimited,
    )
)]
async fn send(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<SendBody>,
) -> Result<Json<Sent>, ApiError> {
    flows::send(&state, &service, &body.email, &meta).await?;
    Ok(Json(Sent {
        message: "if the address can sign in, a link is on its way",
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MagicLinkVerifyBody {
    token: String,
}

#[utoipa::path(
    post,
    path = "/magic-link/verify",
    tag = "magicLink",
    operation_id = "magicLinkVerify",
    summary = "Sign in with a mailed link's token",
    request_body = MagicLinkVerifyBody,
    responses(
        (status = 200, description = "Signed in: the user, with the session cookie set; or `{ mfa_required, pending_session_id }` without a cookie when a second factor is needed", body = SignInAnswer),
        (status = 400, description = "`invalid_token`: unknown, used or expired; or a malformed body", body = ErrorBody),
        (status = 403, description = "`user_banned`, or `blocked` by a plugin", body = ErrorBody),
        RateLimited,
    )
)]
async fn verify(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<MagicLinkVerifyBody>,
) -> Result<Response, ApiError> {
    Ok(flows::verify(&state, &service, &body.token, &meta)
        .await?
        .into_response())
}
