//! What each route of the plugin does, over yauth's state and the plugin's; no HTTP types
//! beyond the error and the sign-in outcome.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use uuid::Uuid;

use super::{DuplicateRegistration, EmailPasswordRateLimits, Service, mail};
use crate::contract::error::ApiError;
use crate::contract::event::{Attempt, AuthEvent};
use crate::contract::plugin::BoxFuture;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::{EmailVerification, Password, PasswordHistory, PasswordReset, RepoError, User};
use crate::kit::limits;
use crate::kit::mail::{dispatch, per_address_allowed, token_link};
use crate::kit::request::{RequestMeta, ip_bucket};
use crate::kit::sign_in::{Grant, SignIn, SignInOutcome, sign_in};
use crate::kit::token::{Issued, claimed, hash_token};
use crate::kit::validate::{display_name, normalize_email};
use crate::mail::Mailer;
use crate::password::normalize_password;

/// The sentence register answers with: it depends on the configuration only, never on
/// whether the email was taken.
pub(super) fn registered_message(service: &Service) -> &'static str {
    if service.config.require_email_verification {
        "registered; check your email for the verification link"
    } else {
        "registered; you can sign in"
    }
}

/// `POST /register`: a new account, or (for a taken email) the owner's notice; the same
/// answer either way. Plugins are asked before the lookup, so a veto cannot tell taken
/// emails from free ones; any failure after the lookup is logged and answered like a
/// success.
pub(super) async fn register(
    state: &YAuthState,
    service: &Service,
    email: &str,
    password: &str,
    name: Option<&str>,
    extra: Option<&serde_json::Map<String, serde_json::Value>>,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    limits::check_ip(
        state,
        "register",
        meta.ip,
        service.config.rate_limits.register_per_ip,
    )
    .await?;
    let email = normalize_email(email)?;
    let name = display_name(name)?;
    let extra = crate::kit::validate::extra(state.repos().users.extra_columns(), extra)?;
    let password = check_new_password(service, password).await?;
    state.ask(&Attempt::Register { email: &email }).await?;
    // Hash before looking the email up, so both answers cost the same.
    let hash = service.hasher.hash(&password).await?;
    match create_account(state, service, email, name, extra, hash, meta).await {
        Ok(()) => Ok(()),
        // `DuplicateRegistration::Conflict` tells taken emails apart by choice.
        Err(e) if e.error == EMAIL_TAKEN => Err(e),
        Err(e) => {
            // The answer must not depend on what happened after the lookup: a database that
            // refuses a value for a new email only would otherwise tell taken emails apart.
            tracing::error!(error = %e.message, code = e.error, "registration failed after the duplicate check; answered as a success");
            Ok(())
        }
    }
}

/// The code of the 409 that `DuplicateRegistration::Conflict` answers.
const EMAIL_TAKEN: &str = "email_taken";

/// Everything register does after the password is hashed: the lookup, then the account (or
/// the owner's notice). Its errors never reach the client.
async fn create_account(
    state: &YAuthState,
    service: &Service,
    email: String,
    name: Option<String>,
    extra: serde_json::Map<String, serde_json::Value>,
    hash: String,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    if state
        .repos()
        .users
        .find_user_by_email(&email)
        .await?
        .is_some()
    {
        return duplicate(state, service, &email).await;
    }
    let now = Utc::now();
    let user = User {
        id: Uuid::now_v7(),
        email: email.clone(),
        display_name: name,
        // A fact, whatever the policy: only a redeemed link verifies an email.
        email_verified: false,
        role: "user".into(),
        banned: false,
        banned_reason: None,
        banned_until: None,
        created_at: now,
        updated_at: now,
        extra,
    };
    let token = Issued::new(service.config.verification_ttl);
    let verification = EmailVerification {
        id: Uuid::now_v7(),
        user_id: user.id,
        token_hash: token.hash.clone(),
        expires_at: token.expires_at,
        created_at: token.created_at,
    };
    let event = AuthEvent::UserRegistered {
        user_id: user.id,
        email: email.clone(),
    };
    let audit = YAuthState::audit_row(&event, meta);
    let password = Password {
        user_id: user.id,
        password_hash: hash,
    };
    match state
        .repos()
        .composite
        .register_user(&user, &password, Some(&verification), &audit)
        .await
    {
        Ok(()) => {}
        // Someone registered the same email a moment ago.
        Err(RepoError::Conflict(_)) => return duplicate(state, service, &email).await,
        Err(e) => return Err(e.into()),
    }
    let link = token_link(state, "verify-email", &token.plain);
    dispatch(&service.mailer, mail::welcome(email, &link));
    state.notify(&event).await;
    Ok(())
}

/// A registration of a taken email: 409 when so configured, else a notice to the owner
/// (capped per address) and the same answer as a new account.
async fn duplicate(state: &YAuthState, service: &Service, email: &str) -> Result<(), ApiError> {
    if service.config.duplicate_registration == DuplicateRegistration::Conflict {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            EMAIL_TAKEN,
            "this email already has an account",
        ));
    }
    if per_address_allowed(state, email, service.config.rate_limits.mail_per_email).await? {
        dispatch(&service.mailer, mail::duplicate_notice(email.to_string()));
    }
    Ok(())
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong email or password",
    )
}

/// The per-email counters of one login: attempts in the short window, attempts since the
/// last success (long window), and whether this client's network signed in to the email
/// before.
struct LoginCounters {
    short: String,
    long: String,
    known_network: String,
}

impl LoginCounters {
    fn new(email: &str, meta: &RequestMeta) -> Self {
        LoginCounters {
            short: limits::email_key("login-failed", email),
            long: limits::email_key("login-failed-long", email),
            known_network: format!(
                "{}:{}",
                limits::email_key("login-ok", email),
                ip_bucket(meta.ip)
            ),
        }
    }

    /// Reserves this attempt against the email (NIST SP 800-63B §5.2.2): counted before the
    /// password is checked, so a burst of parallel guesses cannot all pass a read-only
    /// check; 429 once the short window's budget or the run since the last success is spent.
    /// A network that signed in to this email before is not held back by strangers' failures
    /// (its per-IP limit still applies), so nobody can lock an owner out of their account.
    async fn reserve(
        &self,
        state: &YAuthState,
        limits: &EmailPasswordRateLimits,
    ) -> Result<(), ApiError> {
        if state
            .repos()
            .rate_limits
            .get_rate_limit(&self.known_network, Utc::now())
            .await?
            .is_some()
        {
            return Ok(());
        }
        limits::check(state, &self.short, limits.failed_logins_per_email).await?;
        limits::check(state, &self.long, limits.failed_logins_before_reset).await
    }

    /// After a success: the run of failures is over, and this network is known.
    async fn succeeded(
        &self,
        state: &YAuthState,
        limits: &EmailPasswordRateLimits,
    ) -> Result<(), ApiError> {
        let repos = state.repos();
        repos.rate_limits.delete_rate_limit(&self.short).await?;
        repos.rate_limits.delete_rate_limit(&self.long).await?;
        limits::count(state, &self.known_network, limits.known_network).await
    }
}

/// Forgets an email's failed logins (a reset proved the mailbox).
pub(super) async fn clear_failed_logins(state: &YAuthState, email: &str) -> Result<(), ApiError> {
    let counters = LoginCounters::new(email, &RequestMeta::default());
    let repos = state.repos();
    repos.rate_limits.delete_rate_limit(&counters.short).await?;
    repos.rate_limits.delete_rate_limit(&counters.long).await?;
    Ok(())
}

/// `POST /login`: one Argon2 verification whether or not the account exists, attempts
/// counted per email, then the kit's sign-in path. An unverified account (when verification
/// is required) fails exactly like a wrong password, and its owner is mailed a new link.
pub(super) async fn login(
    state: &YAuthState,
    service: &Service,
    email: &str,
    password: &str,
    grant: Grant<'_>,
    meta: &RequestMeta,
) -> Result<SignInOutcome, ApiError> {
    let limits = &service.config.rate_limits;
    limits::check_ip(state, "login", meta.ip, limits.login_per_ip).await?;
    // A malformed email is just an unknown one: same work, same answer.
    let email = normalize_email(email).ok();
    // Plugins (account lockout) see every password attempt for an email before the
    // verification, so a lock refuses the right password too; known and unknown emails
    // alike. (A malformed one can never have an account: nothing to lock.)
    if let Some(email) = &email {
        state
            .ask(&Attempt::Password {
                email,
                client: meta,
            })
            .await?;
    }
    let counters = email
        .as_deref()
        .map(|email| LoginCounters::new(email, meta));
    if let Some(counters) = &counters {
        counters.reserve(state, limits).await?;
    }
    let user = match &email {
        Some(email) => state.repos().users.find_user_by_email(email).await?,
        None => None,
    };
    let stored = match &user {
        Some(u) => state.repos().passwords.get_password(u.id).await?,
        None => None,
    };
    // An oversized input is verified against the dummy hash like an unknown account.
    let password = normalize_password(password);
    let stored_hash = stored
        .as_ref()
        .filter(|_| password.is_some())
        .map(|p| p.password_hash.as_str());
    let verdict = service
        .hasher
        .verify(password.as_deref().unwrap_or_default(), stored_hash)
        .await?;
    let known = user.as_ref().map(|u| u.id);
    let (Some(user), Some(stored), Some(password), true) =
        (user, stored, password, verdict.matches)
    else {
        return Err(failed_login(state, known, "invalid_credentials", meta).await);
    };
    if service.config.require_email_verification && !user.email_verified {
        remind_unverified(state, service, &user);
        return Err(failed_login(state, Some(user.id), "email_not_verified", meta).await);
    }
    // The hash this login expects to find after signing in.
    let mut expected = stored.password_hash;
    if verdict.needs_rehash {
        let stronger = service.hasher.hash(&password).await?;
        // Only over the hash that was verified: a reset that committed meanwhile wins.
        if !state
            .repos()
            .passwords
            .rehash_password(&stronger, user.id, &expected)
            .await?
        {
            return Err(failed_login(state, Some(user.id), "password_changed", meta).await);
        }
        expected = stronger;
    }
    // A ban or a plugin's block is answered as such, but stays counted as a failed attempt
    // (the reservation above), so it cannot confirm guesses faster than wrong passwords do.
    let outcome = sign_in(
        state,
        SignIn {
            user: &user,
            method: super::NAME,
            grant,
            meta,
            second_factor: false,
        },
    )
    .await?;
    // A reset or change that committed between the verification and the new session must
    // not leave that session alive: the password it proved is no longer the password.
    // A right password that stops at the second factor counts as a right password: the
    // reservation is released (wrong guesses stay counted; holding right ones would lock
    // out every MFA user after a few sign-ins).
    if matches!(outcome, SignInOutcome::MfaRequired { .. }) {
        if let Some(counters) = &counters {
            counters.succeeded(state, limits).await?;
        }
        return Ok(outcome);
    }
    let now = state.repos().passwords.get_password(user.id).await?;
    if now.as_ref().map(|p| &p.password_hash) != Some(&expected) {
        undo_sign_in(state, &outcome).await?;
        return Err(failed_login(state, Some(user.id), "password_changed", meta).await);
    }
    if let Some(counters) = &counters {
        counters.succeeded(state, limits).await?;
    }
    Ok(outcome)
}

/// Ends what a sign-in just created (its session, or its token family).
async fn undo_sign_in(state: &YAuthState, outcome: &SignInOutcome) -> Result<(), ApiError> {
    let repos = state.repos();
    match outcome {
        SignInOutcome::SignedIn { user, .. } => {
            if let Some(session_id) = user.session_id {
                repos.sessions.delete_session(session_id).await?;
            }
        }
        SignInOutcome::Tokens(pair) => {
            let hash = hash_token(&pair.refresh_token);
            if let Some(token) = repos.refresh_tokens.find_refresh_token(&hash).await? {
                repos
                    .refresh_tokens
                    .revoke_refresh_family(token.family_id)
                    .await?;
            }
        }
        SignInOutcome::MfaRequired { .. } => {}
    }
    Ok(())
}

/// A failed login (already counted against the email by the reservation): audited, with
/// the user when there is one, and answered `invalid_credentials` whatever the reason.
async fn failed_login(
    state: &YAuthState,
    user_id: Option<Uuid>,
    reason: &str,
    meta: &RequestMeta,
) -> ApiError {
    state
        .emit(
            AuthEvent::LoginFailed {
                user_id,
                reason: reason.into(),
            },
            meta,
        )
        .await;
    invalid_credentials()
}

/// Mails an unverified account that just proved its password a new verification link (in a
/// task of its own, capped per address), so its owner can finish signing up.
fn remind_unverified(state: &YAuthState, service: &Service, user: &User) {
    let state = state.clone();
    let mailer = service.mailer.clone();
    let (ttl, limit) = (
        service.config.verification_ttl,
        service.config.rate_limits.mail_per_email,
    );
    let user = user.clone();
    tokio::spawn(async move {
        if let Err(e) = send_verification(&state, &mailer, ttl, limit, &user).await {
            tracing::error!(error = %e.message, "could not mail a verification link");
        }
    });
}

/// Replaces a user's verification tokens with a new one and mails its link, unless the
/// address's mail budget is spent.
async fn send_verification(
    state: &YAuthState,
    mailer: &Arc<dyn Mailer>,
    ttl: std::time::Duration,
    limit: limits::Limit,
    user: &User,
) -> Result<(), ApiError> {
    if !per_address_allowed(state, &user.email, limit).await? {
        return Ok(());
    }
    let repos = state.repos();
    repos
        .email_verifications
        .delete_user_email_verifications(user.id)
        .await?;
    let token = Issued::new(ttl);
    repos
        .email_verifications
        .insert_email_verification(&EmailVerification {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: token.hash.clone(),
            expires_at: token.expires_at,
            created_at: token.created_at,
        })
        .await?;
    let link = token_link(state, "verify-email", &token.plain);
    dispatch(mailer, mail::verify_again(user.email.clone(), &link));
    Ok(())
}

fn invalid_token() -> ApiError {
    ApiError::bad_request("invalid_token", "this link is invalid, used or expired")
}

/// `POST /verify-email`: redeems a verification token.
pub(super) async fn verify_email(
    state: &YAuthState,
    token: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let Some(verification) = repos
        .email_verifications
        .find_email_verification(&hash_token(token), Utc::now())
        .await?
    else {
        return Err(invalid_token());
    };
    // Deleting the token is the claim: of two concurrent uses, one wins.
    if !claimed(
        repos
            .email_verifications
            .delete_email_verification(verification.id)
            .await?,
    ) {
        return Err(invalid_token());
    }
    repos
        .users
        .set_email_verified(Utc::now(), verification.user_id)
        .await?;
    state
        .emit(
            AuthEvent::EmailVerified {
                user_id: verification.user_id,
            },
            meta,
        )
        .await;
    Ok(())
}

/// The background half of a mail route, for the account of the email: given the state, the
/// plugin and that user.
type MailWork = fn(YAuthState, Arc<Service>, User) -> BoxFuture<'static, Result<(), ApiError>>;

/// What resend-verification and forgot-password share, after the per-IP limit (429) of
/// `operation`: the answer is given at once, and the lookup, the event, and `work` for an
/// account (its per-address cap and token writes) run in a task of their own, so the
/// answer's timing does not depend on whether the email has an account.
async fn mail_in_background(
    state: &YAuthState,
    service: &Arc<Service>,
    operation: &str,
    email: &str,
    meta: &RequestMeta,
    event: fn(Option<Uuid>) -> AuthEvent,
    work: MailWork,
) -> Result<(), ApiError> {
    limits::check_ip(
        state,
        operation,
        meta.ip,
        service.config.rate_limits.mail_per_ip,
    )
    .await?;
    let Ok(email) = normalize_email(email) else {
        return Ok(());
    };
    let (state, service, meta) = (state.clone(), service.clone(), meta.clone());
    tokio::spawn(async move {
        let lookup = state.repos().users.find_user_by_email(&email).await;
        let user = match lookup {
            Ok(user) => user,
            Err(e) => return tracing::error!(error = %e, "a mail flow failed in the background"),
        };
        state.emit(event(user.as_ref().map(|u| u.id)), &meta).await;
        if let Some(user) = user
            && let Err(e) = work(state, service, user).await
        {
            tracing::error!(error = %e.message, "a mail flow failed in the background");
        }
    });
    Ok(())
}

/// `POST /resend-verification`: a new link for an unverified account, nothing otherwise.
pub(super) async fn resend_verification(
    state: &YAuthState,
    service: &Arc<Service>,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    mail_in_background(
        state,
        service,
        "resend-verification",
        email,
        meta,
        |user_id| AuthEvent::VerificationResent { user_id },
        |state, service, user| {
            Box::pin(async move {
                if user.email_verified {
                    return Ok(());
                }
                let config = &service.config;
                let limit = config.rate_limits.mail_per_email;
                send_verification(
                    &state,
                    &service.mailer,
                    config.verification_ttl,
                    limit,
                    &user,
                )
                .await
            })
        },
    )
    .await
}

/// `POST /forgot-password`: a reset link for an account, nothing otherwise.
pub(super) async fn forgot_password(
    state: &YAuthState,
    service: &Arc<Service>,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    mail_in_background(
        state,
        service,
        "forgot-password",
        email,
        meta,
        |user_id| AuthEvent::PasswordResetRequested { user_id },
        |state, service, user| {
            Box::pin(async move {
                let limit = service.config.rate_limits.mail_per_email;
                if !per_address_allowed(&state, &user.email, limit).await? {
                    return Ok(());
                }
                let repos = state.repos();
                repos
                    .password_resets
                    .delete_user_password_resets(user.id)
                    .await?;
                let token = Issued::new(service.config.reset_ttl);
                repos
                    .password_resets
                    .insert_password_reset(&PasswordReset {
                        id: Uuid::now_v7(),
                        user_id: user.id,
                        token_hash: token.hash.clone(),
                        expires_at: token.expires_at,
                        used_at: None,
                        created_at: token.created_at,
                    })
                    .await?;
                let link = token_link(&state, "reset-password", &token.plain);
                dispatch(&service.mailer, mail::reset(user.email, &link));
                Ok(())
            })
        },
    )
    .await
}

/// `POST /reset-password`: a new password with a mailed token, in one transaction that also
/// claims the token and ends every session.
pub(super) async fn reset_password(
    state: &YAuthState,
    service: &Service,
    token: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let Some(reset) = repos
        .password_resets
        .find_password_reset(&hash_token(token), Utc::now())
        .await?
    else {
        return Err(invalid_token());
    };
    let password = check_new_password(service, password).await?;
    check_history(state, service, reset.user_id, &password).await?;
    // An account whose mailbox was never proven may have been registered by a stranger,
    // who may have set more than a password up on it (see below).
    let unproven = repos
        .users
        .get_user(reset.user_id)
        .await?
        .filter(|u| !u.email_verified);
    let hash = service.hasher.hash(&password).await?;
    let previous = repos.passwords.get_password(reset.user_id).await?;
    let history = previous.map(|p| PasswordHistory {
        id: Uuid::now_v7(),
        user_id: reset.user_id,
        password_hash: p.password_hash,
        created_at: Utc::now(),
    });
    let event = AuthEvent::PasswordReset {
        user_id: reset.user_id,
    };
    let audit = YAuthState::audit_row(&event, meta);
    let won = repos
        .composite
        .reset_password(
            reset.id,
            Some(Utc::now()),
            &Password {
                user_id: reset.user_id,
                password_hash: hash,
            },
            history.as_ref(),
            reset.user_id,
            &audit,
        )
        .await?;
    if !won {
        return Err(invalid_token());
    }
    // First the plugins: the other credentials of the account (refresh families, API keys)
    // end with the reset, whatever fails after this.
    state.notify(&event).await;
    // The link reached the mailbox, which verifies it: a pre-registered account's password
    // is now the owner's, and what the stranger set up besides (passkeys, second factors,
    // consents to OAuth 2 clients, a display name) goes, as when a magic link proves it.
    if let Some(mut user) = unproven {
        crate::kit::session::forget_other_credentials(state, user.id).await?;
        crate::kit::session::reset_profile(state, &mut user, Utc::now()).await?;
    }
    repos
        .users
        .set_email_verified(Utc::now(), reset.user_id)
        .await?;
    // The mailbox is proven: the run of failed logins against it is over.
    if let Some(user) = repos.users.get_user(reset.user_id).await? {
        clear_failed_logins(state, &user.email).await?;
        dispatch(&service.mailer, mail::password_changed(user.email));
    }
    Ok(())
}

/// `POST /change-password`: needs the current password; limited per user and per IP; sets
/// the hash, records the history, ends the other sessions and the pending reset links in
/// one transaction, and mails the owner a notice.
pub(super) async fn change_password(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
    current: &str,
    new: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let limit = service.config.rate_limits.change_password;
    limits::check(state, &format!("change-password:user:{}", user.id), limit).await?;
    limits::check_ip(state, "change-password", meta.ip, limit).await?;
    let repos = state.repos();
    let stored = repos.passwords.get_password(user.id).await?;
    let verdict = service
        .hasher
        .verify(
            normalize_password(current).as_deref().unwrap_or_default(),
            stored
                .as_ref()
                .filter(|_| current.len() <= crate::password::MAX_PASSWORD_BYTES)
                .map(|p| p.password_hash.as_str()),
        )
        .await?;
    if !verdict.matches {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the current password is wrong",
        ));
    }
    let new = check_new_password(service, new).await?;
    check_history(state, service, user.id, &new).await?;
    let hash = service.hasher.hash(&new).await?;
    let history = stored.map(|old| PasswordHistory {
        id: Uuid::now_v7(),
        user_id: user.id,
        password_hash: old.password_hash,
        created_at: Utc::now(),
    });
    let event = AuthEvent::PasswordChanged { user_id: user.id };
    let audit = YAuthState::audit_row(&event, meta);
    repos
        .composite
        .change_password(
            &Password {
                user_id: user.id,
                password_hash: hash,
            },
            history.as_ref(),
            user.id,
            // A caller without a session (an API key) keeps none: every session ends.
            user.session_id.unwrap_or_else(Uuid::nil),
            &audit,
        )
        .await?;
    state.notify(&event).await;
    dispatch(&service.mailer, mail::password_changed(user.email.clone()));
    Ok(())
}

/// Refuses `new` when it matches the current password or one of the last
/// `password_history_count` ones: 400 `password_reused`.
async fn check_history(
    state: &YAuthState,
    service: &Service,
    user_id: Uuid,
    new: &str,
) -> Result<(), ApiError> {
    let count = service.config.password_policy.password_history_count;
    if count == 0 {
        return Ok(());
    }
    let mut hashes = Vec::new();
    if let Some(current) = state.repos().passwords.get_password(user_id).await? {
        hashes.push(current.password_hash);
    }
    let history = state
        .repos()
        .password_history
        .list_password_history(user_id, u64::from(count), 0)
        .await?;
    hashes.extend(history.into_iter().map(|h| h.password_hash));
    hashes.truncate(count as usize);
    for hash in hashes {
        if service.hasher.verify(new, Some(&hash)).await?.matches {
            return Err(ApiError::bad_request(
                "password_reused",
                "this password was used recently; choose another",
            ));
        }
    }
    Ok(())
}

/// The policy, then the breach check, on a new password as typed: its normal form, or 400
/// with the policy's code or `password_breached`.
async fn check_new_password(service: &Service, typed: &str) -> Result<String, ApiError> {
    let password = service.config.password_policy.check_new(typed)?;
    if let Some(hibp) = &service.hibp
        && hibp.is_breached(&password).await == Some(true)
    {
        return Err(ApiError::bad_request(
            "password_breached",
            "this password appears in a known data breach; choose another",
        ));
    }
    Ok(password)
}
