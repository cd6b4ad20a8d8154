//! The discovery documents: RFC 8414 authorization server metadata and OpenID Connect
//! Discovery. They advertise exactly what is implemented.

use serde::Serialize;

use super::{ClientRegistration, Service};

/// Authorization server metadata (RFC 8414 §2), and with OpenID Connect the provider
/// metadata (OpenID Connect Discovery §3).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(super) struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub scopes_supported: Vec<String>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint: String,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub device_authorization_endpoint: String,
    pub introspection_endpoint: String,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_types_supported: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_signing_alg_values_supported: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_supported: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_values_supported: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_parameter_supported: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_parameter_supported: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri_parameter_supported: Option<bool>,
}

const CLIENT_AUTH: &[&str] = &["client_secret_basic", "client_secret_post", "none"];

/// The document; the OpenID Connect members when OpenID Connect is on (both discovery
/// routes serve the same document).
pub(super) fn document(service: &Service) -> ServerMetadata {
    let oidc = service.oidc();
    let mut claims: Vec<String> = [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "at_hash",
        "azp",
    ]
    .map(String::from)
    .to_vec();
    if let Some(oidc) = oidc {
        for claim in &oidc.claims_supported {
            if !claims.contains(claim) {
                claims.push(claim.clone());
            }
        }
    }
    ServerMetadata {
        issuer: service.issuer.clone(),
        authorization_endpoint: service.endpoint("/oauth/authorize"),
        token_endpoint: service.endpoint("/oauth/token"),
        jwks_uri: service.endpoint("/.well-known/jwks.json"),
        registration_endpoint: (service.config.registration != ClientRegistration::Off)
            .then(|| service.endpoint("/oauth/register")),
        scopes_supported: service.config.scopes_supported.clone(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        grant_types_supported: super::clients::GRANT_TYPES.to_vec(),
        token_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
        revocation_endpoint: service.endpoint("/oauth/revoke"),
        revocation_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
        device_authorization_endpoint: service.endpoint("/oauth/device/code"),
        introspection_endpoint: service.endpoint("/oauth/introspect"),
        introspection_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
        code_challenge_methods_supported: vec!["S256"],
        authorization_response_iss_parameter_supported: true,
        userinfo_endpoint: oidc.map(|_| service.endpoint("/userinfo")),
        end_session_endpoint: oidc.map(|_| service.endpoint("/oauth/logout")),
        subject_types_supported: oidc.map(|_| vec!["public"]),
        id_token_signing_alg_values_supported: oidc.map(|_| vec!["RS256", "ES256"]),
        claims_supported: oidc.map(|_| claims),
        prompt_values_supported: oidc.map(|_| vec!["none", "login", "consent"]),
        claims_parameter_supported: oidc.map(|_| false),
        request_parameter_supported: oidc.map(|_| false),
        request_uri_parameter_supported: oidc.map(|_| false),
    }
}
