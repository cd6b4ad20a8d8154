//! `YAuthConfig`: what every plugin shares (sessions, cookies, client IPs).

use std::time::Duration;

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
    pub name: String,
    /// `Secure` (HTTPS only). On by default; turn it off only for local plain-http use.
    pub secure: bool,
    pub path: String,
    pub domain: Option<String>,
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            name: "yauth_session".into(),
            secure: true,
            path: "/".into(),
            domain: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct YAuthConfig {
    /// How long a session lives.
    pub session_ttl: Duration,
    /// How long a session lives when the login asked to be remembered.
    pub remember_me_ttl: Duration,
    pub cookie: CookieConfig,
    /// Remember the client IP at login and compare it on each request.
    pub bind_ip: bool,
    /// Remember the User-Agent at login and compare it on each request.
    pub bind_user_agent: bool,
    pub binding_action: BindingAction,
    /// A header set by a proxy you trust (`X-Forwarded-For`, `X-Real-IP`) to read the client
    /// IP from; its first address is used. Without it the connection's address is used
    /// (`ConnectInfo`); without either, IP-based features degrade and log a warning.
    pub trusted_proxy_header: Option<String>,
    /// The public URL of the application, for links in emails (`https://app.example.com`).
    pub base_url: String,
}

impl Default for YAuthConfig {
    fn default() -> Self {
        YAuthConfig {
            session_ttl: Duration::from_secs(24 * 3600),
            remember_me_ttl: Duration::from_secs(30 * 24 * 3600),
            cookie: CookieConfig::default(),
            bind_ip: false,
            bind_user_agent: false,
            binding_action: BindingAction::Warn,
            trusted_proxy_header: None,
            base_url: "http://localhost:3000".into(),
        }
    }
}
