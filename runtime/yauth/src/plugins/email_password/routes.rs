//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`].

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Service, flows};
use crate::contract::error::{ApiError, ApiJson, ErrorBody};
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{AccountScope, BadRequest, Locked, Message, Overloaded, RateLimited};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::{Grant, SignInAnswer, TokenAnswer};

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// Register, login, verify, resend, forgot and reset.
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .merge(token_route(state))
        .with_state(PluginState::new(state, service))
}

/// `POST /token`, when a plugin issues tokens.
fn token_route(state: &YAuthState) -> PluginRouter {
    match state.token_issuer() {
        Some(_) => PluginRouter::new().routes(routes!(token)),
        None => PluginRouter::new(),
    }
}

/// Change password.
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(change_password))
        .with_state(PluginState::new(state, service))
}

fn message(status: StatusCode, message: &'static str) -> Response {
    (status, Json(Message { message })).into_response()
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RegisterBody {
    email: String,
    password: String,
    display_name: Option<String>,
    /// The application's extra fields the user may set, by name (only when the application
    /// declared some; the document it serves lists them).
    #[serde(default)]
    #[schema(ignore)]
    extra: Option<serde_json::Map<String, serde_json::Value>>,
}

#[utoipa::path(
    post,
    path = "/register",
    tag = "emailPassword",
    operation_id = "emailPasswordRegister",
    summary = "Create an account",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Registered (also the answer for an existing email, which is mailed a notice instead)", body = Message),
        BadRequest,
        (status = 409, description = "Email taken (only with `DuplicateRegistration::Conflict`)", body = ErrorBody),
        RateLimited,
        Overloaded,
    )
)]
async fn register(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, ApiError> {
    flows::register(
        &state,
        &service,
        &body.email,
        &body.password,
        body.display_name.as_deref(),
        body.extra.as_ref(),
        &meta,
    )
    .await?;
    Ok(message(
        StatusCode::CREATED,
        flows::registered_message(&service),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginBody {
    email: String,
    password: String,
    #[serde(default)]
    remember_me: bool,
}

#[utoipa::path(
    post,
    path = "/login",
    tag = "emailPassword",
    operation_id = "emailPasswordLogin",
    summary = "Sign in with email and password",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in: the user, with the session cookie set; or `{ mfa_required, pending_session_id }` without a cookie when a second factor is needed", body = SignInAnswer),
        BadRequest,
        (status = 401, description = "`invalid_credentials`: an unknown email, a wrong password, or (when verification is required) an unverified account, which is mailed a new link", body = ErrorBody),
        (status = 403, description = "`user_banned`, or `blocked` by a plugin", body = ErrorBody),
        Locked,
        RateLimited,
        Overloaded,
    )
)]
async fn login(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let grant = Grant::Session {
        remember_me: body.remember_me,
    };
    let outcome = flows::login(&state, &service, &body.email, &body.password, grant, &meta).await?;
    Ok(outcome.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PasswordTokenBody {
    email: String,
    password: String,
    /// Space-separated scopes to grant (RFC 6749 §3.3); the bearer plugin's default scopes
    /// when absent.
    scope: Option<String>,
}

/// `POST /token`: the password login of `/login`, answered with a token pair instead of a
/// session. Mounted by this plugin (it owns passwords) when the bearer plugin issues tokens;
/// documented under the `bearer` tag.
#[utoipa::path(
    post,
    path = "/token",
    tag = "bearer",
    operation_id = "bearerToken",
    summary = "Get an access token and a refresh token with email and password",
    request_body = PasswordTokenBody,
    responses(
        (status = 200, description = "The token pair (`Cache-Control: no-store`); or `{ mfa_required, pending_session_id }` when a second factor is needed", body = TokenAnswer),
        (status = 400, description = "`invalid_request`: a malformed body; `invalid_scope`: a scope the server does not grant", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`, exactly as `POST /login` answers it", body = ErrorBody),
        (status = 403, description = "`user_banned`, or `blocked` by a plugin", body = ErrorBody),
        Locked,
        RateLimited,
        Overloaded,
    )
)]
async fn token(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PasswordTokenBody>,
) -> Result<Response, ApiError> {
    let scopes = state
        .token_issuer()
        .ok_or_else(|| ApiError::not_found("token issuance is not enabled"))?
        .scopes(body.scope.as_deref())?;
    let grant = Grant::Tokens { scopes: &scopes };
    let outcome = flows::login(&state, &service, &body.email, &body.password, grant, &meta).await?;
    Ok(outcome.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TokenBody {
    token: String,
}

#[utoipa::path(
    post,
    path = "/verify-email",
    tag = "emailPassword",
    operation_id = "emailPasswordVerifyEmail",
    summary = "Verify an email address with the mailed token",
    request_body = TokenBody,
    responses(
        (status = 200, description = "Verified", body = Message),
        (status = 400, description = "`invalid_token`: unknown, used or expired; or a malformed body", body = ErrorBody),
    )
)]
async fn verify_email(
    State(state): State<YAuthState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Response, ApiError> {
    flows::verify_email(&state, &body.token, &meta).await?;
    Ok(message(StatusCode::OK, "email verified"))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EmailBody {
    email: String,
}

#[utoipa::path(
    post,
    path = "/resend-verification",
    tag = "emailPassword",
    operation_id = "emailPasswordResendVerification",
    summary = "Mail a new verification link",
    request_body = EmailBody,
    responses(
        (status = 200, description = "The same answer whether or not the email has an account", body = Message),
        BadRequest,
        RateLimited,
    )
)]
async fn resend_verification(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Response, ApiError> {
    flows::resend_verification(&state, &service, &body.email, &meta).await?;
    Ok(message(
        StatusCode::OK,
        "if the email has an unverified account, a new link is on its way",
    ))
}

#[utoipa::path(
    post,
    path = "/forgot-password",
    tag = "emailPassword",
    operation_id = "emailPasswordForgotPassword",
    summary = "Mail a password-reset link",
    request_body = EmailBody,
    responses(
        (status = 200, description = "The same answer whether or not the email has an account", body = Message),
        BadRequest,
        RateLimited,
    )
)]
async fn forgot_password(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Response, ApiError> {
    flows::forgot_password(&state, &service, &body.email, &meta).await?;
    Ok(message(
        StatusCode::OK,
        "if the email has an account, a reset link is on its way",
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ResetBody {
    token: String,
    password: String,
}

#[utoipa::path(
    post,
    path = "/reset-password",
    tag = "emailPassword",
    operation_id = "emailPasswordResetPassword",
    summary = "Choose a new password with the mailed token",
    request_body = ResetBody,
    responses(
        (status = 200, description = "Password changed; every session of the user is ended, the email counts as verified, and the owner is mailed a notice", body = Message),
        (status = 400, description = "`invalid_token`, a weak, common, breached or reused password, or a malformed body", body = ErrorBody),
        Overloaded,
    )
)]
async fn reset_password(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Response, ApiError> {
    flows::reset_password(&state, &service, &body.token, &body.password, &meta).await?;
    Ok(message(
        StatusCode::OK,
        "password changed; sign in with the new one",
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ChangeBody {
    current_password: String,
    new_password: String,
}

#[utoipa::path(
    post,
    path = "/change-password",
    tag = "emailPassword",
    operation_id = "emailPasswordChangePassword",
    summary = "Change the password of the signed-in user",
    security(("session" = [])),
    request_body = ChangeBody,
    responses(
        (status = 200, description = "Password changed; every other session of the user and every pending reset link are ended, and the owner is mailed a notice", body = Message),
        (status = 400, description = "A weak, common, breached or reused password, or a malformed body", body = ErrorBody),
        (status = 401, description = "No valid credentials, or a wrong current password", body = ErrorBody),
        AccountScope,
        RateLimited,
        Overloaded,
    )
)]
async fn change_password(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Response, ApiError> {
    user.require_account_scope()?;
    flows::change_password(
        &state,
        &service,
        &user,
        &body.current_password,
        &body.new_password,
        &meta,
    )
    .await?;
    Ok(message(StatusCode::OK, "password changed"))
}
