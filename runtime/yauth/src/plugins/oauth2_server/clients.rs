//! Client registration (RFC 7591) and what the server reads back from a client's row.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::wire::OAuthError;
use super::{Service, SigningAlgorithm};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, RequestMeta};
use crate::contract::state::YAuthState;
use crate::entity::Oauth2Client;
use crate::kit::token::{hash_token, new_token};

/// The grants a client may register for.
pub(super) const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    super::device::GRANT,
];

/// The longest redirect URI, client name or scope list accepted, in bytes.
const MAX_FIELD: usize = 2048;
/// The most redirect URIs of one client.
const MAX_REDIRECT_URIS: usize = 20;

/// The metadata a client registers with (RFC 7591 §2); unknown members are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ClientMetadata {
    /// Where codes may be sent: https, or http on a loopback host (`127.0.0.1`, `[::1]`,
    /// `localhost`); no fragment. Required for the `authorization_code` grant.
    pub redirect_uris: Vec<String>,
    /// `client_secret_basic` (the default), `client_secret_post`, or `none` (a public client,
    /// which gets no secret).
    pub token_endpoint_auth_method: Option<String>,
    /// Of `authorization_code` (the default), `refresh_token`, `client_credentials`.
    pub grant_types: Option<Vec<String>>,
    /// Only `code`.
    pub response_types: Option<Vec<String>>,
    /// A name shown on the consent page.
    pub client_name: Option<String>,
    /// The scopes the client may ask for, space-separated. Default: every supported scope.
    pub scope: Option<String>,
    /// `RS256` (the default) or `ES256`.
    pub id_token_signed_response_alg: Option<String>,
    /// Where RP-initiated logout may return to; the same rules as `redirect_uris`.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// A resource server: as a confidential client it may introspect every client's tokens
    /// (others see only their own). Only [`register_client`] sets it; `POST /oauth/register`
    /// ignores it.
    #[serde(skip)]
    pub introspect_any: bool,
}

/// A registered client: its metadata as stored, its id, and its secret (shown once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisteredClient {
    /// The client's public identifier.
    pub client_id: String,
    /// The secret of a confidential client; never shown again (only its hash is stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// When the client was registered (Unix seconds).
    pub client_id_issued_at: i64,
    /// `0`: the secret does not expire. Present with a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    /// The registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// `client_secret_basic`, `client_secret_post` or `none`.
    pub token_endpoint_auth_method: String,
    /// The grants the client may use.
    pub grant_types: Vec<String>,
    /// `["code"]`, or none for a client without the code grant.
    pub response_types: Vec<String>,
    /// The client's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The scopes the client may ask for.
    pub scope: String,
    /// The id_token's algorithm.
    pub id_token_signed_response_alg: String,
    /// Where RP-initiated logout may return to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
}

/// What the server keeps in `oauth2_clients.metadata`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct StoredMetadata {
    pub token_endpoint_auth_method: String,
    pub id_token_signed_response_alg: String,
    pub post_logout_redirect_uris: Vec<String>,
    pub introspect_any: bool,
}

fn invalid_metadata(description: impl Into<String>) -> OAuthError {
    OAuthError::bad("invalid_client_metadata", description)
}

fn invalid_redirect(description: impl Into<String>) -> OAuthError {
    OAuthError::bad("invalid_redirect_uri", description)
}

/// Whether `host` is a loopback host, where plain http is allowed (RFC 8252 §7.3).
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A redirect URI the server will send codes (or logouts) to: absolute, https or
/// loopback http, no fragment, no user info, at most [`MAX_FIELD`] bytes.
pub(super) fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    if uri.len() > MAX_FIELD {
        return Err("a redirect URI is too long");
    }
    let url = url::Url::parse(uri).map_err(|_| "a redirect URI is not an absolute URL")?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err("a redirect URI must not have a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a redirect URI must not carry credentials");
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err("a redirect URI must be https, or http on a loopback host"),
    }
}

/// The scopes of `text` (space-separated), each one of `allowed`.
pub(super) fn scopes_within(text: &str, allowed: &[String]) -> Option<Vec<String>> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in text.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.iter().any(|a| a == scope) {
            return None;
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    Some(scopes)
}

/// Checks `metadata` and stores the client. The secret, for a confidential client, is
/// in the answer and nowhere else.
pub(super) async fn register(
    state: &YAuthState,
    service: &Service,
    metadata: ClientMetadata,
    meta: &RequestMeta,
) -> Result<RegisteredClient, OAuthError> {
    let method = metadata
        .token_endpoint_auth_method
        .as_deref()
        .unwrap_or("client_secret_basic");
    if !matches!(
        method,
        "client_secret_basic" | "client_secret_post" | "none"
    ) {
        return Err(invalid_metadata(
            "token_endpoint_auth_method must be client_secret_basic, client_secret_post or none",
        ));
    }
    let public = method == "none";
    let grant_types = metadata
        .grant_types
        .clone()
        .unwrap_or_else(|| vec!["authorization_code".into()]);
    let mut grants: Vec<String> = Vec::new();
    for grant in grant_types {
        if !GRANT_TYPES.contains(&grant.as_str()) {
            return Err(invalid_metadata("a grant type is not supported"));
        }
        if !grants.contains(&grant) {
            grants.push(grant);
        }
    }
    if grants.is_empty() {
        return Err(invalid_metadata("grant_types is empty"));
    }
    if public && grants.iter().any(|g| g == "client_credentials") {
        return Err(invalid_metadata(
            "a public client (token_endpoint_auth_method none) cannot use client_credentials",
        ));
    }
    let code = grants.iter().any(|g| g == "authorization_code");
    let response_types = metadata.response_types.clone().unwrap_or_else(|| {
        if code {
            vec!["code".into()]
        } else {
            Vec::new()
        }
    });
    if response_types.iter().any(|r| r != "code") || (code && response_types.is_empty()) {
        return Err(invalid_metadata(
            "response_types must be [\"code\"] with the authorization_code grant, and nothing else",
        ));
    }
    if code && metadata.redirect_uris.is_empty() {
        return Err(invalid_redirect(
            "redirect_uris is required for the authorization_code grant",
        ));
    }
    let logout_uris = metadata
        .post_logout_redirect_uris
        .clone()
        .unwrap_or_default();
    if metadata.redirect_uris.len() > MAX_REDIRECT_URIS || logout_uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid_redirect("too many redirect URIs"));
    }
    for uri in &metadata.redirect_uris {
        check_redirect_uri(uri).map_err(invalid_redirect)?;
    }
    for uri in &logout_uris {
        check_redirect_uri(uri).map_err(invalid_metadata)?;
    }
    let scopes = match metadata.scope.as_deref() {
        Some(text) if text.len() > MAX_FIELD => return Err(invalid_metadata("scope is too long")),
        Some(text) => scopes_within(text, &service.config.scopes_supported)
            .ok_or_else(|| invalid_metadata("a scope is not supported"))?,
        None => service.config.scopes_supported.clone(),
    };
    let alg = metadata
        .id_token_signed_response_alg
        .as_deref()
        .unwrap_or("RS256");
    if !matches!(
        SigningAlgorithm::parse(alg),
        Some(SigningAlgorithm::Rs256 | SigningAlgorithm::Es256)
    ) {
        return Err(invalid_metadata(
            "id_token_signed_response_alg must be RS256 or ES256",
        ));
    }
    let client_name = match metadata.client_name.as_deref().map(str::trim) {
        Some(name) if name.len() > 200 || name.chars().any(char::is_control) => {
            return Err(invalid_metadata(
                "client_name is too long or has control characters",
            ));
        }
        Some("") | None => None,
        Some(name) => Some(name.to_string()),
    };
    let now = Utc::now();
    let client_id = format!("yc_{}", &new_token()[..22]);
    let secret = (!public).then(new_token);
    let stored = StoredMetadata {
        token_endpoint_auth_method: method.to_string(),
        id_token_signed_response_alg: alg.to_string(),
        post_logout_redirect_uris: logout_uris.clone(),
        introspect_any: metadata.introspect_any && !public,
    };
    let row = Oauth2Client {
        id: Uuid::now_v7(),
        client_id: client_id.clone(),
        client_secret_hash: secret.as_deref().map(hash_token),
        redirect_uris: serde_json::json!(metadata.redirect_uris),
        client_name: client_name.clone(),
        grant_types: serde_json::json!(grants),
        scopes: Some(serde_json::json!(scopes)),
        is_public: public,
        metadata: Some(serde_json::to_value(&stored).map_err(ApiError::internal)?),
        created_at: now,
    };
    state
        .repos()
        .oauth2_clients
        .insert_oauth2_client(&row)
        .await?;
    state
        .emit(
            AuthEvent::OAuthClientRegistered {
                client_id: client_id.clone(),
            },
            meta,
        )
        .await;
    Ok(RegisteredClient {
        client_secret_expires_at: secret.as_ref().map(|_| 0),
        client_secret: secret,
        client_id,
        client_id_issued_at: now.timestamp(),
        redirect_uris: metadata.redirect_uris,
        token_endpoint_auth_method: method.to_string(),
        response_types,
        grant_types: grants,
        client_name,
        scope: scopes.join(" "),
        id_token_signed_response_alg: alg.to_string(),
        post_logout_redirect_uris: logout_uris,
    })
}

/// Registers a client from Rust (a setup script, a test, an admin tool), under the same
/// rules as `POST /oauth/register` but whatever [`super::ClientRegistration`] says. Needs
/// the oauth2-server plugin in `state`.
pub async fn register_client(
    state: &YAuthState,
    metadata: ClientMetadata,
) -> Result<RegisteredClient, ApiError> {
    let server = state
        .plugin::<super::OAuth2Server>()
        .ok_or_else(|| ApiError::internal_message("the oauth2-server plugin is not enabled"))?;
    register(state, &server.service, metadata, &RequestMeta::default())
        .await
        .map_err(|e| ApiError::new(e.status, e.error, e.description))
}

/// What the server reads from a client row.
pub(super) trait ClientExt {
    fn redirect_uris(&self) -> Vec<String>;
    fn grant_types(&self) -> Vec<String>;
    fn allowed_scopes(&self) -> Vec<String>;
    fn stored(&self) -> StoredMetadata;
    fn may_use(&self, grant: &str) -> bool {
        self.grant_types().iter().any(|g| g == grant)
    }
}

fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    value
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

impl ClientExt for Oauth2Client {
    fn redirect_uris(&self) -> Vec<String> {
        strings(Some(&self.redirect_uris))
    }

    fn grant_types(&self) -> Vec<String> {
        strings(Some(&self.grant_types))
    }

    fn allowed_scopes(&self) -> Vec<String> {
        strings(self.scopes.as_ref())
    }

    fn stored(&self) -> StoredMetadata {
        self.metadata
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragment() {
        for good in [
            "https://app.example/cb",
            "https://app.example/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
        ] {
            assert!(check_redirect_uri(good).is_ok(), "{good}");
        }
        for bad in [
            "http://app.example/cb",
            "https://app.example/cb#frag",
            "https://app.example/cb#",
            "https://user:pw@app.example/cb",
            "/relative",
            "javascript:alert(1)",
            "http://127.0.0.1.evil.example/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
