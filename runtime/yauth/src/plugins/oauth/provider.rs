//! Talking to a provider: OpenID discovery and its JWKS (cached), the code exchange, the
//! id_token's validation, and the userinfo APIs of plain OAuth 2 providers. No HTTP types of
//! yauth's own routes; every failure is an [`ApiError`] that says what went wrong without
//! echoing what the provider sent beyond its error code.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::{ClientAuth, OAuthProvider, ProviderEndpoints, UserinfoMapping};
use crate::contract::error::ApiError;
use crate::kit::http::{self, Fetched};
use crate::kit::token::constant_time_eq;

/// How long discovery documents and key sets are kept.
const CACHE_FOR: Duration = Duration::from_secs(3600);
/// An unknown `kid` fetches the key set again at most this often: a flood of made-up kids
/// costs the provider nothing.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(30);
/// Clock skew allowed on `exp`, `iat` and `nbf`.
const LEEWAY_SECS: u64 = 60;
/// The signature algorithms accepted on an id_token: asymmetric ones only (no `none`, no
/// HMAC keyed with something public).
const ACCEPTED_ALGS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Who signed in, as the provider says.
#[derive(Debug, Clone)]
pub(super) struct Profile {
    /// The provider's stable id of the user (`sub`).
    pub subject: String,
    /// The email, if the provider shared one.
    pub email: Option<String>,
    /// Whether the provider vouches for the email.
    pub email_verified: bool,
    /// A display name.
    pub name: Option<String>,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(super) struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<Value>,
    #[serde(default)]
    pub id_token: Option<String>,
}

impl Tokens {
    /// `expires_in` in seconds, whether the provider sent a number or a string.
    pub(super) fn expires_in(&self) -> Option<u64> {
        match self.expires_in.as_ref()? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// The parts of an OpenID provider's discovery document yauth uses.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

#[derive(Debug, Default)]
struct OidcCache {
    discovery: Option<(Instant, Discovery)>,
    keys: Option<(Instant, Vec<Jwk>)>,
    /// When the key set was last fetched for an unknown `kid`.
    refetched: Option<Instant>,
}

/// A configured provider and what was learned about it.
#[derive(Debug)]
pub(crate) struct Provider {
    pub config: OAuthProvider,
    client: reqwest::Client,
    cache: RwLock<OidcCache>,
    /// One discovery or key fetch at a time.
    fetching: Mutex<()>,
}

/// A 502 naming the provider's part that failed; the cause goes to the log only.
fn provider_failed(what: &str, cause: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %cause, "OAuth provider: {what}");
    ApiError::new(
        axum::http::StatusCode::BAD_GATEWAY,
        "provider_unavailable",
        format!("the provider could not be reached or answered wrongly ({what})"),
    )
}

/// 400 `invalid_id_token`: the provider's id_token does not hold.
fn invalid_id_token(why: &str) -> ApiError {
    tracing::warn!(reason = why, "OAuth provider: id_token refused");
    ApiError::bad_request(
        "invalid_id_token",
        format!("the provider's identity token was refused: {why}"),
    )
}

/// Whether a provider URL may be used: HTTPS, or plain HTTP to this machine (tests, local
/// development).
pub(super) fn check_url(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(format!(
            "`{url}` must be https (plain http only to localhost)"
        )),
    }
}

impl Provider {
    pub(super) fn new(config: OAuthProvider, timeout: Duration) -> Result<Self, String> {
        match &config.endpoints {
            ProviderEndpoints::Oidc { issuer } => {
                check_url(issuer)?;
            }
            ProviderEndpoints::OAuth2 {
                authorize_url,
                token_url,
                userinfo_url,
                mapping,
            } => {
                for url in [authorize_url, token_url, userinfo_url]
                    .into_iter()
                    .chain(mapping.emails_url.as_ref())
                {
                    check_url(url)?;
                }
            }
        }
        if config.client_id.is_empty() {
            return Err("the client id is empty".into());
        }
        Ok(Provider {
            client: http::client(timeout)?,
            config,
            cache: RwLock::new(OidcCache::default()),
            fetching: Mutex::new(()),
        })
    }

    pub(super) fn is_oidc(&self) -> bool {
        matches!(self.config.endpoints, ProviderEndpoints::Oidc { .. })
    }

    fn cache(&self) -> std::sync::RwLockReadGuard<'_, OidcCache> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    fn cache_mut(&self) -> std::sync::RwLockWriteGuard<'_, OidcCache> {
        self.cache.write().unwrap_or_else(|e| e.into_inner())
    }

    fn cached_discovery(&self) -> Option<Discovery> {
        let cache = self.cache();
        let (at, doc) = cache.discovery.as_ref()?;
        (at.elapsed() < CACHE_FOR).then(|| doc.clone())
    }

    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, String> {
        let mut request = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let Fetched { status, body } = http::send(request).await?;
        if !status.is_success() {
            return Err(format!("{url} answered {status}"));
        }
        serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON: {e}"))
    }

    /// The discovery document (cached), checked against the configured issuer.
    async fn discovery(&self) -> Result<Discovery, ApiError> {
        if let Some(doc) = self.cached_discovery() {
            return Ok(doc);
        }
        let _one = self.fetching.lock().await;
        if let Some(doc) = self.cached_discovery() {
            return Ok(doc);
        }
        let ProviderEndpoints::Oidc { issuer } = &self.config.endpoints else {
            return Err(ApiError::internal_message(
                "discovery of an OAuth 2 provider",
            ));
        };
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc: Discovery = self
            .get_json(&url, None)
            .await
            .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
            .map_err(|e| provider_failed("discovery", e))?;
        // OpenID Connect Discovery §4.3: the document is the issuer's own. Microsoft's
        // multi-tenant documents name `{tenantid}`, on the configured issuer's host.
        let same_host = |a: &str, b: &str| {
            url::Url::parse(a).ok().map(|u| u.origin())
                == url::Url::parse(b).ok().map(|u| u.origin())
        };
        let template = doc.issuer.contains("{tenantid}") && same_host(&doc.issuer, issuer);
        if !issuer_matches(&doc.issuer, issuer, None) && !template {
            return Err(provider_failed(
                "discovery",
                format!("the document names issuer {} instead", doc.issuer),
            ));
        }
        for url in [
            &doc.authorization_endpoint,
            &doc.token_endpoint,
            &doc.jwks_uri,
        ]
        .into_iter()
        .chain(doc.userinfo_endpoint.as_ref())
        {
            let endpoint = check_url(url).map_err(|e| provider_failed("discovery", e))?;
            // A remote issuer's document cannot send yauth (and the client secret) to
            // this machine.
            if endpoint.scheme() == "http" && check_url(issuer).is_ok_and(|i| i.scheme() == "https")
            {
                return Err(provider_failed(
                    "discovery",
                    format!("{url} is plain http on this machine"),
                ));
            }
        }
        self.cache_mut().discovery = Some((Instant::now(), doc.clone()));
        Ok(doc)
    }

    /// The issuer id_tokens must name: the discovered one (Microsoft's multi-tenant
    /// document names `{tenantid}`, filled from the token's `tid`).
    async fn expected_issuer(&self) -> Result<String, ApiError> {
        Ok(self.discovery().await?.issuer)
    }

    /// The authorization endpoint.
    pub(super) async fn authorize_url(&self) -> Result<String, ApiError> {
        match &self.config.endpoints {
            ProviderEndpoints::Oidc { .. } => Ok(self.discovery().await?.authorization_endpoint),
            ProviderEndpoints::OAuth2 { authorize_url, .. } => Ok(authorize_url.clone()),
        }
    }

    async fn token_url(&self) -> Result<String, ApiError> {
        match &self.config.endpoints {
            ProviderEndpoints::Oidc { .. } => Ok(self.discovery().await?.token_endpoint),
            ProviderEndpoints::OAuth2 { token_url, .. } => Ok(token_url.clone()),
        }
    }

    /// Exchanges the code (with the PKCE verifier) at the token endpoint.
    pub(super) async fn exchange(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<Tokens, ApiError> {
        let url = self.token_url().await?;
        let (request, body) = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "authorization_code")
                .append_pair("code", code)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("code_verifier", verifier);
            let mut request = self
                .client
                .post(&url)
                .header(reqwest::header::ACCEPT, "application/json")
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                );
            match (&self.config.client_secret, self.config.client_auth) {
                (Some(secret), ClientAuth::Basic) => {
                    // RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
                    let encode = |s: &str| {
                        url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                    };
                    let pair = format!("{}:{}", encode(&self.config.client_id), encode(secret));
                    request = request.header(
                        reqwest::header::AUTHORIZATION,
                        format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD.encode(pair)
                        ),
                    );
                }
                (Some(secret), ClientAuth::Post) => {
                    form.append_pair("client_id", &self.config.client_id)
                        .append_pair("client_secret", secret);
                }
                (None, _) => {
                    form.append_pair("client_id", &self.config.client_id);
                }
            }
            let body = form.finish();
            (request, body)
        };
        let Fetched { status, body } = http::send(request.body(body))
            .await
            .map_err(|e| provider_failed("token endpoint", e))?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|e| provider_failed("token endpoint", format!("{status}, not JSON: {e}")))?;
        // GitHub answers errors with 200 and an `error` field.
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            return Err(ApiError::bad_request(
                "provider_error",
                format!("the provider refused the code: {}", sanitized_code(error)),
            ));
        }
        if !status.is_success() {
            return Err(provider_failed("token endpoint", status));
        }
        serde_json::from_value(value).map_err(|e| provider_failed("token endpoint", e))
    }

    /// Who signed in: from the validated id_token (OpenID Connect; its email from userinfo
    /// when the token has none) or from the userinfo API (OAuth 2).
    pub(super) async fn profile(
        &self,
        tokens: &Tokens,
        nonce_hash: Option<&str>,
    ) -> Result<Profile, ApiError> {
        match &self.config.endpoints {
            ProviderEndpoints::Oidc { .. } => {
                let id_token = tokens
                    .id_token
                    .as_deref()
                    .ok_or_else(|| invalid_id_token("the token answer has no id_token"))?;
                let claims = self.validate_id_token(id_token, nonce_hash).await?;
                let mut profile = Profile {
                    subject: claims.sub.clone(),
                    email: claims.email.clone(),
                    email_verified: claims.email.is_some()
                        && is_true(claims.email_verified.as_ref()),
                    name: claims.name.clone(),
                };
                if profile.email.is_none()
                    && let Some(url) = self.discovery().await?.userinfo_endpoint
                {
                    let info = self
                        .get_json(&url, Some(&tokens.access_token))
                        .await
                        .map_err(|e| provider_failed("userinfo", e))?;
                    // OpenID Connect Core §5.3.2: userinfo of another subject is ignored.
                    if info.get("sub").and_then(Value::as_str) == Some(claims.sub.as_str()) {
                        profile.email = text(&info, "email");
                        profile.email_verified =
                            profile.email.is_some() && is_true(info.get("email_verified"));
                        profile.name = profile.name.or_else(|| text(&info, "name"));
                    }
                }
                Ok(profile)
            }
            ProviderEndpoints::OAuth2 {
                userinfo_url,
                mapping,
                ..
            } => {
                self.userinfo_profile(userinfo_url, mapping, &tokens.access_token)
                    .await
            }
        }
    }

    async fn userinfo_profile(
        &self,
        url: &str,
        mapping: &UserinfoMapping,
        access_token: &str,
    ) -> Result<Profile, ApiError> {
        let info = self
            .get_json(url, Some(access_token))
            .await
            .map_err(|e| provider_failed("userinfo", e))?;
        let subject = match info.get(&mapping.id) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(provider_failed("userinfo", "no user id in the answer")),
        };
        let mut profile = Profile {
            subject,
            email: mapping.email.as_deref().and_then(|f| text(&info, f)),
            email_verified: false,
            name: mapping.name.as_deref().and_then(|f| text(&info, f)),
        };
        if let Some(field) = &mapping.email_verified {
            profile.email_verified = profile.email.is_some() && is_true(info.get(field));
        }
        if let Some(emails_url) = &mapping.emails_url {
            let list = self
                .get_json(emails_url, Some(access_token))
                .await
                .map_err(|e| provider_failed("emails", e))?;
            let primary = list.as_array().and_then(|all| {
                all.iter()
                    .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
            });
            // Only the primary address counts, and only as verified as the list says.
            profile.email = primary.and_then(|e| text(e, "email"));
            profile.email_verified = profile.email.is_some()
                && primary
                    .and_then(|e| e.get("verified"))
                    .and_then(Value::as_bool)
                    == Some(true);
        }
        Ok(profile)
    }

    /// The provider's keys (cached); `refetch` asks again for a `kid` not seen yet, at most
    /// every [`REFETCH_AT_MOST_EVERY`].
    async fn keys(&self, refetch: bool) -> Result<Vec<Jwk>, ApiError> {
        {
            let cache = self.cache();
            if let Some((at, keys)) = &cache.keys {
                let recently = cache
                    .refetched
                    .is_some_and(|t| t.elapsed() < REFETCH_AT_MOST_EVERY);
                if at.elapsed() < CACHE_FOR && (!refetch || recently) {
                    return Ok(keys.clone());
                }
            }
        }
        let jwks_uri = self.discovery().await?.jwks_uri;
        let _one = self.fetching.lock().await;
        // Whoever held the lock may just have fetched them.
        {
            let cache = self.cache();
            if let Some((at, keys)) = &cache.keys
                && at.elapsed() < REFETCH_AT_MOST_EVERY
            {
                return Ok(keys.clone());
            }
        }
        let set = self
            .get_json(&jwks_uri, None)
            .await
            .map_err(|e| provider_failed("key set", e))?;
        // Keys of kinds this build cannot use are skipped, not fatal.
        let keys: Vec<Jwk> = set
            .get("keys")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    // A key for encryption is not one that signs id_tokens.
                    .filter(|k| {
                        k.get("use")
                            .and_then(Value::as_str)
                            .is_none_or(|u| u == "sig")
                    })
                    .filter_map(|k| serde_json::from_value(k.clone()).ok())
                    .collect()
            })
            .unwrap_or_default();
        let mut cache = self.cache_mut();
        cache.keys = Some((Instant::now(), keys.clone()));
        if refetch {
            cache.refetched = Some(Instant::now());
        }
        Ok(keys)
    }

    /// Checks the id_token: an accepted algorithm, a key of the provider's set, the
    /// signature, `iss`, `aud` (and `azp` when there are several audiences), `exp`, `iat`,
    /// and the nonce of this flow.
    async fn validate_id_token(
        &self,
        token: &str,
        nonce_hash: Option<&str>,
    ) -> Result<IdClaims, ApiError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| invalid_id_token("malformed"))?;
        if !ACCEPTED_ALGS.contains(&header.alg) {
            return Err(invalid_id_token("unaccepted signature algorithm"));
        }
        let pick = |keys: &[Jwk]| -> Option<Jwk> {
            match &header.kid {
                Some(kid) => keys
                    .iter()
                    .find(|k| k.common.key_id.as_deref() == Some(kid.as_str()))
                    .cloned(),
                // No kid: only a set of one key leaves no doubt.
                None if keys.len() == 1 => keys.first().cloned(),
                None => None,
            }
        };
        let jwk = match pick(&self.keys(false).await?) {
            Some(jwk) => jwk,
            None => pick(&self.keys(true).await?)
                .ok_or_else(|| invalid_id_token("signed by a key the provider does not publish"))?,
        };
        if let Some(alg) = &jwk.common.key_algorithm
            && serde_json::to_value(alg).ok() != serde_json::to_value(header.alg).ok()
        {
            return Err(invalid_id_token("the key is for another algorithm"));
        }
        let key =
            DecodingKey::from_jwk(&jwk).map_err(|_| invalid_id_token("unusable provider key"))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_audience(&[self.config.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // The issuer is compared below (Microsoft's multi-tenant form).
        validation.iss = None;
        let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                invalid_id_token(match e.kind() {
                    ErrorKind::ExpiredSignature => "expired",
                    ErrorKind::InvalidAudience => "issued to another client",
                    ErrorKind::InvalidSignature => "bad signature",
                    ErrorKind::ImmatureSignature => "not valid yet",
                    ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                    _ => "malformed",
                })
            })?
            .claims;
        let expected = self.expected_issuer().await?;
        if !issuer_matches(&expected, &claims.iss, claims.tid.as_deref()) {
            return Err(invalid_id_token("issued by another issuer"));
        }
        // OpenID Connect Core §3.1.3.7: with several audiences, `azp` names this client.
        let several = claims.aud.as_array().is_some_and(|a| a.len() > 1);
        if (several || claims.azp.is_some())
            && claims.azp.as_deref() != Some(self.config.client_id.as_str())
        {
            return Err(invalid_id_token("authorized for another client"));
        }
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECS as i64 {
            return Err(invalid_id_token("issued in the future"));
        }
        if let Some(expected) = nonce_hash {
            let presented = claims.nonce.as_deref().map(nonce_digest);
            if !presented.is_some_and(|p| constant_time_eq(p.as_bytes(), expected.as_bytes())) {
                return Err(invalid_id_token("the nonce is not this sign-in's"));
            }
        }
        Ok(claims)
    }
}

/// The claims of an id_token yauth reads.
#[derive(Debug, Deserialize)]
struct IdClaims {
    iss: String,
    sub: String,
    aud: Value,
    iat: i64,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    /// Microsoft's tenant id.
    #[serde(default)]
    tid: Option<String>,
}

/// The stored form of a nonce (hex SHA-256).
pub(super) fn nonce_digest(nonce: &str) -> String {
    crate::kit::token::hash_token(nonce)
}

/// `iss` against the expected issuer; a `{tenantid}` in the expected one stands for `tid`.
fn issuer_matches(expected: &str, iss: &str, tid: Option<&str>) -> bool {
    let expected = match tid {
        Some(tid) if expected.contains("{tenantid}") => expected.replace("{tenantid}", tid),
        _ => expected.to_owned(),
    };
    expected.trim_end_matches('/') == iss.trim_end_matches('/')
}

/// `true`, or the string `"true"` (some providers send strings).
fn is_true(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A non-empty string field.
fn text(value: &Value, field: &str) -> Option<String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A provider's error code, cut to the characters RFC 6749 allows in one (and at most 64):
/// it is shown to the user, and must not carry markup or a message from the provider.
pub(super) fn sanitized_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == '-')
        .take(64)
        .collect()
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub(super) fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_multi_tenant_issuer_names_the_tokens_tenant() {
        let expected = "https://login.microsoftonline.com/{tenantid}/v2.0";
        assert!(issuer_matches(
            expected,
            "https://login.microsoftonline.com/abc/v2.0",
            Some("abc")
        ));
        assert!(!issuer_matches(
            expected,
            "https://login.microsoftonline.com/abc/v2.0",
            Some("other")
        ));
        assert!(!issuer_matches(
            expected,
            "https://evil.example/abc/v2.0",
            Some("abc")
        ));
        assert!(issuer_matches(
            "https://a.example/",
            "https://a.example",
            None
        ));
    }

    #[test]
    fn provider_urls_are_https_or_loopback() {
        assert!(check_url("https://accounts.google.com").is_ok());
        assert!(check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(check_url("http://localhost:1/").is_ok());
        assert!(check_url("http://example.com/").is_err());
        assert!(check_url("ftp://example.com/").is_err());
    }

    #[test]
    fn provider_error_codes_lose_markup() {
        assert_eq!(sanitized_code("access_denied"), "access_denied");
        assert_eq!(sanitized_code("<script>x</script>"), "scriptxscript");
    }
}
