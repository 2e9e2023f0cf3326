//! The settings page, embedded in the binary: no CDN, no external fonts, works offline. It is
//! public (it holds no data); everything it shows comes from the API behind the admin token.
//! Strict CSP: scripts and styles from this origin only, nothing inline, no framing.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// File name → content; the content type follows from the extension.
const ASSETS: &[(&str, &str)] = &[
    ("style.css", include_str!("../page/style.css")),
    ("app.js", include_str!("../page/app.js")),
    ("api.js", include_str!("../page/api.js")),
    ("dom.js", include_str!("../page/dom.js")),
    ("sources.js", include_str!("../page/sources.js")),
    ("targets.js", include_str!("../page/targets.js")),
    ("editor.js", include_str!("../page/editor.js")),
    ("dead-letters.js", include_str!("../page/dead-letters.js")),
    ("activity.js", include_str!("../page/activity.js")),
];

const INDEX: &str = include_str!("../page/index.html");

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/admin", get(index)).route("/admin/", get(index)).route("/admin/page/{file}", get(asset))
}

async fn index() -> Response {
    answer("text/html; charset=utf-8", INDEX)
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _)| *name == file) {
        Some((name, content)) if name.ends_with(".css") => answer("text/css; charset=utf-8", content),
        Some((_, content)) => answer("text/javascript; charset=utf-8", content),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

fn answer(content_type: &'static str, content: &'static str) -> Response {
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Small, and a new deploy must show at once: revalidate every time.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
