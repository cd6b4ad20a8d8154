//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`].

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::flows::{Begun, PasskeyInfo};
use super::{Service, flows};
use crate::contract::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{BadRequest, FactorOwner, RateLimited, Unauthorized};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::SignInAnswer;

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// Sign-in.
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(login_begin))
        .routes(routes!(login_finish))
        .with_state(PluginState::new(state, service))
}

/// Registration, listing, deleting.
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(register_begin))
        .routes(routes!(register_finish))
        .routes(routes!(list))
        .routes(routes!(delete))
        .with_state(PluginState::new(state, service))
}

/// A ceremony begun.
#[derive(Serialize, utoipa::ToSchema)]
struct BeginAnswer {
    /// Pass it back to the matching `finish`.
    challenge_id: Uuid,
    /// `{ "publicKey": … }`: the WebAuthn options (binary fields base64url) for
    /// `navigator.credentials.create` (registration) or `.get` (sign-in).
    #[schema(value_type = Object)]
    options: serde_json::Value,
}

impl From<Begun> for BeginAnswer {
    fn from(begun: Begun) -> Self {
        BeginAnswer {
            challenge_id: begun.challenge_id,
            options: begun.options,
        }
    }
}

#[utoipa::path(
    post,
    path = "/passkeys/register/begin",
    tag = "passkey",
    operation_id = "passkeyRegisterBegin",
    summary = "Begin registering a passkey",
    security(("session" = [])),
    responses(
        (status = 200, description = "`PublicKeyCredentialCreationOptions` (discoverable credential preferred, user verification required, the caller's passkeys excluded)", body = BeginAnswer),
        (status = 400, description = "`too_many_passkeys`", body = ErrorBody),
        Unauthorized,
        FactorOwner,
    )
)]
async fn register_begin(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
) -> Result<Json<BeginAnswer>, ApiError> {
    user.require_credential_owner()?;
    Ok(Json(
        flows::register_begin(&state, &service, &user).await?.into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RegisterFinishBody {
    challenge_id: Uuid,
    /// What to call it (1 to 64 characters).
    name: String,
    /// The `PublicKeyCredential` of `navigator.credentials.create`, binary fields base64url.
    #[schema(value_type = Object)]
    credential: RegisterPublicKeyCredential,
}

#[utoipa::path(
    post,
    path = "/passkeys/register/finish",
    tag = "passkey",
    operation_id = "passkeyRegisterFinish",
    summary = "Finish registering a passkey",
    security(("session" = [])),
    request_body = RegisterFinishBody,
    responses(
        (status = 201, description = "Registered", body = PasskeyInfo),
        (status = 400, description = "`invalid_challenge` (unknown, expired, used, or begun by another user), `invalid_credential`, `credential_already_registered`, `invalid_name`, or a malformed body", body = ErrorBody),
        Unauthorized,
        FactorOwner,
    )
)]
async fn register_finish(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<RegisterFinishBody>,
) -> Result<(StatusCode, Json<PasskeyInfo>), ApiError> {
    user.require_credential_owner()?;
    let info = flows::register_finish(
        &state,
        &service,
        &user,
        body.challenge_id,
        &body.name,
        &body.credential,
        &meta,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginBeginBody {
    /// Absent: a discoverable-credential (usernameless) sign-in.
    email: Option<String>,
}

#[utoipa::path(
    post,
    path = "/passkey/login/begin",
    tag = "passkey",
    operation_id = "passkeyLoginBegin",
    summary = "Begin a passkey sign-in",
    request_body = LoginBeginBody,
    responses(
        (status = 200, description = "`PublicKeyCredentialRequestOptions`: without an email an empty `allowCredentials` (the authenticator offers its passkeys); with one, the email's passkeys, or stand-ins that match nothing when it has none, so the answer is alike for every email", body = BeginAnswer),
        (status = 400, description = "`invalid_email`, or a malformed body", body = ErrorBody),
        RateLimited,
    )
)]
async fn login_begin(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginBeginBody>,
) -> Result<Json<BeginAnswer>, ApiError> {
    Ok(Json(
        flows::login_begin(&state, &service, body.email.as_deref(), &meta)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginFinishBody {
    challenge_id: Uuid,
    /// The `PublicKeyCredential` of `navigator.credentials.get`, binary fields base64url.
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}

#[utoipa::path(
    post,
    path = "/passkey/login/finish",
    tag = "passkey",
    operation_id = "passkeyLoginFinish",
    summary = "Finish a passkey sign-in",
    request_body = LoginFinishBody,
    responses(
        (status = 200, description = "Signed in: the user, with the session cookie set; or `{ mfa_required, pending_session_id }` without a cookie when the passkey did not verify the user and MFA is on", body = SignInAnswer),
        (status = 400, description = "`invalid_challenge` (unknown, expired or used), or a malformed body", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: an unknown passkey, one of another user, a bad signature, or a signature counter that did not advance (a possibly cloned authenticator)", body = ErrorBody),
        (status = 403, description = "`user_banned`, or `blocked` by a plugin", body = ErrorBody),
        RateLimited,
    )
)]
async fn login_finish(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginFinishBody>,
) -> Result<Response, ApiError> {
    Ok(
        flows::login_finish(&state, &service, body.challenge_id, &body.credential, &meta)
            .await?
            .into_response(),
    )
}

#[utoipa::path(
    get,
    path = "/passkeys",
    tag = "passkey",
    operation_id = "passkeyList",
    summary = "The caller's passkeys",
    security(("session" = [])),
    responses(
        (status = 200, description = "Oldest first", body = Vec<PasskeyInfo>),
        Unauthorized,
        FactorOwner,
    )
)]
async fn list(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> Result<Json<Vec<PasskeyInfo>>, ApiError> {
    user.require_credential_owner()?;
    Ok(Json(flows::list(&state, &user).await?))
}

#[utoipa::path(
    delete,
    path = "/passkeys/{id}",
    tag = "passkey",
    operation_id = "passkeyDelete",
    summary = "Delete one of the caller's passkeys",
    params(("id" = Uuid, Path, description = "The passkey's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        BadRequest,
        Unauthorized,
        FactorOwner,
        (status = 404, description = "`not_found`: no such passkey of the caller's", body = ErrorBody),
    )
)]
async fn delete(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    user.require_credential_owner()?;
    flows::delete(&state, &user, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
