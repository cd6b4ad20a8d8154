//! `--static-dir`: a built single-page app served at `/`. A path naming one of its files
//! answers that file; any other path answers `index.html`, so that the app's router shows
//! `/settings` or `/verify-email?token=…`. Paths under `/api/` never fall back to the app: an
//! unknown API route is a JSON 404, as a client expects.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The answer to `method path` from the app in `dir`.
pub async fn serve(dir: &Path, method: &Method, path: &str) -> Response {
    if path == "/api" || path.starts_with("/api/") {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": "not_found", "message": "No such route."})),
        )
            .into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, HeaderValue::from_static("GET, HEAD"))],
        )
            .into_response();
    }
    if let Some(file) = file_in(dir, path)
        && let Ok(bytes) = tokio::fs::read(&file).await
    {
        // Vite names the files under `assets/` after their content: they never change.
        let cache = if path.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [
                (header::CONTENT_TYPE, content_type(&file)),
                (header::CACHE_CONTROL, cache),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response();
    }
    // A missing asset is a 404, not the page: a script tag must not receive HTML.
    let last = path.rsplit('/').next().unwrap_or_default();
    if path.starts_with("/assets/") || last.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match tokio::fs::read(dir.join("index.html")).await {
        Ok(index) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
                // The URL may carry a mailed token: it must not leave in a Referer.
                (header::REFERRER_POLICY, "no-referrer"),
                (header::X_FRAME_OPTIONS, "DENY"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            index,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "--static-dir: cannot read index.html");
            (StatusCode::INTERNAL_SERVER_ERROR, "index.html is unreadable").into_response()
        }
    }
}

/// The regular file `path` names inside `dir`, if it names one: only plain segments (no `..`,
/// `.`, backslashes, NUL or percent-escapes), and never a hidden file.
fn file_in(dir: &Path, path: &str) -> Option<PathBuf> {
    let mut file = dir.to_path_buf();
    let mut segments = 0;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', '\0', '%', ':']) {
            return None;
        }
        file.push(segment);
        segments += 1;
    }
    (segments > 0 && file.is_file()).then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}
