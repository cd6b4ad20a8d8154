//! The HTTP surface of the authorization server: bodies, OpenAPI descriptions and thin
//! handlers over the flows.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::authorize::{self, Params, Refusal};
use super::clients::{self, ClientMetadata, RegisteredClient};
use super::device::{self, DeviceAuthorization, PendingDevice};
use super::logout::{self, SignedOut};
use super::metadata::{self, ServerMetadata};
use super::tokens::{self, Introspection, TokenResponse, UserInfo};
use super::wire::{Form, InvalidClient, OAuthError, OAuthErrorBody, OAuthRateLimited};
use super::{ClientRegistration, Service, SigningAlgorithm};
use crate::contract::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthUser, OptionalAuthUser};
use crate::kit::limits;
use crate::kit::openapi::{RateLimited, Unauthorized};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::no_store;
use crate::kit::token::constant_time_eq;

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// The authorization endpoint (a browser navigation: it reads the session cookie).
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    let oidc = service.oidc().is_some();
    let mut routes = PluginRouter::new().routes(routes!(authorize_get));
    if oidc {
        routes = routes.routes(routes!(end_session));
    }
    routes.with_state(PluginState::new(state, service))
}

/// The consent decision (the user's own session).
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(consent))
        .routes(routes!(device_lookup, device_decide))
        .with_state(PluginState::new(state, service))
}

/// What clients call with their own credentials, from any origin.
pub(super) fn cross_origin(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    let oidc = service.oidc().is_some();
    let mut routes = PluginRouter::new()
        .routes(routes!(register))
        .routes(routes!(token))
        .routes(routes!(introspect))
        .routes(routes!(revoke))
        .routes(routes!(device_code))
        .routes(routes!(server_metadata))
        .routes(routes!(jwks));
    if oidc {
        routes = routes
            .routes(routes!(openid_configuration))
            .routes(routes!(userinfo_get, userinfo_post));
    }
    routes.with_state(PluginState::new(state, service))
}

/// RFC 8414 §3.1: for an issuer with a path, the metadata at the host's root,
/// `/.well-known/oauth-authorization-server<issuer path>`.
pub(super) fn root(_state: &YAuthState, service: Arc<Service>) -> Option<axum::Router> {
    let issuer = url::Url::parse(&service.issuer).ok()?;
    let path = issuer.path().trim_end_matches('/').to_string();
    if path.is_empty() {
        return None;
    }
    let document = Arc::new(metadata::document(&service));
    Some(axum::Router::new().route(
        &format!("/.well-known/oauth-authorization-server{path}"),
        axum::routing::get(move || {
            let document = document.clone();
            async move { Json(document.as_ref().clone()).into_response() }
        }),
    ))
}

/// The JSON answer of a client endpoint (never cached), or its OAuth error.
fn answer<T: Serialize>(result: Result<T, OAuthError>) -> Response {
    match result {
        Ok(body) => no_store(Json(body).into_response()),
        Err(e) => e.into_response(),
    }
}

/// A 302 to `url`, never cached (it may carry a code).
fn found(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => (
            StatusCode::FOUND,
            [
                (LOCATION, location),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The parameters of the authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core
/// §3.1.2.1). Each at most once.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "describes the query in the OpenAPI document only")]
struct AuthorizeQuery {
    /// `code`.
    response_type: Option<String>,
    /// The registered client.
    client_id: Option<String>,
    /// One of the client's registered redirect URIs (may be left out when it has one).
    redirect_uri: Option<String>,
    /// Space-separated scopes.
    scope: Option<String>,
    /// Returned unchanged with the answer.
    state: Option<String>,
    /// Returned in the id_token.
    nonce: Option<String>,
    /// The base64url SHA-256 of the PKCE verifier (43 characters).
    code_challenge: Option<String>,
    /// `S256` (`plain` is refused).
    code_challenge_method: Option<String>,
    /// `none`, `login`, `consent` (space-separated).
    prompt: Option<String>,
    /// The oldest sign-in accepted, in seconds.
    max_age: Option<u32>,
    /// Passed on to the login page.
    login_hint: Option<String>,
    /// `query`, the only mode.
    response_mode: Option<String>,
}

#[utoipa::path(
    get,
    path = "/oauth/authorize",
    tag = "oauth2Server",
    operation_id = "oauth2Authorize",
    summary = "Start an authorization (a browser navigation)",
    description = "Checks the client and the redirect URI first: an unknown client or an unregistered redirect URI is answered with 400 and never redirected. Then redirects: to the login page (`return_to`, `login_hint`) without a fresh enough session; to the consent page (the request's parameters) without consent to these scopes; otherwise to the client's redirect URI with `code`, `state` and `iss`. Any other error goes to the redirect URI as `error`, `error_description`, `state` and `iss`.",
    params(AuthorizeQuery),
    responses(
        (status = 302, description = "To the login page, the consent page, or the client (with a code or an error)",
            headers(("Location" = String, description = "Where to go next"))),
        (status = 400, description = "`invalid_request` (a missing or unregistered `redirect_uri`, a repeated parameter) or `invalid_client` (unknown client); no redirect", body = OAuthErrorBody),
        (status = 403, description = "`user_banned`: the session's user is banned", body = ErrorBody),
    )
)]
async fn authorize_get(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    OptionalAuthUser(caller): OptionalAuthUser,
    meta: RequestMeta,
    RawQuery(query): RawQuery,
) -> Response {
    let form = match Form::parse(query.unwrap_or_default().as_bytes()) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let params = Params::from_form(&form);
    match authorize::authorize(&state, &service, &params, caller.as_ref(), &meta).await {
        Ok(url) | Err(Refusal::Redirect(url)) => found(&url),
        Err(Refusal::Show(e)) => e.into_response(),
    }
}

/// The parameters of RP-initiated logout.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "describes the query in the OpenAPI document only")]
struct LogoutQuery {
    /// An id_token this issuer gave the client (expired ones too): whose session to end.
    id_token_hint: Option<String>,
    /// One of the client's registered `post_logout_redirect_uris`.
    post_logout_redirect_uri: Option<String>,
    /// Returned with the redirect.
    state: Option<String>,
    /// The client (the id_token's audience).
    client_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/oauth/logout",
    tag = "oidc",
    operation_id = "oidcEndSession",
    summary = "End the user's session for a relying party (RP-initiated logout)",
    description = "The session ends when it belongs to the `id_token_hint`'s user (the cookie is removed). Then a 302 to `post_logout_redirect_uri` (with `state`) when it is one the client registered, else 200 `{ signed_out }`. An unregistered redirect URI or a hint that is no id_token of this issuer is 400, and nothing ends.",
    params(LogoutQuery),
    responses(
        (status = 302, description = "Back to the client", headers(("Location" = String, description = "The registered logout redirect URI"))),
        (status = 200, description = "Nowhere to go back to", body = SignedOut),
        (status = 400, description = "`invalid_request`: no or a foreign `id_token_hint`, an unregistered `post_logout_redirect_uri`, a repeated parameter", body = OAuthErrorBody),
        (status = 403, description = "`user_banned`: the session's user is banned", body = ErrorBody),
    )
)]
async fn end_session(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    OptionalAuthUser(caller): OptionalAuthUser,
    meta: RequestMeta,
    RawQuery(query): RawQuery,
) -> Response {
    let ended = match Form::parse(query.unwrap_or_default().as_bytes()) {
        Ok(form) => logout::end_session(&state, &service, &form, caller.as_ref(), &meta).await,
        Err(e) => Err(e),
    };
    let ended = match ended {
        Ok(ended) => ended,
        Err(e) => return e.into_response(),
    };
    let mut response = match &ended.redirect {
        Some(url) => found(url),
        None => no_store(
            Json(SignedOut {
                signed_out: ended.signed_out,
            })
            .into_response(),
        ),
    };
    if ended.signed_out {
        let removal = crate::kit::session::removal_cookie(&state.config().cookie);
        match HeaderValue::from_str(&removal.to_string()) {
            Ok(value) => {
                response
                    .headers_mut()
                    .append(axum::http::header::SET_COOKIE, value);
            }
            Err(e) => return ApiError::internal(e).into_response(),
        }
    }
    response
}

/// The consent page's decision: the authorization request it was given, and the answer.
#[derive(Deserialize, utoipa::ToSchema)]
struct ConsentBody {
    client_id: String,
    redirect_uri: Option<String>,
    response_type: String,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// `true` to allow, `false` to deny.
    approved: bool,
}

/// Where the browser goes after the consent decision.
#[derive(Serialize, utoipa::ToSchema)]
struct ConsentAnswer {
    /// The client's redirect URI with `code` (or `error=access_denied`), `state` and `iss`.
    redirect_to: String,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

#[utoipa::path(
    post,
    path = "/oauth/authorize",
    tag = "oauth2Server",
    operation_id = "oauth2Consent",
    summary = "Allow or deny a client (the consent page)",
    description = "Takes the authorization request the consent page was sent with, and `approved`. Approval is remembered for the user, the client and these scopes. Answers where to send the browser: the client's redirect URI with a code, or with `error=access_denied` (or the request's own error).",
    request_body = ConsentBody,
    security(("session" = [])),
    responses(
        (status = 200, description = "Where to go", body = ConsentAnswer),
        (status = 400, description = "`invalid_client` (unknown client), `invalid_request` (an unregistered `redirect_uri`, a malformed body)", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: not the user's own session (a token, an API key, an impersonation)", body = ErrorBody),
    )
)]
async fn consent(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ConsentBody>,
) -> Result<Json<ConsentAnswer>, ApiError> {
    let params = Params {
        client_id: Some(body.client_id),
        redirect_uri: non_empty(body.redirect_uri),
        response_type: Some(body.response_type),
        scope: non_empty(body.scope),
        state: non_empty(body.state),
        nonce: non_empty(body.nonce),
        code_challenge: non_empty(body.code_challenge),
        code_challenge_method: non_empty(body.code_challenge_method),
        ..Params::default()
    };
    let redirect_to =
        authorize::decide(&state, &service, &params, body.approved, &caller, &meta).await?;
    Ok(Json(ConsentAnswer { redirect_to }))
}

#[utoipa::path(
    post,
    path = "/oauth/register",
    tag = "oauth2Server",
    operation_id = "oauth2Register",
    summary = "Register a client (RFC 7591)",
    description = "Open, behind an initial access token (`Authorization: Bearer`), or off, as configured. A confidential client's `client_secret` is in this answer only.",
    request_body = ClientMetadata,
    responses(
        (status = 201, description = "Registered", body = RegisteredClient),
        (status = 400, description = "`invalid_redirect_uri` or `invalid_client_metadata`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_token`: the initial access token is missing or wrong", body = OAuthErrorBody),
        (status = 403, description = "`access_denied`: registration is off", body = OAuthErrorBody),
        OAuthRateLimited,
    )
)]
async fn register(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Result<bytes::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    // An oversized body (413) answers in RFC 7591's error shape too.
    let body = match body {
        Ok(body) => body,
        Err(r) => {
            return OAuthError::new(r.status(), "invalid_request", "the body could not be read")
                .into_response();
        }
    };
    match registered(&state, &service, &meta, &headers, &body).await {
        Ok(client) => no_store((StatusCode::CREATED, Json(client)).into_response()),
        Err(e) => e.into_response(),
    }
}

async fn registered(
    state: &YAuthState,
    service: &Service,
    meta: &RequestMeta,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<RegisteredClient, OAuthError> {
    // Counted before the initial access token is compared: guesses are limited too.
    limits::check_ip(
        state,
        "oauth-register",
        meta.ip,
        service.config.rate_limits.register_per_ip,
    )
    .await?;
    match &service.config.registration {
        ClientRegistration::Off => {
            return Err(OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                "client registration is off",
            ));
        }
        ClientRegistration::Open => {}
        ClientRegistration::InitialAccessToken(expected) => {
            let presented = headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim())
                .unwrap_or("");
            if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
                return Err(OAuthError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "registration needs the initial access token",
                ));
            }
        }
    }
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json || body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(OAuthError::bad(
            "invalid_client_metadata",
            "the body must be a JSON object (`Content-Type: application/json`)",
        ));
    }
    let metadata: ClientMetadata = serde_json::from_slice(body).map_err(|_| {
        OAuthError::bad(
            "invalid_client_metadata",
            "the metadata is not valid: a member has the wrong type",
        )
    })?;
    clients::register(state, service, metadata, meta).await
}

/// The form of `POST /oauth/token` (RFC 6749 §4.1.3, §6, §4.4). Client credentials go in
/// `Authorization: Basic` or in `client_id` and `client_secret`.
#[derive(Deserialize, utoipa::ToSchema)]
#[expect(dead_code, reason = "describes the form in the OpenAPI document only")]
struct TokenForm {
    /// `authorization_code`, `refresh_token`, `client_credentials` or
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    grant_type: String,
    /// The device code (the device grant).
    device_code: Option<String>,
    /// The code (`authorization_code`).
    code: Option<String>,
    /// The redirect URI the code was sent to (`authorization_code`).
    redirect_uri: Option<String>,
    /// The PKCE verifier (`authorization_code`).
    code_verifier: Option<String>,
    /// The refresh token (`refresh_token`).
    refresh_token: Option<String>,
    /// Scopes, space-separated: narrower than granted (`refresh_token`), or asked for
    /// (`client_credentials`).
    scope: Option<String>,
    /// The client (`client_secret_post`, `none`).
    client_id: Option<String>,
    /// The client's secret (`client_secret_post`).
    client_secret: Option<String>,
}

#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "oauth2Server",
    operation_id = "oauth2Token",
    summary = "Exchange a grant for tokens",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The tokens; never cached", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`; for the device grant also `authorization_pending`, `slow_down`, `access_denied`, `expired_token`", body = OAuthErrorBody),
        InvalidClient,
        OAuthRateLimited,
    )
)]
async fn token(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Form,
) -> Response {
    answer(tokens::token(&state, &service, &headers, &form, &meta).await)
}

/// The form of `POST /oauth/introspect` and `/oauth/revoke`.
#[derive(Deserialize, utoipa::ToSchema)]
#[expect(dead_code, reason = "describes the form in the OpenAPI document only")]
struct TokenOnlyForm {
    /// An access token or a refresh token.
    token: String,
    /// `access_token` or `refresh_token`: which to look for first.
    token_type_hint: Option<String>,
    /// The client (`client_secret_post`, `none`).
    client_id: Option<String>,
    /// The client's secret (`client_secret_post`).
    client_secret: Option<String>,
}

#[utoipa::path(
    post,
    path = "/oauth/introspect",
    tag = "oauth2Server",
    operation_id = "oauth2Introspect",
    summary = "Whether a token is live, and what it carries (RFC 7662)",
    description = "A client may ask about its own tokens; a resource server registered from Rust with `introspect_any` about every client's. Anything else is `{ \"active\": false }`.",
    request_body(content = TokenOnlyForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token's state", body = Introspection),
        (status = 400, description = "`invalid_request`", body = OAuthErrorBody),
        InvalidClient,
        OAuthRateLimited,
    )
)]
async fn introspect(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Form,
) -> Response {
    answer(tokens::introspect(&state, &service, &headers, &form, &meta).await)
}

#[utoipa::path(
    post,
    path = "/oauth/revoke",
    tag = "oauth2Server",
    operation_id = "oauth2Revoke",
    summary = "Revoke a token (RFC 7009)",
    description = "A refresh token ends with its whole family and the family's access tokens; an access token ends alone. Another client's token, or an unknown one, changes nothing and gets the same answer.",
    request_body(content = TokenOnlyForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Done (or nothing to do)"),
        (status = 400, description = "`invalid_request`", body = OAuthErrorBody),
        InvalidClient,
        OAuthRateLimited,
    )
)]
async fn revoke(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Form,
) -> Response {
    match tokens::revoke(&state, &service, &headers, &form, &meta).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}

/// The form of `POST /oauth/device/code` (RFC 8628 §3.1).
#[derive(Deserialize, utoipa::ToSchema)]
#[expect(dead_code, reason = "describes the form in the OpenAPI document only")]
struct DeviceCodeForm {
    /// The client (a device is usually a public client: `client_id` alone).
    client_id: Option<String>,
    /// The client's secret, for a confidential client (`client_secret_post`).
    client_secret: Option<String>,
    /// Scopes, space-separated.
    scope: Option<String>,
}

#[utoipa::path(
    post,
    path = "/oauth/device/code",
    tag = "oauth2Server",
    operation_id = "oauth2DeviceCode",
    summary = "Start a device authorization (RFC 8628)",
    description = "The device shows `user_code` and `verification_uri` (or a QR code of `verification_uri_complete`), then polls `POST /oauth/token` with `grant_type=urn:ietf:params:oauth:grant-type:device_code` every `interval` seconds.",
    request_body(content = DeviceCodeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The codes; never cached", body = DeviceAuthorization),
        (status = 400, description = "`invalid_request`, `unauthorized_client`, `invalid_scope`", body = OAuthErrorBody),
        InvalidClient,
        OAuthRateLimited,
    )
)]
async fn device_code(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Form,
) -> Response {
    answer(device::start(&state, &service, &headers, &form, &meta).await)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeviceQuery {
    /// The code the device shows (`XXXX-XXXX`; case, dashes and spaces do not matter).
    user_code: String,
}

#[utoipa::path(
    get,
    path = "/oauth/device",
    tag = "oauth2Server",
    operation_id = "oauth2DeviceLookup",
    summary = "What a device asks for, before the user decides (the device page)",
    params(DeviceQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "The client and its scopes", body = PendingDevice),
        (status = 400, description = "`invalid_user_code`: unknown, expired or already decided; or a malformed query", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: not the user's own session", body = ErrorBody),
        RateLimited,
    )
)]
async fn device_lookup(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiQuery(query): ApiQuery<DeviceQuery>,
) -> Result<Json<PendingDevice>, ApiError> {
    Ok(Json(
        device::lookup(&state, &service, &caller, &query.user_code, &meta).await?,
    ))
}

/// The device page's decision.
#[derive(Deserialize, utoipa::ToSchema)]
struct DeviceDecision {
    /// The code the device shows.
    user_code: String,
    /// `true` to allow, `false` to deny.
    approved: bool,
}

/// What became of the device's request.
#[derive(Serialize, utoipa::ToSchema)]
struct DeviceDecided {
    /// `approved` or `denied`.
    status: &'static str,
}

#[utoipa::path(
    post,
    path = "/oauth/device",
    tag = "oauth2Server",
    operation_id = "oauth2DeviceDecide",
    summary = "Allow or deny a device (the device page)",
    request_body = DeviceDecision,
    security(("session" = [])),
    responses(
        (status = 200, description = "Decided: the device's next poll gets tokens, or `access_denied`", body = DeviceDecided),
        (status = 400, description = "`invalid_user_code`: unknown, expired or already decided; or a malformed body", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "`forbidden`: not the user's own session", body = ErrorBody),
        RateLimited,
    )
)]
async fn device_decide(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    caller: AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<DeviceDecision>,
) -> Result<Json<DeviceDecided>, ApiError> {
    let status = device::decide(
        &state,
        &service,
        &caller,
        &body.user_code,
        body.approved,
        &meta,
    )
    .await?;
    Ok(Json(DeviceDecided { status }))
}

#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "oauth2Server",
    operation_id = "oauth2Metadata",
    summary = "Authorization server metadata (RFC 8414)",
    description = "For an issuer with a path, RFC 8414 puts this document at the host's root too: mount `YAuth::root_router`.",
    responses((status = 200, description = "The metadata", body = ServerMetadata))
)]
async fn server_metadata(State(service): State<Arc<Service>>) -> Json<ServerMetadata> {
    Json(metadata::document(&service))
}

#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "oidc",
    operation_id = "oidcConfiguration",
    summary = "OpenID Connect discovery",
    responses((status = 200, description = "The provider metadata", body = ServerMetadata))
)]
async fn openid_configuration(State(service): State<Arc<Service>>) -> Json<ServerMetadata> {
    Json(metadata::document(&service))
}

/// A JSON Web Key Set.
#[derive(Serialize, utoipa::ToSchema)]
struct Jwks {
    /// The public keys (RFC 7517), newest first: every key that signed a token that may
    /// still be valid.
    keys: Vec<serde_json::Value>,
}

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "oidc",
    operation_id = "oidcJwks",
    summary = "The public signing keys (JWKS)",
    responses((status = 200, description = "The key set", body = Jwks))
)]
async fn jwks(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
) -> Result<Response, ApiError> {
    let keys = state.signing_keys();
    let sealer = state.sealer()?;
    // The keys that sign this server's tokens exist before the first token, so that a
    // client may fetch them ahead.
    keys.ensure(state.repos(), sealer, service.config.access_token_algorithm)
        .await?;
    if service.oidc().is_some() {
        keys.ensure(state.repos(), sealer, SigningAlgorithm::Rs256)
            .await?;
    }
    let set = keys.jwks(state.repos(), sealer).await?;
    let keys = set
        .get("keys")
        .and_then(|k| k.as_array())
        .cloned()
        .unwrap_or_default();
    Ok(Json(Jwks { keys }).into_response())
}

#[utoipa::path(
    get,
    path = "/userinfo",
    tag = "oidc",
    operation_id = "oidcUserinfo",
    summary = "The claims of an access token's user (OpenID Connect)",
    description = "Send the access token as `Authorization: Bearer <token>`.",
    responses(
        (status = 200, description = "`sub` and the claims of the token's scopes", body = UserInfo),
        (status = 401, description = "`invalid_token`", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`insufficient_scope`: the token lacks `openid`", body = OAuthErrorBody),
    )
)]
async fn userinfo_get(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
) -> Response {
    userinfo(&state, &service, &headers).await
}

#[utoipa::path(
    post,
    path = "/userinfo",
    tag = "oidc",
    operation_id = "oidcUserinfoPost",
    summary = "The claims of an access token's user (POST)",
    description = "Send the access token as `Authorization: Bearer <token>`.",
    responses(
        (status = 200, description = "`sub` and the claims of the token's scopes", body = UserInfo),
        (status = 401, description = "`invalid_token`", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`insufficient_scope`: the token lacks `openid`", body = OAuthErrorBody),
    )
)]
async fn userinfo_post(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
) -> Response {
    userinfo(&state, &service, &headers).await
}

async fn userinfo(state: &YAuthState, service: &Service, headers: &HeaderMap) -> Response {
    match tokens::userinfo(state, service, headers).await {
        Ok(info) => no_store(Json(info).into_response()),
        Err(refusal) => tokens::userinfo_refusal(refusal),
    }
}
