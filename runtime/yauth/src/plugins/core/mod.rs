//! The core plugin, always enabled: `GET /session`, `POST /logout`, `PATCH /me`,
//! `GET /sessions`, `DELETE /sessions/{id}` (OpenAPI tag `core`), all behind authentication;
//! and the upkeep of sessions, rate-limit windows and the audit log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::cookie::CookieJar;
use chrono::DateTime;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::contract::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::contract::event::AuthEvent;
use crate::contract::plugin::{BoxFuture, YAuthPlugin};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{AccountScope, BadRequest, Unauthorized};
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

    fn maintain<'a>(&'a self, state: &'a YAuthState) -> BoxFuture<'a, Result<u64, ApiError>> {
        Box::pin(async move {
            let now = Utc::now();
            let repos = state.repos();
            let mut removed = repos.sessions.delete_expired_sessions(now).await?;
            removed += repos.rate_limits.delete_expired_rate_limits(now).await?;
            if let Some(retention) = state.config().audit_retention
                && let Some(cutoff) = chrono::Duration::from_std(retention)
                    .ok()
                    .and_then(|r| now.checked_sub_signed(r))
            {
                removed += repos.audit_log.delete_audit_before(cutoff).await?;
            }
            Ok(removed)
        })
    }

    fn protected_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(
            OpenApiRouter::new()
                .routes(routes!(session))
                .routes(routes!(logout))
                .routes(routes!(update_me))
                .routes(routes!(list_sessions))
                .routes(routes!(end_session)),
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
async fn session(mut user: AuthUser) -> Json<AuthUser> {
    // The application's extra fields are the user's and the application's: another
    // application holding an OAuth 2 access token (`client_id`) reads what its scopes allow
    // at `/userinfo`, not these.
    if user.client_id.is_some() {
        user.extra.clear();
    }
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
                &meta,
            )
            .await;
    }
    let jar = jar.add(removal_cookie(&state.config().cookie));
    Ok((StatusCode::NO_CONTENT, jar))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateMe {
    /// The new display name (trimmed); `null` or blank clears it; left out, it is kept.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    display_name: Option<Option<String>>,
    /// The application's extra fields the user may set, by name (only when the application
    /// declared some; the document it serves lists them). Those left out keep their value.
    #[serde(default)]
    #[schema(ignore)]
    extra: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Sets (or, with `null`, clears) the display name and sets the application's extra fields
/// the user may change: 200 with the updated `AuthUser`. A refused field changes nothing.
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
        AccountScope,
    )
)]
async fn update_me(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<UpdateMe>,
) -> Result<Json<AuthUser>, ApiError> {
    user.require_account_scope()?;
    let users = &state.repos().users;
    let display_name = match &body.display_name {
        None => user.display_name.clone(),
        Some(name) => validate::display_name(name.as_deref())?,
    };
    // Only the extra fields the user sent are written; the others (the application's
    // own included) keep what the database holds.
    let changes = validate::extra(users.extra_columns(), body.extra.as_ref())?;
    users
        .update_user_profile(&changes, display_name.as_deref(), Utc::now(), user.id)
        .await?;
    let mut extra = user.extra.clone();
    extra.extend(changes);
    state
        .emit(AuthEvent::ProfileUpdated { user_id: user.id }, &meta)
        .await;
    Ok(Json(AuthUser {
        display_name,
        extra,
        ..user
    }))
}

/// One of the caller's sessions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SessionInfo {
    id: Uuid,
    created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    last_seen_at: Option<DateTime<Utc>>,
    /// When it ends unless used again.
    expires_at: DateTime<Utc>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    /// Outlives the browser (signed in with `remember_me`).
    persistent: bool,
    /// The session this request came with.
    current: bool,
}

/// The caller's sessions that have not expired, newest first.
#[utoipa::path(
    get,
    path = "/sessions",
    tag = "core",
    operation_id = "listSessions",
    summary = "The signed-in user's sessions",
    security(("session" = [])),
    responses(
        (status = 200, description = "Every live session of the caller; `current` marks this one", body = [SessionInfo]),
        Unauthorized,
        AccountScope,
    )
)]
async fn list_sessions(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    user.require_account_scope()?;
    let now = Utc::now();
    let sessions = state.repos().sessions.list_user_sessions(user.id).await?;
    Ok(Json(
        sessions
            .into_iter()
            .filter(|s| s.expires_at > now)
            .map(|s| SessionInfo {
                current: user.session_id == Some(s.id),
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                ip_address: s.ip_address,
                user_agent: s.user_agent,
                persistent: s.persistent,
            })
            .collect(),
    ))
}

/// Ends one of the caller's sessions (another device, or this one).
#[utoipa::path(
    delete,
    path = "/sessions/{id}",
    tag = "core",
    operation_id = "endSession",
    summary = "End one of the signed-in user's sessions",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Ended; when it was the current one, the cookie is removed too"),
        BadRequest,
        Unauthorized,
        AccountScope,
        (status = 404, description = "`not_found`: no such session of the caller (another user's id answers the same)", body = ErrorBody),
    )
)]
async fn end_session(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
    jar: CookieJar,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<impl IntoResponse, ApiError> {
    user.require_account_scope()?;
    let ended = state
        .repos()
        .sessions
        .delete_user_session(id, user.id)
        .await?;
    if ended == 0 {
        return Err(ApiError::not_found("no such session"));
    }
    state
        .emit(
            AuthEvent::Logout {
                user_id: user.id,
                session_id: id,
            },
            &meta,
        )
        .await;
    let jar = if user.session_id == Some(id) {
        jar.add(removal_cookie(&state.config().cookie))
    } else {
        jar
    };
    Ok((StatusCode::NO_CONTENT, jar))
}
