//! The HTTP surface of the plugin: the redirects, the flow cookie, the answers for browsers
//! (302, or an HTML error page) and for programs (JSON), and the OpenAPI descriptions.
//!
//! A callback answers a browser (`Accept: text/html`) with a redirect, or an HTML page
//! naming the error; a client that asks for `application/json` gets the JSON answers of the
//! other sign-in routes (the user with the session cookie, or `{ mfa_required,
//! pending_session_id }`); errors are JSON unless the client accepts HTML.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Form, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, LOCATION, REFERRER_POLICY, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::flows::{self, CallbackParams, Finished, LinkedAccount};
use super::{ResponseMode, STATE_TTL, Service};
use crate::config::CookieConfig;
use crate::contract::error::{ApiError, ApiPath, ApiQuery, ErrorBody};
use crate::contract::plugin::PluginState;
use crate::contract::state::YAuthState;
use crate::contract::user::{AuthMethod, AuthUser, OptionalAuthUser};
use crate::kit::openapi::{BadRequest, FactorOwner, RateLimited, Unauthorized};
use crate::kit::request::RequestMeta;
use crate::kit::sign_in::{SignInAnswer, SignInOutcome};

type PluginRouter = OpenApiRouter<PluginState<Service>>;

/// The providers, the start of a flow, and the callback of a redirect (a GET: the browser
/// arrives from the provider's site, which the cross-site refusal allows for GET).
pub(super) fn public(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(providers))
        .routes(routes!(authorize))
        .routes(routes!(callback_get))
        .with_state(PluginState::new(state, service))
}

/// The callback of a form post: it comes from the provider's origin. Like every
/// cross-origin route it never reads the session cookie, so it cannot finish a link.
pub(super) fn cross_origin(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(callback_post))
        .with_state(PluginState::new(state, service))
}

/// The signed-in user's links.
pub(super) fn protected(state: &YAuthState, service: Arc<Service>) -> OpenApiRouter<YAuthState> {
    PluginRouter::new()
        .routes(routes!(accounts))
        .routes(routes!(link))
        .routes(routes!(unlink))
        .with_state(PluginState::new(state, service))
}

/// The flow cookie's name: the session cookie's, with `_oauth` (so two apps with their own
/// session cookie names keep their flows apart too).
fn flow_cookie_name(config: &CookieConfig) -> String {
    format!("{}_oauth", config.name)
}

/// The flow cookie: HttpOnly, as long as a flow lives; `SameSite=None` only for a provider
/// that posts its answer (a cross-site POST), which needs `Secure`.
fn flow_cookie(config: &CookieConfig, value: String, mode: ResponseMode) -> Cookie<'static> {
    let mut cookie = Cookie::build((flow_cookie_name(config), value))
        .http_only(true)
        .secure(config.secure || mode == ResponseMode::FormPost)
        .path(config.path.clone())
        .same_site(match mode {
            ResponseMode::Query => SameSite::Lax,
            ResponseMode::FormPost => SameSite::None,
        })
        .max_age(cookie::time::Duration::seconds(STATE_TTL.as_secs() as i64))
        .build();
    if let Some(domain) = &config.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

fn set_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

fn accepts(headers: &HeaderMap, kind: &str) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(kind))
}

/// A browser navigating (it accepts HTML).
fn wants_html(headers: &HeaderMap) -> bool {
    accepts(headers, "text/html")
}

/// A program asking for JSON.
fn wants_json(headers: &HeaderMap) -> bool {
    accepts(headers, "application/json") && !wants_html(headers)
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let headers = response.headers_mut();
            headers.insert(LOCATION, value);
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            response
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// An error for a browser: a small page with the message (escaped) and the code; for
/// anything else the JSON error.
fn error_answer(headers: &HeaderMap, error: ApiError) -> Response {
    if !wants_html(headers) {
        return error.into_response();
    }
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>\
         <body><h1>Sign-in failed</h1><p role=\"alert\">{}</p><p><code>{}</code></p>\
         <p><a href=\"/\">Back</a></p></body></html>",
        escape(&error.message),
        escape(error.error)
    );
    let mut response = (error.status, Html(page)).into_response();
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Some(seconds) = error.retry_after {
        h.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A provider offered.
#[derive(Serialize, utoipa::ToSchema)]
struct ProviderInfo {
    /// The name in the routes (`/oauth/{name}/authorize`).
    name: String,
    /// `oidc` or `oauth2`.
    kind: &'static str,
}

#[utoipa::path(
    get,
    path = "/oauth/providers",
    tag = "oauth",
    operation_id = "oauthProviders",
    summary = "The providers offered (for sign-in buttons)",
    responses((status = 200, description = "In the configured order", body = Vec<ProviderInfo>))
)]
async fn providers(State(service): State<Arc<Service>>) -> Json<Vec<ProviderInfo>> {
    Json(
        service
            .providers
            .iter()
            .map(|p| ProviderInfo {
                name: p.config.name.clone(),
                kind: if p.is_oidc() { "oidc" } else { "oauth2" },
            })
            .collect(),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuthorizeQuery {
    /// Where to go once signed in: a path of the application (default `/`) or a URL of an
    /// allowed origin.
    redirect_to: Option<String>,
}

#[utoipa::path(
    get,
    path = "/oauth/{provider}/authorize",
    tag = "oauth",
    operation_id = "oauthAuthorize",
    summary = "Start signing in with a provider",
    params(("provider" = String, Path, description = "The provider's name"), AuthorizeQuery),
    responses(
        (status = 302, description = "To the provider, with `state`, a PKCE challenge and (OpenID Connect) a `nonce`; sets the flow cookie"),
        (status = 400, description = "`invalid_redirect`: `redirect_to` is not a path of the application or a URL of an allowed origin", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "`not_found`: no such provider", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 429, description = "`rate_limited`", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 502, description = "`provider_unavailable`: the provider's discovery document could not be read", content((ErrorBody = "application/json"), (String = "text/html"))),
    )
)]
async fn authorize(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiPath(provider): ApiPath<String>,
    ApiQuery(query): ApiQuery<AuthorizeQuery>,
) -> Response {
    let config = &state.config().cookie;
    let binding = flow_binding(&headers, config);
    match flows::start(
        &state,
        &service,
        &provider,
        query.redirect_to.as_deref(),
        binding.as_deref(),
        None,
        &meta,
    )
    .await
    {
        Ok(started) => {
            let mode = service
                .provider(&provider)
                .map(|p| p.config.response_mode)
                .unwrap_or_default();
            let mut response = redirect(&started.authorize_url);
            set_cookie(&mut response, &flow_cookie(config, started.binding, mode));
            response
        }
        Err(e) => error_answer(&headers, e),
    }
}

/// The values of the flow cookie in the request.
fn flow_cookies<'a>(
    headers: &'a HeaderMap,
    config: &CookieConfig,
) -> impl Iterator<Item = String> + 'a {
    let name = flow_cookie_name(config);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(move |pair| {
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
}

/// The flow cookie's value, if any (a flow that starts reuses it).
fn flow_binding(headers: &HeaderMap, config: &CookieConfig) -> Option<String> {
    flow_cookies(headers, config).next()
}

/// The flow cookie's value for a callback: two of them (one planted by a sibling
/// subdomain, say) is `invalid_state`.
fn single_flow_binding(
    headers: &HeaderMap,
    config: &CookieConfig,
) -> Result<Option<String>, ApiError> {
    let mut values = flow_cookies(headers, config);
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::bad_request(
            "invalid_state",
            "this browser holds two sign-in flows' cookies: start again",
        ));
    }
    Ok(first)
}

/// The answer to a finished callback.
async fn callback(
    state: YAuthState,
    service: Arc<Service>,
    meta: RequestMeta,
    headers: HeaderMap,
    signed_in: Option<AuthUser>,
    provider: String,
    params: CallbackParams,
) -> Response {
    let config = &state.config().cookie;
    let binding = single_flow_binding(&headers, config);
    // A link finishes only in the live session of the user who started it (a top-level
    // navigation carries the SameSite=Lax session cookie).
    let signed_in = signed_in
        .filter(|u| u.auth_method == AuthMethod::Session && u.impersonated_by.is_none())
        .map(|u| u.id);
    let had_cookie = !matches!(binding, Ok(None));
    let result = match binding {
        Ok(binding) => {
            flows::finish(
                &state,
                &service,
                &provider,
                &params,
                binding.as_deref(),
                signed_in,
                &meta,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let mut response = match result {
        Err(e) => error_answer(&headers, e),
        Ok(Finished::Linked { redirect: to }) if wants_json(&headers) => Json(LinkedAnswer {
            linked: true,
            redirect_to: to,
        })
        .into_response(),
        Ok(Finished::Linked { redirect: to }) => redirect(&to),
        Ok(Finished::SignIn { outcome, .. }) if wants_json(&headers) => outcome.into_response(),
        Ok(Finished::SignIn {
            outcome: SignInOutcome::SignedIn { cookie, .. },
            redirect: to,
        }) => {
            let mut response = redirect(&to);
            set_cookie(&mut response, &cookie);
            response
        }
        Ok(Finished::SignIn {
            outcome: SignInOutcome::MfaRequired { pending_session_id },
            redirect: to,
        }) => redirect(&with_fragment(
            &to,
            &format!("mfa_required=true&pending_session_id={pending_session_id}"),
        )),
        Ok(Finished::SignIn { outcome, .. }) => outcome.into_response(),
    };
    // The flow is over, whichever way: the cookie goes (it is reused by the next flow of
    // this browser otherwise, which is harmless but needless).
    if had_cookie {
        let mut removal = flow_cookie(config, String::new(), ResponseMode::Query);
        removal.make_removal();
        set_cookie(&mut response, &removal);
    }
    response
}

/// `url` with its fragment replaced: the fragment never reaches a server or a `Referer`.
fn with_fragment(url: &str, fragment: &str) -> String {
    let base = url.split('#').next().unwrap_or(url);
    format!("{base}#{fragment}")
}

/// The JSON answer to a link's callback.
#[derive(Serialize, utoipa::ToSchema)]
struct LinkedAnswer {
    /// Always `true`.
    linked: bool,
    /// Where the flow was to end.
    redirect_to: String,
}

#[utoipa::path(
    get,
    path = "/oauth/{provider}/callback",
    tag = "oauth",
    operation_id = "oauthCallback",
    summary = "The provider's answer (query)",
    params(("provider" = String, Path, description = "The provider's name"), CallbackParams),
    responses(
        (status = 302, description = "Signed in (the session cookie is set) or linked: to `redirect_to`; when a second factor is needed, to `redirect_to#mfa_required=true&pending_session_id=…` without a cookie"),
        (status = 200, description = "With `Accept: application/json`: the user (cookie set), `{ mfa_required, pending_session_id }`, or `{ linked, redirect_to }`", body = SignInAnswer),
        (status = 400, description = "`invalid_state` (missing, used, expired, or from another browser), `provider_error` (the provider's error code), `invalid_id_token`, `email_required`, `email_not_verified`, `invalid_request`", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, description = "`user_banned`, `signup_disabled`, `blocked` by a plugin, or `session_required` (a link's callback outside the live session of the user who started it)", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "`not_found`: no such provider", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 409, description = "`email_in_use` (an account has the email but is not linked by it: linking by email is off, the account is an admin's, or it has another account of this provider), `provider_account_in_use`, `already_linked`", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 429, description = "`rate_limited`", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 502, description = "`provider_unavailable`: the provider could not be reached or answered wrongly", content((ErrorBody = "application/json"), (String = "text/html"))),
    )
)]
async fn callback_get(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    OptionalAuthUser(signed_in): OptionalAuthUser,
    ApiPath(provider): ApiPath<String>,
    ApiQuery(params): ApiQuery<CallbackParams>,
) -> Response {
    callback(state, service, meta, headers, signed_in, provider, params).await
}

#[utoipa::path(
    post,
    path = "/oauth/{provider}/callback",
    tag = "oauth",
    operation_id = "oauthCallbackPost",
    summary = "The provider's answer (`response_mode=form_post`)",
    params(("provider" = String, Path, description = "The provider's name")),
    request_body(content = CallbackParams, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "As the GET callback"),
        (status = 200, description = "As the GET callback", body = SignInAnswer),
        (status = 400, description = "As the GET callback, or a body that is not a form", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, description = "As the GET callback", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "`not_found`: no such provider", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 409, description = "As the GET callback", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 429, description = "`rate_limited`", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 502, description = "`provider_unavailable`", content((ErrorBody = "application/json"), (String = "text/html"))),
    )
)]
async fn callback_post(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiPath(provider): ApiPath<String>,
    form: Result<Form<CallbackParams>, axum::extract::rejection::FormRejection>,
) -> Response {
    match form {
        Ok(Form(params)) => callback(state, service, meta, headers, None, provider, params).await,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => error_answer(
            &headers,
            ApiError::new(r.status(), "invalid_request", "the body could not be read"),
        ),
        Err(_) => error_answer(
            &headers,
            ApiError::bad_request("invalid_request", "the callback body is not a form"),
        ),
    }
}

#[utoipa::path(
    get,
    path = "/oauth/accounts",
    tag = "oauth",
    operation_id = "oauthAccounts",
    summary = "The caller's linked providers",
    security(("session" = [])),
    responses(
        (status = 200, description = "Oldest first", body = Vec<LinkedAccount>),
        Unauthorized,
        (status = 403, description = "`insufficient_scope`: a bearer token or an API key without the `account` scope", body = ErrorBody),
    )
)]
async fn accounts(
    State(state): State<YAuthState>,
    user: AuthUser,
) -> Result<Json<Vec<LinkedAccount>>, ApiError> {
    Ok(Json(flows::accounts(&state, &user).await?))
}

/// `POST /oauth/{provider}/link`'s optional body.
#[derive(Deserialize, Default, utoipa::ToSchema)]
struct LinkBody {
    /// Where to go once linked (as `authorize`'s `redirect_to`; default `/`).
    redirect_to: Option<String>,
}

/// The provider URL to send the browser to.
#[derive(Serialize, utoipa::ToSchema)]
struct LinkAnswer {
    /// Open it in this browser (it carries the flow cookie just set).
    authorize_url: String,
}

#[utoipa::path(
    post,
    path = "/oauth/{provider}/link",
    tag = "oauth",
    operation_id = "oauthLink",
    summary = "Start linking a provider to the signed-in user",
    params(("provider" = String, Path, description = "The provider's name")),
    security(("session" = [])),
    request_body(content = Option<LinkBody>, description = "Optional"),
    responses(
        (status = 200, description = "The provider URL; the flow cookie is set. Its callback links the provider account to the caller", body = LinkAnswer),
        BadRequest,
        Unauthorized,
        FactorOwner,
        (status = 404, description = "`not_found`: no such provider", body = ErrorBody),
        RateLimited,
        (status = 502, description = "`provider_unavailable`", body = ErrorBody),
    )
)]
async fn link(
    State(state): State<YAuthState>,
    State(service): State<Arc<Service>>,
    user: AuthUser,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiPath(provider): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // Linking adds a way to sign in: only the user's own session may.
    user.require_credential_owner()?;
    let body: LinkBody = if body.iter().all(u8::is_ascii_whitespace) {
        LinkBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::bad_request(
                "invalid_request",
                "the body is not a JSON object with an optional redirect_to",
            )
        })?
    };
    let config = &state.config().cookie;
    let binding = flow_binding(&headers, config);
    let started = flows::start(
        &state,
        &service,
        &provider,
        body.redirect_to.as_deref(),
        binding.as_deref(),
        Some(user.id),
        &meta,
    )
    .await?;
    let mode = service.provider(&provider)?.config.response_mode;
    let mut response = Json(LinkAnswer {
        authorize_url: started.authorize_url,
    })
    .into_response();
    set_cookie(&mut response, &flow_cookie(config, started.binding, mode));
    Ok(response)
}

#[utoipa::path(
    delete,
    path = "/oauth/{provider}",
    tag = "oauth",
    operation_id = "oauthUnlink",
    summary = "Unlink a provider from the signed-in user",
    params(("provider" = String, Path, description = "The provider's name")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 400, description = "`last_login_method`: the user would have no password, passkey or other provider left", body = ErrorBody),
        Unauthorized,
        FactorOwner,
        (status = 404, description = "`not_found`: the provider is not linked to the caller", body = ErrorBody),
    )
)]
async fn unlink(
    State(state): State<YAuthState>,
    user: AuthUser,
    meta: RequestMeta,
    ApiPath(provider): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    flows::unlink(&state, &user, &provider, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
