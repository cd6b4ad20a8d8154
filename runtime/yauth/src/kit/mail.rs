//! Mail with a token link: the link, the hand-off to the mailer, and the per-address cap.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::contract::error::ApiError;
use crate::contract::state::YAuthState;
use crate::kit::limits::{self, Limit};
use crate::mail::{Email, Mailer};

/// `{base_url}/{page}?token={token}`: the link of a mailed token. Links come from the
/// configured `base_url`, never from the request's Host header.
pub fn token_link(state: &YAuthState, page: &str, token: &str) -> String {
    format!(
        "{}/{page}?token={token}",
        state.config().base_url.trim_end_matches('/')
    )
}

/// Hands the mail to the mailer in a task of its own: the answer never waits for (or
/// depends on) the mail server, so its timing tells nobody whether an account exists.
pub fn dispatch(mailer: &Arc<dyn Mailer>, email: Email) {
    let mailer = mailer.clone();
    tokio::spawn(async move {
        let to = email.to.clone();
        if let Err(e) = mailer.send(email).await {
            tracing::error!(error = %e, %to, "could not send an email");
        }
    });
}

/// Whether one more mail may go to `email` (normalised) under `limit`. A spent budget
/// answers `false`, never an error, so the caller can skip the mail silently and answer
/// exactly as if it were sent.
pub async fn per_address_allowed(
    state: &YAuthState,
    email: &str,
    limit: Limit,
) -> Result<bool, ApiError> {
    budget_allows(state, "mail", email, limit).await
}

/// [`per_address_allowed`] with a budget of its own, named `purpose`: mail that must reach
/// its owner even when someone spent the address's shared budget (unlock links).
pub async fn budget_allows(
    state: &YAuthState,
    purpose: &str,
    email: &str,
    limit: Limit,
) -> Result<bool, ApiError> {
    match limits::check(state, &limits::email_key(purpose, email), limit).await {
        Ok(()) => Ok(true),
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => Ok(false),
        Err(e) => Err(e),
    }
}
