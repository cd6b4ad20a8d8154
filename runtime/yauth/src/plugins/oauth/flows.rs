//! Starting a flow, finishing it (sign in, sign up, link by verified email, or link to the
//! signed-in user), listing and unlinking providers. No HTTP types beyond the error, the
//! request's client and the sign-in outcome.

use axum::http::StatusCode;
use base64::Engine as _;
use chrono::Utc;
use uuid::Uuid;

use super::provider::{Profile, Provider, Tokens, nonce_digest, pkce_challenge, sanitized_code};
use super::{NAME, ResponseMode, STATE_TTL, Service};
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthUser, is_banned};
use crate::entity::{OauthAccount, OauthState, RepoError, User};
use crate::kit::limits;
use crate::kit::mail::dispatch;
use crate::kit::request::RequestMeta;
use crate::kit::session::prove_mailbox;
use crate::kit::sign_in::{Grant, SignIn, SignInOutcome, create_account, sign_in};
use crate::kit::token::{claimed, expires_after, hash_token, new_token};
use crate::kit::validate::{display_name, normalize_email};

/// The sealing purpose of a flow's PKCE verifier (the flow's key is the context).
const PKCE_PURPOSE: &str = "oauth_pkce_verifier";
/// The sealing purposes of a provider's tokens (the link's id is the context).
const ACCESS_PURPOSE: &str = "oauth_provider_access_token";
const REFRESH_PURPOSE: &str = "oauth_provider_refresh_token";

/// A flow just started: where to send the browser, and the browser's flow cookie value.
#[derive(Debug)]
pub(super) struct Started {
    pub authorize_url: String,
    pub binding: String,
}

/// How a callback ended.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "made once per callback and turned into a response at once"
)]
pub(super) enum Finished {
    /// Signed in (or a second factor is asked for): the outcome, and where to go next.
    SignIn {
        outcome: SignInOutcome,
        redirect: String,
    },
    /// The provider was linked to the signed-in user who started the flow.
    Linked { redirect: String },
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub(super) struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The state sent with the flow.
    pub state: Option<String>,
    /// The provider's error code (`access_denied`, …).
    pub error: Option<String>,
    /// The provider's explanation (never shown: it could carry anything).
    pub error_description: Option<String>,
}

/// The key a flow is stored under: the SHA-256 of its state *and* the browser's flow
/// cookie, so the state alone (a link sent to someone else) finds nothing.
fn flow_key(state: &str, binding: &str) -> String {
    hash_token(&format!("{state}.{binding}"))
}

/// A flow cookie value of the form [`new_token`] makes, or nothing.
pub(super) fn well_formed_binding(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn invalid_state() -> ApiError {
    ApiError::bad_request(
        "invalid_state",
        "this sign-in was not started in this browser, was already used, or expired: start again",
    )
}

/// Where `redirect_to` sends the browser after the flow: a path of the application
/// (`/settings`, resolved against `base_url`), or an absolute URL of an allowed origin.
/// Anything else (`//evil.example`, `https://evil.example`, `/\evil.example`, `javascript:`)
/// is refused.
pub(super) fn resolve_redirect(
    service: &Service,
    redirect_to: Option<&str>,
) -> Result<String, ApiError> {
    let refused = || {
        ApiError::bad_request(
            "invalid_redirect",
            "redirect_to must be a path of this application or a URL of an allowed origin",
        )
    };
    let target = redirect_to.unwrap_or("/");
    if target.chars().any(|c| c.is_control() || c == '\\') || target.len() > 2048 {
        return Err(refused());
    }
    if let Some(path) = target.strip_prefix('/') {
        if path.starts_with('/') {
            return Err(refused());
        }
        return Ok(format!("{}/{path}", service.base_url));
    }
    let url = url::Url::parse(target).map_err(|_| refused())?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(refused());
    }
    let origin = url.origin().ascii_serialization();
    if service.redirect_origins.contains(&origin) {
        Ok(url.to_string())
    } else {
        Err(refused())
    }
}

/// Starts a flow for `provider`: checks `redirect_to`, stores the flow, and answers the
/// provider's URL. `binding` is the browser's flow cookie if it has one; `link_user` the
/// signed-in user for `POST /oauth/{provider}/link`.
pub(super) async fn start(
    state: &YAuthState,
    service: &Service,
    provider: &str,
    redirect_to: Option<&str>,
    binding: Option<&str>,
    link_user: Option<Uuid>,
    meta: &RequestMeta,
) -> Result<Started, ApiError> {
    let provider = service.provider(provider)?;
    let redirect = resolve_redirect(service, redirect_to)?;
    limits::check_ip(state, "oauth-start", meta.ip, service.config.start_per_ip).await?;
    let authorize = provider.authorize_url().await?;
    let binding = binding
        .filter(|b| well_formed_binding(b))
        .map_or_else(new_token, str::to_owned);
    let flow_state = new_token();
    let key = flow_key(&flow_state, &binding);
    let verifier = new_token();
    let nonce = provider.is_oidc().then(new_token);
    let sealed = state
        .sealer()?
        .seal(PKCE_PURPOSE, key.as_bytes(), verifier.as_bytes());
    let now = Utc::now();
    state
        .repos()
        .oauth_states
        .insert_oauth_state(&OauthState {
            state: key,
            provider: provider.config.name.clone(),
            redirect_url: Some(redirect),
            pkce_verifier: Some(base64::engine::general_purpose::STANDARD.encode(sealed)),
            nonce: nonce.as_deref().map(nonce_digest),
            link_user_id: link_user,
            expires_at: expires_after(now, STATE_TTL),
            created_at: now,
        })
        .await?;
    let mut url = url::Url::parse(&authorize)
        .map_err(|e| ApiError::internal_message(format!("the authorization endpoint: {e}")))?;
    {
        let config = &provider.config;
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &config.client_id)
            .append_pair("redirect_uri", &service.callback_url(&config.name))
            .append_pair("scope", &config.scopes.join(" "))
            .append_pair("state", &flow_state)
            .append_pair("code_challenge", &pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(nonce) = &nonce {
            query.append_pair("nonce", nonce);
        }
        if config.response_mode == ResponseMode::FormPost {
            query.append_pair("response_mode", "form_post");
        }
        for (name, value) in &config.extra_params {
            query.append_pair(name, value);
        }
    }
    Ok(Started {
        authorize_url: url.into(),
        binding,
    })
}

/// The callback: claims the flow, exchanges the code, reads the profile, and signs in,
/// signs up, or links.
pub(super) async fn finish(
    state: &YAuthState,
    service: &Service,
    provider: &str,
    params: &CallbackParams,
    binding: Option<&str>,
    signed_in: Option<Uuid>,
    meta: &RequestMeta,
) -> Result<Finished, ApiError> {
    limits::check_ip(
        state,
        "oauth-callback",
        meta.ip,
        service.config.callback_per_ip,
    )
    .await?;
    let provider = service.provider(provider)?;
    let (Some(flow_state), Some(binding)) = (
        params.state.as_deref(),
        binding.filter(|b| well_formed_binding(b)),
    ) else {
        return Err(invalid_state());
    };
    let key = flow_key(flow_state, binding);
    let repos = state.repos();
    let Some(flow) = repos
        .oauth_states
        .find_oauth_state(&key, Utc::now())
        .await?
    else {
        return Err(invalid_state());
    };
    // One guarded delete: of two uses of one state, one wins; the other finds nothing.
    if !claimed(repos.oauth_states.delete_oauth_state(&key).await?) {
        return Err(invalid_state());
    }
    if flow.provider != provider.config.name {
        return Err(invalid_state());
    }
    if let Some(error) = &params.error {
        // The description is the provider's free text: logged (cut short), never shown.
        tracing::info!(
            provider = %provider.config.name,
            error = %sanitized_code(error),
            description = ?params
                .error_description
                .as_deref()
                .map(|d| d.chars().take(200).collect::<String>()),
            "the provider answered an error"
        );
        return Err(ApiError::bad_request(
            "provider_error",
            format!(
                "the provider did not sign you in: {}",
                sanitized_code(error)
            ),
        ));
    }
    let code = params
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("invalid_request", "the callback has no code"))?;
    let verifier = open_verifier(state, &key, flow.pkce_verifier.as_deref())?;
    let tokens = provider
        .exchange(
            code,
            &service.callback_url(&provider.config.name),
            &verifier,
        )
        .await?;
    let profile = provider.profile(&tokens, flow.nonce.as_deref()).await?;
    let redirect = flow
        .redirect_url
        .clone()
        .unwrap_or_else(|| format!("{}/", service.base_url));
    if let Some(user_id) = flow.link_user_id {
        if signed_in != Some(user_id) {
            return Err(ApiError::forbidden(
                "session_required",
                "linking needs the session that started it: sign in and link again",
            ));
        }
        link_to_user(state, service, provider, user_id, &profile, &tokens, meta).await?;
        return Ok(Finished::Linked { redirect });
    }
    let user = account_for(state, service, provider, &profile, &tokens, meta).await?;
    state
        .emit(
            AuthEvent::OAuthAccountUsed {
                user_id: user.id,
                provider: provider.config.name.clone(),
            },
            meta,
        )
        .await;
    let outcome = sign_in(
        state,
        SignIn {
            user: &user,
            method: NAME,
            grant: Grant::Session { remember_me: false },
            meta,
            second_factor: false,
        },
    )
    .await?;
    Ok(Finished::SignIn { outcome, redirect })
}

fn open_verifier(state: &YAuthState, key: &str, sealed: Option<&str>) -> Result<String, ApiError> {
    let sealed = sealed
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .ok_or_else(invalid_state)?;
    let plain = state
        .sealer()?
        .open(PKCE_PURPOSE, key.as_bytes(), &sealed)
        .map_err(|_| invalid_state())?;
    String::from_utf8(plain.to_vec()).map_err(|_| invalid_state())
}

/// The user a provider sign-in is for: the linked one; else the account of the verified
/// email (linked now); else a new account. Refused without any change when the email is
/// unverified and taken, or unverified and sign-up needs it verified.
async fn account_for(
    state: &YAuthState,
    service: &Service,
    provider: &Provider,
    profile: &Profile,
    tokens: &Tokens,
    meta: &RequestMeta,
) -> Result<User, ApiError> {
    let repos = state.repos();
    let name = &provider.config.name;
    if let Some(account) = repos
        .oauth_accounts
        .find_oauth_account(name, &profile.subject)
        .await?
    {
        let user = repos
            .users
            .get_user(account.user_id)
            .await?
            .ok_or_else(invalid_state)?;
        if !is_banned(&user) {
            store_tokens(state, &account, tokens).await?;
        }
        return Ok(user);
    }
    let email = profile
        .email
        .as_deref()
        .and_then(|e| normalize_email(e).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "email_required",
                "the provider did not share a usable email address",
            )
        })?;
    // Refused before the lookup: the answer to an unverified email must not tell whether
    // the address has an account.
    if !profile.email_verified && !service.config.signup_with_unverified_email {
        return Err(ApiError::bad_request(
            "email_not_verified",
            "the provider has not verified this email address",
        ));
    }
    let user = match repos.users.find_user_by_email(&email).await? {
        Some(user) => {
            let linkable = profile.email_verified
                && service.config.link_verified_emails
                // An admin's account is only ever linked from its own session.
                && user.role != crate::contract::user::ADMIN_ROLE
                && !repos
                    .oauth_accounts
                    .list_user_oauth_accounts(user.id)
                    .await?
                    .iter()
                    .any(|a| a.provider == *name);
            if !linkable {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "email_in_use",
                    "an account with this email exists: sign in to it and link the provider from its settings",
                ));
            }
            if is_banned(&user) {
                return Err(ApiError::forbidden("user_banned", "this account is banned"));
            }
            // The provider proved the mailbox; what an unverified account had may be
            // someone else's (pre-registration) and goes, as with a magic link.
            if user.email_verified {
                user
            } else {
                prove_mailbox(state, user, meta).await?
            }
        }
        None => {
            if !service.config.allow_signup {
                return Err(ApiError::forbidden(
                    "signup_disabled",
                    "new accounts cannot be created with this provider",
                ));
            }
            create_user(state, &email, profile, meta).await?
        }
    };
    insert_link(state, service, provider, &user, profile, tokens, meta).await?;
    Ok(user)
}

/// `POST /oauth/{provider}/link`'s callback: the provider account joins `user_id`.
async fn link_to_user(
    state: &YAuthState,
    service: &Service,
    provider: &Provider,
    user_id: Uuid,
    profile: &Profile,
    tokens: &Tokens,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let user = repos
        .users
        .get_user(user_id)
        .await?
        .ok_or_else(invalid_state)?;
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let name = &provider.config.name;
    match repos
        .oauth_accounts
        .find_oauth_account(name, &profile.subject)
        .await?
    {
        Some(account) if account.user_id == user.id => store_tokens(state, &account, tokens).await,
        Some(_) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "provider_account_in_use",
            "this provider account is linked to another account",
        )),
        None => {
            let linked = repos
                .oauth_accounts
                .list_user_oauth_accounts(user.id)
                .await?;
            if linked.iter().any(|a| a.provider == *name) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "already_linked",
                    "another account of this provider is linked: unlink it first",
                ));
            }
            insert_link(state, service, provider, &user, profile, tokens, meta).await
        }
    }
}

/// A new link, its tokens sealed. A concurrent link of the same provider account ends in
/// the conflict answer.
async fn insert_link(
    state: &YAuthState,
    service: &Service,
    provider: &Provider,
    user: &User,
    profile: &Profile,
    tokens: &Tokens,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let user_id = user.id;
    let sealer = state.sealer()?;
    let account = OauthAccount {
        id,
        user_id,
        provider: provider.config.name.clone(),
        provider_user_id: profile.subject.clone(),
        access_token_enc: Some(sealer.seal(
            ACCESS_PURPOSE,
            id.as_bytes(),
            tokens.access_token.as_bytes(),
        )),
        refresh_token_enc: tokens
            .refresh_token
            .as_deref()
            .map(|t| sealer.seal(REFRESH_PURPOSE, id.as_bytes(), t.as_bytes())),
        expires_at: token_expiry(tokens),
        updated_at: now,
        created_at: now,
    };
    match state
        .repos()
        .oauth_accounts
        .insert_oauth_account(&account)
        .await
    {
        Ok(()) => {}
        Err(RepoError::Conflict(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "provider_account_in_use",
                "this provider account is linked to another account",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(mailer) = &service.config.mailer {
        dispatch(
            mailer,
            super::mail::provider_linked(user.email.clone(), &account.provider),
        );
    }
    state
        .emit(
            AuthEvent::OAuthAccountLinked {
                user_id,
                provider: account.provider,
            },
            meta,
        )
        .await;
    Ok(())
}

fn token_expiry(tokens: &Tokens) -> Option<chrono::DateTime<Utc>> {
    tokens
        .expires_in()
        .map(|secs| expires_after(Utc::now(), std::time::Duration::from_secs(secs)))
}

/// Fresh provider tokens on a known link, sealed; a provider that sent no new refresh token
/// leaves the stored one.
async fn store_tokens(
    state: &YAuthState,
    account: &OauthAccount,
    tokens: &Tokens,
) -> Result<(), ApiError> {
    let sealer = state.sealer()?;
    let context = account.id.as_bytes();
    let access = sealer.seal(ACCESS_PURPOSE, context, tokens.access_token.as_bytes());
    let refresh = match &tokens.refresh_token {
        Some(t) => Some(sealer.seal(REFRESH_PURPOSE, context, t.as_bytes())),
        None => account.refresh_token_enc.clone(),
    };
    state
        .repos()
        .oauth_accounts
        .update_oauth_tokens(
            Some(&access),
            refresh.as_deref(),
            token_expiry(tokens),
            Utc::now(),
            account.id,
        )
        .await?;
    Ok(())
}

/// A new account for a provider's user. A concurrent sign-up of the same address is
/// refused (the other one won).
async fn create_user(
    state: &YAuthState,
    email: &str,
    profile: &Profile,
    meta: &RequestMeta,
) -> Result<User, ApiError> {
    // A name the rules refuse is left out rather than failing the sign-in.
    let name = display_name(profile.name.as_deref()).ok().flatten();
    create_account(state, email, name, profile.email_verified, meta)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "the account was created meanwhile: try again",
            )
        })
}

/// A linked provider, as `GET /oauth/accounts` lists it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct LinkedAccount {
    /// The provider's name.
    pub provider: String,
    /// The provider's id of the user.
    pub provider_user_id: String,
    /// When it was linked.
    pub created_at: chrono::DateTime<Utc>,
}

/// `GET /oauth/accounts`.
pub(super) async fn accounts(
    state: &YAuthState,
    user: &AuthUser,
) -> Result<Vec<LinkedAccount>, ApiError> {
    user.require_account_scope()?;
    Ok(state
        .repos()
        .oauth_accounts
        .list_user_oauth_accounts(user.id)
        .await?
        .into_iter()
        .map(|a| LinkedAccount {
            provider: a.provider,
            provider_user_id: a.provider_user_id,
            created_at: a.created_at,
        })
        .collect())
}

/// `DELETE /oauth/{provider}`: refused (400 `last_login_method`) when the user would have
/// no password, passkey or other provider left. The mailbox alone (a magic link, a password
/// reset) does not count: it is recovery, not a way the user chose to sign in.
pub(super) async fn unlink(
    state: &YAuthState,
    user: &AuthUser,
    provider: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    user.require_credential_owner()?;
    let repos = state.repos();
    let linked = repos
        .oauth_accounts
        .list_user_oauth_accounts(user.id)
        .await?;
    if !linked.iter().any(|a| a.provider == provider) {
        return Err(ApiError::not_found("this provider is not linked"));
    }
    let others = linked.iter().any(|a| a.provider != provider);
    // A password or passkey counts only while its plugin is on (and only then has its
    // table in an application that migrated the plugins it uses).
    let enabled = state.plugin_names();
    let password = enabled.contains(&"email-password")
        && repos.passwords.get_password(user.id).await?.is_some();
    let passkeys = enabled.contains(&"passkey")
        && repos
            .webauthn_credentials
            .count_user_webauthn_credentials(user.id)
            .await?
            > 0;
    if !(others || password || passkeys) {
        return Err(ApiError::bad_request(
            "last_login_method",
            "this is the account's only way to sign in: set a password or add a passkey first",
        ));
    }
    repos
        .oauth_accounts
        .delete_user_oauth_account(user.id, provider)
        .await?;
    state
        .emit(
            AuthEvent::OAuthAccountUnlinked {
                user_id: user.id,
                provider: provider.to_owned(),
            },
            meta,
        )
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_cookies_are_what_new_token_makes() {
        assert!(well_formed_binding(&new_token()));
        assert!(!well_formed_binding("short"));
        assert!(!well_formed_binding(&"a;".repeat(22)[..43]));
    }
}
