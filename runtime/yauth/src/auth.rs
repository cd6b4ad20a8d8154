//! Who is calling: credential extractors (session cookie first; the bearer and api-key
//! plugins add theirs), the middleware in front of protected routes, and client IPs.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::BindingAction;
use crate::entity::User;
use crate::error::ApiError;
use crate::plugin::BoxFuture;
use crate::session::hash_token;
use crate::state::YAuthState;

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AuthMethod {
    Session,
    Bearer,
    ApiKey,
}

/// The authenticated caller, injected into protected handlers as `Extension<AuthUser>` and
/// answered by `GET /session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub email_verified: bool,
    pub role: String,
    pub banned: bool,
    pub auth_method: AuthMethod,
    /// The scopes of a bearer token or API key; `None` for a session (everything allowed).
    pub scopes: Option<Vec<String>>,
    /// The session the request came with (for logout and "other sessions").
    #[serde(skip)]
    pub session_id: Option<Uuid>,
}

impl AuthUser {
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
            session_id: None,
        }
    }
}

/// Whether a ban is in force now.
pub fn is_banned(user: &User) -> bool {
    user.banned && user.banned_until.is_none_or(|until| until > Utc::now())
}

/// One way of reading credentials from a request. `Ok(None)` means "not mine, try the next".
pub trait CredentialExtractor: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        state: &'a YAuthState,
    ) -> BoxFuture<'a, Result<Option<AuthUser>, ApiError>>;
}

/// The session cookie: one joined query (session + user, by token hash, not expired).
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
        Box::pin(async move {
            let jar = CookieJar::from_headers(&parts.headers);
            let Some(cookie) = jar.get(&state.config().cookie.name) else {
                return Ok(None);
            };
            let token_hash = hash_token(cookie.value());
            let Some((session, user)) = state
                .repos()
                .sessions
                .check_session(&token_hash, Utc::now())
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
            let mut auth = AuthUser::from_user(&user, AuthMethod::Session);
            auth.session_id = Some(session.id);
            Ok(Some(auth))
        })
    }
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
            .map(|a| a.chars().take(512).collect::<String>())
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

/// The caller, trying every extractor in order (session cookie, then the plugins').
pub async fn authenticate(parts: &Parts, state: &YAuthState) -> Result<Option<AuthUser>, ApiError> {
    for extractor in state.extractors() {
        if let Some(user) = extractor.authenticate(parts, state).await? {
            return Ok(Some(user));
        }
    }
    Ok(None)
}

/// The middleware in front of protected routes: 401 without valid credentials, otherwise
/// the request continues with `Extension<AuthUser>`.
pub async fn require_auth(
    State(state): State<YAuthState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match authenticate(&parts, &state).await {
        Ok(Some(user)) => {
            parts.extensions.insert(user);
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(None) => ApiError::unauthorized().into_response(),
        Err(e) => e.into_response(),
    }
}

/// The client's IP: from the trusted proxy header when one is configured, else from the
/// connection (`ConnectInfo`, present when the app is served with
/// `into_make_service_with_connect_info`). `None` when neither is available.
pub fn client_ip(parts: &Parts, state: &YAuthState) -> Option<IpAddr> {
    if let Some(header) = &state.config().trusted_proxy_header {
        let value = parts.headers.get(header.as_str())?.to_str().ok()?;
        return value.split(',').next()?.trim().parse().ok();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

pub fn user_agent(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::USER_AGENT)?
        .to_str()
        .ok()
}

/// The client IP as an extractor (see [`client_ip`]). Handlers that key rate limits on it get
/// `None` when the app is served without `ConnectInfo` and no trusted proxy header is set.
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    pub fn to_text(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl FromRequestParts<YAuthState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &YAuthState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}
