//! Counting, locking and unlocking; no HTTP types beyond the error.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{Service, mail};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, RequestMeta, Verdict};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::{AccountLock, UnlockToken, User};
use crate::kit::limits;
use crate::kit::mail::{budget_allows, dispatch, token_link};
use crate::kit::token::{Issued, expires_after, hash_token};
use crate::kit::validate::normalize_email;

/// Why a lock was set, as stored in `locked_reason`.
const TOO_MANY_FAILURES: &str = "too_many_failures";

/// The far end of a lock that only an unlock lifts (`auto_unlock = false`): the row must
/// outlive it, so its `expires_at` is this far away.
const PERMANENT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The `rate_limits` key of an email's attempts.
fn attempts_key(email: &str) -> String {
    limits::email_key("lockout", email)
}

/// Whether `lock` is in force at `now`: the verdict to answer, or `None`.
fn in_force(lock: &AccountLock, now: DateTime<Utc>) -> Option<Verdict> {
    lock.locked_reason.as_ref()?;
    match lock.locked_until {
        None => Some(Verdict::Locked { retry_after: None }),
        Some(until) if until > now => Some(Verdict::Locked {
            retry_after: Some(seconds_until(until, now)),
        }),
        Some(_) => None,
    }
}

/// Whole seconds from `now` to `until`, rounded up (at least 1).
fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let ms = (until - now).num_milliseconds().max(0);
    u64::try_from(ms).unwrap_or(0).div_ceil(1000).max(1)
}

/// How long lock number `earlier + 1` lasts: the base duration doubled for each earlier
/// lock the backoff remembers, up to the cap.
pub(super) fn lock_length(config: &super::AccountLockoutConfig, earlier: u32) -> Duration {
    if !config.exponential_backoff {
        return config.lockout_duration;
    }
    let factor = 1u32.checked_shl(earlier.min(31)).unwrap_or(u32::MAX);
    config
        .lockout_duration
        .checked_mul(factor)
        .unwrap_or(config.max_lockout_duration)
        .min(config.max_lockout_duration)
}

/// A password attempt for `email`: refused while the email is locked; otherwise counted,
/// and the attempt past the threshold locks. Known and unknown emails take the same steps.
pub(super) async fn password_attempt(
    state: &YAuthState,
    service: &Service,
    email: &str,
    client: &RequestMeta,
) -> Result<Verdict, ApiError> {
    let repos = state.repos();
    let now = Utc::now();
    let hash = hash_token(email);
    if let Some(lock) = repos.account_locks.get_account_lock(&hash).await?
        && let Some(verdict) = in_force(&lock, now)
    {
        return Ok(verdict);
    }
    let config = &service.config;
    // Counted before the password is verified, so parallel guesses cannot all slip under
    // the threshold; a success clears the count.
    let attempts = repos
        .rate_limits
        .hit_rate_limit(
            &attempts_key(email),
            now,
            expires_after(now, config.failure_window),
        )
        .await?;
    if u32::try_from(attempts.count).unwrap_or(0) > config.max_failed_attempts {
        return lock(state, service, email, &hash, now, client).await;
    }
    // A lock set between the first read and the count (whose locker then cleared the count
    // this attempt landed in) must still hold: read again, so no guess is verified while
    // the email is locked.
    if let Some(lock) = repos.account_locks.get_account_lock(&hash).await?
        && let Some(verdict) = in_force(&lock, Utc::now())
    {
        return Ok(verdict);
    }
    Ok(Verdict::Allow)
}

/// Locks `email` (its row keyed by `hash`): of concurrent callers one wins the claim and
/// sets the lock; the others answer with the lock it set.
async fn lock(
    state: &YAuthState,
    service: &Service,
    email: &str,
    hash: &str,
    now: DateTime<Utc>,
    client: &RequestMeta,
) -> Result<Verdict, ApiError> {
    let repos = state.repos();
    let config = &service.config;
    repos
        .account_locks
        .ensure_account_lock(&AccountLock {
            id: Uuid::now_v7(),
            email_hash: hash.to_string(),
            locked_until: None,
            lock_count: 0,
            locked_reason: None,
            expires_at: expires_after(now, config.max_lockout_duration),
            created_at: now,
            updated_at: now,
        })
        .await?;
    let row = repos
        .account_locks
        .get_account_lock(hash)
        .await?
        .ok_or_else(|| ApiError::internal_message("an account_locks row vanished"))?;
    if let Some(verdict) = in_force(&row, now) {
        return Ok(verdict);
    }
    // The backoff remembers earlier locks until the row expires.
    let earlier = if row.expires_at > now {
        u32::try_from(row.lock_count).unwrap_or(0)
    } else {
        0
    };
    let length = lock_length(config, earlier);
    let until = config.auto_unlock.then(|| expires_after(now, length));
    let forget_at = match until {
        Some(until) => expires_after(until, config.max_lockout_duration),
        None => expires_after(now, PERMANENT),
    };
    let count = i32::try_from(earlier.saturating_add(1)).unwrap_or(i32::MAX);
    let won = repos
        .account_locks
        .lock_account(
            until,
            Some(TOO_MANY_FAILURES),
            count,
            forget_at,
            now,
            hash,
            row.lock_count,
        )
        .await?;
    if !won {
        // Another attempt locked it a moment ago: answer with its lock.
        let current = repos.account_locks.get_account_lock(hash).await?;
        return Ok(current
            .as_ref()
            .and_then(|lock| in_force(lock, now))
            .unwrap_or(Verdict::Locked {
                retry_after: until.map(|until| seconds_until(until, now)),
            }));
    }
    // The next run of attempts starts from zero when this lock ends (the lock is set first,
    // so an attempt counted after this delete sees it when it reads again).
    repos
        .rate_limits
        .delete_rate_limit(&attempts_key(email))
        .await?;
    audit_lock(state, email, until, client);
    Ok(Verdict::Locked {
        retry_after: until.map(|until| seconds_until(until, now)),
    })
}

/// Audits a lock of an email that has an account, in a task of its own: the lookup must not
/// make the answer for a known email slower than for an unknown one.
fn audit_lock(state: &YAuthState, email: &str, until: Option<DateTime<Utc>>, client: &RequestMeta) {
    let (state, email, client) = (state.clone(), email.to_string(), client.clone());
    tokio::spawn(async move {
        match state.repos().users.find_user_by_email(&email).await {
            Ok(Some(user)) => {
                state
                    .emit(
                        AuthEvent::AccountLocked {
                            user_id: user.id,
                            until,
                        },
                        &client,
                    )
                    .await
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "could not audit an account lock"),
        }
    });
}

/// A sign-in succeeded (by any method): the run of failed password attempts is over. A lock
/// in force stays: only its time, an unlock link, an admin or a reset lifts it.
pub(super) async fn signed_in(state: &YAuthState, user_id: Uuid) -> Result<(), ApiError> {
    if let Some(user) = state.repos().users.get_user(user_id).await? {
        state
            .repos()
            .rate_limits
            .delete_rate_limit(&attempts_key(&user.email))
            .await?;
    }
    Ok(())
}

/// A password reset proved the mailbox and replaced the password: the lock lifts.
pub(super) async fn password_reset(state: &YAuthState, user_id: Uuid) -> Result<(), ApiError> {
    if let Some(user) = state.repos().users.get_user(user_id).await? {
        lift(state, &user, None, &RequestMeta::default()).await?;
    }
    Ok(())
}

/// Lifts `user`'s lock and forgets its backoff and attempts; audits `account_unlocked` when
/// a lock was in force. Answers whether one was.
async fn lift(
    state: &YAuthState,
    user: &User,
    admin_id: Option<Uuid>,
    client: &RequestMeta,
) -> Result<bool, ApiError> {
    let repos = state.repos();
    let hash = hash_token(&user.email);
    let was_locked = repos
        .account_locks
        .get_account_lock(&hash)
        .await?
        .is_some_and(|lock| in_force(&lock, Utc::now()).is_some());
    repos.account_locks.delete_account_lock(&hash).await?;
    repos
        .rate_limits
        .delete_rate_limit(&attempts_key(&user.email))
        .await?;
    // Links mailed for this lock have nothing left to do.
    repos
        .unlock_tokens
        .delete_user_unlock_tokens(user.id)
        .await?;
    if was_locked {
        state
            .emit(
                AuthEvent::AccountUnlocked {
                    user_id: user.id,
                    admin_id,
                },
                client,
            )
            .await;
    }
    Ok(was_locked)
}

/// `POST /account/request-unlock`: the same answer for every well-formed email, at once; the
/// lookup and the mail happen in a task of their own, and only a locked account is mailed.
pub(super) async fn request_unlock(
    state: &YAuthState,
    service: &std::sync::Arc<Service>,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    limits::check_ip(
        state,
        "request-unlock",
        meta.ip,
        service.config.request_unlock_per_ip,
    )
    .await?;
    let email = normalize_email(email)?;
    let (state, service) = (state.clone(), service.clone());
    tokio::spawn(async move {
        if let Err(e) = send_unlock_link(&state, &service, &email).await {
            tracing::error!(error = %e.message, "could not send an unlock link");
        }
    });
    Ok(())
}

/// Mails `email` a new unlock link (replacing earlier ones) when it has an account that is
/// locked, within the address's mail budget.
async fn send_unlock_link(
    state: &YAuthState,
    service: &Service,
    email: &str,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let locked = repos
        .account_locks
        .get_account_lock(&hash_token(email))
        .await?
        .is_some_and(|lock| in_force(&lock, Utc::now()).is_some());
    if !locked {
        return Ok(());
    }
    let Some(user) = repos.users.find_user_by_email(email).await? else {
        return Ok(());
    };
    // A budget of its own: spending the address's other mail (reset links, verification
    // links) must not starve the owner of unlock links.
    if !budget_allows(
        state,
        "unlock-mail",
        email,
        service.config.unlock_mail_per_email,
    )
    .await?
    {
        return Ok(());
    }
    repos
        .unlock_tokens
        .delete_user_unlock_tokens(user.id)
        .await?;
    let token = Issued::new(service.config.unlock_token_ttl);
    repos
        .unlock_tokens
        .insert_unlock_token(&UnlockToken {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: token.hash.clone(),
            expires_at: token.expires_at,
            created_at: token.created_at,
        })
        .await?;
    let link = token_link(state, "unlock-account", &token.plain);
    let minutes = service.config.unlock_token_ttl.as_secs().div_ceil(60);
    dispatch(
        &service.mailer,
        mail::unlock_link(email.to_string(), &link, minutes),
    );
    Ok(())
}

fn invalid_token() -> ApiError {
    ApiError::bad_request(
        "invalid_token",
        "the unlock link is invalid, used or expired",
    )
}

/// `POST /account/unlock`: redeems an unlock token (single use: deleting it is the claim)
/// and lifts the lock of its account.
pub(super) async fn unlock(
    state: &YAuthState,
    service: &Service,
    token: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    limits::check_ip(state, "unlock", meta.ip, service.config.unlock_per_ip).await?;
    let repos = state.repos();
    let Some(row) = repos
        .unlock_tokens
        .find_unlock_token(&hash_token(token), Utc::now())
        .await?
    else {
        return Err(invalid_token());
    };
    if repos.unlock_tokens.delete_unlock_token(row.id).await? != 1 {
        return Err(invalid_token());
    }
    let Some(user) = repos.users.get_user(row.user_id).await? else {
        return Err(invalid_token());
    };
    lift(state, &user, None, meta).await?;
    Ok(())
}

/// The answer of the admin's unlock.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Unlocked {
    /// The user.
    user_id: Uuid,
    /// Whether a lock was in force (and was lifted).
    was_locked: bool,
}

/// `POST /admin/users/{id}/unlock`.
pub(super) async fn admin_unlock(
    state: &YAuthState,
    caller: &AuthUser,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<Unlocked, ApiError> {
    caller.require_admin()?;
    let Some(user) = state.repos().users.get_user(id).await? else {
        return Err(ApiError::not_found("no such user"));
    };
    let was_locked = lift(state, &user, Some(caller.id), meta).await?;
    Ok(Unlocked {
        user_id: user.id,
        was_locked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_each_lock_up_to_the_cap() {
        let config = super::super::AccountLockoutConfig::default();
        let minutes = |n| lock_length(&config, n).as_secs() / 60;
        assert_eq!(
            (0..10).map(minutes).collect::<Vec<_>>(),
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440]
        );
        assert_eq!(minutes(40), 1440);
        assert_eq!(minutes(u32::MAX), 1440);
        let flat = super::super::AccountLockoutConfig {
            exponential_backoff: false,
            ..Default::default()
        };
        assert_eq!(lock_length(&flat, 7).as_secs(), 300);
    }
}
