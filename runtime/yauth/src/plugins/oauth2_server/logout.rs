//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): a relying party sends the
//! user here with the id_token it holds; the session of that user ends, and the browser goes
//! back to a logout redirect URI the client registered.

use serde::{Deserialize, Serialize};

use super::Service;
use super::clients::ClientExt;
use super::wire::{Form, OAuthError};
use crate::contract::event::{AuthEvent, RequestMeta};
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser};

/// The claims read from an `id_token_hint`.
#[derive(Debug, Deserialize)]
struct Hint {
    sub: String,
    aud: String,
}

/// How a logout ends.
#[derive(Debug)]
pub(super) struct Ended {
    /// The client's logout redirect URI (with `state`), when it named a registered one.
    pub redirect: Option<String>,
    /// Whether a session ended here (its cookie is removed).
    pub signed_out: bool,
}

/// The answer when there is nowhere to go back to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SignedOut {
    /// Whether the user's session ended.
    pub signed_out: bool,
}

/// The logout request: the hint must be an id_token of this issuer (expired ones too, as
/// the specification allows); the session ends only when it is the hint's user's.
pub(super) async fn end_session(
    state: &YAuthState,
    service: &Service,
    params: &Form,
    caller: Option<&AuthUser>,
    meta: &RequestMeta,
) -> Result<Ended, OAuthError> {
    let Some(hint) = params.get("id_token_hint") else {
        return Err(OAuthError::invalid_request(
            "`id_token_hint` is required: the id_token the client holds for the user",
        ));
    };
    let sealer = state.sealer()?;
    let hint: Hint = state
        .signing_keys()
        .verify(state.repos(), sealer, hint, "JWT", &service.hint_validation)
        .await
        .map_err(|_| {
            OAuthError::invalid_request("`id_token_hint` is not an id_token of this issuer")
        })?;
    if params.get("client_id").is_some_and(|id| id != hint.aud) {
        return Err(OAuthError::invalid_request(
            "`client_id` is not the id_token's audience",
        ));
    }
    let client = state
        .repos()
        .oauth2_clients
        .find_oauth2_client(&hint.aud)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("the id_token's client is gone"))?;
    // Checked before anything ends: a wrong URI is shown, never followed.
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri)
            if client
                .stored()
                .post_logout_redirect_uris
                .iter()
                .any(|r| r == uri) =>
        {
            let mut url = url::Url::parse(uri).map_err(|_| {
                OAuthError::invalid_request("`post_logout_redirect_uri` is not a URL")
            })?;
            if let Some(value) = params.get("state") {
                url.query_pairs_mut().append_pair("state", value);
            }
            Some(String::from(url))
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "`post_logout_redirect_uri` is not registered for this client",
            ));
        }
    };
    let mut signed_out = false;
    if let Some(caller) = caller
        && caller.auth_method == AuthMethod::Session
        && caller.id.to_string() == hint.sub
        && let Some(session_id) = caller.session_id
    {
        state.repos().sessions.delete_session(session_id).await?;
        state
            .emit(
                AuthEvent::Logout {
                    user_id: caller.id,
                    session_id,
                },
                meta,
            )
            .await;
        signed_out = true;
    }
    Ok(Ended {
        redirect,
        signed_out,
    })
}
