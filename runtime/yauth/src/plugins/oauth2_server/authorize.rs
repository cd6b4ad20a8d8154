//! The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2) and the consent
//! decision.
//!
//! A request is checked in two stages. First the client and the redirect URI: an error
//! there is shown (400), never redirected, since the redirect URI is not trusted yet. Then
//! everything else: an error there goes back to the redirect URI with `error`, `state` and
//! `iss`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Service;
use super::clients::{ClientExt, scopes_within};
use super::wire::{Form, OAuthError};
use crate::contract::error::ApiError;
use crate::contract::event::{AuthEvent, RequestMeta};
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser};
use crate::entity::{AuthorizationCode, Consent, Oauth2Client};
use crate::kit::token::{Issued, constant_time_eq};

/// The longest `state` or `nonce` kept, in bytes.
const MAX_STATE: usize = 1024;
const MAX_NONCE: usize = 255;
/// How recent a sign-in must be after the login page was asked for one (`prompt=login`).
const LOGIN_AFTER: &str = "login_after";

/// Where an authorization request goes back to: its client, checked redirect URI and state.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub client: Oauth2Client,
    pub redirect_uri: String,
    pub state: Option<String>,
}

/// The parameters of an authorization request (a query string, or the consent body).
#[derive(Debug, Default, Clone)]
pub(super) struct Params {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub login_after: Option<String>,
    /// OpenID Connect request objects, which are not supported (refused, never ignored).
    pub request: bool,
    pub request_uri: bool,
}

impl Params {
    pub(super) fn from_form(form: &Form) -> Self {
        let get = |name: &str| form.get(name).map(str::to_string);
        Params {
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            response_type: get("response_type"),
            response_mode: get("response_mode"),
            scope: get("scope"),
            state: get("state"),
            nonce: get("nonce"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
            prompt: get("prompt"),
            max_age: get("max_age"),
            login_hint: get("login_hint"),
            login_after: get(LOGIN_AFTER),
            request: form.get("request").is_some(),
            request_uri: form.get("request_uri").is_some(),
        }
    }

    /// The request as a query string, in a fixed order, with `prompt` and `max_age` as
    /// given (`None` drops them) and `login_after` added when given.
    fn query(&self, prompt: Option<&str>, login_after: Option<&str>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("response_type", self.response_type.as_deref()),
            ("client_id", self.client_id.as_deref()),
            ("redirect_uri", self.redirect_uri.as_deref()),
            ("scope", self.scope.as_deref()),
            ("state", self.state.as_deref()),
            ("nonce", self.nonce.as_deref()),
            ("code_challenge", self.code_challenge.as_deref()),
            (
                "code_challenge_method",
                self.code_challenge_method.as_deref(),
            ),
            ("response_mode", self.response_mode.as_deref()),
            ("prompt", prompt),
            ("max_age", self.max_age.as_deref()),
            ("login_hint", self.login_hint.as_deref()),
            (LOGIN_AFTER, login_after),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }
}

/// What was asked, once checked.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub prompt_consent: bool,
    pub max_age: Option<i64>,
}

/// Why a request stops.
#[derive(Debug)]
pub(super) enum Refusal {
    /// Shown to the user agent (400): the client or the redirect URI is wrong.
    Show(OAuthError),
    /// Sent back to the client: this URL.
    Redirect(String),
}

/// The first stage: the client exists and may use the code grant, and the redirect URI is
/// one of its own (or its only one, when the request names none).
pub(super) async fn target(state: &YAuthState, params: &Params) -> Result<Target, OAuthError> {
    let Some(client_id) = params.client_id.as_deref() else {
        return Err(OAuthError::invalid_request("`client_id` is required"));
    };
    let Some(client) = state
        .repos()
        .oauth2_clients
        .find_oauth2_client(client_id)
        .await?
    else {
        return Err(OAuthError::bad("invalid_client", "unknown client"));
    };
    let registered = client.redirect_uris();
    let redirect_uri = match params.redirect_uri.as_deref() {
        Some(uri) if registered.iter().any(|r| r == uri) => uri.to_string(),
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "`redirect_uri` is not registered for this client",
            ));
        }
        None if registered.len() == 1 => registered[0].clone(),
        None => return Err(OAuthError::invalid_request("`redirect_uri` is required")),
    };
    Ok(Target {
        client,
        redirect_uri,
        state: params.state.clone().filter(|s| s.len() <= MAX_STATE),
    })
}

/// The client's redirect URI with `pairs`, `state` and `iss` added to its query.
pub(super) fn back_to_client(service: &Service, target: &Target, pairs: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(&target.redirect_uri) {
        Ok(url) => url,
        // Registered URIs were parsed at registration.
        Err(_) => return target.redirect_uri.clone(),
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(state) = &target.state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &service.issuer);
    }
    url.into()
}

/// An error sent back to the client.
pub(super) fn error_to_client(
    service: &Service,
    target: &Target,
    error: &str,
    description: &str,
) -> Refusal {
    Refusal::Redirect(back_to_client(
        service,
        target,
        &[("error", error), ("error_description", description)],
    ))
}

/// The second stage: everything but the client and redirect URI.
pub(super) fn check(
    service: &Service,
    target: &Target,
    params: &Params,
) -> Result<Checked, Refusal> {
    let refuse =
        |error: &str, description: &str| error_to_client(service, target, error, description);
    if params.state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        return Err(refuse("invalid_request", "`state` is too long"));
    }
    if params.request {
        return Err(refuse(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if params.request_uri {
        return Err(refuse(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    if params
        .response_mode
        .as_deref()
        .is_some_and(|m| m != "query")
    {
        return Err(refuse("invalid_request", "the only response_mode is query"));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(refuse("invalid_request", "`response_type` is required")),
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "the only response_type is code",
            ));
        }
    }
    if !target.client.may_use("authorization_code") {
        return Err(refuse(
            "unauthorized_client",
            "the client is not registered for the authorization_code grant",
        ));
    }
    let allowed: Vec<String> = target
        .client
        .allowed_scopes()
        .into_iter()
        .filter(|s| service.config.scopes_supported.contains(s))
        .collect();
    let Some(scopes) = scopes_within(params.scope.as_deref().unwrap_or(""), &allowed) else {
        return Err(refuse(
            "invalid_scope",
            "a requested scope is unknown or not allowed for this client",
        ));
    };
    match params.code_challenge_method.as_deref() {
        Some("S256") => {}
        Some("plain") => {
            return Err(refuse(
                "invalid_request",
                "the plain PKCE method is refused: use S256",
            ));
        }
        _ => {
            return Err(refuse(
                "invalid_request",
                "PKCE is required: code_challenge_method must be S256",
            ));
        }
    }
    let code_challenge = match params.code_challenge.as_deref() {
        Some(c) if c.len() == 43 && c.bytes().all(is_base64url) => c.to_string(),
        _ => {
            return Err(refuse(
                "invalid_request",
                "code_challenge must be the 43-character base64url SHA-256 of the verifier",
            ));
        }
    };
    if params.nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE) {
        return Err(refuse("invalid_request", "`nonce` is too long"));
    }
    let mut checked = Checked {
        scopes,
        nonce: params.nonce.clone(),
        code_challenge,
        prompt_none: false,
        prompt_login: false,
        prompt_consent: false,
        max_age: None,
    };
    for prompt in params.prompt.as_deref().unwrap_or("").split(' ') {
        match prompt {
            "" | "select_account" => {}
            "none" => checked.prompt_none = true,
            "login" => checked.prompt_login = true,
            "consent" => checked.prompt_consent = true,
            _ => return Err(refuse("invalid_request", "an unknown prompt value")),
        }
    }
    if checked.prompt_none && (checked.prompt_login || checked.prompt_consent) {
        return Err(refuse(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        ));
    }
    if let Some(max_age) = params.max_age.as_deref() {
        match max_age.parse::<u32>() {
            Ok(seconds) => checked.max_age = Some(i64::from(seconds)),
            Err(_) => {
                return Err(refuse(
                    "invalid_request",
                    "max_age must be a non-negative number of seconds",
                ));
            }
        }
    }
    Ok(checked)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// `login_after` values: `<unix microseconds>.<MAC>`, so that only this server can say "a
/// sign-in after this moment is needed".
fn login_after_mac(state: &YAuthState, micros: i64) -> Result<String, ApiError> {
    let mac = state
        .sealer()?
        .derive("oauth2-login-after", micros.to_string().as_bytes());
    Ok(crate::kit::token::hex(&mac[..16]))
}

fn signed_login_after(state: &YAuthState, micros: i64) -> Result<String, ApiError> {
    Ok(format!("{micros}.{}", login_after_mac(state, micros)?))
}

/// The moment a `login_after` value names, when its MAC is this server's.
fn verified_login_after(state: &YAuthState, value: &str) -> Option<i64> {
    let (seconds, mac) = value.split_once('.')?;
    let seconds: i64 = seconds.parse().ok()?;
    let expected = login_after_mac(state, seconds).ok()?;
    constant_time_eq(expected.as_bytes(), mac.as_bytes()).then_some(seconds)
}

/// The user of a session that may authorize clients: signed in with a session cookie, not
/// an admin's impersonation. With when they signed in.
async fn session_user(
    state: &YAuthState,
    caller: Option<&AuthUser>,
) -> Result<Option<(AuthUser, DateTime<Utc>)>, ApiError> {
    let Some(caller) = caller else {
        return Ok(None);
    };
    if caller.auth_method != AuthMethod::Session || caller.impersonated_by.is_some() {
        return Ok(None);
    }
    let Some(session_id) = caller.session_id else {
        return Ok(None);
    };
    let Some(session) = state.repos().sessions.get_session(session_id).await? else {
        return Ok(None);
    };
    Ok(Some((caller.clone(), session.created_at)))
}

/// `GET /oauth/authorize`: where the user agent goes next.
pub(super) async fn authorize(
    state: &YAuthState,
    service: &Service,
    params: &Params,
    caller: Option<&AuthUser>,
    meta: &RequestMeta,
) -> Result<String, Refusal> {
    let target = target(state, params).await.map_err(Refusal::Show)?;
    let checked = check(service, &target, params)?;
    let internal =
        |_: ApiError| error_to_client(service, &target, "server_error", "try again later");
    let now = Utc::now();
    let signed_in = session_user(state, caller).await.map_err(internal)?;
    // A sign-in is needed: none yet, one older than max_age, prompt=login, or none since the
    // login page was asked for one (`login_after`, which the way back carries instead of
    // prompt=login).
    let floor = params
        .login_after
        .as_deref()
        .and_then(|v| verified_login_after(state, v));
    let fresh_enough = |auth_time: DateTime<Utc>| {
        let age = (now - auth_time).num_seconds();
        checked.max_age.is_none_or(|max| age <= max)
            && floor.is_none_or(|after| auth_time.timestamp_micros() >= after)
            && !checked.prompt_login
    };
    let (user, auth_time) = match signed_in {
        Some((user, auth_time)) if fresh_enough(auth_time) => (user, auth_time),
        _ if checked.prompt_none => {
            return Err(error_to_client(
                service,
                &target,
                "login_required",
                "the user is not signed in",
            ));
        }
        _ => {
            // Come back without prompt=login, with a floor the new sign-in passes.
            let after = signed_login_after(state, now.timestamp_micros()).map_err(internal)?;
            let prompt = params
                .prompt
                .as_deref()
                .map(|p| {
                    p.split(' ')
                        .filter(|v| *v != "login")
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|p| !p.is_empty());
            let return_to = format!(
                "{}?{}",
                service.endpoint("/oauth/authorize"),
                params.query(prompt.as_deref(), Some(&after))
            );
            let mut login = url::form_urlencoded::Serializer::new(String::new());
            login.append_pair("return_to", &return_to);
            if let Some(hint) = &params.login_hint {
                login.append_pair("login_hint", hint);
            }
            return Ok(with_query(&service.login_url, &login.finish()));
        }
    };
    let consent = state
        .repos()
        .consents
        .find_consent(user.id, &target.client.client_id)
        .await
        .map_err(|e| internal(e.into()))?;
    let consented = consent.is_some_and(|c| {
        let granted: Vec<String> = c
            .scopes
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        checked.scopes.iter().all(|s| granted.contains(s))
    });
    if !consented || checked.prompt_consent {
        if checked.prompt_none {
            return Err(error_to_client(
                service,
                &target,
                "consent_required",
                "the user has not consented to these scopes for this client",
            ));
        }
        let mut forward = params.clone();
        forward.redirect_uri = Some(target.redirect_uri.clone());
        forward.scope = Some(checked.scopes.join(" "));
        forward.max_age = None;
        forward.login_hint = None;
        return Ok(with_query(&service.consent_url, &forward.query(None, None)));
    }
    issue_code(state, service, &target, &checked, user.id, auth_time, meta)
        .await
        .map_err(internal)
}

/// `url` with `query` appended (`?` or `&`).
fn with_query(url: &str, query: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}{query}")
}

/// Stores a code for `user_id` and answers the redirect that carries it.
async fn issue_code(
    state: &YAuthState,
    service: &Service,
    target: &Target,
    checked: &Checked,
    user_id: Uuid,
    auth_time: DateTime<Utc>,
    meta: &RequestMeta,
) -> Result<String, ApiError> {
    let code = Issued::new(super::CODE_TTL);
    state
        .repos()
        .authorization_codes
        .insert_authorization_code(&AuthorizationCode {
            id: Uuid::now_v7(),
            code_hash: code.hash,
            client_id: target.client.client_id.clone(),
            user_id,
            scopes: Some(serde_json::json!(checked.scopes)),
            redirect_uri: target.redirect_uri.clone(),
            code_challenge: checked.code_challenge.clone(),
            code_challenge_method: "S256".into(),
            nonce: checked.nonce.clone(),
            auth_time: Some(auth_time),
            expires_at: code.expires_at,
            used: false,
            created_at: code.created_at,
        })
        .await?;
    state
        .emit(
            AuthEvent::OAuthCodeIssued {
                user_id,
                client_id: target.client.client_id.clone(),
            },
            meta,
        )
        .await;
    Ok(back_to_client(service, target, &[("code", &code.plain)]))
}

/// `POST /oauth/authorize`: the user's decision on the consent page. Answers the URL to
/// send the browser to (the client's, with a code or `access_denied`); an unknown client or
/// redirect URI is 400 and sends nowhere.
pub(super) async fn decide(
    state: &YAuthState,
    service: &Service,
    params: &Params,
    approved: bool,
    caller: &AuthUser,
    meta: &RequestMeta,
) -> Result<String, ApiError> {
    let target = target(state, params)
        .await
        .map_err(|e| ApiError::bad_request(e.error, e.description))?;
    let checked = match check(service, &target, params) {
        Ok(checked) => checked,
        Err(Refusal::Redirect(url)) => return Ok(url),
        Err(Refusal::Show(e)) => return Err(ApiError::bad_request(e.error, e.description)),
    };
    let Some((user, auth_time)) = session_user(state, Some(caller)).await? else {
        return Err(ApiError::forbidden(
            "forbidden",
            "clients are authorized from the user's own signed-in session",
        ));
    };
    if !approved {
        return Ok(back_to_client(
            service,
            &target,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied the request"),
            ],
        ));
    }
    let repos = state.repos();
    let client_id = target.client.client_id.clone();
    let mut granted: Vec<String> = repos
        .consents
        .find_consent(user.id, &client_id)
        .await?
        .and_then(|c| c.scopes)
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    for scope in &checked.scopes {
        if !granted.contains(scope) {
            granted.push(scope.clone());
        }
    }
    repos
        .consents
        .upsert_consent(&Consent {
            id: Uuid::now_v7(),
            user_id: user.id,
            client_id: client_id.clone(),
            scopes: Some(serde_json::json!(granted)),
            created_at: Utc::now(),
        })
        .await?;
    state
        .emit(
            AuthEvent::OAuthConsentGranted {
                user_id: user.id,
                client_id,
                scopes: granted,
            },
            meta,
        )
        .await;
    issue_code(state, service, &target, &checked, user.id, auth_time, meta).await
}
