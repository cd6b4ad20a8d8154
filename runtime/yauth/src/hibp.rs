//! Have I Been Pwned's k-anonymity range API: only the first five hex digits of a password's
//! SHA-1 leave the server. The check fails open: when the service cannot be reached in time,
//! the password is accepted and the failure logged.

use std::sync::Arc;
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

/// A client of the range API. It carries its own rustls configuration (ring, webpki roots),
/// so it needs no process-wide TLS provider. yauth enables reqwest's `rustls-no-provider`
/// feature; if your own code builds `reqwest` clients without TLS settings, install a provider
/// first (`rustls::crypto::ring::default_provider().install_default()`).
#[derive(Debug, Clone)]
pub struct Hibp {
    config: HibpConfig,
    client: reqwest::Client,
}

impl Hibp {
    /// A client for `config` (its own TLS configuration; no request is made yet).
    pub fn new(config: HibpConfig) -> Result<Self, String> {
        // rustls with ring and the webpki roots: no OpenSSL and no aws-lc in the build.
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(config.timeout)
            .user_agent("yauth")
            .build()
            .map_err(|e| e.to_string())?;
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
        let response = self
            .client
            .get(&url)
            .header("Add-Padding", "true")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        let body = match response {
            Ok(response) => read_capped(response, MAX_BODY).await,
            Err(e) => Err(e.to_string()),
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

/// The most of a range answer read. A real one is about 40 KB (padding included); a larger
/// one is not HIBP's, and reading on would let it fill the memory.
pub const MAX_BODY: usize = 1024 * 1024;

/// The body as text, refused once it passes `cap` bytes.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<String, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > cap {
            return Err(format!("the answer is larger than {cap} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())
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
