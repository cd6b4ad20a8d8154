//! Sessions: the cookie that carries the token, and the stored row (hash only).

use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::CookieConfig;
use crate::contract::error::ApiError;
use crate::contract::state::YAuthState;
use crate::entity::Session;
use crate::kit::token::{expires_after, hash_token, new_token};

/// The cookie carrying `token` for `max_age`.
pub fn session_cookie(
    config: &CookieConfig,
    token: String,
    max_age: std::time::Duration,
) -> Cookie<'static> {
    let mut cookie = Cookie::build((config.name.clone(), token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure)
        .path(config.path.clone())
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build();
    if let Some(domain) = &config.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

/// The cookie that removes the session cookie.
pub fn removal_cookie(config: &CookieConfig) -> Cookie<'static> {
    let mut cookie = Cookie::build((config.name.clone(), ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure)
        .path(config.path.clone())
        .build();
    if let Some(domain) = &config.domain {
        cookie.set_domain(domain.clone());
    }
    cookie.make_removal();
    cookie
}

/// How long a new session lives.
pub fn session_ttl(config: &crate::config::YAuthConfig, remember_me: bool) -> std::time::Duration {
    if remember_me {
        config.remember_me_ttl
    } else {
        config.session_ttl
    }
}

/// A new session for `user_id`: stored (hashed) and returned with its plain token, which
/// only the cookie carries. Every sign-in calls this, so a sign-in always issues a new token
/// (no session fixation).
pub async fn create_session(
    state: &YAuthState,
    user_id: Uuid,
    remember_me: bool,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(Session, String), ApiError> {
    let now: DateTime<Utc> = Utc::now();
    let token = new_token();
    let session = Session {
        id: Uuid::now_v7(),
        user_id,
        token_hash: hash_token(&token),
        ip_address: ip.map(str::to_string),
        user_agent: user_agent.map(|ua| ua.chars().take(512).collect()),
        expires_at: expires_after(now, session_ttl(state.config(), remember_me)),
        created_at: now,
        impersonator_id: None,
    };
    state.repos().sessions.insert_session(&session).await?;
    Ok((session, token))
}
