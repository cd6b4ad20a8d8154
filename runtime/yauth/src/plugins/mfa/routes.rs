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
use crate::contract::plugin::{PluginState, TokenPair};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{FactorOwner, RateLimited, Unauthorized};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::no_store;

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// The second step of a sign-in.
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(verify))
        .with_state(PluginState::new(state, service))
}

/// Setting MFA up, turning it off, and the backup codes.
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(setup))
        .routes(routes!(confirm))
        .routes(routes!(disable))
        .routes(routes!(backup_codes))
        .routes(routes!(regenerate))
        .with_state(PluginState::new(state, service))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MfaVerifyBody {
    /// From the sign-in's `{ mfa_required, pending_session_id }` answer.
    pending_session_id: String,
    /// A 6-digit TOTP code, or an unused backup code.
    code: String,
}

/// The 200 body of `POST /mfa/verify`: what the pending sign-in asked for.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[expect(
    dead_code,
    reason = "describes the answer in the OpenAPI document only"
)]
enum VerifyAnswer {
    /// A cookie sign-in (`/login`, a magic link, a passkey): the user; the cookie is set.
    SignedIn(AuthUser),
    /// A token sign-in (`POST /token`): the pair.
    Tokens(TokenPair),
}

#[utoipa::path(
    post,
    path = "/mfa/verify",
    tag = "mfa",
    operation_id = "mfaVerify",
    summary = "Finish a sign-in with its second factor",
    request_body = MfaVerifyBody,
    responses(
        (status = 200, description = "Signed in as the first step asked: the user with the session cookie set, or the token pair (`Cache-Control: no-store`) for `POST /token`", body = VerifyAnswer),
        (status = 400, description = "`invalid_request`: a malformed body", body = ErrorBody),
        (status = 401, description = "`invalid_code`: a wrong, replayed or used code; `mfa_login_expired`: the pending sign-in is unknown, expired, finished, or dead after too many wrong codes", body = ErrorBody),
        (status = 403, description = "`user_banned`, or `blocked` by a plugin", body = ErrorBody),
        RateLimited,
    )
)]
async fn verify(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<MfaVerifyBody>,
) -> Result<Response, ApiError> {
    let outcome = flows::verify(
        &state,
        &service,
        &body.pending_session_id,
        &body.code,
        &meta,
    )
    .await?;
    Ok(no_store(outcome.into_response()))
}

/// The answer of `POST /mfa/totp/setup`, shown once.
#[derive(Serialize, utoipa::ToSchema)]
struct SetupAnswer {
    /// The secret in base32, for typing into an authenticator app.
    secret: String,
    /// `otpauth://totp/…` (SHA1, 6 digits, 30 seconds), for a QR code.
    otpauth_url: String,
    /// Single-use codes for when the authenticator is lost.
    backup_codes: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/mfa/totp/setup",
    tag = "mfa",
    operation_id = "mfaTotpSetup",
    summary = "Start TOTP setup: a secret and backup codes (MFA stays off until confirmed)",
    security(("session" = [])),
    responses(
        (status = 200, description = "The secret, its `otpauth://` URL and the backup codes, shown once (`Cache-Control: no-store`); a setup not yet confirmed is replaced", body = SetupAnswer),
        Unauthorized,
        FactorOwner,
        (status = 409, description = "`mfa_already_enabled`: turn MFA off first", body = ErrorBody),
    )
)]
async fn setup(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
) -> Result<Response, ApiError> {
    user.require_credential_owner()?;
    let enrolment = flows::setup(&state, &service, &user).await?;
    Ok(no_store(
        Json(SetupAnswer {
            secret: enrolment.secret,
            otpauth_url: enrolment.otpauth_url,
            backup_codes: enrolment.backup_codes,
        })
        .into_response(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CodeBody {
    /// A 6-digit TOTP code (to turn MFA off or renew the backup codes, an unused backup
    /// code also works).
    code: String,
}

/// A short confirmation.
#[derive(Serialize, utoipa::ToSchema)]
struct Done {
    message: &'static str,
}

#[utoipa::path(
    post,
    path = "/mfa/totp/confirm",
    tag = "mfa",
    operation_id = "mfaTotpConfirm",
    summary = "Turn MFA on with a code from the new secret",
    security(("session" = [])),
    request_body = CodeBody,
    responses(
        (status = 200, description = "MFA is on: every later sign-in asks for a code", body = Done),
        (status = 400, description = "`mfa_not_set_up`, or a malformed body", body = ErrorBody),
        (status = 401, description = "`invalid_code`, or no valid credentials", body = ErrorBody),
        FactorOwner,
        (status = 409, description = "`mfa_already_enabled`", body = ErrorBody),
        RateLimited,
    )
)]
async fn confirm(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<Done>, ApiError> {
    user.require_credential_owner()?;
    flows::confirm(&state, &service, &user, &body.code, &meta).await?;
    Ok(Json(Done {
        message: "MFA is on",
    }))
}

#[utoipa::path(
    delete,
    path = "/mfa/totp",
    tag = "mfa",
    operation_id = "mfaTotpDisable",
    summary = "Turn MFA off with a current TOTP code or a backup code",
    security(("session" = [])),
    request_body = CodeBody,
    responses(
        (status = 200, description = "MFA is off; the secret, the backup codes and pending sign-ins are gone", body = Done),
        (status = 400, description = "`mfa_not_enabled`, or a malformed body", body = ErrorBody),
        (status = 401, description = "`invalid_code`, or no valid credentials", body = ErrorBody),
        FactorOwner,
        RateLimited,
    )
)]
async fn disable(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<Done>, ApiError> {
    user.require_credential_owner()?;
    flows::disable(&state, &service, &user, &body.code, &meta).await?;
    Ok(Json(Done {
        message: "MFA is off",
    }))
}

/// How many backup codes are left.
#[derive(Serialize, utoipa::ToSchema)]
struct Remaining {
    /// Unused codes (0 without MFA).
    remaining: u64,
}

#[utoipa::path(
    get,
    path = "/mfa/backup-codes",
    tag = "mfa",
    operation_id = "mfaBackupCodes",
    summary = "How many backup codes are left",
    security(("session" = [])),
    responses(
        (status = 200, description = "The count", body = Remaining),
        Unauthorized,
        FactorOwner,
    )
)]
async fn backup_codes(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> Result<Json<Remaining>, ApiError> {
    user.require_credential_owner()?;
    Ok(Json(Remaining {
        remaining: flows::remaining(&state, &user).await?,
    }))
}

/// A new set of backup codes, shown once.
#[derive(Serialize, utoipa::ToSchema)]
struct NewCodes {
    backup_codes: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/mfa/backup-codes/regenerate",
    tag = "mfa",
    operation_id = "mfaBackupCodesRegenerate",
    summary = "Replace the backup codes (the old ones stop working), with a current code",
    security(("session" = [])),
    request_body = CodeBody,
    responses(
        (status = 200, description = "The new codes, shown once (`Cache-Control: no-store`)", body = NewCodes),
        (status = 400, description = "`mfa_not_enabled`, or a malformed body", body = ErrorBody),
        (status = 401, description = "`invalid_code`, or no valid credentials", body = ErrorBody),
        FactorOwner,
        RateLimited,
    )
)]
async fn regenerate(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Response, ApiError> {
    user.require_credential_owner()?;
    let backup_codes = flows::regenerate(&state, &service, &user, &body.code, &meta).await?;
    Ok(no_store(Json(NewCodes { backup_codes }).into_response()))
}
