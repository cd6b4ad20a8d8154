//! What each admin route does; no HTTP types beyond the error and the sign-in outcome.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{ADMIN_ROLE, MAX_PER_PAGE};
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::{Session, User};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::{SignInOutcome, impersonate};
use crate::kit::validate::display_name;

/// A user as admins see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct AdminUser {
    id: Uuid,
    email: String,
    display_name: Option<String>,
    email_verified: bool,
    role: String,
    banned: bool,
    banned_reason: Option<String>,
    banned_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<User> for AdminUser {
    fn from(u: User) -> Self {
        AdminUser {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            email_verified: u.email_verified,
            role: u.role,
            banned: u.banned,
            banned_reason: u.banned_reason,
            banned_until: u.banned_until,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct UserPage {
    users: Vec<AdminUser>,
    total: u64,
    page: u64,
    per_page: u64,
}

/// A session as admins see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct AdminSession {
    id: Uuid,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    last_seen_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    /// The admin who opened it by impersonation.
    impersonator_id: Option<Uuid>,
}

impl From<Session> for AdminSession {
    fn from(s: Session) -> Self {
        AdminSession {
            id: s.id,
            user_id: s.user_id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            ip_address: s.ip_address,
            user_agent: s.user_agent,
            impersonator_id: s.impersonator_id,
        }
    }
}

/// A page of sessions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SessionPage {
    sessions: Vec<AdminSession>,
    total: u64,
    page: u64,
    per_page: u64,
}

/// `(page, per_page)`: page from 1, 1 to [`MAX_PER_PAGE`] per page (out-of-range values are
/// brought into range, as the document says).
fn paging(page: Option<i32>, per_page: Option<i32>) -> (u64, u64) {
    let positive = |n: i32| u64::try_from(n.max(1)).unwrap_or(1);
    (
        positive(page.unwrap_or(1)),
        positive(per_page.unwrap_or(20)).min(MAX_PER_PAGE),
    )
}

fn offset(page: u64, per_page: u64) -> u64 {
    (page - 1).saturating_mul(per_page)
}

/// `GET /admin/users`.
pub(super) async fn list_users(
    state: &YAuthState,
    page: Option<i32>,
    per_page: Option<i32>,
    search: Option<&str>,
) -> Result<UserPage, ApiError> {
    let (page, per_page) = paging(page, per_page);
    let users = &state.repos().users;
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 254) {
        return Err(ApiError::bad_request(
            "invalid_search",
            "the search text is too long",
        ));
    }
    let (rows, total) = match search {
        Some(text) => (
            users
                .search_users(text, per_page, offset(page, per_page))
                .await?,
            users.count_search_users(text).await?,
        ),
        None => (
            users.list_users(per_page, offset(page, per_page)).await?,
            users.count_users().await?,
        ),
    };
    Ok(UserPage {
        users: rows.into_iter().map(AdminUser::from).collect(),
        total,
        page,
        per_page,
    })
}

async fn user(state: &YAuthState, id: Uuid) -> Result<User, ApiError> {
    state
        .repos()
        .users
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))
}

/// `GET /admin/users/{id}`.
pub(super) async fn get_user(state: &YAuthState, id: Uuid) -> Result<AdminUser, ApiError> {
    Ok(user(state, id).await?.into())
}

/// Refuses to act on oneself (400 `cannot_target_self`) or on another admin (403).
fn may_target(caller: &AuthUser, target: &User) -> Result<(), ApiError> {
    if caller.id == target.id {
        return Err(ApiError::bad_request(
            "cannot_target_self",
            "an admin cannot do this to their own account",
        ));
    }
    if target.role == ADMIN_ROLE {
        return Err(ApiError::forbidden(
            "forbidden",
            "an admin cannot do this to another admin",
        ));
    }
    Ok(())
}

/// A role name: 1 to 32 lower-case letters, digits, `_` or `-`.
fn role(name: &str) -> Result<String, ApiError> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err(ApiError::bad_request(
            "invalid_role",
            "a role is 1 to 32 lower-case letters, digits, `_` or `-`",
        ));
    }
    Ok(name.to_string())
}

/// What `PUT /admin/users/{id}` may change; absent fields stay.
#[derive(Debug)]
pub(super) struct UserChanges<'a> {
    pub(super) display_name: Option<Option<&'a str>>,
    pub(super) role: Option<&'a str>,
    pub(super) email_verified: Option<bool>,
}

/// `PUT /admin/users/{id}`. An admin cannot change their own role.
pub(super) async fn update_user(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    changes: UserChanges<'_>,
    meta: &RequestMeta,
) -> Result<AdminUser, ApiError> {
    let mut target = user(state, id).await?;
    // Another admin is out of reach altogether: a demotion would open the way to banning,
    // deleting or impersonating them.
    if target.id != caller.id && target.role == ADMIN_ROLE {
        return Err(ApiError::forbidden(
            "forbidden",
            "an admin cannot change another admin",
        ));
    }
    if let Some(new) = changes.display_name {
        target.display_name = display_name(new)?;
    }
    if let Some(new) = changes.role {
        let new = role(new)?;
        if caller.id == target.id && new != target.role {
            return Err(ApiError::bad_request(
                "cannot_target_self",
                "an admin cannot change their own role",
            ));
        }
        target.role = new;
    }
    if let Some(verified) = changes.email_verified {
        target.email_verified = verified;
    }
    target.updated_at = Utc::now();
    state
        .repos()
        .users
        .update_user_admin(
            target.display_name.as_deref(),
            &target.role,
            target.email_verified,
            target.updated_at,
            target.id,
        )
        .await?;
    state
        .emit(
            AuthEvent::UserUpdated {
                user_id: target.id,
                admin_id: caller.id,
            },
            meta,
        )
        .await;
    Ok(target.into())
}

/// `DELETE /admin/users/{id}`: the user and everything they own (sessions, tokens, keys,
/// by the foreign keys' cascade).
pub(super) async fn delete_user(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let target = user(state, id).await?;
    may_target(caller, &target)?;
    if state.repos().users.delete_user(target.id).await? == 0 {
        return Err(ApiError::not_found("no such user"));
    }
    state
        .emit(
            AuthEvent::UserDeleted {
                user_id: target.id,
                admin_id: caller.id,
            },
            meta,
        )
        .await;
    Ok(())
}

/// `POST /admin/users/{id}/ban`: the ban, then every session and refresh family ends; the
/// bearer and API-key extractors refuse the user at the next request.
pub(super) async fn ban(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    reason: Option<&str>,
    until: Option<DateTime<Utc>>,
    meta: &RequestMeta,
) -> Result<AdminUser, ApiError> {
    let mut target = user(state, id).await?;
    may_target(caller, &target)?;
    let now = Utc::now();
    let latest = now + chrono::Duration::days(36_500);
    if until.is_some_and(|until| until <= now || until > latest) {
        return Err(ApiError::bad_request(
            "invalid_until",
            "`until` must be in the future and within 100 years",
        ));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| {
        r.chars().count() > 500
            || r.chars()
                .any(|c| c.is_control() || crate::kit::validate::is_format(c))
    }) {
        return Err(ApiError::bad_request(
            "invalid_reason",
            "the reason is at most 500 printable characters",
        ));
    }
    let repos = state.repos();
    repos.users.ban_user(reason, until, now, target.id).await?;
    repos.sessions.delete_user_sessions(target.id).await?;
    // Without the bearer plugin an application that migrated only the plugins it uses has
    // no refresh-token table: then the error is no reason to fail the ban.
    let revoked = repos
        .refresh_tokens
        .revoke_user_refresh_tokens(target.id)
        .await;
    match revoked {
        Ok(_) => {}
        Err(e) if state.plugin_names().contains(&"bearer") => return Err(e.into()),
        Err(e) => tracing::debug!(error = %e, "no refresh tokens without the bearer plugin"),
    }
    state
        .emit(
            AuthEvent::UserBanned {
                user_id: target.id,
                admin_id: caller.id,
            },
            meta,
        )
        .await;
    target.banned = true;
    target.banned_reason = reason.map(str::to_string);
    target.banned_until = until;
    target.updated_at = now;
    Ok(target.into())
}

/// `POST /admin/users/{id}/unban`.
pub(super) async fn unban(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<AdminUser, ApiError> {
    let mut target = user(state, id).await?;
    let now = Utc::now();
    state.repos().users.unban_user(now, target.id).await?;
    state
        .emit(
            AuthEvent::UserUnbanned {
                user_id: target.id,
                admin_id: caller.id,
            },
            meta,
        )
        .await;
    target.banned = false;
    target.banned_reason = None;
    target.banned_until = None;
    target.updated_at = now;
    Ok(target.into())
}

/// `POST /admin/users/{id}/impersonate`: a session cookie for the target, marked with the
/// admin. Only a signed-in admin (a session, not a token) may impersonate, since the answer
/// is a browser session.
pub(super) async fn impersonate_user(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<SignInOutcome, ApiError> {
    if caller.session_id.is_none() || caller.impersonated_by.is_some() {
        return Err(ApiError::forbidden(
            "forbidden",
            "impersonation starts from an admin's own session",
        ));
    }
    let target = user(state, id).await?;
    may_target(caller, &target)?;
    impersonate(state, caller.id, &target, meta).await
}

/// `GET /admin/sessions`: every session, or one user's.
pub(super) async fn list_sessions(
    state: &YAuthState,
    page: Option<i32>,
    per_page: Option<i32>,
    user_id: Option<Uuid>,
) -> Result<SessionPage, ApiError> {
    let (page, per_page) = paging(page, per_page);
    let sessions = &state.repos().sessions;
    let (rows, total) = match user_id {
        Some(user_id) => {
            let all = sessions.list_user_sessions(user_id).await?;
            let total = all.len() as u64;
            let start = usize::try_from(offset(page, per_page)).unwrap_or(usize::MAX);
            let rows = all
                .into_iter()
                .skip(start)
                .take(usize::try_from(per_page).unwrap_or(usize::MAX))
                .collect();
            (rows, total)
        }
        None => (
            sessions
                .list_sessions(per_page, offset(page, per_page))
                .await?,
            sessions.count_sessions().await?,
        ),
    };
    Ok(SessionPage {
        sessions: rows.into_iter().map(AdminSession::from).collect(),
        total,
        page,
        per_page,
    })
}

/// `DELETE /admin/sessions/{id}`: the session's cookie is refused at its next request.
pub(super) async fn end_session(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let sessions = &state.repos().sessions;
    let session = sessions
        .get_session(id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such session"))?;
    // Another admin's sessions are out of reach, like the rest of their account.
    if session.user_id != caller.id && user(state, session.user_id).await?.role == ADMIN_ROLE {
        return Err(ApiError::forbidden(
            "forbidden",
            "an admin cannot end another admin's session",
        ));
    }
    if sessions.delete_session(id).await? == 0 {
        return Err(ApiError::not_found("no such session"));
    }
    state
        .emit(
            AuthEvent::SessionRevoked {
                user_id: session.user_id,
                admin_id: caller.id,
                session_id: id,
            },
            meta,
        )
        .await;
    Ok(())
}
