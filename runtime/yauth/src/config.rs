//! `YAuthConfig`: what every plugin shares (sessions, cookies, client IPs, origins).

use std::net::IpAddr;
use std::time::Duration;

pub use ipnet::IpNet;

pub use crate::keys::SecretKey;

/// What to do when a session is used from another IP or User-Agent than it was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BindingAction {
    /// Log the mismatch and allow the request.
    #[default]
    Warn,
    /// End the session; the request is unauthenticated.
    Invalidate,
}

/// The session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieConfig {
    /// Default `__Host-yauth_session`: the `__Host-` prefix makes browsers refuse the cookie
    /// unless it is `Secure`, has no `Domain` and the path `/`, so a sibling subdomain cannot
    /// plant one. When those do not hold (a plain-http demo, a `Domain`), `build` drops the
    /// prefix and logs it.
    pub name: String,
    /// `Secure` (HTTPS only). On by default; turn it off only for local plain-http use.
    pub secure: bool,
    /// The cookie's path. Default `/`.
    pub path: String,
    /// The cookie's domain; `None` (the default) keeps it to the exact host.
    pub domain: Option<String>,
}

/// The `__Host-` cookie-name prefix.
pub const HOST_PREFIX: &str = "__Host-";

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            name: format!("{HOST_PREFIX}yauth_session"),
            secure: true,
            path: "/".into(),
            domain: None,
        }
    }
}

impl CookieConfig {
    /// Whether browsers accept a `__Host-` cookie with these attributes.
    pub fn allows_host_prefix(&self) -> bool {
        self.secure && self.domain.is_none() && self.path == "/"
    }
}

/// Which header a trusted proxy writes the client's address into.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For`: a list to which each proxy appends the address it received from.
    /// The client is the right-most entry that is not a trusted proxy.
    #[default]
    XForwardedFor,
    /// A header holding one address, set (not appended) by the proxy: `X-Real-IP`,
    /// `CF-Connecting-IP`, … (lower-case name).
    Single(String),
}

/// Whom to believe about the client's address. Without a trusted proxy, forwarding headers
/// are ignored and the connection's address (`ConnectInfo`) is the client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TrustedProxies {
    /// No proxy: forwarding headers are ignored (the default).
    #[default]
    None,
    /// Requests whose connection comes from one of these networks were forwarded by a proxy
    /// you run; their header names the client. From any other peer the header is ignored.
    Networks {
        /// The proxies' networks (`10.0.0.0/8`, `2001:db8::/32`, a single `/32`).
        networks: Vec<IpNet>,
        /// Where they write the client's address.
        header: ForwardedHeader,
    },
    /// Exactly this many proxies stand in front of the app on every path, each appending to
    /// `X-Forwarded-For`: the client is the entry `hops` places from the right.
    Hops(usize),
}

impl TrustedProxies {
    /// Trust proxies in these networks (`--trusted-proxy` of the demo), with
    /// `X-Forwarded-For`.
    pub fn networks(networks: impl IntoIterator<Item = IpNet>) -> Self {
        TrustedProxies::Networks {
            networks: networks.into_iter().collect(),
            header: ForwardedHeader::XForwardedFor,
        }
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        match self {
            TrustedProxies::Networks { networks, .. } => {
                let ip = ip.to_canonical();
                networks.iter().any(|n| n.contains(&ip))
            }
            TrustedProxies::None | TrustedProxies::Hops(_) => false,
        }
    }
}

/// The configuration every plugin shares.
#[derive(Debug, Clone)]
pub struct YAuthConfig {
    /// The absolute lifetime of a session. Default 12 h.
    pub session_ttl: Duration,
    /// The absolute lifetime of a session whose login asked to be remembered. Default 30
    /// days; its cookie survives a browser restart (others are browser-session cookies).
    pub remember_me_ttl: Duration,
    /// A session unused for this long ends (its expiry slides on use, never past the
    /// absolute lifetime). Default 30 minutes; `None` turns it off.
    pub idle_timeout: Option<Duration>,
    /// The session cookie.
    pub cookie: CookieConfig,
    /// Remember the client IP at login and compare it on each request.
    pub bind_ip: bool,
    /// Remember the User-Agent at login and compare it on each request.
    pub bind_user_agent: bool,
    /// What a binding mismatch does.
    pub binding_action: BindingAction,
    /// Whom to believe about the client's address (rate limits, audit rows, binding).
    pub trusted_proxies: TrustedProxies,
    /// The public URL of the application, for links in emails (`https://app.example.com`).
    /// Its origin is also the one browsers may send state-changing requests from.
    pub base_url: String,
    /// Further origins (`https://admin.example.com`) allowed to send state-changing
    /// requests; a request with another `Origin`, or `Sec-Fetch-Site: cross-site`, is
    /// refused with 403.
    pub allowed_origins: Vec<String>,
    /// How long audit rows are kept by the maintenance task. Default 90 days; `None` keeps
    /// them for ever.
    pub audit_retention: Option<Duration>,
    /// The application's 32-byte secret key, used only to seal values that must be read back
    /// (signing keys; TOTP, webhook and OAuth provider secrets): XChaCha20-Poly1305, each
    /// value bound to its purpose and row. Plugins that store such values (bearer, …)
    /// refuse to start without it. Keep it out of the database and out of the code: an
    /// environment variable or a secrets manager. `None` by default.
    pub secret_key: Option<SecretKey>,
    /// Earlier secret keys, for opening values sealed before a rotation. `YAuth::reseal`
    /// seals them again under `secret_key`; after that the old keys can be removed.
    pub old_secret_keys: Vec<SecretKey>,
}

impl Default for YAuthConfig {
    fn default() -> Self {
        YAuthConfig {
            session_ttl: Duration::from_secs(12 * 3600),
            remember_me_ttl: Duration::from_secs(30 * 24 * 3600),
            idle_timeout: Some(Duration::from_secs(30 * 60)),
            cookie: CookieConfig::default(),
            bind_ip: false,
            bind_user_agent: false,
            binding_action: BindingAction::Warn,
            trusted_proxies: TrustedProxies::None,
            base_url: "http://localhost:3000".into(),
            allowed_origins: Vec::new(),
            audit_retention: Some(Duration::from_secs(90 * 24 * 3600)),
            secret_key: None,
            old_secret_keys: Vec::new(),
        }
    }
}
