//! The settings page, embedded in the binary: no CDN, no external fonts, works offline. It is
//! public (it holds no data); everything it shows comes from the API behind the admin token.
//! Strict CSP: scripts and styles from this origin only, nothing inline, no framing.
//!
//! Each file is answered gzipped when the browser takes it, with a strong ETag: a second visit
//! revalidates and gets a 304 with no body, and a new deploy (new content, new tag) shows at once.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::Digest as _;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// File name → content; the content type follows from the extension.
const FILES: &[(&str, &str)] = &[
    ("index.html", include_str!("../page/index.html")),
    ("style.css", include_str!("../page/style.css")),
    ("app.js", include_str!("../page/app.js")),
    ("api.js", include_str!("../page/api.js")),
    ("dom.js", include_str!("../page/dom.js")),
    ("sources.js", include_str!("../page/sources.js")),
    ("targets.js", include_str!("../page/targets.js")),
    ("editor.js", include_str!("../page/editor.js")),
    ("secret.js", include_str!("../page/secret.js")),
    ("dead-letters.js", include_str!("../page/dead-letters.js")),
    ("activity.js", include_str!("../page/activity.js")),
    ("favicon.svg", include_str!("../page/favicon.svg")),
];

struct Asset {
    name: &'static str,
    content_type: &'static str,
    plain: &'static str,
    gzipped: Vec<u8>,
    etag: HeaderValue,
}

/// Compressed and tagged once per container, on the first request for the page.
static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| FILES.iter().map(|(name, plain)| asset(name, plain)).collect());

fn asset(name: &'static str, plain: &'static str) -> Asset {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(plain.as_bytes()).expect("writing to memory");
    let digest = sha2::Sha256::digest(plain.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    Asset {
        name,
        content_type: match name.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            _ => "text/javascript; charset=utf-8",
        },
        plain,
        gzipped: encoder.finish().expect("writing to memory"),
        etag: HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a valid header value"),
    }
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/admin", get(index)).route("/admin/", get(index)).route("/admin/page/{file}", get(file))
}

async fn index(request: HeaderMap) -> Response {
    answer("index.html", &request)
}

async fn file(Path(file): Path<String>, request: HeaderMap) -> Response {
    // The page is served at /admin, not under /admin/page/.
    if file == "index.html" {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    }
    answer(&file, &request)
}

fn answer(name: &str, request: &HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let mut response = if matches_tag(request, &asset.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if takes_gzip(request) {
        let mut response = asset.gzipped.clone().into_response();
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        asset.plain.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::ETAG, asset.etag.clone());
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A new deploy must show at once: revalidate every time (a 304 costs no body).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

// The two header readers below are written here rather than taken from a crate: tower-http's
// compression layer would gzip every answer again (these files are compressed once), and neither it
// nor the `headers` crate is built into this workspace yet.

/// `If-None-Match` names this tag (or `*`).
fn matches_tag(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let wanted = etag.to_str().unwrap_or_default();
    request.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |tag| {
            let tag = tag.trim();
            tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == wanted
        },
    )
}

/// `Accept-Encoding` takes gzip (not with `q=0`).
fn takes_gzip(request: &HeaderMap) -> bool {
    request.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused =
                parts.any(|p| p.replace(' ', "").strip_prefix("q=").is_some_and(|q| q.parse::<f32>() == Ok(0.0)));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        },
    )
}
