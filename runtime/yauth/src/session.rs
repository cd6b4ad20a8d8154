//! Session tokens: 256 random bits, sent in an HttpOnly cookie, stored only as SHA-256.

use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::CookieConfig;
use crate::entity::Session;
use crate::error::ApiError;
use crate::state::YAuthState;

/// A fresh random token: 32 bytes from the OS, base64url without padding (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a token: what the database stores and looks up.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from_digit(u32::from(byte >> 4), 16).expect("a nibble"));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).expect("a nibble"));
    }
    out
}

/// `now + ttl`, saturating instead of overflowing: the expiry of sessions, tokens and
/// rate-limit windows.
pub fn expires_after(now: DateTime<Utc>, ttl: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

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

/// A new session for `user_id`: stored (hashed) and returned with its plain token, which
/// only the cookie carries. Every login calls this, so a login always issues a new token
/// (no session fixation).
pub async fn create_session(
    state: &YAuthState,
    user_id: Uuid,
    remember_me: bool,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(Session, String), ApiError> {
    let config = state.config();
    let ttl = if remember_me {
        config.remember_me_ttl
    } else {
        config.session_ttl
    };
    let now: DateTime<Utc> = Utc::now();
    let token = new_token();
    let session = Session {
        id: Uuid::now_v7(),
        user_id,
        token_hash: hash_token(&token),
        ip_address: ip.map(str::to_string),
        user_agent: user_agent.map(|ua| ua.chars().take(512).collect()),
        expires_at: expires_after(now, ttl),
        created_at: now,
        impersonator_id: None,
    };
    state.repos().sessions.insert_session(&session).await?;
    Ok((session, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed_to_hex() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        let h = hash_token(&a);
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
