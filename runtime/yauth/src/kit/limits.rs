//! Per-operation rate limits. The counters live in the backend (`rate_limits` table), so
//! every replica shares them.

use std::time::Duration;

use chrono::Utc;

use crate::contract::error::ApiError;
use crate::contract::state::YAuthState;
use std::net::IpAddr;

use crate::kit::request::ip_bucket;
use crate::kit::token::{expires_after, hash_token};

/// At most `max` requests per `window` for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub max: u32,
    /// The window's length.
    pub window: Duration,
}

impl Limit {
    /// `max` per minute.
    pub const fn per_minute(max: u32) -> Self {
        Limit {
            max,
            window: Duration::from_secs(60),
        }
    }

    /// `max` per hour.
    pub const fn per_hour(max: u32) -> Self {
        Limit {
            max,
            window: Duration::from_secs(3600),
        }
    }
}

/// Counts one request against `key` (`login:ip:203.0.113.9`); 429 with `Retry-After` once
/// the window's budget is spent.
pub async fn check(state: &YAuthState, key: &str, limit: Limit) -> Result<(), ApiError> {
    let now = Utc::now();
    let row = state
        .repos()
        .rate_limits
        .hit_rate_limit(key, now, expires_after(now, limit.window))
        .await?;
    if i64::from(row.count) > i64::from(limit.max) {
        let retry = (row.expires_at - now).num_seconds().max(1);
        return Err(ApiError::too_many_requests(
            u64::try_from(retry).unwrap_or(1),
        ));
    }
    Ok(())
}

/// Counts one event against `key` without refusing anything (the mark of a network that
/// signed in to an email).
pub async fn count(state: &YAuthState, key: &str, limit: Limit) -> Result<(), ApiError> {
    let now = Utc::now();
    state
        .repos()
        .rate_limits
        .hit_rate_limit(key, now, expires_after(now, limit.window))
        .await?;
    Ok(())
}

/// [`check`] keyed by the client IP's bucket ([`ip_bucket`]: IPv6 by `/64`; requests with
/// no known address share one `unknown` bucket, so a missing address never lifts the limit).
pub async fn check_ip(
    state: &YAuthState,
    operation: &str,
    ip: Option<IpAddr>,
    limit: Limit,
) -> Result<(), ApiError> {
    check(state, &format!("{operation}:ip:{}", ip_bucket(ip)), limit).await
}

/// The key of a per-email counter: the email's SHA-256, so that no address, however long,
/// overflows the key column, and the table holds no addresses.
pub fn email_key(operation: &str, email: &str) -> String {
    format!("{operation}:email:{}", hash_token(email))
}
