//! The device authorization grant (RFC 8628): a device without a browser gets a
//! `device_code` and shows a `user_code`; the user approves it on the device page from a
//! signed-in session; the device polls the token endpoint.

use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

use super::Service;
use super::clients::{ClientExt, scopes_within};
use super::tokens::{self, TokenResponse};
use super::wire::{Form, OAuthError, authenticate_client};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, RequestMeta};
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser};
use crate::entity::{DeviceCode, Oauth2Client};
use crate::kit::limits;
use crate::kit::token::{Issued, TokenHash};

/// The grant type of the token request.
pub(crate) const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 8628 §6.1: 20 consonants, no vowels (no words), no look-alikes.
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters of a user code (about 34.6 bits).
const USER_CODE_LEN: usize = 8;
/// Seconds between polls, raised by 5 after each `slow_down`.
const INTERVAL: i32 = 5;

/// A fresh user code, stored without its dash.
fn new_user_code() -> String {
    let mut code = String::with_capacity(USER_CODE_LEN);
    while code.len() < USER_CODE_LEN {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system provides randomness");
        // 240 is the largest multiple of 20 below 256: no letter is likelier than another.
        for b in bytes.into_iter().filter(|b| *b < 240) {
            if code.len() < USER_CODE_LEN {
                code.push(char::from(ALPHABET[usize::from(b % 20)]));
            }
        }
    }
    code
}

/// `BCDFGHJK` shown as `BCDF-GHJK`.
fn shown(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

/// What the user typed, as stored: letters upper-cased, dashes and spaces dropped; `None`
/// when it cannot be a user code.
fn normalized(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The 200 body of `POST /oauth/device/code` (RFC 8628 §3.2).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct DeviceAuthorization {
    /// What the device polls the token endpoint with.
    pub device_code: String,
    /// What the user types on the device page (`XXXX-XXXX`).
    pub user_code: String,
    /// The device page.
    pub verification_uri: String,
    /// The device page with the user code filled in (for a QR code).
    pub verification_uri_complete: String,
    /// Seconds until both codes expire.
    pub expires_in: u64,
    /// Seconds the device waits between polls.
    pub interval: i32,
}

/// `POST /oauth/device/code`.
pub(super) async fn start(
    state: &YAuthState,
    service: &Service,
    headers: &axum::http::HeaderMap,
    form: &Form,
    meta: &RequestMeta,
) -> Result<DeviceAuthorization, OAuthError> {
    tokens::token_limit(state, service, meta).await?;
    let (client, _) = authenticate_client(state, headers, form).await?;
    if !client.may_use(GRANT) {
        return Err(tokens::unauthorized_client("device_code"));
    }
    let allowed: Vec<String> = client
        .allowed_scopes()
        .into_iter()
        .filter(|s| service.config.scopes_supported.contains(s))
        .collect();
    let scopes = scopes_within(form.get("scope").unwrap_or(""), &allowed).ok_or_else(|| {
        OAuthError::bad(
            "invalid_scope",
            "a requested scope is unknown or not allowed for this client",
        )
    })?;
    let device_code = Issued::new(service.config.device_code_ttl);
    let user_code = new_user_code();
    state
        .repos()
        .device_codes
        .insert_device_code(&DeviceCode {
            id: Uuid::now_v7(),
            device_code_hash: device_code.hash,
            user_code: user_code.clone(),
            client_id: client.client_id.clone(),
            scopes: Some(serde_json::json!(scopes)),
            user_id: None,
            status: "pending".into(),
            interval: INTERVAL,
            expires_at: device_code.expires_at,
            last_polled_at: None,
            created_at: device_code.created_at,
        })
        .await?;
    let shown = shown(&user_code);
    let complete = url::Url::parse_with_params(&service.device_url, [("user_code", &shown)])
        .map(String::from)
        .unwrap_or_else(|_| service.device_url.clone());
    Ok(DeviceAuthorization {
        device_code: device_code.plain,
        user_code: shown,
        verification_uri: service.device_url.clone(),
        verification_uri_complete: complete,
        expires_in: service.config.device_code_ttl.as_secs(),
        interval: INTERVAL,
    })
}

/// What the device page shows before the user decides.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PendingDevice {
    /// The client asking.
    pub client_id: String,
    /// Its registered name.
    pub client_name: Option<String>,
    /// The scopes it asks for.
    pub scopes: Vec<String>,
}

fn invalid_user_code() -> ApiError {
    ApiError::bad_request(
        "invalid_user_code",
        "the code is unknown, expired or already used",
    )
}

/// A pending authorization by the code the user typed, for the user's own session;
/// attempts are capped per user and per IP (the code is short enough to guess at).
async fn pending(
    state: &YAuthState,
    service: &Service,
    caller: &AuthUser,
    typed: &str,
    meta: &RequestMeta,
) -> Result<(DeviceCode, Oauth2Client), ApiError> {
    if caller.auth_method != AuthMethod::Session || caller.impersonated_by.is_some() {
        return Err(ApiError::forbidden(
            "forbidden",
            "devices are approved from the user's own signed-in session",
        ));
    }
    limits::check(
        state,
        &format!("oauth-device:user:{}", caller.id),
        service.config.rate_limits.device_verify_per_user,
    )
    .await?;
    limits::check_ip(
        state,
        "oauth-device",
        meta.ip,
        service.config.rate_limits.device_verify_per_ip,
    )
    .await?;
    let code = normalized(typed).ok_or_else(invalid_user_code)?;
    let repos = state.repos();
    let device = repos
        .device_codes
        .find_device_code_by_user_code(&code, Utc::now())
        .await?
        .filter(|d| d.status == "pending")
        .ok_or_else(invalid_user_code)?;
    let client = repos
        .oauth2_clients
        .find_oauth2_client(&device.client_id)
        .await?
        .ok_or_else(invalid_user_code)?;
    Ok((device, client))
}

/// `GET /oauth/device?user_code=…`.
pub(super) async fn lookup(
    state: &YAuthState,
    service: &Service,
    caller: &AuthUser,
    typed: &str,
    meta: &RequestMeta,
) -> Result<PendingDevice, ApiError> {
    let (device, client) = pending(state, service, caller, typed, meta).await?;
    Ok(PendingDevice {
        client_id: client.client_id,
        client_name: client.client_name,
        scopes: tokens::scopes_of(device.scopes.as_ref()),
    })
}

/// `POST /oauth/device`: the user's decision. Answers `approved` or `denied`.
pub(super) async fn decide(
    state: &YAuthState,
    service: &Service,
    caller: &AuthUser,
    typed: &str,
    approved: bool,
    meta: &RequestMeta,
) -> Result<&'static str, ApiError> {
    let (device, client) = pending(state, service, caller, typed, meta).await?;
    let repos = state.repos();
    let decided = if approved {
        repos
            .device_codes
            .approve_device_code(Some(caller.id), device.id)
            .await?
    } else {
        repos.device_codes.deny_device_code(device.id).await?
    };
    if !decided {
        return Err(invalid_user_code());
    }
    if approved {
        state
            .emit(
                AuthEvent::OAuthConsentGranted {
                    user_id: caller.id,
                    client_id: client.client_id,
                    scopes: tokens::scopes_of(device.scopes.as_ref()),
                },
                meta,
            )
            .await;
        Ok("approved")
    } else {
        Ok("denied")
    }
}

/// The token endpoint's device grant (RFC 8628 §3.4, §3.5).
pub(super) async fn poll(
    state: &YAuthState,
    service: &Service,
    client: &Oauth2Client,
    form: &Form,
) -> Result<(TokenResponse, Option<Uuid>), OAuthError> {
    let presented = form.require("device_code")?;
    let repos = state.repos();
    let now = Utc::now();
    let Some(device) = repos
        .device_codes
        .find_device_code(TokenHash::of(presented).as_str())
        .await?
    else {
        return Err(OAuthError::invalid_grant());
    };
    if device.client_id != client.client_id {
        return Err(OAuthError::invalid_grant());
    }
    if device.expires_at <= now {
        return Err(OAuthError::bad(
            "expired_token",
            "the device code expired: start again",
        ));
    }
    match device.status.as_str() {
        "pending" => {
            let too_soon = device.last_polled_at.is_some_and(|at| {
                (now - at).num_milliseconds() < i64::from(device.interval) * 1000
            });
            let interval = if too_soon {
                device.interval.saturating_add(5)
            } else {
                device.interval
            };
            repos
                .device_codes
                .touch_device_code_poll(Some(now), interval, device.id)
                .await?;
            Err(if too_soon {
                OAuthError::bad(
                    "slow_down",
                    format!("polling too fast: wait {interval} seconds between requests"),
                )
            } else {
                OAuthError::bad("authorization_pending", "the user has not decided yet")
            })
        }
        "denied" => Err(OAuthError::bad(
            "access_denied",
            "the user denied the request",
        )),
        "approved" => {
            let user_id = device.user_id.ok_or_else(OAuthError::invalid_grant)?;
            if !repos.device_codes.consume_device_code(device.id).await? {
                return Err(OAuthError::invalid_grant());
            }
            let Some(user) = tokens::live_user(state, user_id).await? else {
                return Err(OAuthError::invalid_grant());
            };
            let scopes = tokens::scopes_of(device.scopes.as_ref());
            let access = tokens::sign_access(
                state,
                service,
                client,
                Some(user.id),
                &scopes,
                None,
                Some(device.id),
            )
            .await?;
            repos
                .oauth2_access_tokens
                .insert_oauth2_access_token(&access.row)
                .await?;
            let refresh = if tokens::issues_refresh(service, client, &scopes) {
                let (plain, row) = tokens::new_family(service, client, user.id, &scopes, device.id);
                repos
                    .oauth2_refresh_tokens
                    .insert_oauth2_refresh_token(&row)
                    .await?;
                Some(plain)
            } else {
                None
            };
            let id_token = tokens::id_token(
                state,
                service,
                client,
                &user,
                &scopes,
                None,
                None,
                &access.jwt,
            )
            .await?;
            Ok((
                TokenResponse::new(service, access.jwt, &scopes, refresh, id_token),
                Some(user.id),
            ))
        }
        _ => Err(OAuthError::invalid_grant()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_consonants_and_read_back_however_typed() {
        let code = new_user_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        let typed = shown(&code).to_lowercase();
        assert_eq!(normalized(&typed).as_deref(), Some(code.as_str()));
        assert_eq!(normalized("BCDF GHJK").as_deref(), Some("BCDFGHJK"));
        for bad in ["BCDF-GHJ", "BCDF-GHJKL", "AEIO-UBCD", "BCDF-GHJ1", ""] {
            assert_eq!(normalized(bad), None, "{bad}");
        }
    }
}
