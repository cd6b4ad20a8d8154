//! The ceremonies: registration, sign-in, listing and deleting.

use axum::http::StatusCode;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;
use webauthn_rs::prelude::{
    Credential, DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, WebauthnError,
};

use super::{NAME, Service};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, Grant, RequestMeta};
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::entity::{WebauthnChallenge, WebauthnCredential};
use crate::kit::limits;
use crate::kit::sign_in::{SignIn, SignInOutcome, sign_in};
use crate::kit::token::expires_after;
use crate::kit::validate::normalize_email;

const REGISTER: &str = "register";
const LOGIN: &str = "login";

/// A ceremony begun: its id and the options for `navigator.credentials`.
pub(super) struct Begun {
    pub challenge_id: Uuid,
    pub options: Value,
}

/// A passkey as `GET /passkeys` shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The authenticator may sync it to other devices (a multi-device passkey).
    pub backup_eligible: bool,
    /// It is synced (backed up) now.
    pub backup_state: bool,
}

/// The stored state of a sign-in ceremony.
#[derive(Serialize, Deserialize)]
struct LoginState {
    auth: DiscoverableAuthentication,
    /// Begun for an email without passkeys: no credential can finish it.
    decoy: bool,
}

fn invalid_challenge() -> ApiError {
    ApiError::bad_request(
        "invalid_challenge",
        "the ceremony is unknown, expired, already finished, or not yours: begin again",
    )
}

fn refused() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "the passkey was not accepted",
    )
}

async fn store_challenge(
    state: &YAuthState,
    service: &Service,
    user_id: Option<Uuid>,
    kind: &str,
    ceremony: Value,
) -> Result<Uuid, ApiError> {
    let now = Utc::now();
    let id = Uuid::new_v4();
    state
        .repos()
        .webauthn_challenges
        .insert_webauthn_challenge(&WebauthnChallenge {
            id,
            user_id,
            kind: kind.into(),
            state: ceremony,
            expires_at: expires_after(now, service.config.challenge_ttl),
            created_at: now,
        })
        .await?;
    Ok(id)
}

/// Takes the live challenge `id` of `kind` (for `owner`, when the ceremony is bound to a
/// user): one guarded delete, so of two uses only one gets it.
async fn take_challenge(
    state: &YAuthState,
    id: Uuid,
    kind: &str,
    owner: Option<Uuid>,
) -> Result<WebauthnChallenge, ApiError> {
    let repos = state.repos();
    let challenge = repos
        .webauthn_challenges
        .find_webauthn_challenge(id, Utc::now())
        .await?
        .filter(|c| c.kind == kind)
        .ok_or_else(invalid_challenge)?;
    if owner.is_some() && challenge.user_id != owner {
        return Err(invalid_challenge());
    }
    if repos
        .webauthn_challenges
        .delete_webauthn_challenge(id)
        .await?
        != 1
    {
        return Err(invalid_challenge());
    }
    Ok(challenge)
}

fn parse_passkey(row: &WebauthnCredential) -> Result<Passkey, ApiError> {
    serde_json::from_value(row.credential.clone()).map_err(ApiError::internal)
}

/// `POST /passkeys/register/begin`.
pub(super) async fn register_begin(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
) -> Result<Begun, ApiError> {
    let existing = state
        .repos()
        .webauthn_credentials
        .list_user_webauthn_credentials(user.id)
        .await?;
    if existing.len() as u64 >= service.config.max_passkeys {
        return Err(ApiError::bad_request(
            "too_many_passkeys",
            "delete a passkey before adding another",
        ));
    }
    let exclude = existing
        .iter()
        .map(|row| row.credential_id.clone())
        .collect();
    let display = user.display_name.as_deref().unwrap_or(&user.email);
    let (options, registration) = service
        .webauthn
        .start_passkey_registration(user.id, &user.email, display, Some(exclude))
        .map_err(ApiError::internal)?;
    let mut options = serde_json::to_value(options).map_err(ApiError::internal)?;
    // A discoverable credential when the authenticator can store one (usernameless
    // sign-in), without failing on security keys that cannot.
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(Value::as_object_mut)
    {
        selection.insert("residentKey".into(), json!("preferred"));
        selection.insert("requireResidentKey".into(), json!(false));
    }
    let ceremony = serde_json::to_value(registration).map_err(ApiError::internal)?;
    let challenge_id = store_challenge(state, service, Some(user.id), REGISTER, ceremony).await?;
    Ok(Begun {
        challenge_id,
        options,
    })
}

/// A passkey's name: 1 to 64 characters, no control characters.
fn passkey_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let count = name.chars().count();
    if !(1..=64).contains(&count) || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_name",
            "a passkey name is 1 to 64 characters",
        ));
    }
    Ok(name.to_owned())
}

/// `POST /passkeys/register/finish`.
pub(super) async fn register_finish(
    state: &YAuthState,
    service: &Service,
    user: &AuthUser,
    challenge_id: Uuid,
    name: &str,
    credential: &RegisterPublicKeyCredential,
    meta: &RequestMeta,
) -> Result<PasskeyInfo, ApiError> {
    let name = passkey_name(name)?;
    let challenge = take_challenge(state, challenge_id, REGISTER, Some(user.id)).await?;
    let registration: PasskeyRegistration =
        serde_json::from_value(challenge.state).map_err(ApiError::internal)?;
    let passkey = service
        .webauthn
        .finish_passkey_registration(credential, &registration)
        .map_err(|e| {
            tracing::debug!(error = %e, "a passkey registration was refused");
            ApiError::bad_request("invalid_credential", "the new passkey was not accepted")
        })?;
    let already = || {
        ApiError::bad_request(
            "credential_already_registered",
            "this passkey is already registered",
        )
    };
    let repos = state.repos();
    let credential_id = passkey.cred_id().to_vec();
    if repos
        .webauthn_credentials
        .find_webauthn_credential(&credential_id)
        .await?
        .is_some()
    {
        return Err(already());
    }
    let now = Utc::now();
    let row = WebauthnCredential {
        id: Uuid::now_v7(),
        user_id: user.id,
        credential_id,
        name,
        aaguid: None,
        device_name: None,
        credential: serde_json::to_value(&passkey).map_err(ApiError::internal)?,
        created_at: now,
        last_used_at: None,
    };
    // The unique key settles two registrations of one credential that race.
    match repos
        .webauthn_credentials
        .insert_webauthn_credential(&row)
        .await
    {
        Err(e) if e.is_conflict() => return Err(already()),
        other => other?,
    }
    state
        .emit(
            AuthEvent::PasskeyRegistered {
                user_id: user.id,
                passkey_id: row.id,
            },
            meta,
        )
        .await;
    info(&row)
}

/// Stand-in credential ids for an email without passkeys: one or two, 16 or 32 bytes, the
/// same for the same email on every call and replica.
fn decoy_ids(state: &YAuthState, email: &str) -> Result<Vec<Vec<u8>>, ApiError> {
    let sealer = state.sealer()?;
    let seed = sealer.derive("passkey decoy", email.as_bytes());
    let count = 1 + u8::from(seed[0] & 1 == 1);
    let len = if seed[1] & 1 == 0 { 16 } else { 32 };
    Ok((0..count)
        .map(|i| sealer.derive("passkey decoy id", &[&seed[..], &[i]].concat())[..len].to_vec())
        .collect())
}

/// `POST /passkey/login/begin`.
pub(super) async fn login_begin(
    state: &YAuthState,
    service: &Service,
    email: Option<&str>,
    meta: &RequestMeta,
) -> Result<Begun, ApiError> {
    limits::check_ip(state, "passkey_login", meta.ip, service.config.login_per_ip).await?;
    let (auth_options, auth) = service
        .webauthn
        .start_discoverable_authentication()
        .map_err(ApiError::internal)?;
    let mut options = serde_json::to_value(auth_options).map_err(ApiError::internal)?;
    // The page chooses the mediation (a button, or autofill): none is imposed here.
    if let Some(top) = options.as_object_mut() {
        top.remove("mediation");
    }
    let mut owner = None;
    let mut decoy = false;
    if let Some(email) = email {
        let email = normalize_email(email)?;
        let repos = state.repos();
        let user = repos.users.find_user_by_email(&email).await?;
        // The same two queries whether or not the email has an account.
        let rows = repos
            .webauthn_credentials
            .list_user_webauthn_credentials(user.as_ref().map_or(Uuid::nil(), |u| u.id))
            .await?;
        if let Some(user) = &user
            && !rows.is_empty()
        {
            owner = Some(user.id);
        }
        let passkeys: Vec<Vec<u8>> = rows.into_iter().map(|row| row.credential_id).collect();
        let ids = if owner.is_some() {
            passkeys
        } else {
            decoy = true;
            decoy_ids(state, &email)?
        };
        let allow: Vec<Value> = ids
            .iter()
            .map(|id| {
                json!({
                    "type": "public-key",
                    "id": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id),
                })
            })
            .collect();
        if let Some(request) = options
            .pointer_mut("/publicKey")
            .and_then(Value::as_object_mut)
        {
            request.insert("allowCredentials".into(), Value::Array(allow));
        }
    }
    let ceremony = serde_json::to_value(LoginState { auth, decoy }).map_err(ApiError::internal)?;
    let challenge_id = store_challenge(state, service, owner, LOGIN, ceremony).await?;
    Ok(Begun {
        challenge_id,
        options,
    })
}

/// `POST /passkey/login/finish`.
pub(super) async fn login_finish(
    state: &YAuthState,
    service: &Service,
    challenge_id: Uuid,
    credential: &PublicKeyCredential,
    meta: &RequestMeta,
) -> Result<SignInOutcome, ApiError> {
    limits::check_ip(state, "passkey_login", meta.ip, service.config.login_per_ip).await?;
    let challenge = take_challenge(state, challenge_id, LOGIN, None).await?;
    let ceremony: LoginState =
        serde_json::from_value(challenge.state).map_err(ApiError::internal)?;
    let repos = state.repos();
    let row = repos
        .webauthn_credentials
        .find_webauthn_credential(credential.raw_id.as_slice())
        .await?;
    let fail = |user_id: Option<Uuid>, reason: &'static str| async move {
        state
            .emit(
                AuthEvent::LoginFailed {
                    user_id,
                    reason: reason.into(),
                },
                meta,
            )
            .await;
        refused()
    };
    let Some(row) = row else {
        return Err(fail(challenge.user_id, "unknown_passkey").await);
    };
    // The credential must be the one the ceremony is for: the email's user when one was
    // named, and the user the authenticator says it holds.
    let handle = credential.response.user_handle.as_ref();
    let owner_matches = challenge.user_id.is_none_or(|owner| owner == row.user_id);
    let handle_matches = match handle {
        Some(handle) => handle.as_slice() == row.user_id.as_bytes(),
        // A discoverable sign-in names its user; an email sign-in may leave it out.
        None => challenge.user_id.is_some(),
    };
    if ceremony.decoy || !owner_matches || !handle_matches {
        return Err(fail(Some(row.user_id), "passkey_not_for_this_user").await);
    }
    let mut passkey = parse_passkey(&row)?;
    let result = match service.webauthn.finish_discoverable_authentication_v2(
        credential,
        ceremony.auth,
        &passkey,
    ) {
        Ok(result) => result,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            tracing::warn!(
                user_id = %row.user_id,
                passkey_id = %row.id,
                "a passkey's signature counter did not advance: the authenticator may be cloned; sign-in refused"
            );
            return Err(fail(Some(row.user_id), "passkey_counter_regression").await);
        }
        Err(e) => {
            tracing::debug!(error = %e, "a passkey assertion was refused");
            return Err(fail(Some(row.user_id), "invalid_passkey").await);
        }
    };
    passkey.update_credential(&result);
    repos
        .webauthn_credentials
        .update_webauthn_credential_use(
            &serde_json::to_value(&passkey).map_err(ApiError::internal)?,
            Some(Utc::now()),
            row.id,
        )
        .await?;
    state
        .emit(
            AuthEvent::PasskeyUsed {
                user_id: row.user_id,
                passkey_id: row.id,
            },
            meta,
        )
        .await;
    let user = repos
        .users
        .get_user(row.user_id)
        .await?
        .ok_or_else(refused)?;
    sign_in(
        state,
        SignIn {
            user: &user,
            method: NAME,
            grant: Grant::Session { remember_me: false },
            meta,
            second_factor: service.config.satisfies_mfa && result.user_verified(),
        },
    )
    .await
}

fn info(row: &WebauthnCredential) -> Result<PasskeyInfo, ApiError> {
    let credential: Credential = parse_passkey(row)?.into();
    Ok(PasskeyInfo {
        id: row.id,
        name: row.name.clone(),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        backup_eligible: credential.backup_eligible,
        backup_state: credential.backup_state,
    })
}

/// `GET /passkeys`: the caller's passkeys, oldest first.
pub(super) async fn list(
    state: &YAuthState,
    user: &AuthUser,
) -> Result<Vec<PasskeyInfo>, ApiError> {
    state
        .repos()
        .webauthn_credentials
        .list_user_webauthn_credentials(user.id)
        .await?
        .iter()
        .map(info)
        .collect()
}

/// `DELETE /passkeys/{id}`: one of the caller's passkeys (another user's are invisible).
pub(super) async fn delete(
    state: &YAuthState,
    user: &AuthUser,
    id: Uuid,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    if state
        .repos()
        .webauthn_credentials
        .delete_user_webauthn_credential(id, user.id)
        .await?
        == 0
    {
        return Err(ApiError::not_found("no such passkey"));
    }
    state
        .emit(
            AuthEvent::PasskeyDeleted {
                user_id: user.id,
                passkey_id: id,
            },
            meta,
        )
        .await;
    Ok(())
}
