//! Have I Been Pwned's k-anonymity range API: only the first five hex digits of a password's
//! SHA-1 leave the server. The check fails open: when the service cannot be reached in time,
//! the password is accepted and the failure logged.

use std::time::Duration;

use sha1::{Digest, Sha1};

/// Where and how long to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HibpConfig {
    /// The API's base URL; `/range/{prefix}` is appended. Default
    /// `https://api.pwnedpasswords.com`.
    pub base_url: String,
    /// Give up (and accept the password) after this long. Default 3 s.
    pub timeout: Duration,
}

impl Default for HibpConfig {
    fn default() -> Self {
        HibpConfig {
            base_url: "https://api.pwnedpasswords.com".into(),
            timeout: Duration::from_secs(3),
        }
    }
}

/// A client of the range API, built by [`crate::kit::http::client`] (its own TLS
/// configuration; answers capped at [`crate::kit::http::MAX_BODY`]).
#[derive(Debug, Clone)]
pub struct Hibp {
    config: HibpConfig,
    client: reqwest::Client,
}

impl Hibp {
    /// A client for `config` (its own TLS configuration; no request is made yet).
    pub fn new(config: HibpConfig) -> Result<Self, String> {
        let client = crate::kit::http::client(config.timeout)?;
        Ok(Hibp { config, client })
    }

    /// `Some(true)` when the password appears in a breach, `Some(false)` when it does not,
    /// `None` when the service could not answer (logged; the caller accepts the password).
    pub async fn is_breached(&self, password: &str) -> Option<bool> {
        let digest = Sha1::digest(password.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
        let (prefix, suffix) = hex.split_at(5);
        let url = format!(
            "{}/range/{prefix}",
            self.config.base_url.trim_end_matches('/')
        );
        let request = self.client.get(&url).header("Add-Padding", "true");
        let body = match crate::kit::http::send(request).await {
            Ok(fetched) if fetched.status.is_success() => {
                String::from_utf8(fetched.body).map_err(|_| "the answer is not UTF-8".to_string())
            }
            Ok(fetched) => Err(format!("HIBP answered {}", fetched.status)),
            Err(e) => Err(e),
        };
        match body {
            Ok(body) => Some(contains(&body, suffix)),
            Err(e) => {
                tracing::warn!(error = %e, "HIBP range check failed; password accepted (fail open)");
                None
            }
        }
    }
}

/// Whether the range answer lists `suffix` with a count above zero (padding lines have 0).
fn contains(body: &str, suffix: &str) -> bool {
    body.lines().any(|line| {
        line.trim().split_once(':').is_some_and(|(s, count)| {
            s.eq_ignore_ascii_case(suffix) && count.trim().parse::<u64>().is_ok_and(|n| n > 0)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_lines_do_not_count() {
        let body =
            "0018A45C4D1DEF81644B54AB7F969B88D65:3\r\nABCDEF0123456789ABCDEF0123456789ABC:0\r\n";
        assert!(contains(body, "0018A45C4D1DEF81644B54AB7F969B88D65"));
        assert!(contains(body, "0018a45c4d1def81644b54ab7f969b88d65"));
        assert!(!contains(body, "ABCDEF0123456789ABCDEF0123456789ABC"));
        assert!(!contains(body, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"));
    }
}
