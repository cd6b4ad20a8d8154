//! `GET /session`, `POST /logout`, `PATCH /me`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{AuthUser, ClientIp};
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::event::AuthEvent;
use crate::session::removal_cookie;
use crate::state::YAuthState;

/// The core routes, all behind authentication (OpenAPI tag `core`).
pub fn protected() -> OpenApiRouter<YAuthState> {
    OpenApiRouter::new()
        .routes(routes!(session))
        .routes(routes!(logout))
        .routes(routes!(update_me))
}

/// The caller, as `AuthUser`.
#[utoipa::path(
    get,
    path = "/session",
    tag = "core",
    operation_id = "getSession",
    summary = "The signed-in user",
    security(("session" = [])),
    responses(
        (status = 200, description = "The caller", body = AuthUser),
        (status = 401, description = "No valid credentials", body = ErrorBody),
    )
)]
async fn session(Extension(user): Extension<AuthUser>) -> Json<AuthUser> {
    Json(user)
}

/// Ends the session the request came with and removes the cookie: 204.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "core",
    operation_id = "logout",
    summary = "Sign out",
    security(("session" = [])),
    responses(
        (status = 204, description = "The session is ended and the cookie removed"),
        (status = 401, description = "No valid credentials", body = ErrorBody),
    )
)]
async fn logout(
    State(state): State<YAuthState>,
    Extension(user): Extension<AuthUser>,
    ip: ClientIp,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(session_id) = user.session_id {
        state.repos().sessions.delete_session(session_id).await?;
        state
            .emit(
                AuthEvent::Logout {
                    user_id: user.id,
                    session_id,
                },
                ip.to_text().as_deref(),
            )
            .await;
    }
    let jar = jar.add(removal_cookie(&state.config().cookie));
    Ok((StatusCode::NO_CONTENT, jar))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateMe {
    /// The new display name (trimmed); `null` or blank clears it.
    display_name: Option<String>,
}

/// The longest display name accepted, in characters (the column holds 255).
pub const MAX_DISPLAY_NAME: usize = 100;

/// Sets (or, with `null`, clears) the display name: 200 with the updated `AuthUser`.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "core",
    operation_id = "updateProfile",
    summary = "Update the signed-in user's profile",
    security(("session" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, description = "The updated user", body = AuthUser),
        (status = 400, description = "Invalid display name or body", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
    )
)]
async fn update_me(
    State(state): State<YAuthState>,
    Extension(user): Extension<AuthUser>,
    ip: ClientIp,
    ApiJson(body): ApiJson<UpdateMe>,
) -> Result<Json<AuthUser>, ApiError> {
    let display_name = body
        .display_name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if display_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME || n.chars().any(char::is_control))
    {
        return Err(ApiError::bad_request(
            "invalid_display_name",
            format!(
                "a display name has at most {MAX_DISPLAY_NAME} characters and no control characters"
            ),
        ));
    }
    state
        .repos()
        .users
        .update_user_profile(display_name.as_deref(), Utc::now(), user.id)
        .await?;
    state
        .emit(
            AuthEvent::ProfileUpdated { user_id: user.id },
            ip.to_text().as_deref(),
        )
        .await;
    Ok(Json(AuthUser {
        display_name,
        ..user
    }))
}
