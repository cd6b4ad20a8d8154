//! Issuing, refreshing, revoking and verifying tokens; no HTTP types beyond the error.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::{BearerConfig, Service};
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::plugin::TokenPair;
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser, is_banned};
use crate::entity::{RefreshToken, User};
use crate::keys::signing::Rejected;
use crate::kit::limits;
use crate::kit::request::RequestMeta;
use crate::kit::token::{Issued, TokenHash, expires_after, new_token};
use crate::kit::validate::requested_scopes;

/// The `typ` of access tokens (RFC 9068): other tokens signed by the same keys (OIDC ID
/// tokens, later) are not accepted as access tokens, nor these as anything else.
const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: Uuid,
    aud: String,
    exp: i64,
    iat: i64,
    jti: Uuid,
    /// Space-separated, as in OAuth 2.
    scope: String,
    /// Never set here: the authorization server's access tokens carry it, and they are
    /// checked by its own extractor (revocation included), never as this plugin's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
}

/// The scopes of a token request: the requested ones (space-separated, each allowed,
/// duplicates dropped), or the defaults.
pub(super) fn granted_scopes(
    config: &BearerConfig,
    requested: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    match requested {
        None => Ok(config.default_scopes.clone()),
        Some(requested) => requested_scopes(
            requested.split(' ').filter(|s| !s.is_empty()),
            &config.allowed_scopes,
        ),
    }
}

fn invalid_refresh_token() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "the refresh token is invalid, expired or revoked",
    )
}

/// A signed access token for `user_id` with `scopes`.
async fn access_token(
    state: &YAuthState,
    service: &Service,
    user_id: Uuid,
    scopes: &[String],
) -> Result<String, ApiError> {
    let now = Utc::now();
    let claims = AccessClaims {
        iss: service.issuer.clone(),
        sub: user_id,
        aud: service.audience.clone(),
        exp: expires_after(now, service.config.access_token_ttl).timestamp(),
        iat: now.timestamp(),
        jti: Uuid::new_v4(),
        scope: scopes.join(" "),
        client_id: None,
    };
    Ok(state
        .signing_keys()
        .sign(
            state.repos(),
            state.sealer()?,
            service.config.algorithm,
            ACCESS_TOKEN_TYPE,
            &claims,
        )
        .await?)
}

fn pair(service: &Service, access_token: String, refresh_token: String) -> TokenPair {
    TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: service.config.access_token_ttl.as_secs(),
    }
}

fn scopes_of(row: &RefreshToken) -> Vec<String> {
    row.scopes
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// A new family for a user the sign-in path cleared: a refresh token living
/// `refresh_token_ttl`, and an access token.
pub(super) async fn issue(
    state: &YAuthState,
    service: &Service,
    user: &User,
    scopes: &[String],
    client: &RequestMeta,
) -> Result<TokenPair, ApiError> {
    let refresh = Issued::new(service.config.refresh_token_ttl);
    let family_id = Uuid::now_v7();
    let access = access_token(state, service, user.id, scopes).await?;
    state
        .repos()
        .refresh_tokens
        .insert_refresh_token(&RefreshToken {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: refresh.hash,
            family_id,
            scopes: Some(serde_json::json!(scopes)),
            expires_at: refresh.expires_at,
            revoked: false,
            created_at: refresh.created_at,
        })
        .await?;
    state
        .emit(
            AuthEvent::TokenIssued {
                user_id: user.id,
                family_id,
            },
            client,
        )
        .await;
    Ok(pair(service, access, refresh.plain))
}

/// A new token (`plain`, stored as its hash) of `row`'s family, with its user and scopes.
/// The family's lifetime runs from its sign-in, not from the last rotation.
fn next_in_family(row: &RefreshToken, plain: &str, now: DateTime<Utc>) -> RefreshToken {
    RefreshToken {
        id: Uuid::now_v7(),
        user_id: row.user_id,
        token_hash: TokenHash::of(plain).as_str().to_owned(),
        family_id: row.family_id,
        scopes: row.scopes.clone(),
        expires_at: row.expires_at,
        revoked: false,
        created_at: now,
    }
}

/// `POST /token/refresh`: rotates the presented token. Reuse of a rotated token revokes its
/// family (unless `refresh_reuse_grace` lets a quick repeat through).
pub(super) async fn refresh(
    state: &YAuthState,
    service: &Service,
    presented: &str,
    meta: &RequestMeta,
) -> Result<TokenPair, ApiError> {
    limits::check_ip(
        state,
        "token-refresh",
        meta.ip,
        service.config.rate_limits.refresh_per_ip,
    )
    .await?;
    let repos = state.repos();
    let hash = TokenHash::of(presented);
    let now = Utc::now();
    let Some(row) = repos
        .refresh_tokens
        .find_refresh_token(hash.as_str())
        .await?
    else {
        return Err(invalid_refresh_token());
    };
    if row.expires_at <= now {
        return Err(invalid_refresh_token());
    }
    if row.revoked {
        return reused(state, service, &row, meta).await;
    }
    let Some(user) = repos.users.get_user(row.user_id).await? else {
        return Err(invalid_refresh_token());
    };
    if is_banned(&user) {
        repos
            .refresh_tokens
            .revoke_refresh_family(row.family_id)
            .await?;
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let successor = new_token();
    let next = next_in_family(&row, &successor, now);
    let access = access_token(state, service, row.user_id, &scopes_of(&row)).await?;
    if !repos.composite.rotate_refresh_token(row.id, &next).await? {
        // Another request rotated it between our read and our claim.
        return reused(state, service, &row, meta).await;
    }
    state
        .emit(
            AuthEvent::TokenRefreshed {
                user_id: row.user_id,
                family_id: row.family_id,
            },
            meta,
        )
        .await;
    Ok(pair(service, access, successor))
}

/// A rotated (or revoked) token came back. Within the grace window of its rotation, while
/// the family is alive, the caller gets another pair of the family; otherwise the family is
/// revoked, its newest token included, and the reuse is audited.
async fn reused(
    state: &YAuthState,
    service: &Service,
    row: &RefreshToken,
    meta: &RequestMeta,
) -> Result<TokenPair, ApiError> {
    let repos = state.repos();
    let grace = service.config.refresh_reuse_grace;
    if !grace.is_zero() {
        let family = repos
            .refresh_tokens
            .list_family_refresh_tokens(row.family_id)
            .await?;
        let now = Utc::now();
        // Only the token rotated last (the newest one's immediate predecessor), and only
        // once: the extra pair becomes the newest, so a second repeat is reuse.
        let live_successor = match family.as_slice() {
            [newest, presented, ..] => {
                presented.id == row.id
                    && !newest.revoked
                    && newest.expires_at > now
                    && expires_after(newest.created_at, grace) > now
            }
            _ => false,
        };
        let user = repos.users.get_user(row.user_id).await?;
        if live_successor && let Some(user) = user.filter(|u| !is_banned(u)) {
            let sibling = new_token();
            repos
                .refresh_tokens
                .insert_refresh_token(&next_in_family(row, &sibling, now))
                .await?;
            let access = access_token(state, service, user.id, &scopes_of(row)).await?;
            return Ok(pair(service, access, sibling));
        }
    }
    repos
        .refresh_tokens
        .revoke_refresh_family(row.family_id)
        .await?;
    state
        .emit(
            AuthEvent::RefreshTokenReused {
                user_id: row.user_id,
                family_id: row.family_id,
            },
            meta,
        )
        .await;
    Err(invalid_refresh_token())
}

/// `POST /token/revoke`: ends the family of a refresh token of the caller's. Someone else's
/// or an unknown token changes nothing and gets the same answer.
pub(super) async fn revoke(
    state: &YAuthState,
    caller: &AuthUser,
    presented: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let hash = TokenHash::of(presented);
    let Some(row) = repos
        .refresh_tokens
        .find_refresh_token(hash.as_str())
        .await?
    else {
        return Ok(());
    };
    if row.user_id != caller.id {
        return Ok(());
    }
    repos
        .refresh_tokens
        .revoke_refresh_family(row.family_id)
        .await?;
    state
        .emit(
            AuthEvent::TokenRevoked {
                user_id: row.user_id,
                family_id: row.family_id,
            },
            meta,
        )
        .await;
    Ok(())
}

/// How many verified tokens the cache holds at most (about 1 KiB each).
const VERIFIED_CAP: usize = 10_000;

/// Access tokens already verified, by the SHA-256 of the token: their claims and `kid`.
#[derive(Debug, Default)]
pub(super) struct VerifiedTokens(Mutex<HashMap<[u8; 32], (String, AccessClaims)>>);

impl VerifiedTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (String, AccessClaims)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The claims of a valid access token: from the cache when this token was verified before,
/// is not expired and its key still verifies; otherwise checked in full (signature, `typ`,
/// `kid`, algorithm, issuer, audience, expiry) and remembered.
async fn verified_claims(
    state: &YAuthState,
    service: &Service,
    token: &str,
) -> Result<Option<AccessClaims>, ApiError> {
    let keys = state.signing_keys();
    let sealer = state.sealer()?;
    keys.refresh_if_stale(state.repos(), sealer).await;
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let now = Utc::now().timestamp();
    let hit = service.verified.lock().get(&digest).cloned();
    if let Some((kid, claims)) = hit {
        // The same leeway-free bound as the first verification's `exp` check, at most.
        if claims.exp > now && keys.verifies(&kid) {
            return Ok(Some(claims));
        }
        service.verified.lock().remove(&digest);
        return Ok(None);
    }
    let claims: AccessClaims = match keys
        .verify::<AccessClaims>(
            state.repos(),
            sealer,
            token,
            ACCESS_TOKEN_TYPE,
            &service.validation,
        )
        .await
    {
        Ok(claims) if claims.client_id.is_none() => claims,
        Ok(_) | Err(Rejected::Invalid) => return Ok(None),
    };
    let kid = jsonwebtoken::decode_header(token)
        .ok()
        .and_then(|h| h.kid)
        .unwrap_or_default();
    let mut cache = service.verified.lock();
    if cache.len() >= VERIFIED_CAP {
        cache.retain(|_, (_, c)| c.exp > now);
        if cache.len() >= VERIFIED_CAP {
            cache.clear();
        }
    }
    cache.insert(digest, (kid, claims.clone()));
    Ok(Some(claims))
}

/// The caller of a valid access token: signature, `kid`, algorithm, issuer, audience and
/// expiry checked, then the user loaded (a deleted user is unauthenticated, a banned one
/// refused).
pub(super) async fn authenticate(
    state: &YAuthState,
    service: &Service,
    parts: &Parts,
) -> Result<Option<AuthUser>, ApiError> {
    let Some(token) = crate::kit::request::bearer_token(&parts.headers) else {
        return Ok(None);
    };
    let Some(claims) = verified_claims(state, service, token).await? else {
        return Ok(None);
    };
    let Some(user) = state.repos().users.get_user(claims.sub).await? else {
        return Ok(None);
    };
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let mut auth = AuthUser::from_owned_user(user, AuthMethod::Bearer);
    auth.scopes = Some(
        claims
            .scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    );
    Ok(Some(auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scopes_are_the_requested_allowed_ones_or_the_defaults() {
        let config = BearerConfig {
            allowed_scopes: vec!["read".into(), "write".into()],
            default_scopes: vec!["read".into()],
            ..BearerConfig::default()
        };
        assert_eq!(granted_scopes(&config, None).unwrap(), vec!["read"]);
        assert_eq!(
            granted_scopes(&config, Some("write  read write")).unwrap(),
            vec!["write", "read"]
        );
        assert_eq!(
            granted_scopes(&config, Some("")).unwrap(),
            Vec::<String>::new()
        );
        for bad in ["admin", "read admin", "read\u{7f}"] {
            assert_eq!(
                granted_scopes(&config, Some(bad)).unwrap_err().error,
                "invalid_scope"
            );
        }
    }
}
