//! The error answers routes list in their `#[utoipa::path(responses(…))]`, written once.

use crate::contract::error::ErrorBody;

/// The 400 answer to a malformed body or a bad value.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 400,
    description = "`invalid_request` (malformed JSON, a missing field, a wrong type) or a code naming the bad value"
)]
pub struct BadRequest(pub ErrorBody);

/// The 401 answer of a protected route called without valid credentials.
#[derive(Debug, utoipa::IntoResponses)]
#[response(status = 401, description = "`unauthorized`: no valid credentials")]
pub struct Unauthorized(pub ErrorBody);

/// The 429 answer of a rate-limited route.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "`rate_limited`: wait the seconds of `Retry-After`",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct RateLimited(pub ErrorBody);

/// The 423 answer of a password sign-in (`POST /login`, `POST /token`) when the
/// account-lockout plugin has locked the email: the same for an email without an account.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 423,
    description = "`account_locked` (account-lockout plugin): too many failed attempts for this email, whether or not it has an account; the right password is refused too until the lock lifts (`Retry-After`) or an unlock link is used",
    headers(("Retry-After" = u64, description = "Seconds until the lock lifts by itself (absent when only an unlock lifts it)"))
)]
pub struct Locked(pub ErrorBody);

/// The 503 answer of a route that hashes a password when the hashing queue is full.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "`overloaded`: too many passwords are being hashed; wait the seconds of `Retry-After`",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct Overloaded(pub ErrorBody);

/// The 403 answer of an account route called with a bearer token or an API key that lacks
/// the `account` scope.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "`insufficient_scope`: a bearer token or an API key without the `account` scope (a session may always)"
)]
pub struct AccountScope(pub ErrorBody);

/// The 403 answer of a route that adds or removes a user's sign-in factors (passkeys, MFA).
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "`forbidden`: a bearer token, an API key, or an admin's impersonation session (factors are managed from the user's own session)"
)]
pub struct FactorOwner(pub ErrorBody);

/// The 403 answer of a route for admins.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "`forbidden`: admins only (not from an impersonation session; a bearer token or an API key needs the `admin` scope)"
)]
pub struct AdminOnly(pub ErrorBody);

/// A success answer that carries only a sentence for people (the same whatever happened,
/// where the answer must not tell).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Message {
    /// The sentence.
    pub message: &'static str,
}
