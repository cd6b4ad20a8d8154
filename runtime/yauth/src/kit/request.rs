//! What a request says about its client: the IP and the User-Agent, read once by the
//! [`RequestMeta`] extractor.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::contract::state::YAuthState;

/// The longest User-Agent kept (sessions, audit), in characters.
pub const MAX_USER_AGENT: usize = 512;

/// The client of a request: its IP (see [`client_ip`]) and User-Agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The client IP, when known.
    pub ip: Option<IpAddr>,
    /// The User-Agent header, cut to [`MAX_USER_AGENT`] characters.
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// Reads the request's client.
    pub fn from_parts(parts: &Parts, state: &YAuthState) -> Self {
        RequestMeta {
            ip: client_ip(parts, state),
            user_agent: user_agent(parts).map(|ua| ua.chars().take(MAX_USER_AGENT).collect()),
        }
    }

    /// The IP as text (audit rows, sessions).
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

impl<S> FromRequestParts<S> for RequestMeta
where
    S: Send + Sync,
    YAuthState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestMeta::from_parts(parts, &YAuthState::from_ref(state)))
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

/// The User-Agent header, when it is text.
pub fn user_agent(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::USER_AGENT)?
        .to_str()
        .ok()
}
