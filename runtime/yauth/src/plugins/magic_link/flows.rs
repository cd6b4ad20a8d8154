//! Sending and verifying sign-in links; no HTTP types beyond the error and the sign-in
//! outcome.

use axum::http::StatusCode;
use chrono::Utc;
use uuid::Uuid;

use super::{NAME, Service, mail};
use crate::contract::error::ApiError;
use crate::contract::event::AuthEvent;
use crate::contract::state::YAuthState;
use crate::contract::user::is_banned;
use crate::entity::{MagicLink, User};
use crate::kit::limits;
use crate::kit::mail::{dispatch, per_address_allowed, token_link};
use crate::kit::request::RequestMeta;
use crate::kit::session::prove_mailbox;
use crate::kit::sign_in::{Grant, SignIn, SignInOutcome, create_account, sign_in};
use crate::kit::token::{Issued, TokenHash};
use crate::kit::validate::normalize_email;

/// `POST /magic-link/send`: checks the IP's budget and the address's form, then answers;
/// the rest runs in a task of its own.
pub(super) async fn send(
    state: &YAuthState,
    service: &std::sync::Arc<Service>,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    limits::check_ip(
        state,
        "magic-link-send",
        meta.ip,
        service.config.send_per_ip,
    )
    .await?;
    let email = normalize_email(email)?;
    let (state, service, meta) = (state.clone(), service.clone(), meta.clone());
    tokio::spawn(async move {
        if let Err(e) = send_link(&state, &service, &email, &meta).await {
            tracing::error!(error = %e.message, "could not send a magic link");
        }
    });
    Ok(())
}

/// Mails a new link (the address's earlier ones stop working), unless the address's budget
/// is spent or it has no account and sign-up is off.
async fn send_link(
    state: &YAuthState,
    service: &Service,
    email: &str,
    client: &RequestMeta,
) -> Result<(), ApiError> {
    let repos = state.repos();
    let known = repos.users.find_user_by_email(email).await?.is_some();
    if !known && !service.config.allow_signup {
        return Ok(());
    }
    if !per_address_allowed(state, email, service.config.send_per_email).await? {
        return Ok(());
    }
    repos.magic_links.delete_email_magic_links(email).await?;
    let token = Issued::new(service.config.link_ttl);
    repos
        .magic_links
        .insert_magic_link(&MagicLink {
            id: Uuid::now_v7(),
            email: email.to_string(),
            token_hash: token.hash.clone(),
            expires_at: token.expires_at,
            used: false,
            created_at: token.created_at,
        })
        .await?;
    let link = token_link(state, "magic-link", &token.plain);
    let minutes = service.config.link_ttl.as_secs().div_ceil(60);
    dispatch(
        &service.mailer,
        mail::sign_in_link(email.to_string(), &link, minutes),
    );
    state
        .emit(
            AuthEvent::MagicLinkSent {
                email: email.to_string(),
            },
            client,
        )
        .await;
    Ok(())
}

fn invalid_token() -> ApiError {
    ApiError::bad_request("invalid_token", "the link is invalid, used or expired")
}

/// `POST /magic-link/verify`: claims the link, finds or (with `allow_signup`) creates the
/// account, marks the email verified, and signs the owner in.
pub(super) async fn verify(
    state: &YAuthState,
    service: &Service,
    token: &str,
    meta: &RequestMeta,
) -> Result<SignInOutcome, ApiError> {
    limits::check_ip(
        state,
        "magic-link-verify",
        meta.ip,
        service.config.verify_per_ip,
    )
    .await?;
    let repos = state.repos();
    let hash = TokenHash::of(token);
    let Some(link) = repos
        .magic_links
        .find_magic_link(hash.as_str(), Utc::now())
        .await?
    else {
        return Err(invalid_token());
    };
    if !repos.magic_links.claim_magic_link(link.id).await? {
        return Err(invalid_token());
    }
    let user = match repos.users.find_user_by_email(&link.email).await? {
        Some(user) => user,
        None if service.config.allow_signup => create_user(state, &link.email, meta).await?,
        None => return Err(invalid_token()),
    };
    // Refused before anything about the account changes.
    if is_banned(&user) {
        return Err(ApiError::forbidden("user_banned", "this account is banned"));
    }
    let user = if user.email_verified {
        user
    } else {
        prove_mailbox(state, user, meta).await?
    };
    state
        .emit(AuthEvent::MagicLinkVerified { user_id: user.id }, meta)
        .await;
    sign_in(
        state,
        SignIn {
            user: &user,
            method: NAME,
            grant: Grant::Session { remember_me: false },
            meta,
            second_factor: false,
        },
    )
    .await
}

/// A new account for `email` (already verified by the link). A concurrent sign-up of the
/// same address ends with the account it created.
async fn create_user(
    state: &YAuthState,
    email: &str,
    meta: &RequestMeta,
) -> Result<User, ApiError> {
    if let Some(user) = create_account(state, email, None, true, meta).await? {
        return Ok(user);
    }
    state
        .repos()
        .users
        .find_user_by_email(email)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "conflict", "try again"))
}
