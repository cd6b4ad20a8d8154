//! Who is calling: the session-cookie credential extractor (tried first; the bearer and
//! api-key plugins add theirs) and the middleware in front of protected routes.

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::config::BindingAction;
use crate::contract::error::ApiError;
use crate::contract::plugin::{BoxFuture, CredentialExtractor};
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser, is_banned};
use crate::kit::request::{MAX_USER_AGENT, client_ip, user_agent};
use crate::kit::session::touch;
use crate::kit::token::hash_token;

/// The session cookie: one joined query (session + user, by token hash, not expired).
#[derive(Debug, Clone, Copy)]
pub struct SessionCookie;

impl CredentialExtractor for SessionCookie {
    fn name(&self) -> &'static str {
        "session"
    }

    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Result<Option<AuthUser>, ApiError>> {
        Box::pin(session_user(parts, state))
    }
}

/// The value of cookie `name` in the request's `Cookie` headers, read in place (no jar, no
/// allocation): the session check runs on every protected request.
pub fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"'))
        })
}

/// The session cookie's user, or `None`.
async fn session_user(parts: &Parts, state: &YAuthState) -> Result<Option<AuthUser>, ApiError> {
    let Some(cookie) = cookie_value(parts, &state.config().cookie.name) else {
        return Ok(None);
    };
    let token_hash = hash_token(cookie);
    let now = Utc::now();
    let Some((session, user)) = state
        .repos()
        .sessions
        .check_session(&token_hash, now)
        .await?
    else {
        return Ok(None);
    };
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    if !binding_holds(state, parts, &session).await? {
        return Ok(None);
    }
    touch(state, &session, now).await?;
    let mut auth = AuthUser::from_user(&user, AuthMethod::Session);
    auth.session_id = Some(session.id);
    Ok(Some(auth))
}

/// Compares the request with the IP and User-Agent the session was created with, when
/// binding is on. A mismatch is logged; with `Invalidate` the session is also ended.
async fn binding_holds(
    state: &YAuthState,
    parts: &Parts,
    session: &crate::entity::Session,
) -> Result<bool, ApiError> {
    let config = state.config();
    let mut mismatch = None;
    if config.bind_ip {
        let ip = client_ip(parts, state).map(|ip| ip.to_string());
        if ip.is_some() && session.ip_address.is_some() && ip != session.ip_address {
            mismatch = Some("ip");
        }
    }
    if config.bind_user_agent {
        let agent = user_agent(parts);
        let stored = session.user_agent.as_deref();
        if agent
            .map(|a| a.chars().take(MAX_USER_AGENT).collect::<String>())
            .as_deref()
            != stored
        {
            mismatch = Some("user_agent");
        }
    }
    let Some(what) = mismatch else {
        return Ok(true);
    };
    tracing::warn!(session_id = %session.id, mismatch = what, "session used from a different client");
    match config.binding_action {
        BindingAction::Warn => Ok(true),
        BindingAction::Invalidate => {
            state.repos().sessions.delete_session(session.id).await?;
            Ok(false)
        }
    }
}

/// The middleware in front of protected routes: 401 without valid credentials, otherwise
/// the request continues with the caller, which handlers take as [`AuthUser`].
pub async fn require_auth(
    State(state): State<YAuthState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match state.authenticate(&parts).await {
        Ok(Some(user)) => {
            parts.extensions.insert(user);
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(None) => ApiError::unauthorized().into_response(),
        Err(e) => e.into_response(),
    }
}
