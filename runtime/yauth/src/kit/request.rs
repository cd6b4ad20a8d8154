//! What a request says about its client: the IP and the User-Agent, read once by the
//! [`RequestMeta`] extractor.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::config::{ForwardedHeader, TrustedProxies};
use crate::contract::state::YAuthState;

/// The longest User-Agent kept (sessions, audit), in characters.
pub const MAX_USER_AGENT: usize = 512;

pub use crate::contract::event::RequestMeta;

impl RequestMeta {
    /// Reads the request's client.
    pub fn from_parts(parts: &Parts, state: &YAuthState) -> Self {
        RequestMeta {
            ip: client_ip(parts, state),
            user_agent: user_agent(parts).map(|ua| ua.chars().take(MAX_USER_AGENT).collect()),
        }
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

/// The token of `Authorization: Bearer <token>`, if the request has one (the scheme in any
/// case, the token trimmed and not empty).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The client's IP under [`TrustedProxies`]: the connection's address (`ConnectInfo`, present
/// when the app is served with `into_make_service_with_connect_info`), or what a trusted
/// proxy says. An address that does not parse is never believed. `None` when nothing is
/// known (rate limits then share one bucket, see [`ip_bucket`]).
pub fn client_ip(parts: &Parts, state: &YAuthState) -> Option<IpAddr> {
    // A dual-stack listener shows an IPv4 peer as `::ffff:a.b.c.d`: compare the IPv4 form.
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical());
    if peer.is_none() {
        warn_once_without_peer(&state.config().trusted_proxies);
    }
    match &state.config().trusted_proxies {
        TrustedProxies::None => peer,
        TrustedProxies::Networks { networks, header } => {
            let peer = peer?;
            if !networks.iter().any(|n| n.contains(&peer)) {
                return Some(peer);
            }
            match header {
                ForwardedHeader::XForwardedFor => Some(right_most_untrusted(
                    parts,
                    &state.config().trusted_proxies,
                    peer,
                )),
                ForwardedHeader::Single(name) => Some(
                    header_text(parts, name)
                        .and_then(|v| v.trim().parse::<IpAddr>().ok())
                        .map(|ip| ip.to_canonical())
                        .unwrap_or(peer),
                ),
            }
        }
        TrustedProxies::Hops(hops) => {
            let entries = forwarded_for(parts);
            let Some(index) = entries.len().checked_sub(*hops) else {
                return peer;
            };
            entries[index].or(peer)
        }
    }
}

/// Every `X-Forwarded-For` entry, left to right, across repeated headers, each parsed on its
/// own (a client's non-ASCII byte spoils only its own entry, not the address a proxy
/// appended after it); `None` for an entry that is not an address.
fn forwarded_for(parts: &Parts) -> Vec<Option<IpAddr>> {
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.as_bytes().split(|b| *b == b','))
        .map(|entry| {
            std::str::from_utf8(entry)
                .ok()
                .and_then(|text| text.trim().parse::<IpAddr>().ok())
                .map(|ip| ip.to_canonical())
        })
        .collect()
}

/// Logs once per process that requests arrive without `ConnectInfo`: every client then
/// shares the `unknown` rate-limit bucket.
fn warn_once_without_peer(proxies: &TrustedProxies) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !matches!(proxies, TrustedProxies::Hops(_))
        && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            "a request came without the connection's address: serve the app with \
             `into_make_service_with_connect_info::<SocketAddr>()`, or every client shares one \
             rate-limit bucket"
        );
    }
}

/// Walks `X-Forwarded-For` from the right, past trusted proxies, to the first address a
/// trusted proxy received from someone else. An entry that does not parse stops the walk:
/// nothing to its left can be believed, so the last trusted hop is answered.
fn right_most_untrusted(parts: &Parts, proxies: &TrustedProxies, peer: IpAddr) -> IpAddr {
    let mut client = peer;
    for entry in forwarded_for(parts).into_iter().rev() {
        let Some(ip) = entry else {
            return client;
        };
        client = ip;
        if !proxies.trusts(ip) {
            return ip;
        }
    }
    client
}

fn header_text<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name)?.to_str().ok()
}

/// The key per-IP rate limits count under: an IPv4 address as is, an IPv6 client by its
/// `/64` (one subscriber's network, which hands out 2^64 addresses), and every request with
/// no known address in one shared `unknown` bucket: never no limit.
pub fn ip_bucket(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
        None => "unknown".into(),
    }
}

/// The User-Agent header, when it is text.
pub fn user_agent(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::USER_AGENT)?
        .to_str()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64_and_unknown_clients_share_one_bucket() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_bucket(Some(a)), "2001:db8:1:2::/64");
        assert_eq!(ip_bucket(Some(a)), ip_bucket(Some(b)));
        assert_ne!(ip_bucket(Some(a)), ip_bucket(Some(other)));
        assert_eq!(
            ip_bucket(Some("203.0.113.9".parse().unwrap())),
            "203.0.113.9"
        );
        // An IPv4-mapped IPv6 address is the IPv4 client.
        assert_eq!(
            ip_bucket(Some("::ffff:203.0.113.9".parse().unwrap())),
            "203.0.113.9"
        );
        assert_eq!(ip_bucket(None), "unknown");
    }
}
