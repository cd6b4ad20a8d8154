//! The core plugin, always enabled: `GET /session`, `POST /logout`, `PATCH /me` (OpenAPI
//! tag `core`), all behind authentication.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::contract::error::{ApiError, ApiJson};
use crate::contract::event::AuthEvent;
use crate::contract::plugin::YAuthPlugin;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{BadRequest, Unauthorized};
use crate::kit::request::RequestMeta;
use crate::kit::session::removal_cookie;
use crate::kit::validate;

/// The plugin's name; [`YAuthState::plugin_names`] leaves it out (it is always there).
pub const NAME: &str = crate::contract::plugin::CORE_PLUGIN;

/// The core plugin; `YAuthBuilder` adds it first, by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Core;

impl YAuthPlugin for Core {
    fn name(&self) -> &'static str {
        NAME
    }

    fn protected_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(
            OpenApiRouter::new()
                .routes(routes!(session))
                .routes(routes!(logout))
                .routes(routes!(update_me)),
        )
    }
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
        Unauthorized,
    )
)]
async fn session(user: AuthUser) -> Json<AuthUser> {
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
        Unauthorized,
    )
)]
async fn logout(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
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
                meta.ip_text().as_deref(),
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
        BadRequest,
        Unauthorized,
    )
)]
async fn update_me(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<UpdateMe>,
) -> Result<Json<AuthUser>, ApiError> {
    let display_name = validate::display_name(body.display_name.as_deref())?;
    state
        .repos()
        .users
        .update_user_profile(display_name.as_deref(), Utc::now(), user.id)
        .await?;
    state
        .emit(
            AuthEvent::ProfileUpdated { user_id: user.id },
            meta.ip_text().as_deref(),
        )
        .await;
    Ok(Json(AuthUser {
        display_name,
        ..user
    }))
}
