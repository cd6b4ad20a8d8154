//! Cross-site request refusal: a state-changing request (anything but GET, HEAD, OPTIONS)
//! from a foreign `Origin`, or marked `Sec-Fetch-Site: cross-site` by the browser, is
//! refused before any handler runs. SameSite=Lax and the JSON content type already stop
//! classic CSRF; this holds even when an application adds permissive credentialed CORS.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::contract::error::ApiError;
use crate::contract::state::YAuthState;

/// The origin (`scheme://host[:port]`, lower case) of a URL, without its path.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// Whether the request may change state: a safe method, or no sign of a foreign site.
pub(crate) fn same_site(request: &Request, state: &YAuthState) -> bool {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return true;
    }
    let headers = request.headers();
    // An allowed origin may be another site (`allowed_origins`): it wins over the browser's
    // `Sec-Fetch-Site: cross-site`.
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        let config = state.config();
        return std::iter::once(config.base_url.as_str())
            .chain(config.allowed_origins.iter().map(String::as_str))
            .filter_map(origin_of)
            .any(|allowed| allowed == origin);
    }
    // No Origin: not a browser (curl, a server), unless the browser says it is cross-site.
    !headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

/// The middleware in front of every yauth route: 403 `cross_site_request` for a
/// state-changing request from another site.
pub async fn refuse_cross_site(
    State(state): State<YAuthState>,
    request: Request,
    next: Next,
) -> Response {
    if same_site(&request, &state) {
        next.run(request).await
    } else {
        cross_site_refusal()
    }
}

/// The answer to a refused cross-site request: 403 `cross_site_request`.
pub(crate) fn cross_site_refusal() -> Response {
    ApiError::forbidden(
        "cross_site_request",
        "state-changing requests must come from the application's own origin",
    )
    .into_response()
}
