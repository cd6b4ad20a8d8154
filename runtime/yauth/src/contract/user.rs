//! The authenticated caller: [`AuthUser`], an extractor of its own, and [`OptionalAuthUser`]
//! for public routes that react to a session when there is one.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::contract::error::ApiError;
use crate::entity::User;

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AuthMethod {
    /// The session cookie.
    Session,
    /// A bearer access token.
    Bearer,
    /// An API key.
    ApiKey,
}

/// The authenticated caller, answered by `GET /session`.
///
/// It is an extractor: a handler behind the auth middleware takes `user: AuthUser`. Mounted
/// by mistake on a public route, the same handler answers 401, never 500.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthUser {
    /// The user's id.
    pub id: Uuid,
    /// The normalised email.
    pub email: String,
    /// The name to show, if any.
    pub display_name: Option<String>,
    /// Whether the user redeemed a verification link (a fact, whatever the policy).
    pub email_verified: bool,
    /// `user` or `admin`.
    pub role: String,
    /// Whether a ban is recorded (a banned user cannot authenticate while it is in force).
    pub banned: bool,
    /// How the caller authenticated.
    pub auth_method: AuthMethod,
    /// The scopes of a bearer token or API key; `None` for a session (everything allowed).
    pub scopes: Option<Vec<String>>,
    /// The admin who opened this session by impersonation; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub impersonated_by: Option<Uuid>,
    /// The OAuth 2 client whose access token this is (the authorization server's tokens,
    /// `auth_method: "Bearer"`); absent for the user's own credentials. An application's
    /// route that only the user's own app may use refuses callers with a `client_id`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_id: Option<String>,
    /// The session the request came with (for logout and "other sessions").
    #[serde(skip)]
    pub session_id: Option<Uuid>,
    /// The application's extra columns on users (`[users.extra.*]` in `yauth.toml`, stored
    /// by repositories generated into the application), by name; absent when it has none.
    /// The OpenAPI document the application serves lists each with its type.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty", default)]
    #[schema(ignore)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl AuthUser {
    /// The caller `user`, authenticated by `auth_method`.
    pub fn from_user(user: &User, auth_method: AuthMethod) -> Self {
        AuthUser {
            id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            email_verified: user.email_verified,
            role: user.role.clone(),
            banned: user.banned,
            auth_method,
            scopes: None,
            impersonated_by: None,
            client_id: None,
            session_id: None,
            extra: user.extra.clone(),
        }
    }

    /// Whether the caller may act with `scope`: a session carries every scope, a bearer
    /// token or an API key only those it was granted. For an application's own routes:
    /// `user.require_scope("files:write")?` answers 403 `insufficient_scope` otherwise.
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        match &self.scopes {
            None => Ok(()),
            Some(granted) if granted.iter().any(|s| s == scope) => Ok(()),
            Some(_) => Err(ApiError::forbidden(
                "insufficient_scope",
                "the credentials do not carry the scope this needs",
            )),
        }
    }

    /// [`AuthUser::require_scope`] of [`ACCOUNT_SCOPE`]: what yauth's account routes ask.
    pub fn require_account_scope(&self) -> Result<(), ApiError> {
        self.require_scope(ACCOUNT_SCOPE)
    }

    /// 403 `forbidden` unless the caller is the user in their own signed-in session: not a
    /// bearer token or an API key (a leaked program credential must not plant a factor that
    /// outlives it), not an admin's impersonation session. What the routes that add or
    /// remove a user's sign-in factors (passkeys, TOTP, backup codes) ask.
    pub fn require_credential_owner(&self) -> Result<(), ApiError> {
        if self.auth_method != AuthMethod::Session || self.impersonated_by.is_some() {
            return Err(ApiError::forbidden(
                "forbidden",
                "sign-in factors are managed from the user's own signed-in session",
            ));
        }
        Ok(())
    }

    /// 403 `forbidden` unless the caller is an admin (role [`ADMIN_ROLE`]), acting as
    /// themselves (not through an impersonation session, whatever the target's role), with
    /// the `admin` scope when the credential is a bearer token or an API key: a narrow key
    /// of an admin account is not an admin key. What every admin route asks first.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role != ADMIN_ROLE {
            return Err(ApiError::forbidden("forbidden", "admins only"));
        }
        if self.impersonated_by.is_some() {
            return Err(ApiError::forbidden(
                "forbidden",
                "an impersonation session cannot use the admin routes",
            ));
        }
        self.require_scope(ADMIN_ROLE)
    }

    /// [`AuthUser::from_user`] taking the row, whose strings it keeps instead of copying.
    pub(crate) fn from_owned_user(user: User, auth_method: AuthMethod) -> Self {
        AuthUser {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            email_verified: user.email_verified,
            role: user.role,
            banned: user.banned,
            auth_method,
            scopes: None,
            impersonated_by: None,
            client_id: None,
            session_id: None,
            extra: user.extra,
        }
    }
}

/// The scope a bearer token or an API key needs on yauth's own account routes (`PATCH
/// /me`, `GET`/`DELETE /sessions`, `POST /change-password`, `GET`/`DELETE /api-keys`): a
/// key given to an integration cannot manage the account unless it was granted this. A
/// session always can.
pub const ACCOUNT_SCOPE: &str = "account";

/// The role that opens the admin routes (and the scope a token or key needs for them).
pub const ADMIN_ROLE: &str = "admin";

/// Whether a ban is in force now.
pub fn is_banned(user: &User) -> bool {
    user.banned && user.banned_until.is_none_or(|until| until > Utc::now())
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = ApiError;

    /// The caller that the auth middleware of protected routes found; 401 without it.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<AuthUser>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The caller of a protected route, who must be an admin ([`AuthUser::require_admin`]):
/// 401 without credentials, 403 otherwise. Put it before the path and body extractors, so
/// that a caller who is not an admin learns nothing from a 400 about the request's shape.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl<S: Send + Sync> FromRequestParts<S> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        user.require_admin()?;
        Ok(AdminUser(user))
    }
}

/// The caller when the request carries valid credentials, on any route: public routes that
/// behave differently for a signed-in user (linking an OAuth account, a magic link) take it.
#[derive(Debug, Clone)]
pub struct OptionalAuthUser(pub Option<AuthUser>);

impl<S> FromRequestParts<S> for OptionalAuthUser
where
    S: Send + Sync,
    crate::contract::state::YAuthState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(OptionalAuthUser(Some(user.clone())));
        }
        let state = crate::contract::state::YAuthState::from_ref(state);
        Ok(OptionalAuthUser(state.authenticate(parts).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(scopes: Option<Vec<String>>) -> AuthUser {
        AuthUser {
            id: Uuid::nil(),
            email: "a@example.com".into(),
            display_name: None,
            email_verified: true,
            role: "user".into(),
            banned: false,
            auth_method: if scopes.is_some() {
                AuthMethod::ApiKey
            } else {
                AuthMethod::Session
            },
            scopes,
            impersonated_by: None,
            client_id: None,
            session_id: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn a_session_has_every_scope_and_a_key_only_its_own() {
        assert!(caller(None).require_scope("files:write").is_ok());
        let key = caller(Some(vec!["files:read".into()]));
        assert!(key.require_scope("files:read").is_ok());
        let refused = key.require_scope("files:write").unwrap_err();
        assert_eq!(
            (refused.status, refused.error),
            (axum::http::StatusCode::FORBIDDEN, "insufficient_scope")
        );
    }
}
