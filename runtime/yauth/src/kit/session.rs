//! Sessions: the cookie that carries the token, and the stored row (hash only).

use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::CookieConfig;
use crate::contract::error::ApiError;
use crate::contract::state::YAuthState;
use crate::entity::{RepoError, Session};
use crate::kit::token::{expires_after, hash_token, new_token};

/// The cookie carrying `token`: with `max_age` it outlives the browser session (remember
/// me); without, the browser drops it when it closes.
pub fn session_cookie(
    config: &CookieConfig,
    token: String,
    max_age: Option<std::time::Duration>,
) -> Cookie<'static> {
    let mut cookie = Cookie::build((config.name.clone(), token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure)
        .path(config.path.clone())
        .build();
    if let Some(max_age) = max_age {
        cookie.set_max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ));
    }
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

/// How often the session check may write a session's `last_seen_at` (and slide its expiry):
/// at most once a minute per session, so that the check is one read on almost every request.
pub const TOUCH_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// When a session seen at `seen` expires: `idle_timeout` after it (browser sessions only; a
/// remembered session is meant to last), never past its absolute lifetime from `created_at`.
pub fn sliding_expiry(
    config: &crate::config::YAuthConfig,
    persistent: bool,
    created_at: DateTime<Utc>,
    seen: DateTime<Utc>,
) -> DateTime<Utc> {
    let absolute = expires_after(created_at, session_ttl(config, persistent));
    match config.idle_timeout {
        Some(idle) if !persistent => expires_after(seen, idle).min(absolute),
        _ => absolute,
    }
}

/// Records a session's use and slides its expiry when it has not been touched for
/// [`TOUCH_INTERVAL`]; the session check calls it after a successful read.
pub async fn touch(
    state: &YAuthState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let config = state.config();
    if session
        .last_seen_at
        .is_some_and(|seen| now.signed_duration_since(seen) < TOUCH_INTERVAL)
    {
        return Ok(());
    }
    // A remembered session (or any, without an idle timeout) keeps its absolute expiry; its
    // `last_seen_at` still moves, for `GET /sessions`.
    let expires_at = if session.persistent || config.idle_timeout.is_none() {
        session.expires_at
    } else {
        sliding_expiry(config, false, session.created_at, now)
    };
    state
        .repos()
        .sessions
        .touch_session(now, expires_at, session.id)
        .await?;
    Ok(())
}

/// A new session for `user_id`: stored (hashed) and returned with its plain token, which
/// only the cookie carries. Only [`crate::kit::sign_in`] calls it: the sign-in path, after
/// the ban check and the plugins' verdict, and an admin's impersonation (marked with
/// `impersonator_id`); so a sign-in always issues a new token (no session fixation) and no
/// plugin can mint a session that skips a veto.
pub(crate) async fn create_session(
    state: &YAuthState,
    user_id: Uuid,
    remember_me: bool,
    ip: Option<&str>,
    user_agent: Option<&str>,
    impersonator_id: Option<Uuid>,
) -> Result<(Session, String), ApiError> {
    let now: DateTime<Utc> = Utc::now();
    let token = new_token();
    let session = Session {
        id: Uuid::now_v7(),
        user_id,
        token_hash: hash_token(&token),
        ip_address: ip.map(str::to_string),
        user_agent: user_agent.map(|ua| ua.chars().take(512).collect()),
        expires_at: sliding_expiry(state.config(), remember_me, now, now),
        created_at: now,
        impersonator_id,
        last_seen_at: Some(now),
        persistent: remember_me,
    };
    state.repos().sessions.insert_session(&session).await?;
    Ok((session, token))
}

/// Removes every credential of a user: sessions, password, and what
/// [`forget_other_credentials`] removes. For an account whose mailbox was just proven by
/// someone who may not be the person who set those up (a magic link to a pre-registered
/// address).
///
/// The credentials of an enabled plugin must go (an error fails the whole). Those of a plugin
/// that is off go too when their table exists (a plugin turned off after a pre-registrant
/// enrolled must not bring the credential back when it is turned on again); an application
/// that migrated only the plugins it uses has no such table, and that error is logged as a
/// warning and passed over.
pub async fn forget_credentials(state: &YAuthState, user_id: Uuid) -> Result<(), ApiError> {
    // Sessions first: whatever fails later, the pre-registrant is signed out.
    state.repos().sessions.delete_user_sessions(user_id).await?;
    forgotten(
        state,
        "email-password",
        state
            .repos()
            .passwords
            .delete_password(user_id)
            .await
            .map(drop),
    )?;
    forget_other_credentials(state, user_id).await
}

/// A plugin's part of forgetting credentials: required when the plugin is enabled; when it
/// is off, a failure (no table) is logged and passed over.
fn forgotten(
    state: &YAuthState,
    plugin: &'static str,
    result: Result<(), RepoError>,
) -> Result<(), ApiError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if state.plugin_names().contains(&plugin) => Err(ApiError::from(e)),
        Err(e) => {
            tracing::warn!(plugin, error = %e, "could not remove the credentials of a plugin that is off (no table?)");
            Ok(())
        }
    }
}

/// Every credential but the sessions and the password: refresh tokens, API keys, passkeys,
/// TOTP and backup codes (and sign-ins waiting for them), linked providers, and the
/// consents given to OAuth 2 clients and their tokens (a consent left behind would let a
/// pre-registrant's client be authorized by the owner without a consent screen). A password
/// reset that proves a pre-registered mailbox keeps the password just set and removes these.
pub async fn forget_other_credentials(state: &YAuthState, user_id: Uuid) -> Result<(), ApiError> {
    let repos = state.repos();
    let forget =
        |plugin: &'static str, result: Result<(), RepoError>| forgotten(state, plugin, result);
    forget(
        "bearer",
        repos
            .refresh_tokens
            .revoke_user_refresh_tokens(user_id)
            .await
            .map(drop),
    )?;
    forget(
        "api-key",
        repos.api_keys.delete_user_api_keys(user_id).await.map(drop),
    )?;
    // The second factors and passkeys a pre-registrant may have enrolled, and the sign-ins
    // waiting for a second factor.
    forget(
        "passkey",
        repos
            .webauthn_credentials
            .delete_user_webauthn_credentials(user_id)
            .await
            .map(drop),
    )?;
    let second_factors = async {
        repos.totp_secrets.delete_totp_secret(user_id).await?;
        repos.backup_codes.delete_user_backup_codes(user_id).await?;
        repos
            .mfa_pending_logins
            .delete_user_mfa_pending_logins(user_id)
            .await
            .map(drop)
    };
    forget("mfa", second_factors.await)?;
    // What OAuth 2 clients the pre-registrant authorized hold.
    forget(
        "oauth2-server",
        repos
            .oauth2_refresh_tokens
            .revoke_user_oauth2_refresh_tokens(user_id)
            .await,
    )?;
    forget(
        "oauth2-server",
        repos
            .oauth2_access_tokens
            .revoke_user_oauth2_access_tokens(user_id)
            .await,
    )?;
    let consents = async {
        for consent in repos.consents.list_user_consents(user_id).await? {
            repos
                .consents
                .delete_consent(user_id, &consent.client_id)
                .await?;
        }
        Ok(())
    };
    forget("oauth2-server", consents.await)?;
    forget("oauth", unlink_providers(state, user_id).await.map(drop))?;
    Ok(())
}

/// Puts what a user may choose on their account back to what a new account has: no display
/// name, and the settable extra columns at their defaults (the application's own columns
/// stay). For a pre-registered account whose mailbox the owner just proved.
pub async fn reset_profile(
    state: &YAuthState,
    user: &mut crate::entity::User,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let users = &state.repos().users;
    let settable: Vec<_> = users
        .extra_columns()
        .iter()
        .filter(|c| c.settable)
        .copied()
        .collect();
    if user.display_name.is_some() || !settable.is_empty() {
        let reset = crate::kit::validate::extra_defaults(&settable);
        users
            .update_user_profile(&reset, None, now, user.id)
            .await?;
        user.display_name = None;
        user.extra.extend(reset);
        user.updated_at = now;
    }
    Ok(())
}

/// Unlinks every OAuth provider of a user (part of [`forget_credentials`]).
pub async fn unlink_providers(state: &YAuthState, user_id: Uuid) -> Result<u64, RepoError> {
    let accounts = &state.repos().oauth_accounts;
    let mut unlinked = 0;
    for account in accounts.list_user_oauth_accounts(user_id).await? {
        unlinked += accounts
            .delete_user_oauth_account(user_id, &account.provider)
            .await?;
    }
    Ok(unlinked)
}

/// The mailbox's owner just proved it (a magic link, a provider that verified the email):
/// the email is verified. Whatever was set up on the account before that proof (a password
/// chosen by whoever registered the address, their sessions, refresh tokens, API keys,
/// second factors, passkeys, linked providers, consents to OAuth 2 clients, the display name
/// and the extra fields a user may set) may belong to someone else, and goes.
pub async fn prove_mailbox(
    state: &YAuthState,
    mut user: crate::entity::User,
    meta: &crate::kit::request::RequestMeta,
) -> Result<crate::entity::User, ApiError> {
    forget_credentials(state, user.id).await?;
    let now = Utc::now();
    reset_profile(state, &mut user, now).await?;
    state.repos().users.set_email_verified(now, user.id).await?;
    user.email_verified = true;
    user.updated_at = now;
    state
        .emit(
            crate::contract::event::AuthEvent::EmailVerified { user_id: user.id },
            meta,
        )
        .await;
    Ok(user)
}
