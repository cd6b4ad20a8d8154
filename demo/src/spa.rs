//! `--static-dir`: a built single-page app served at `/`. A path naming one of its files
//! answers that file; any other path answers `index.html`, so that the app's router shows
//! `/settings` or `/verify-email?token=…`. Paths under `/api/` never fall back to the app: an
//! unknown API route is a JSON 404, as a client expects; nor do those under `/.well-known/`,
//! where discovery clients expect a 404. Every HTML answer carries the page's headers: no
//! `Referer` (its URL may hold a mailed token) and no framing (the consent screen).

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The answer to `method path` from the app in `dir`.
/// `dir` is canonical (see [`canonical_dir`]).
pub async fn serve(dir: &Path, method: &Method, path: &str) -> Response {
    if path == "/api" || path.starts_with("/api/") || path.starts_with("/.well-known/") {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"not_found","message":"No such route."}"#,
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
    if let Some(file) = file_in(dir, path).await
        && let Ok(bytes) = tokio::fs::read(&file).await
    {
        // Vite names the files under `assets/` after their content: they never change.
        let cache = if path.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let kind = content_type(&file);
        let mut response = (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, cache),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response();
        if kind.starts_with("text/html") {
            page_headers(&mut response);
        }
        return response;
    }
    // A missing asset is a 404, not the page: a script tag must not receive HTML.
    let last = path.rsplit('/').next().unwrap_or_default();
    if path.starts_with("/assets/") || last.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match tokio::fs::read(dir.join("index.html")).await {
        Ok(index) => {
            let mut response = (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                index,
            )
                .into_response();
            page_headers(&mut response);
            response
        }
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "--static-dir: cannot read index.html");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "index.html is unreadable",
            )
                .into_response()
        }
    }
}

/// The headers of every HTML answer.
fn page_headers(response: &mut Response) {
    let headers = response.headers_mut();
    // The URL may carry a mailed token: it must not leave in a Referer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
}

/// `--static-dir` resolved once at start, so that every file served can be checked to lie
/// inside it (a symbolic link out of the folder is not followed).
pub fn canonical_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    let dir =
        std::fs::canonicalize(dir).with_context(|| format!("--static-dir {}", dir.display()))?;
    anyhow::ensure!(
        dir.join("index.html").is_file(),
        "--static-dir: {} has no index.html (build the app first)",
        dir.display()
    );
    Ok(dir)
}

/// The regular file `path` names inside `dir`, if it names one: only plain segments (no `..`,
/// `.`, backslashes, NUL or percent-escapes), never a hidden file, and nothing a symbolic link
/// leads to outside `dir`.
async fn file_in(dir: &Path, path: &str) -> Option<PathBuf> {
    let mut file = dir.to_path_buf();
    let mut segments = 0;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', '\0', '%', ':']) {
            return None;
        }
        file.push(segment);
        segments += 1;
    }
    if segments == 0 {
        return None;
    }
    let real = tokio::fs::canonicalize(&file).await.ok()?;
    let is_file = tokio::fs::metadata(&real).await.ok()?.is_file();
    (is_file && real.starts_with(dir)).then_some(real)
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
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
