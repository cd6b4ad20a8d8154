//! What OAuth 2 puts on the wire besides JSON bodies: its error answer (RFC 6749 §5.2),
//! form bodies (every parameter at most once, §3.1), and client authentication (§2.3).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Serialize;

use crate::contract::error::ApiError;
use crate::contract::state::YAuthState;
use crate::entity::Oauth2Client;
use crate::kit::sign_in::no_store;
use crate::kit::token::{TokenHash, constant_time_eq};

/// An error of the token, introspection, revocation and registration endpoints:
/// `{ "error", "error_description" }`, never cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OAuthError {
    pub(super) status: StatusCode,
    pub(super) error: &'static str,
    pub(super) description: String,
    /// Seconds for `Retry-After` (a rate limit).
    pub(super) retry_after: Option<u64>,
}

/// The body of an OAuth 2 error (RFC 6749 §5.2, RFC 7591 §3.2.2).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope`, `invalid_redirect_uri`,
    /// `invalid_client_metadata`, …
    pub(super) error: &'static str,
    /// A sentence for people.
    pub(super) error_description: String,
}

/// 401 `invalid_client`, for the OpenAPI document of the client-authenticated routes.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "`invalid_client`: client authentication failed (the same for an unknown client and a wrong secret)",
    headers(("WWW-Authenticate" = String, description = "`Basic realm=\"oauth\"`"))
)]
#[expect(
    dead_code,
    reason = "describes the answer in the OpenAPI document only"
)]
pub(super) struct InvalidClient(pub OAuthErrorBody);

/// 429 `rate_limited`, in the OAuth error body.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "`rate_limited`: wait the seconds of `Retry-After`",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
#[expect(
    dead_code,
    reason = "describes the answer in the OpenAPI document only"
)]
pub(super) struct OAuthRateLimited(pub OAuthErrorBody);

impl OAuthError {
    pub(super) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }

    /// 400 with this code.
    pub(super) fn bad(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    pub(super) fn invalid_request(description: impl Into<String>) -> Self {
        Self::bad("invalid_request", description)
    }

    /// 400 `invalid_grant`: the code or refresh token is unknown, used, expired, or not
    /// this client's; one answer for all.
    pub(super) fn invalid_grant() -> Self {
        Self::bad(
            "invalid_grant",
            "the grant is invalid, expired, revoked, or was issued to another client",
        )
    }

    /// 401 `invalid_client`.
    pub(super) fn invalid_client() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    }
}

/// Failures of the server itself (a database error) keep their status; the description is
/// the generic message.
impl From<ApiError> for OAuthError {
    fn from(e: ApiError) -> Self {
        let error = match e.status {
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            s if s.is_server_error() => "server_error",
            _ => e.error,
        };
        OAuthError {
            retry_after: e.retry_after,
            ..OAuthError::new(e.status, error, e.message)
        }
    }
}

impl From<crate::entity::RepoError> for OAuthError {
    fn from(e: crate::entity::RepoError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<crate::keys::signing::KeyError> for OAuthError {
    fn from(e: crate::keys::signing::KeyError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let mut response = no_store(
            (
                self.status,
                Json(OAuthErrorBody {
                    error: self.error,
                    error_description: self.description,
                }),
            )
                .into_response(),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if unauthorized {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth\""),
            );
        }
        response
    }
}

/// An `application/x-www-form-urlencoded` body as a map. A parameter sent twice is 400
/// `invalid_request` (RFC 6749 §3.1); an empty value counts as absent.
#[derive(Debug, Default)]
pub(super) struct Form(pub HashMap<String, String>);

impl Form {
    /// Parses `bytes` (a body, or a query string).
    pub(super) fn parse(bytes: &[u8]) -> Result<Self, OAuthError> {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            if value.is_empty() {
                continue;
            }
            if map.insert(name.into_owned(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(
                    "a parameter is included more than once",
                ));
            }
        }
        Ok(Form(map))
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(super) fn require(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("`{name}` is required")))
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, OAuthError> {
        let form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form {
            return Err(OAuthError::invalid_request(
                "expected a form body (`Content-Type: application/x-www-form-urlencoded`)",
            ));
        }
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|r| {
            OAuthError::new(r.status(), "invalid_request", "the body could not be read")
        })?;
        Form::parse(&bytes)
    }
}

/// How a client proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClientAuth {
    /// `client_secret_basic` or `client_secret_post`: a confidential client.
    Secret,
    /// `none`: a public client naming itself.
    None,
}

/// `client_id:client_secret` of `Authorization: Basic`, each part form-decoded (RFC 6749
/// §2.3.1). `Ok(None)` without such a header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = OAuthError::invalid_client;
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    // Form-decoded: `+` is a space, `%XX` a byte; nothing else is special (an `&` or `=`
    // stays part of the value).
    let unescape = |part: &str| {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|v| v.into_owned())
            .map_err(|_| bad())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// The client a request authenticates as: by `Authorization: Basic`, by `client_id` and
/// `client_secret` in the form, or (a public client) by `client_id` alone. One method per
/// request; every failure is 401 `invalid_client`, the same for an unknown client and a
/// wrong secret.
pub(super) async fn authenticate_client(
    state: &YAuthState,
    headers: &HeaderMap,
    form: &Form,
) -> Result<(Oauth2Client, ClientAuth), OAuthError> {
    let basic = basic_credentials(headers)?;
    let (client_id, secret) = match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        (Some((id, secret)), None) => {
            if form.get("client_id").is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::invalid_request(
                    "`client_id` differs from the authenticated client",
                ));
            }
            (id, Some(secret))
        }
        (None, secret) => {
            let Some(id) = form.get("client_id") else {
                return Err(OAuthError::invalid_client());
            };
            (id.to_string(), secret.map(str::to_string))
        }
    };
    let client = state
        .repos()
        .oauth2_clients
        .find_oauth2_client(&client_id)
        .await?;
    let Some(client) = client else {
        return Err(OAuthError::invalid_client());
    };
    match (secret, &client.client_secret_hash) {
        (Some(secret), Some(stored)) if !client.is_public => {
            let presented = TokenHash::of(&secret);
            if constant_time_eq(presented.as_str().as_bytes(), stored.as_bytes()) {
                Ok((client, ClientAuth::Secret))
            } else {
                Err(OAuthError::invalid_client())
            }
        }
        (None, _) if client.is_public => Ok((client, ClientAuth::None)),
        _ => Err(OAuthError::invalid_client()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_parameter_sent_twice_is_refused() {
        let form = Form::parse(b"grant_type=a&code=1&empty=").unwrap();
        assert_eq!(form.get("code"), Some("1"));
        assert_eq!(form.get("empty"), None);
        let twice = Form::parse(b"code=1&code=2").unwrap_err();
        assert_eq!(twice.error, "invalid_request");
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%3Aclient:p%40ss+w&x=1");
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        assert_eq!(
            basic_credentials(&headers).unwrap(),
            Some(("my:client".into(), "p@ss w&x=1".into()))
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(
            basic_credentials(&headers).unwrap_err().error,
            "invalid_client"
        );
    }
}
