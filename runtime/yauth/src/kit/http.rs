//! Outgoing HTTP: one way to build a client (rustls with ring and the webpki roots, a
//! timeout, no redirects followed) and to read an answer without letting it fill the memory.
//! Used for the HIBP range API, the OAuth providers and webhook deliveries.
//!
//! The client carries its own TLS configuration, so it needs no process-wide provider.
//! yauth enables reqwest's `rustls-no-provider` feature; if your own code builds `reqwest`
//! clients without TLS settings, install a provider first
//! (`rustls::crypto::ring::default_provider().install_default()`).

use std::sync::Arc;
use std::time::Duration;

/// The most of an answer read: far above any range answer, discovery document, key set or
/// token answer; a larger one is refused.
pub const MAX_BODY: usize = 1024 * 1024;

/// A client with `timeout` per request that follows no redirect (a provider's answer comes
/// from the URL configured or discovered, never from where it points).
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    builder(timeout)?.build().map_err(|e| e.to_string())
}

/// The settings of [`client`], to add to (the webhooks pin the address they checked).
pub fn builder(timeout: Duration) -> Result<reqwest::ClientBuilder, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("yauth"))
}

/// An answer: its status and its body (at most [`MAX_BODY`] bytes).
#[derive(Debug)]
pub struct Fetched {
    /// The status.
    pub status: reqwest::StatusCode,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends the request and reads the answer, refused once the body passes [`MAX_BODY`].
pub async fn send(request: reqwest::RequestBuilder) -> Result<Fetched, String> {
    let mut response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("the answer is larger than {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { status, body })
}
