//! `GET /session`, `POST /logout`, `PATCH /me`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Extension, Json, Router};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::Deserialize;

use crate::auth::{AuthUser, ClientIp};
use crate::error::{ApiError, ApiJson};
use crate::event::AuthEvent;
use crate::session::removal_cookie;
use crate::state::YAuthState;

/// The core routes, all behind authentication.
pub fn protected() -> Router<YAuthState> {
    Router::new()
        .route("/session", get(session))
        .route("/logout", post(logout))
        .route("/me", patch(update_me))
}

/// The caller, as `AuthUser`.
async fn session(Extension(user): Extension<AuthUser>) -> Json<AuthUser> {
    Json(user)
}

/// Ends the session the request came with and removes the cookie: 204.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateMe {
    display_name: Option<String>,
}

/// The longest display name accepted, in characters (the column holds 255).
pub const MAX_DISPLAY_NAME: usize = 100;

/// Sets (or, with `null`, clears) the display name: 200 with the updated `AuthUser`.
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
