//! Setup, confirmation, the login step, disabling, and backup codes.

use axum::http::StatusCode;
use chrono::Utc;
use uuid::Uuid;

use super::{Service, codes};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, Grant, RequestMeta};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::{BackupCode, MfaPendingLogin, TotpSecret, User};
use crate::kit::limits;
use crate::kit::sign_in::{SignIn, SignInOutcome, sign_in};
use crate::kit::token::{Issued, hash_token};

/// The purpose a TOTP secret is sealed for (the row's user id is the context).
const SEALED_FOR: &str = "totp_secret";

/// What `POST /mfa/totp/setup` hands out once.
pub(super) struct Enrolment {
    pub secret: String,
    pub otpauth_url: String,
    pub backup_codes: Vec<String>,
}

/// How a code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proof {
    Totp,
    BackupCode,
}

impl Proof {
    fn name(self) -> &'static str {
        match self {
            Proof::Totp => "totp",
            Proof::BackupCode => "backup_code",
        }
    }
}

fn invalid_code() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_code",
        "the code is wrong, expired or already used",
    )
}

fn login_expired() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "mfa_login_expired",
        "this sign-in is unknown, expired, finished, or ended by too many wrong codes: sign in again",
    )
}

fn already_enabled() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "mfa_already_enabled",
        "MFA is already on: turn it off with a code first",
    )
}

fn not_enabled() -> ApiError {
    ApiError::bad_request("mfa_not_enabled", "MFA is not on for this account")
}

/// The user's confirmed secret, if MFA is on.
async fn enrolled(state: &YAuthState, user_id: Uuid) -> Result<Option<TotpSecret>, ApiError> {
    Ok(state
        .repos()
        .totp_secrets
        .get_totp_secret(user_id)
        .await?
        .filter(|s| s.verified))
}

/// For a sign-in about to happen: when the user has MFA on, park it as a pending login and
/// answer its id (handed to the client once; stored as its hash).
pub(super) async fn park_if_enrolled(
    state: &YAuthState,
    service: &Service,
    user: &User,
    method: &str,
    grant: Grant<'_>,
    client: &RequestMeta,
) -> Result<Option<String>, ApiError> {
    if enrolled(state, user.id).await?.is_none() {
        return Ok(None);
    }
    let token = Issued::new(service.config.pending_ttl);
    let (remember_me, scopes) = match grant {
        Grant::Session { remember_me } => (remember_me, None),
        Grant::Tokens { scopes } => (false, Some(serde_json::json!(scopes))),
    };
    state
        .repos()
        .mfa_pending_logins
        .insert_mfa_pending_login(&MfaPendingLogin {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: token.hash,
            method: method.to_owned(),
            remember_me,
            scopes,
            ip_address: client.ip_text(),
            user_agent: client.user_agent.clone(),
            attempts: 0,
            expires_at: token.expires_at,
            created_at: token.created_at,
        })
        .await?;
    Ok(Some(token.plain))
}

/// Checks `code` (a TOTP code, or, when `backup` allows it, a backup code) for `user_id`,
/// counted against the per-user budget, and audits the outcome. A TOTP code is accepted
/// for a step after the last accepted one only (one guarded update); a backup code once.
async fn check_code(
    state: &YAuthState,
    service: &Service,
    secret: &TotpSecret,
    code: &str,
    backup: bool,
    meta: &RequestMeta,
) -> Result<Proof, ApiError> {
    let user_id = secret.user_id;
    limits::check(
        state,
        &format!("mfa:user:{user_id}"),
        service.config.verify_per_user,
    )
    .await?;
    limits::check(
        state,
        &format!("mfa:user-day:{user_id}"),
        service.config.verify_per_user_daily,
    )
    .await?;
    let proof = if let Some(digits) = codes::as_totp(code) {
        accept_totp(state, secret, &digits).await?
    } else if backup {
        accept_backup_code(state, user_id, code).await?
    } else {
        None
    };
    let event = match proof {
        Some(proof) => AuthEvent::MfaCodeAccepted {
            user_id,
            kind: proof.name().into(),
        },
        None => AuthEvent::MfaCodeRefused { user_id },
    };
    state.emit(event, meta).await;
    proof.ok_or_else(invalid_code)
}

async fn accept_totp(
    state: &YAuthState,
    secret: &TotpSecret,
    digits: &str,
) -> Result<Option<Proof>, ApiError> {
    let plain = state
        .sealer()?
        .open(
            SEALED_FOR,
            secret.user_id.as_bytes(),
            &secret.encrypted_secret,
        )
        .map_err(ApiError::internal)?;
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
    let Some(step) = codes::matching_step(&plain, digits, codes::step_at(now)) else {
        return Ok(None);
    };
    let step = i64::try_from(step).map_err(ApiError::internal)?;
    // Only a step later than the last accepted one: a code seen once (over a shoulder, in a
    // proxy log) does not work again, on any replica.
    let fresh = state
        .repos()
        .totp_secrets
        .use_totp_step(step, secret.id)
        .await?;
    Ok(fresh.then_some(Proof::Totp))
}

async fn accept_backup_code(
    state: &YAuthState,
    user_id: Uuid,
    code: &str,
) -> Result<Option<Proof>, ApiError> {
    let Some(canonical) = codes::canonical_backup_code(code) else {
        return Ok(None);
    };
    let hash = codes::backup_code_hash(user_id, &canonical);
    let repos = state.repos();
    let Some(row) = repos.backup_codes.find_backup_code(user_id, &hash).await? else {
        return Ok(None);
    };
    let won = !row.used && repos.backup_codes.claim_backup_code(row.id).await?;
    Ok(won.then_some(Proof::BackupCode))
}

/// A new set of backup codes for `user_id`, replacing every earlier one; the plain codes
/// are answered once.
async fn new_backup_codes(
    state: &YAuthState,
    service: &Service,
    user_id: Uuid,
) -> Result<Vec<String>, ApiError> {
    let repos = state.repos();
    repos.backup_codes.delete_user_backup_codes(user_id).await?;
    let now = Utc::now();
    let mut out = Vec::with_capacity(service.config.backup_code_count);
    for _ in 0..service.config.backup_code_count {
        let code = codes::new_backup_code();
        let canonical = codes::canonical_backup_code(&code)
            .ok_or_else(|| ApiError::internal_message("a fresh backup code did not read back"))?;
        repos
            .backup_codes
            .insert_backup_code(&BackupCode {
                id: Uuid::now_v7(),
                user_id,
                code_hash: codes::backup_code_hash(user_id, &canonical),
                used: false,
                created_at: now,
            })
            .await?;
        out.push(code);
    }
    Ok(out)
}

/// `POST /mfa/totp/setup`: a new unconfirmed secret and backup codes (replacing an
/// unconfirmed earlier setup). 409 when MFA is already on: replacing a confirmed secret
/// would turn MFA off without a code.
pub(super) async fn setup(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
) -> Result<Enrolment, ApiError> {
    if enrolled(state, user.id).await?.is_some() {
        return Err(already_enabled());
    }
    let secret = codes::new_secret();
    let sealed = state
        .sealer()?
        .seal(SEALED_FOR, user.id.as_bytes(), &secret);
    state
        .repos()
        .totp_secrets
        .upsert_totp_secret(&TotpSecret {
            id: Uuid::now_v7(),
            user_id: user.id,
            encrypted_secret: sealed,
            verified: false,
            last_used_step: None,
            created_at: Utc::now(),
        })
        .await?;
    let backup_codes = new_backup_codes(state, service, user.id).await?;
    Ok(Enrolment {
        secret: codes::secret_base32(&secret),
        otpauth_url: codes::otpauth_url(&secret, &service.config.issuer, &user.email),
        backup_codes,
    })
}

/// `POST /mfa/totp/confirm`: a TOTP code of the new secret turns MFA on.
pub(super) async fn confirm(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
    code: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let secret = repos
        .totp_secrets
        .get_totp_secret(user.id)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request("mfa_not_set_up", "call POST /mfa/totp/setup first")
        })?;
    if secret.verified {
        return Err(already_enabled());
    }
    check_code(state, service, &secret, code, false, meta).await?;
    if !repos.totp_secrets.confirm_totp_secret(user.id).await? {
        return Err(already_enabled());
    }
    state
        .emit(AuthEvent::MfaEnabled { user_id: user.id }, meta)
        .await;
    Ok(())
}

/// `POST /mfa/verify`: a code finishes a pending login with what it asked for.
pub(super) async fn verify(
    state: &YAuthState,
    service: &Service,
    pending_session_id: &str,
    code: &str,
    meta: &RequestMeta,
) -> Result<SignInOutcome, ApiError> {
    limits::check_ip(state, "mfa_verify", meta.ip, service.config.verify_per_ip).await?;
    let repos = state.repos();
    let pending = repos
        .mfa_pending_logins
        .find_mfa_pending_login(&hash_token(pending_session_id), Utc::now())
        .await?
        .ok_or_else(login_expired)?;
    // Counted before the code is looked at, so concurrent guesses cannot overrun the limit.
    let attempts = repos
        .mfa_pending_logins
        .count_mfa_attempt(pending.id)
        .await?
        .ok_or_else(login_expired)?;
    let end = || {
        repos
            .mfa_pending_logins
            .delete_mfa_pending_login(pending.id)
    };
    let max = i64::from(service.config.max_attempts);
    if i64::from(attempts) > max {
        end().await?;
        return Err(login_expired());
    }
    let Some(secret) = enrolled(state, pending.user_id).await? else {
        // MFA was turned off meanwhile: the pending login asked for a factor that is gone.
        end().await?;
        return Err(login_expired());
    };
    if let Err(refused) = check_code(state, service, &secret, code, true, meta).await {
        if i64::from(attempts) >= max {
            end().await?;
        }
        return Err(refused);
    }
    // One pending login signs in once, however many right codes arrive together.
    if end().await? != 1 {
        return Err(login_expired());
    }
    let user = repos
        .users
        .get_user(pending.user_id)
        .await?
        .ok_or_else(login_expired)?;
    let scopes: Option<Vec<String>> = match &pending.scopes {
        Some(value) => Some(serde_json::from_value(value.clone()).map_err(ApiError::internal)?),
        None => None,
    };
    let grant = match &scopes {
        Some(scopes) => Grant::Tokens { scopes },
        None => Grant::Session {
            remember_me: pending.remember_me,
        },
    };
    sign_in(
        state,
        SignIn {
            user: &user,
            method: &pending.method,
            grant,
            meta,
            second_factor: true,
        },
    )
    .await
}

/// `DELETE /mfa/totp`: a current TOTP code or a backup code turns MFA off; the secret, the
/// backup codes and any pending login go.
pub(super) async fn disable(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
    code: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let secret = enrolled(state, user.id).await?.ok_or_else(not_enabled)?;
    check_code(state, service, &secret, code, true, meta).await?;
    let repos = state.repos();
    repos.totp_secrets.delete_totp_secret(user.id).await?;
    repos.backup_codes.delete_user_backup_codes(user.id).await?;
    repos
        .mfa_pending_logins
        .delete_user_mfa_pending_logins(user.id)
        .await?;
    state
        .emit(AuthEvent::MfaDisabled { user_id: user.id }, meta)
        .await;
    Ok(())
}

/// `GET /mfa/backup-codes`: how many unused codes remain (0 without MFA).
pub(super) async fn remaining(state: &YAuthState, user: &AuthUser) -> Result<u64, ApiError> {
    if enrolled(state, user.id).await?.is_none() {
        return Ok(0);
    }
    Ok(state
        .repos()
        .backup_codes
        .count_unused_backup_codes(user.id)
        .await?)
}

/// `POST /mfa/backup-codes/regenerate`: with a current TOTP code (or an unused backup
/// code), a new set; every earlier code stops working.
pub(super) async fn regenerate(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
    code: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, ApiError> {
    let secret = enrolled(state, user.id).await?.ok_or_else(not_enabled)?;
    check_code(state, service, &secret, code, true, meta).await?;
    let codes = new_backup_codes(state, service, user.id).await?;
    state
        .emit(AuthEvent::BackupCodesRegenerated { user_id: user.id }, meta)
        .await;
    Ok(codes)
}

/// `YAuth::reseal`: every TOTP secret sealed again under the current secret key.
pub(super) async fn reseal(state: &YAuthState) -> Result<u64, ApiError> {
    const PAGE: u64 = 100;
    let sealer = state.sealer()?;
    let repos = state.repos();
    let mut changed = 0;
    let mut offset = 0;
    loop {
        let page = repos.totp_secrets.list_totp_secrets(PAGE, offset).await?;
        for row in &page {
            if let Some(resealed) = sealer
                .reseal(SEALED_FOR, row.user_id.as_bytes(), &row.encrypted_secret)
                .map_err(ApiError::internal)?
            {
                repos
                    .totp_secrets
                    .reseal_totp_secret(&resealed, row.id)
                    .await?;
                changed += 1;
            }
        }
        if (page.len() as u64) < PAGE {
            return Ok(changed);
        }
        offset += PAGE;
    }
}
