//! Who is calling: the session-cookie credential extractor (tried first; the bearer and
//! api-key plugins add theirs) and the middleware in front of protected routes.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::config::BindingAction;
use crate::contract::error::ApiError;
use crate::contract::plugin::{BoxFuture, CredentialExtractor};
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser, is_banned};
use crate::kit::origin::{cross_site_refusal, same_site};
use crate::kit::request::{MAX_USER_AGENT, client_ip, user_agent};
use crate::kit::session::touch;
use crate::kit::token::TokenHash;

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
    let token_hash = TokenHash::of(cookie);
    let now = Utc::now();
    let Some((session, user)) = state
        .repos()
        .sessions
        .check_session(token_hash.as_str(), now)
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
    let mut auth = AuthUser::from_owned_user(user, AuthMethod::Session);
    auth.session_id = Some(session.id);
    auth.impersonated_by = session.impersonator_id;
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

/// What the builder puts in front of every protected route, as one layer: the cross-site
/// refusal of [`refuse_cross_site`](crate::kit::origin::refuse_cross_site), then
/// [`require_auth`], then the API's body limit. The same checks in the same order as those
/// middlewares, without `from_fn`'s boxing and one router level per middleware on every
/// protected request.
#[derive(Debug, Clone)]
pub(crate) struct ProtectedLayer {
    state: YAuthState,
    body_limit: usize,
}

impl ProtectedLayer {
    pub(crate) fn new(state: YAuthState, body_limit: usize) -> Self {
        ProtectedLayer { state, body_limit }
    }
}

impl<S> tower_layer::Layer<S> for ProtectedLayer {
    type Service = Protected<S>;

    fn layer(&self, inner: S) -> Protected<S> {
        Protected {
            inner,
            state: self.state.clone(),
            body_limit: self.body_limit,
        }
    }
}

/// The service of [`ProtectedLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Protected<S> {
    inner: S,
    state: YAuthState,
    body_limit: usize,
}

impl<S> tower_service::Service<Request> for Protected<S>
where
    S: tower_service::Service<Request, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if !same_site(&request, &self.state) {
            return Box::pin(std::future::ready(Ok(cross_site_refusal())));
        }
        DefaultBodyLimit::max(self.body_limit).apply(&mut request);
        // The service polled ready goes with the request; its clone stays for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match state.authenticate(&parts).await {
                Ok(Some(user)) => {
                    parts.extensions.insert(user);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Ok(None) => Ok(ApiError::unauthorized().into_response()),
                Err(e) => Ok(e.into_response()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{StatusCode, header};
    use tower::ServiceExt as _;

    use crate::config::YAuthConfig;
    use crate::entity::{Session, User};
    use crate::kit::token::{hash_token, new_token};

    /// The core plugin's protected routes (no public ones) and a signed-in cookie.
    async fn signed_in() -> (axum::Router, String) {
        let config = YAuthConfig {
            base_url: "https://app.example.com".into(),
            ..YAuthConfig::default()
        };
        let yauth =
            crate::builder::YAuthBuilder::new(yauth_backend_memory::InMemoryBackend::new(), config)
                .build()
                .await
                .unwrap();
        let now = chrono::Utc::now();
        let user = User {
            id: uuid::Uuid::now_v7(),
            email: "layer@example.com".into(),
            display_name: None,
            email_verified: true,
            role: "user".into(),
            banned: false,
            banned_reason: None,
            banned_until: None,
            created_at: now,
            updated_at: now,
            extra: Default::default(),
        };
        let repos = yauth.state().repos();
        repos.users.insert_user(&user).await.unwrap();
        let token = new_token();
        let session = Session {
            id: uuid::Uuid::now_v7(),
            user_id: user.id,
            token_hash: hash_token(&token),
            ip_address: None,
            user_agent: None,
            expires_at: now + chrono::Duration::hours(1),
            created_at: now,
            impersonator_id: None,
            last_seen_at: Some(now),
            persistent: false,
        };
        repos.sessions.insert_session(&session).await.unwrap();
        let cookie = format!("{}={token}", yauth.state().config().cookie.name);
        (yauth.router().with_state(yauth.state().clone()), cookie)
    }

    async fn status(
        router: &axum::Router,
        method: &str,
        path: &str,
        headers: &[(header::HeaderName, &str)],
        body: String,
    ) -> StatusCode {
        let mut request = axum::http::Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        let request = request.body(Body::from(body)).unwrap();
        router.clone().oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn protected_routes_refuse_cross_site_before_authenticating_and_cap_bodies() {
        let (router, cookie) = signed_in().await;
        let foreign = (header::ORIGIN, "https://evil.example");
        // Refused as cross-site whether or not the caller is signed in.
        for headers in [
            vec![foreign.clone()],
            vec![foreign, (header::COOKIE, &cookie)],
        ] {
            let got = status(&router, "POST", "/logout", &headers, String::new()).await;
            assert_eq!(got, StatusCode::FORBIDDEN);
        }
        let cross = (
            header::HeaderName::from_static("sec-fetch-site"),
            "cross-site",
        );
        let got = status(&router, "POST", "/logout", &[cross], String::new()).await;
        assert_eq!(got, StatusCode::FORBIDDEN);
        // Reading from anywhere is allowed; credentials decide.
        let evil = (header::ORIGIN, "https://evil.example");
        let got = status(
            &router,
            "GET",
            "/session",
            std::slice::from_ref(&evil),
            String::new(),
        )
        .await;
        assert_eq!(got, StatusCode::UNAUTHORIZED);
        let with_cookie = [evil, (header::COOKIE, cookie.as_str())];
        let got = status(&router, "GET", "/session", &with_cookie, String::new()).await;
        assert_eq!(got, StatusCode::OK);
        // The API's body limit holds behind authentication.
        let json = (header::CONTENT_TYPE, "application/json");
        let signed = (header::COOKIE, cookie.as_str());
        let small = r#"{"display_name":"Ada"}"#.to_owned();
        let got = status(
            &router,
            "PATCH",
            "/me",
            &[json.clone(), signed.clone()],
            small,
        )
        .await;
        assert_eq!(got, StatusCode::OK);
        let large = format!(
            r#"{{"display_name":"Ada","pad":"{}"}}"#,
            "x".repeat(crate::builder::MAX_BODY)
        );
        let got = status(&router, "PATCH", "/me", &[json, signed], large).await;
        assert_eq!(got, StatusCode::PAYLOAD_TOO_LARGE);
    }
}
