//! The SSRF guard: which URLs a webhook may have, and which addresses a delivery may
//! connect to. A webhook URL is chosen by an admin, but an admin's session can be stolen, and
//! the server that delivers sits inside the network: without this guard a webhook would be a
//! way to make requests to the database, the cloud metadata service (169.254.169.254) or an
//! internal admin page, and read their answers back in `GET /webhooks/{id}`.
//!
//! The rule is checked on the addresses the host resolves to, at creation and again at every
//! delivery (DNS may change in between, on purpose: DNS rebinding), and the delivery connects
//! to the very address that passed, never resolving the name a second time.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::Url;

/// The longest URL accepted.
pub(super) const MAX_URL: usize = 2048;

/// How long resolving a host may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The one answer for a host that does not resolve or resolves to a forbidden address: which
/// of the two, or which address, would tell a caller about the internal network.
pub(super) const NOT_PUBLIC: &str = "the host does not resolve to public addresses only (loopback, private, link-local, multicast and other non-public addresses are refused)";

/// Why a URL or its addresses were refused; the message names the rule, for the 400
/// `invalid_url` and the delivery's `error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(super) struct Refused(pub(super) String);

fn refused(message: impl Into<String>) -> Refused {
    Refused(message.into())
}

/// The URL's form: http or https, a host, no credentials, no fragment.
pub(super) fn parse(url: &str) -> Result<Url, Refused> {
    if url.len() > MAX_URL {
        return Err(refused(format!("the URL is longer than {MAX_URL} bytes")));
    }
    let parsed = Url::parse(url).map_err(|_| refused("not an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refused("only http and https URLs are allowed"));
    }
    if parsed.host().is_none() {
        return Err(refused("the URL has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refused("the URL must not carry credentials"));
    }
    if parsed.fragment().is_some() {
        return Err(refused("the URL must not have a fragment"));
    }
    Ok(parsed)
}

/// The address to connect to for `url`: its host resolved, every address checked (one
/// forbidden address refuses the URL, so that a name cannot mix a public address with a
/// private one), and the first one kept. `allow_private` lifts the address rule (local
/// development and tests), not the resolution.
pub(super) async fn target(url: &Url, allow_private: bool) -> Result<SocketAddr, Refused> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| refused("the URL has no port"))?;
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => {
            let lookup = tokio::net::lookup_host((name, port));
            match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(_)) | Err(_) => {
                    tracing::info!(host = name, "a webhook host does not resolve");
                    return Err(refused(NOT_PUBLIC));
                }
            }
        }
        None => return Err(refused("the URL has no host")),
    };
    let first = *addresses.first().ok_or_else(|| refused(NOT_PUBLIC))?;
    if !allow_private && let Some(bad) = addresses.iter().find(|a| !is_public(a.ip())) {
        // The address stays in the log: in the answer, it would map internal names.
        tracing::info!(address = %bad.ip(), "a webhook host resolves to a non-public address");
        return Err(refused(NOT_PUBLIC));
    }
    Ok(first)
}

/// Whether `ip` is an ordinary public unicast address: not loopback, private, shared (CGNAT),
/// link-local, multicast, broadcast, unspecified, reserved or for documentation. IPv6
/// addresses that embed an IPv4 one (mapped, NAT64, 6to4) are judged by it.
pub(super) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || a == 0 // "this network"
        || ip.is_loopback()
        || ip.is_private()
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || ip.is_link_local()
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || ip == Ipv4Addr::new(168, 63, 129, 16) // Azure's host endpoint (WireServer)
        || ip.is_documentation()
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || ip.is_multicast()
        || a >= 240) // reserved, and the broadcast address
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let embedded = || Ipv4Addr::from((u32::from(segments[6]) << 16) | u32::from(segments[7]));
    // IPv4-translated addresses (::ffff:0:a.b.c.d) reach the IPv4 address.
    if segments[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return is_public_v4(embedded());
    }
    // NAT64's well-known prefix 64:ff9b::/96 reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded());
    }
    // 6to4 (2002::/16) carries the IPv4 address in bits 16 to 48.
    if segments[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::from(
            (u32::from(segments[1]) << 16) | u32::from(segments[2]),
        ));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x2001 && segments[1] == 0) // Teredo
        || (segments[0] == 0x64 && segments[1] == 0xff9b && segments[2] == 1) // local-use NAT64
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap())
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.170",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:0001::1",
            "2002:c0a8:0101::1",
            "::127.0.0.1",
            "2001:db8::1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:10.1.2.3",
            "64:ff9b:1::a00:1",
            "192.88.99.1",
            "168.63.129.16",
        ] {
            assert!(!public(ip), "{ip} was taken for public");
        }
    }

    #[test]
    fn ordinary_addresses_are_public() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(public(ip), "{ip} was refused");
        }
    }

    #[test]
    fn only_plain_http_and_https_urls_pass() {
        assert!(parse("https://hooks.example.com/yauth?x=1").is_ok());
        assert!(parse("http://hooks.example.com:8080/").is_ok());
        for bad in [
            "ftp://hooks.example.com/",
            "file:///etc/passwd",
            "gopher://hooks.example.com/",
            "https://user:pass@hooks.example.com/",
            "https://hooks.example.com/#frag",
            "/relative",
            "https://",
        ] {
            assert!(parse(bad).is_err(), "{bad} passed");
        }
        assert!(parse(&format!("https://a.example/{}", "x".repeat(MAX_URL))).is_err());
    }

    #[tokio::test]
    async fn a_literal_internal_address_is_refused_unless_private_targets_are_allowed() {
        for url in [
            "http://127.0.0.1:9/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:10.0.0.1]/",
        ] {
            let url = parse(url).unwrap();
            assert!(target(&url, false).await.is_err(), "{url}");
            assert!(target(&url, true).await.is_ok(), "{url}");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused() {
        let url = parse("http://localhost:9/").unwrap();
        let error = target(&url, false).await.unwrap_err();
        assert_eq!(error.0, NOT_PUBLIC);
    }
}
