//! Per-operation rate limits. The counters live in the backend (`rate_limits` table), so
//! every replica shares them.

use std::time::Duration;

use chrono::Utc;

use crate::contract::error::ApiError;
use crate::contract::state::YAuthState;
use crate::kit::token::expires_after;

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

/// [`check`] keyed by the client IP; without a known IP the limit cannot apply, which is
/// logged (serve the app with `ConnectInfo` or configure `trusted_proxy_header`).
pub async fn check_ip(
    state: &YAuthState,
    operation: &str,
    ip: Option<&str>,
    limit: Limit,
) -> Result<(), ApiError> {
    match ip {
        Some(ip) => check(state, &format!("{operation}:ip:{ip}"), limit).await,
        None => {
            tracing::warn!(
                operation,
                "no client IP (no ConnectInfo and no trusted proxy header): IP rate limit skipped"
            );
            Ok(())
        }
    }
}
