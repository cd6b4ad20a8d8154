//! The one "sign this user in" path. Every primary login (password, magic link, passkey,
//! OAuth callback, the second factor) ends here, so the ban check, the plugins' veto and
//! second-factor request, the session or token pair, the cookie and the events are the same
//! for all.

use axum::Json;
use axum::http::header::{CACHE_CONTROL, PRAGMA, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::Cookie;
use serde::Serialize;

use crate::contract::error::ApiError;
pub use crate::contract::event::Grant;
use crate::contract::event::{Attempt, AuthEvent};
use crate::contract::plugin::TokenPair;
use crate::contract::state::{SignInClearance, YAuthState};
use crate::contract::user::{AuthMethod, AuthUser, is_banned};
use crate::entity::User;
use crate::kit::request::RequestMeta;
use crate::kit::session::{create_session, session_cookie, session_ttl};

/// The answer when a plugin asks for a second factor (no cookie is set yet).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MfaRequired {
    /// Always `true`.
    pub mfa_required: bool,
    /// Pass it to the MFA plugin's verify route.
    pub pending_session_id: String,
}

/// The 200 body of a primary login: the signed-in user, or the second-factor request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SignInAnswer {
    /// Signed in; the session cookie is set.
    SignedIn(AuthUser),
    /// A second factor is needed; nothing is set.
    MfaRequired(MfaRequired),
}

/// The 200 body of a primary login that asked for tokens (`POST /token`): the pair, or the
/// second-factor request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum TokenAnswer {
    /// Signed in: an access token and its refresh token.
    Tokens(TokenPair),
    /// A second factor is needed; no token was issued.
    MfaRequired(MfaRequired),
}

/// How a sign-in ended.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "made once per sign-in and turned into a response at once"
)]
pub enum SignInOutcome {
    /// A session was created: the caller and the cookie that carries it.
    SignedIn {
        /// The signed-in user.
        user: AuthUser,
        /// The session cookie to set.
        cookie: Cookie<'static>,
    },
    /// A token pair was issued (a sign-in that asked for [`Grant::Tokens`]).
    Tokens(TokenPair),
    /// A plugin asks for a second factor first; no session exists yet.
    MfaRequired {
        /// The id the client passes to the second-factor route.
        pending_session_id: String,
    },
}

impl IntoResponse for SignInOutcome {
    fn into_response(self) -> Response {
        match self {
            SignInOutcome::SignedIn { user, cookie } => {
                let mut response =
                    (StatusCode::OK, Json(SignInAnswer::SignedIn(user))).into_response();
                match HeaderValue::from_str(&cookie.to_string()) {
                    Ok(value) => {
                        response.headers_mut().append(SET_COOKIE, value);
                        response
                    }
                    Err(e) => ApiError::internal(e).into_response(),
                }
            }
            SignInOutcome::Tokens(pair) => no_store(Json(pair).into_response()),
            SignInOutcome::MfaRequired { pending_session_id } => (
                StatusCode::OK,
                Json(SignInAnswer::MfaRequired(MfaRequired {
                    mfa_required: true,
                    pending_session_id,
                })),
            )
                .into_response(),
        }
    }
}

/// A response that carries credentials: never stored by a cache (RFC 6749 §5.1).
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// What a sign-in asks for.
#[derive(Debug, Clone, Copy)]
pub struct SignIn<'a> {
    /// Who proved who they are.
    pub user: &'a User,
    /// How (`email-password`, `magic-link`, …): the event's `method`.
    pub method: &'a str,
    /// A session or a token pair.
    pub grant: Grant<'a>,
    /// The request's client, stored with the session and the audit rows.
    pub meta: &'a RequestMeta,
    /// The proof already covered a second factor (a user-verified passkey; the MFA plugin
    /// finishing a pending login): no plugin asks for one again.
    pub second_factor: bool,
}

/// Signs `user` in: 403 `user_banned` for a ban in force; then every plugin is asked (a
/// block is an error and is audited as a failed login; a second-factor request ends here
/// with nothing created); then a new session (`login_succeeded`, `session_created`) or a
/// token pair (`login_succeeded`, `token_issued`).
pub async fn sign_in(state: &YAuthState, request: SignIn<'_>) -> Result<SignInOutcome, ApiError> {
    let SignIn {
        user,
        method,
        grant,
        meta,
        second_factor,
    } = request;
    // Checked before anything is asked or written: a grant nobody can issue is a 404 of
    // the route, never a half-done sign-in.
    let tokens = match grant {
        Grant::Session { .. } => None,
        Grant::Tokens { scopes } => Some((
            scopes,
            state.token_issuer().cloned().ok_or_else(|| {
                ApiError::not_found("token issuance is not enabled (the bearer plugin)")
            })?,
        )),
    };
    let ip = meta.ip_text();
    if is_banned(user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let attempt = Attempt::SignIn {
        user,
        method,
        grant,
        client: meta,
        second_factor,
    };
    let clearance = match state.ask_sign_in(&attempt).await {
        Ok(clearance) => clearance,
        Err(blocked) => {
            state
                .emit(
                    AuthEvent::LoginFailed {
                        user_id: Some(user.id),
                        reason: "blocked".into(),
                    },
                    meta,
                )
                .await;
            return Err(blocked);
        }
    };
    if let SignInClearance::SecondFactor { pending_session_id } = clearance {
        return Ok(SignInOutcome::MfaRequired { pending_session_id });
    }
    if let Some((scopes, issuer)) = tokens {
        let pair = issuer.issue(state, user, scopes, meta).await?;
        state
            .emit(
                AuthEvent::LoginSucceeded {
                    user_id: user.id,
                    method: method.into(),
                },
                meta,
            )
            .await;
        return Ok(SignInOutcome::Tokens(pair));
    }
    let remember_me = matches!(grant, Grant::Session { remember_me: true });
    let (session, token) = create_session(
        state,
        user.id,
        remember_me,
        ip.as_deref(),
        meta.user_agent.as_deref(),
        None,
    )
    .await?;
    state
        .emit(
            AuthEvent::LoginSucceeded {
                user_id: user.id,
                method: method.into(),
            },
            meta,
        )
        .await;
    state
        .emit(
            AuthEvent::SessionCreated {
                user_id: user.id,
                session_id: session.id,
            },
            meta,
        )
        .await;
    let config = state.config();
    // Only a remembered session outlives the browser; the server-side expiry bounds both.
    let max_age = remember_me.then(|| session_ttl(config, true));
    let cookie = session_cookie(&config.cookie, token, max_age);
    let mut auth = AuthUser::from_user(user, AuthMethod::Session);
    auth.session_id = Some(session.id);
    Ok(SignInOutcome::SignedIn { user: auth, cookie })
}

/// An admin opens a session as `target` (the admin plugin's impersonation): no plugin is
/// asked (it is not the target's sign-in), the session records the admin
/// (`impersonator_id`, shown as `impersonated_by`), lives as a default session (no
/// remember-me), and `impersonation_started` is audited with both ids. A banned target
/// cannot be impersonated.
pub async fn impersonate(
    state: &YAuthState,
    admin_id: uuid::Uuid,
    target: &User,
    meta: &RequestMeta,
) -> Result<SignInOutcome, ApiError> {
    if is_banned(target) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let ip = meta.ip_text();
    let (session, token) = create_session(
        state,
        target.id,
        false,
        ip.as_deref(),
        meta.user_agent.as_deref(),
        Some(admin_id),
    )
    .await?;
    state
        .emit(
            AuthEvent::ImpersonationStarted {
                admin_id,
                user_id: target.id,
                session_id: session.id,
            },
            meta,
        )
        .await;
    let cookie = session_cookie(&state.config().cookie, token, None);
    let mut auth = AuthUser::from_user(target, AuthMethod::Session);
    auth.session_id = Some(session.id);
    auth.impersonated_by = Some(admin_id);
    Ok(SignInOutcome::SignedIn { user: auth, cookie })
}

/// A new account for `email` (normalised), after every plugin allowed it
/// (`Attempt::Register`), with `user_registered` emitted. `None` when the address got an
/// account meanwhile (a concurrent sign-up): the caller decides what that means. For sign-ups
/// without a password (a magic link, an OAuth provider); email-password has its own.
pub async fn create_account(
    state: &YAuthState,
    email: &str,
    display_name: Option<String>,
    email_verified: bool,
    meta: &RequestMeta,
) -> Result<Option<User>, ApiError> {
    state
        .ask(&crate::contract::event::Attempt::Register { email })
        .await?;
    let now = chrono::Utc::now();
    let user = User {
        id: uuid::Uuid::now_v7(),
        email: email.to_owned(),
        display_name,
        email_verified,
        role: "user".into(),
        banned: false,
        banned_reason: None,
        banned_until: None,
        created_at: now,
        updated_at: now,
        // What the repository stores for a user who gave none: the defaults.
        extra: crate::kit::validate::extra_defaults(state.repos().users.extra_columns()),
    };
    match state.repos().users.insert_user(&user).await {
        Ok(()) => {}
        Err(crate::entity::RepoError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    state
        .emit(
            AuthEvent::UserRegistered {
                user_id: user.id,
                email: email.to_owned(),
            },
            meta,
        )
        .await;
    Ok(Some(user))
}
