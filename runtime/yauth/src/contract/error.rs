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
    pub status: StatusCode,
    /// A stable machine-readable code (`invalid_credentials`, `invalid_token`, ...).
    pub error: &'static str,
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

    /// A failure of the server itself; `cause` is logged, not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong",
        )
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = axum::Json(ErrorBody {
            error: self.error,
            message: self.message,
        });
        let mut response = (self.status, body).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// `axum::Json` whose rejections (malformed JSON, a missing field, a wrong type, a wrong
/// content type, an oversized body) are [`ApiError`]s with the same 4xx status.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::new(
                rejection.status(),
                "invalid_request",
                rejection.body_text(),
            )),
        }
    }
}
