//! The one error type of every route: a status and a JSON body
//! `{ "error": "<machine code>", "message": "<human text>" }`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::entity::RepoError;

/// An error answered to the client. Server-side failures are logged with their cause and
/// answered with a generic 500 body that reveals nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code (`invalid_credentials`, `invalid_token`, ...).
    pub error: &'static str,
    /// A sentence for people; it names a field at most, never a submitted value.
    pub message: String,
    /// Seconds for a `Retry-After` header (rate limits).
    pub retry_after: Option<u64>,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine code: `invalid_request`, `invalid_credentials`, `invalid_token`,
    /// `password_too_short`, `password_common`, `password_breached`,
    /// `password_reused`, `rate_limited`, `unauthorized`, ...
    pub error: &'static str,
    /// A sentence for people; it may change.
    pub message: String,
}

impl ApiError {
    /// An error with this status, machine code and message.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with a code naming what is wrong.
    pub fn bad_request(error: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, message)
    }

    /// 401 `unauthorized`: no valid credentials.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "authentication required",
        )
    }

    /// 403 with a code.
    pub fn forbidden(error: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, error, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 429 `rate_limited` with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; try again later",
            )
        }
    }

    /// 423 `account_locked`, with `Retry-After` when the lock lifts by itself. The same
    /// answer for an email with an account and one without.
    pub fn locked(retry_after: Option<u64>) -> Self {
        ApiError {
            retry_after: retry_after.map(|s| s.max(1)),
            ..Self::new(
                StatusCode::LOCKED,
                "account_locked",
                "too many failed attempts: sign-in with a password is locked for this account; \
                 try again later or ask for an unlock link",
            )
        }
    }

    /// 503 `overloaded` with `Retry-After`: the server is too busy to do this now (the
    /// password-hashing queue is full).
    pub fn overloaded(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "the server is busy; try again later",
            )
        }
    }

    /// A failure of the server itself; `cause` and every error in its `source()` chain are
    /// logged, nothing of them is sent.
    pub fn internal<E: std::error::Error>(cause: E) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(inner) = source {
            chain.push_str(": ");
            chain.push_str(&inner.to_string());
            source = inner.source();
        }
        Self::internal_message(chain)
    }

    /// [`ApiError::internal`] for a failure described in words; `message` is logged, not sent.
    pub fn internal_message(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong",
        )
    }
}

#[cfg(feature = "bearer")]
impl From<crate::keys::signing::KeyError> for ApiError {
    fn from(e: crate::keys::signing::KeyError) -> Self {
        match e {
            crate::keys::signing::KeyError::Repo(e) => e.into(),
            crate::keys::signing::KeyError::Internal(message) => {
                ApiError::internal_message(format!("key store: {message}"))
            }
        }
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Conflict(_) => Self::new(StatusCode::CONFLICT, "conflict", "already exists"),
            RepoError::NotFound => Self::not_found("not found"),
            other => Self::internal(other),
        }
    }
}

/// The machine code of an [`ApiError`] answer, in the response's extensions (the telemetry
/// plugin's request span records it as the outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = axum::Json(ErrorBody {
            error: self.error,
            message: self.message,
        });
        let mut response = (self.status, body).into_response();
        response.extensions_mut().insert(ErrorCode(self.error));
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// A JSON body, like `axum::Json`, whose every rejection is a 400 [`ApiError`]
/// (`invalid_request`) whose message names the field at fault, never the submitted value
/// (serde's own messages quote it: `invalid type: integer 12345678`). An oversized body
/// keeps its 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// The longest field name repeated in an error message.
const MAX_FIELD_IN_MESSAGE: usize = 64;

fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

fn is_json(content_type: Option<&axum::http::HeaderValue>) -> bool {
    let Some(essence) = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let essence = essence.trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The name between the first pair of backticks of a serde message (`missing field `x``).
fn quoted_name(text: &str) -> Option<String> {
    let name = text.split('`').nth(1)?;
    Some(name.chars().take(MAX_FIELD_IN_MESSAGE).collect())
}

/// A message for a body that did not deserialize, naming the field and never the value.
fn describe(error: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = error.path().to_string();
    let inner = error.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let text = inner.to_string();
            if text.starts_with("missing field") {
                match quoted_name(&text) {
                    Some(field) => format!("missing field `{field}`"),
                    None => "a required field is missing".into(),
                }
            } else if text.starts_with("unknown field") {
                match quoted_name(&text) {
                    Some(field) => format!("unknown field `{field}`"),
                    None => "an unknown field".into(),
                }
            } else if path != "." {
                let path: String = path.chars().take(MAX_FIELD_IN_MESSAGE).collect();
                format!("invalid value for `{path}`")
            } else {
                "the body is not the expected JSON object".into()
            }
        }
        _ => "the body is not valid JSON".into(),
    }
}

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers().get(axum::http::header::CONTENT_TYPE)) {
            return Err(invalid_request(
                "expected a JSON body (`Content-Type: application/json`)",
            ));
        }
        let bytes =
            match <bytes::Bytes as axum::extract::FromRequest<S>>::from_request(req, state).await {
                Ok(bytes) => bytes,
                Err(rejection) => {
                    return Err(ApiError::new(
                        rejection.status(),
                        "invalid_request",
                        "the body could not be read",
                    ));
                }
            };
        // Every body of the API is an object; serde would also read a struct from an array
        // (its fields in order), which the document does not allow.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(invalid_request("the body must be a JSON object"));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|e| invalid_request(describe(e)))?;
        deserializer
            .end()
            .map_err(|_| invalid_request("the body is not valid JSON"))?;
        Ok(ApiJson(value))
    }
}

/// A path parameter, like `axum::extract::Path`, whose rejection is a 400 [`ApiError`]
/// (`invalid_request`) naming no value.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(_) => Err(invalid_request("a path parameter is not valid")),
        }
    }
}

/// Query parameters, like `axum::extract::Query`, whose rejection is a 400 [`ApiError`]
/// (`invalid_request`) naming no value.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(_) => Err(invalid_request("a query parameter is not valid")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        password: String,
    }

    fn message_for(json: &str) -> String {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let error = serde_path_to_error::deserialize::<_, Body>(&mut deserializer).unwrap_err();
        describe(error)
    }

    #[test]
    fn an_error_message_names_the_field_never_the_submitted_value() {
        let message = message_for(r#"{"email":"a@example.com","password":12345678}"#);
        assert_eq!(message, "invalid value for `password`");
        assert!(!message.contains("12345678"));
        let message = message_for(r#"{"email":"a@example.com","password":"hunter2-secret","x":1}"#);
        assert_eq!(message, "unknown field `x`");
        assert_eq!(
            message_for(r#"{"email":"a@example.com"}"#),
            "missing field `password`"
        );
        let message = message_for(r#"{"email":"a@example.com","password":"hunter2-secret"#);
        assert!(!message.contains("hunter2"), "{message}");
    }
}
