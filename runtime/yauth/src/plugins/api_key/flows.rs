//! Creating, listing, deleting and authenticating API keys; no HTTP types beyond the error.

use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{HEADER, Service, TOUCH_INTERVAL};
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser, is_banned};
use crate::entity::ApiKey;
use crate::kit::limits;
use crate::kit::request::RequestMeta;
use crate::kit::token::{TokenHash, new_token};
use crate::kit::validate::requested_scopes;

/// The longest lifetime a key can be given when no maximum is configured (100 years: within
/// every database's timestamp range).
const MAX_DAYS: u32 = 36_500;

/// How many characters of a key are kept to show it in lists (the prefix and the first
/// random characters: enough to tell keys apart, far too few to guess the rest).
const SHOWN: usize = 8;

/// A key as listed (never the key itself).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct KeyInfo {
    id: Uuid,
    name: String,
    /// The key's first characters, to recognise it.
    prefix: String,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// A key just created: the only answer that carries `key`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CreatedKey {
    id: Uuid,
    name: String,
    /// The key; shown only here. Send it as `X-Api-Key`.
    key: String,
    prefix: String,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

fn scopes_of(row: &ApiKey) -> Vec<String> {
    row.scopes
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

fn info(row: ApiKey) -> KeyInfo {
    KeyInfo {
        scopes: scopes_of(&row),
        id: row.id,
        name: row.name,
        prefix: row.key_prefix,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        created_at: row.created_at,
    }
}

/// A key's name: 1 to 100 characters, no control or format characters.
fn key_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0
        || count > 100
        || name
            .chars()
            .any(|c| c.is_control() || crate::kit::validate::is_format(c))
    {
        return Err(ApiError::bad_request(
            "invalid_name",
            "the key's name must be 1 to 100 printable characters",
        ));
    }
    Ok(name.to_string())
}

/// `POST /api-keys`: a new key for the caller. A key's scopes are the requested ones (each
/// allowed, and each one the caller holds: a scoped token cannot make a wider key).
pub(super) async fn create(
    state: &YAuthState,
    service: &Service,
    caller: &AuthUser,
    name: &str,
    scopes: Option<&[String]>,
    expires_in_days: Option<u32>,
    meta: &RequestMeta,
) -> Result<CreatedKey, ApiError> {
    // A stolen bearer token or key must not be turned into a credential that outlives a
    // password reset: keys come from a signed-in browser session only.
    // Nor from an admin's impersonation: a key would outlive it, in the user's name.
    if caller.auth_method != AuthMethod::Session || caller.impersonated_by.is_some() {
        return Err(ApiError::forbidden(
            "forbidden",
            "API keys are created from the user's own signed-in session",
        ));
    }
    let config = &service.config;
    let name = key_name(name)?;
    let scopes = requested_scopes(
        scopes.unwrap_or_default().iter().map(String::as_str),
        &config.allowed_scopes,
    )?;
    for scope in &scopes {
        caller.require_scope(scope)?;
    }
    let days = match (expires_in_days, config.max_expires_in_days) {
        (Some(0), _) => None,
        (Some(days), Some(max)) if days > max => None,
        (Some(days), None) if days > MAX_DAYS => None,
        (days, max) => Some(days.or(max)),
    }
    .ok_or_else(|| {
        ApiError::bad_request(
            "invalid_expiry",
            "expires_in_days must be positive and within the configured maximum",
        )
    })?;
    limits::check(
        state,
        &format!("api-key-create:user:{}", caller.id),
        config.create_per_user,
    )
    .await?;
    let repos = state.repos();
    if repos.api_keys.count_user_api_keys(caller.id).await? >= config.max_keys_per_user {
        return Err(ApiError::bad_request(
            "too_many_keys",
            "delete a key before creating another",
        ));
    }
    let key = format!("{}{}", config.prefix, new_token());
    let now = Utc::now();
    let expires_at = match days {
        Some(days) => Some(
            now.checked_add_signed(chrono::Duration::days(i64::from(days)))
                .ok_or_else(|| ApiError::bad_request("invalid_expiry", "the expiry is too far"))?,
        ),
        None => None,
    };
    let row = ApiKey {
        id: Uuid::now_v7(),
        user_id: caller.id,
        key_prefix: key.chars().take(config.prefix.len() + SHOWN).collect(),
        key_hash: TokenHash::of(&key).as_str().to_owned(),
        name,
        scopes: Some(serde_json::json!(scopes)),
        last_used_at: None,
        expires_at,
        created_at: now,
    };
    repos.api_keys.insert_api_key(&row).await?;
    state
        .emit(
            AuthEvent::ApiKeyCreated {
                user_id: caller.id,
                key_id: row.id,
            },
            meta,
        )
        .await;
    Ok(CreatedKey {
        id: row.id,
        name: row.name,
        key,
        prefix: row.key_prefix,
        scopes,
        expires_at,
        created_at: now,
    })
}

/// `GET /api-keys`: the caller's keys, newest first, without the keys.
pub(super) async fn list(state: &YAuthState, caller: &AuthUser) -> Result<Vec<KeyInfo>, ApiError> {
    let rows = state.repos().api_keys.list_user_api_keys(caller.id).await?;
    Ok(rows.into_iter().map(info).collect())
}

/// `DELETE /api-keys/{id}`: 404 unless the key is the caller's.
pub(super) async fn delete(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let deleted = state
        .repos()
        .api_keys
        .delete_user_api_key(id, caller.id)
        .await?;
    if deleted == 0 {
        return Err(ApiError::not_found("no such key"));
    }
    state
        .emit(
            AuthEvent::ApiKeyDeleted {
                user_id: caller.id,
                key_id: id,
            },
            meta,
        )
        .await;
    Ok(())
}

/// The owner of the key in `X-Api-Key`, with its scopes: one joined lookup by the key's
/// hash; an unknown or expired key is no credential (401), a banned owner is refused.
pub(super) async fn authenticate(
    state: &YAuthState,
    parts: &Parts,
) -> Result<Option<AuthUser>, ApiError> {
    let Some(key) = parts
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Ok(None);
    };
    let repos = state.repos();
    let hash = TokenHash::of(key);
    let Some((row, user)) = repos.api_keys.find_api_key(hash.as_str()).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if row.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let stale = chrono::Duration::from_std(TOUCH_INTERVAL)
        .ok()
        .and_then(|interval| now.checked_sub_signed(interval))
        .unwrap_or(now);
    if row.last_used_at.is_none_or(|at| at < stale) {
        repos
            .api_keys
            .touch_api_key(Some(now), row.id, stale)
            .await?;
    }
    let scopes = scopes_of(&row);
    let mut auth = AuthUser::from_owned_user(user, AuthMethod::ApiKey);
    auth.scopes = Some(scopes);
    Ok(Some(auth))
}
