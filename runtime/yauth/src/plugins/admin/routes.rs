//! The HTTP surface of the plugin: bodies, OpenAPI descriptions and thin handlers over
//! [`super::flows`]. Every handler checks the admin role first.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::flows::{self, AdminUser, SessionPage, UserChanges, UserPage};
use crate::contract::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::{BadRequest, Unauthorized};
use crate::kit::request::RequestMeta;

/// Every admin route (all protected).
pub(super) fn protected() -> OpenApiRouter<YAuthState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(ban))
        .routes(routes!(unban))
        .routes(routes!(impersonate))
        .routes(routes!(list_sessions))
        .routes(routes!(end_session))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UserQuery {
    /// The page, from 1 (default 1; lower values mean 1).
    page: Option<i32>,
    /// Users per page (default 20; capped at 100).
    per_page: Option<i32>,
    /// Text to find in the email or display name (case-insensitive).
    search: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/users",
    tag = "admin",
    operation_id = "adminListUsers",
    summary = "A page of users, newest first",
    params(UserQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "The page", body = UserPage),
        BadRequest,
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
async fn list_users(
    State(state): State<YAuthState>,
    caller: AuthUser,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> Result<Json<UserPage>, ApiError> {
    caller.require_admin()?;
    let page = flows::list_users(&state, query.page, query.per_page, query.search.as_deref());
    Ok(Json(page.await?))
}

#[utoipa::path(
    get,
    path = "/admin/users/{id}",
    tag = "admin",
    operation_id = "adminGetUser",
    summary = "One user",
    params(("id" = Uuid, Path, description = "The user's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The user", body = AdminUser),
        BadRequest,
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn get_user(
    State(state): State<YAuthState>,
    caller: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AdminUser>, ApiError> {
    caller.require_admin()?;
    Ok(Json(flows::get_user(&state, id).await?))
}

/// `display_name` may be `null` (cleared); an absent field stays as it is.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    display_name: Option<Option<String>>,
    role: Option<String>,
    email_verified: Option<bool>,
}

/// Tells a field given as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D>(deserializer: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer).map(Some)
}

#[utoipa::path(
    put,
    path = "/admin/users/{id}",
    tag = "admin",
    operation_id = "adminUpdateUser",
    summary = "Change a user's display name, role or verification",
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = UpdateBody,
    security(("session" = [])),
    responses(
        (status = 200, description = "The updated user", body = AdminUser),
        (status = 400, description = "`invalid_request`, `invalid_display_name`, `invalid_role`, or `cannot_target_self` (an admin's own role)", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn update_user(
    State(state): State<YAuthState>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<AdminUser>, ApiError> {
    caller.require_admin()?;
    let changes = UserChanges {
        display_name: body.display_name.as_ref().map(|n| n.as_deref()),
        role: body.role.as_deref(),
        email_verified: body.email_verified,
    };
    Ok(Json(
        flows::update_user(&state, &caller, id, changes, &meta).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/admin/users/{id}",
    tag = "admin",
    operation_id = "adminDeleteUser",
    summary = "Delete a user and everything they own",
    params(("id" = Uuid, Path, description = "The user's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Deleted, with their sessions, tokens and keys"),
        (status = 400, description = "`invalid_request`, or `cannot_target_self`", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin, or the target is an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn delete_user(
    State(state): State<YAuthState>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    flows::delete_user(&state, &caller, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BanBody {
    /// Shown to admins (at most 500 characters).
    reason: Option<String>,
    /// The ban lifts itself then; absent: until unbanned.
    until: Option<DateTime<Utc>>,
}

#[utoipa::path(
    post,
    path = "/admin/users/{id}/ban",
    tag = "admin",
    operation_id = "adminBanUser",
    summary = "Ban a user: their sessions and refresh tokens end, every credential is refused",
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = BanBody,
    security(("session" = [])),
    responses(
        (status = 200, description = "The banned user", body = AdminUser),
        (status = 400, description = "`invalid_request`, `invalid_reason`, `invalid_until`, or `cannot_target_self`", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin, or the target is an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn ban(
    State(state): State<YAuthState>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<BanBody>,
) -> Result<Json<AdminUser>, ApiError> {
    caller.require_admin()?;
    let banned = flows::ban(
        &state,
        &caller,
        id,
        body.reason.as_deref(),
        body.until,
        &meta,
    );
    Ok(Json(banned.await?))
}

#[utoipa::path(
    post,
    path = "/admin/users/{id}/unban",
    tag = "admin",
    operation_id = "adminUnbanUser",
    summary = "Lift a ban",
    params(("id" = Uuid, Path, description = "The user's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The user", body = AdminUser),
        BadRequest,
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn unban(
    State(state): State<YAuthState>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AdminUser>, ApiError> {
    caller.require_admin()?;
    Ok(Json(flows::unban(&state, &caller, id, &meta).await?))
}

#[utoipa::path(
    post,
    path = "/admin/users/{id}/impersonate",
    tag = "admin",
    operation_id = "adminImpersonateUser",
    summary = "Open a session as the user (marked with the admin; ending it is a logout)",
    params(("id" = Uuid, Path, description = "The user's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The user with `impersonated_by`, and their session cookie", body = AuthUser),
        (status = 400, description = "`invalid_request`, or `cannot_target_self`", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin, not from an admin's own session, or the target is an admin; `user_banned`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn impersonate(
    State(state): State<YAuthState>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    Ok(flows::impersonate_user(&state, &caller, id, &meta)
        .await?
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SessionQuery {
    /// The page, from 1 (default 1; lower values mean 1).
    page: Option<i32>,
    /// Sessions per page (default 20; capped at 100).
    per_page: Option<i32>,
    /// Only this user's sessions.
    user_id: Option<Uuid>,
}

#[utoipa::path(
    get,
    path = "/admin/sessions",
    tag = "admin",
    operation_id = "adminListSessions",
    summary = "A page of sessions, newest first",
    params(SessionQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "The page", body = SessionPage),
        BadRequest,
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
async fn list_sessions(
    State(state): State<YAuthState>,
    caller: AuthUser,
    ApiQuery(query): ApiQuery<SessionQuery>,
) -> Result<Json<SessionPage>, ApiError> {
    caller.require_admin()?;
    let page = flows::list_sessions(&state, query.page, query.per_page, query.user_id);
    Ok(Json(page.await?))
}

#[utoipa::path(
    delete,
    path = "/admin/sessions/{id}",
    tag = "admin",
    operation_id = "adminEndSession",
    summary = "End a session (its cookie is refused at its next request)",
    params(("id" = Uuid, Path, description = "The session's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Ended"),
        BadRequest,
        Unauthorized,
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
async fn end_session(
    State(state): State<YAuthState>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    flows::end_session(&state, &caller, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
