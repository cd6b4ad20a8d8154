//! What each route of the plugin does, over yauth's state and the plugin's; no HTTP types
//! beyond the error and the sign-in outcome.

use axum::http::StatusCode;
use chrono::Utc;
use uuid::Uuid;

use super::{DuplicateRegistration, Service, mail};
use crate::contract::error::ApiError;
use crate::contract::event::{Attempt, AuthEvent};
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthUser, is_banned};
use crate::entity::{EmailVerification, Password, PasswordHistory, PasswordReset, RepoError, User};
use crate::kit::limits;
use crate::kit::mail::{dispatch, per_address_allowed, token_link};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::{SignIn, SignInOutcome, sign_in};
use crate::kit::token::{Issued, claimed, hash_token};
use crate::kit::validate::{display_name, normalize_email};

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
/// answer either way.
pub(super) async fn register(
    state: &YAuthState,
    service: &Service,
    email: &str,
    password: &str,
    name: Option<&str>,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let ip = meta.ip_text();
    limits::check_ip(
        state,
        "register",
        ip.as_deref(),
        service.config.rate_limits.register_per_ip,
    )
    .await?;
    let email = normalize_email(email)?;
    let name = display_name(name)?;
    check_new_password(service, password).await?;
    // Hash before looking the email up, so both answers cost the same.
    let hash = service.hasher.hash(password).await?;
    if state
        .repos()
        .users
        .find_user_by_email(&email)
        .await?
        .is_some()
    {
        return duplicate(state, service, &email).await;
    }
    state.ask(&Attempt::Register { email: &email }).await?;
    let now = Utc::now();
    let user = User {
        id: Uuid::now_v7(),
        email: email.clone(),
        display_name: name,
        email_verified: !service.config.require_email_verification,
        role: "user".into(),
        banned: false,
        banned_reason: None,
        banned_until: None,
        created_at: now,
        updated_at: now,
    };
    let token = Issued::new(service.config.verification_ttl);
    let verification = service
        .config
        .require_email_verification
        .then(|| EmailVerification {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: token.hash.clone(),
            expires_at: token.expires_at,
            created_at: token.created_at,
        });
    let event = AuthEvent::UserRegistered {
        user_id: user.id,
        email: email.clone(),
    };
    let audit = YAuthState::audit_row(&event, ip.as_deref());
    let password = Password {
        user_id: user.id,
        password_hash: hash,
    };
    match state
        .repos()
        .composite
        .register_user(&user, &password, verification.as_ref(), &audit)
        .await
    {
        Ok(()) => {}
        // Someone registered the same email a moment ago.
        Err(RepoError::Conflict(_)) => return duplicate(state, service, &email).await,
        Err(e) => return Err(e.into()),
    }
    if verification.is_some() {
        let link = token_link(state, "verify-email", &token.plain);
        dispatch(&service.config.mailer, mail::welcome(email, &link));
    }
    state.notify(&event).await;
    Ok(())
}

/// A registration of a taken email: 409 when so configured, else a notice to the owner
/// (capped per address) and the same answer as a new account.
async fn duplicate(state: &YAuthState, service: &Service, email: &str) -> Result<(), ApiError> {
    if service.config.duplicate_registration == DuplicateRegistration::Conflict {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "email_taken",
            "this email already has an account",
        ));
    }
    if per_address_allowed(state, email, service.config.rate_limits.mail_per_email).await? {
        dispatch(
            &service.config.mailer,
            mail::duplicate_notice(email.to_string()),
        );
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

/// `POST /login`: one Argon2 verification whether or not the account exists, then the
/// kit's sign-in path.
pub(super) async fn login(
    state: &YAuthState,
    service: &Service,
    email: &str,
    password: &str,
    remember_me: bool,
    meta: &RequestMeta,
) -> Result<SignInOutcome, ApiError> {
    let ip = meta.ip_text();
    limits::check_ip(
        state,
        "login",
        ip.as_deref(),
        service.config.rate_limits.login_per_ip,
    )
    .await?;
    // A malformed email is just an unknown one: same work, same answer.
    let user = match normalize_email(email) {
        Ok(email) => state.repos().users.find_user_by_email(&email).await?,
        Err(_) => None,
    };
    let stored = match &user {
        Some(u) => state.repos().passwords.get_password(u.id).await?,
        None => None,
    };
    let verdict = service
        .hasher
        .verify(password, stored.as_ref().map(|p| p.password_hash.as_str()))
        .await?;
    let Some(user) = user.filter(|_| verdict.matches) else {
        let failed = AuthEvent::LoginFailed {
            user_id: None,
            reason: "invalid_credentials".into(),
        };
        state.emit(failed, ip.as_deref()).await;
        return Err(invalid_credentials());
    };
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    if service.config.require_email_verification && !user.email_verified {
        return Err(ApiError::forbidden(
            "email_not_verified",
            "verify your email before signing in",
        ));
    }
    if verdict.needs_rehash {
        let hash = service.hasher.hash(password).await?;
        state
            .repos()
            .passwords
            .upsert_password(&Password {
                user_id: user.id,
                password_hash: hash,
            })
            .await?;
    }
    sign_in(
        state,
        SignIn {
            user: &user,
            method: super::NAME,
            remember_me,
            meta,
        },
    )
    .await
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
            meta.ip_text().as_deref(),
        )
        .await;
    Ok(())
}

/// The start every route that mails a token shares: the per-IP limit (429), the account of
/// the email when `eligible` accepts it, the event, and the per-address cap (silently
/// skipped, so the answer never depends on the email). `None`: answer and send nothing.
async fn mail_recipient(
    state: &YAuthState,
    service: &Service,
    operation: &str,
    ip: Option<&str>,
    email: &str,
    event: fn(Option<Uuid>) -> AuthEvent,
    eligible: fn(&User) -> bool,
) -> Result<Option<(User, String)>, ApiError> {
    limits::check_ip(state, operation, ip, service.config.rate_limits.mail_per_ip).await?;
    let Ok(email) = normalize_email(email) else {
        return Ok(None);
    };
    let user = state.repos().users.find_user_by_email(&email).await?;
    state.emit(event(user.as_ref().map(|u| u.id)), ip).await;
    let Some(user) = user.filter(eligible) else {
        return Ok(None);
    };
    if !per_address_allowed(state, &email, service.config.rate_limits.mail_per_email).await? {
        return Ok(None);
    }
    Ok(Some((user, email)))
}

/// `POST /resend-verification`: a new link for an unverified account, nothing otherwise.
pub(super) async fn resend_verification(
    state: &YAuthState,
    service: &Service,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let Some((user, email)) = mail_recipient(
        state,
        service,
        "resend-verification",
        meta.ip_text().as_deref(),
        email,
        |user_id| AuthEvent::VerificationResent { user_id },
        |user| !user.email_verified,
    )
    .await?
    else {
        return Ok(());
    };
    let repos = state.repos();
    repos
        .email_verifications
        .delete_user_email_verifications(user.id)
        .await?;
    let token = Issued::new(service.config.verification_ttl);
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
    dispatch(&service.config.mailer, mail::verify_again(email, &link));
    Ok(())
}

/// `POST /forgot-password`: a reset link for an account, nothing otherwise.
pub(super) async fn forgot_password(
    state: &YAuthState,
    service: &Service,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let Some((user, email)) = mail_recipient(
        state,
        service,
        "forgot-password",
        meta.ip_text().as_deref(),
        email,
        |user_id| AuthEvent::PasswordResetRequested { user_id },
        |_| true,
    )
    .await?
    else {
        return Ok(());
    };
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
    let link = token_link(state, "reset-password", &token.plain);
    dispatch(&service.config.mailer, mail::reset(email, &link));
    Ok(())
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
    check_new_password(service, password).await?;
    check_history(state, service, reset.user_id, password).await?;
    let hash = service.hasher.hash(password).await?;
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
    let audit = YAuthState::audit_row(&event, meta.ip_text().as_deref());
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
    state.notify(&event).await;
    Ok(())
}

/// `POST /change-password`: needs the current password; ends the other sessions unless
/// told not to.
pub(super) async fn change_password(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
    current: &str,
    new: &str,
    revoke_other_sessions: bool,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let stored = repos.passwords.get_password(user.id).await?;
    let verdict = service
        .hasher
        .verify(current, stored.as_ref().map(|p| p.password_hash.as_str()))
        .await?;
    if !verdict.matches {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the current password is wrong",
        ));
    }
    check_new_password(service, new).await?;
    check_history(state, service, user.id, new).await?;
    let hash = service.hasher.hash(new).await?;
    repos
        .passwords
        .upsert_password(&Password {
            user_id: user.id,
            password_hash: hash,
        })
        .await?;
    if let Some(old) = stored {
        repos
            .password_history
            .insert_password_history(&PasswordHistory {
                id: Uuid::now_v7(),
                user_id: user.id,
                password_hash: old.password_hash,
                created_at: Utc::now(),
            })
            .await?;
    }
    if revoke_other_sessions {
        match user.session_id {
            Some(keep) => {
                repos
                    .sessions
                    .delete_other_user_sessions(user.id, keep)
                    .await?
            }
            None => repos.sessions.delete_user_sessions(user.id).await?,
        };
    }
    state
        .emit(
            AuthEvent::PasswordChanged { user_id: user.id },
            meta.ip_text().as_deref(),
        )
        .await;
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

/// The policy, then the breach check: 400 with the policy's code or `password_breached`.
async fn check_new_password(service: &Service, password: &str) -> Result<(), ApiError> {
    service.config.password_policy.check(password)?;
    if let Some(hibp) = &service.hibp
        && hibp.is_breached(password).await == Some(true)
    {
        return Err(ApiError::bad_request(
            "password_breached",
            "this password appears in a known data breach; choose another",
        ));
    }
    Ok(())
}
