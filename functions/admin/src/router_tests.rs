use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use herald_app::testing::MemoryStore;
use herald_app::testing::admin::{AdminFakes, admin};
use herald_domain::source::SourceAuth;
use herald_domain::{Source, SourceId, SourceKind, Target};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;

const TOKEN: &str = "an-admin-token-long-enough";

fn app() -> (Router, AdminFakes) {
    let source = Source::new(SourceId::parse("ombi").unwrap(), SourceKind::Ombi, SourceAuth::token("t"));
    let target: Target = serde_json::from_value(json!({"id": "t", "name": "T", "url": "https://t.example/hook",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "headers": {"Authorization": "Bearer private-value"},
        "version": 1}))
    .unwrap();
    let (admin, fakes) = admin(MemoryStore::new(vec![source], vec![target]));
    (router(Arc::new(admin), Secret::new(TOKEN)), fakes)
}

/// A request with the admin token, for the headers a test adds before its body.
fn authorized(method: &str, path: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(path).header("authorization", format!("Bearer {TOKEN}"))
}

/// Sends `request`; the status and the JSON answer, which must never hold a stored secret.
async fn send(app: &Router, request: Request<Body>) -> (u16, Value) {
    let what = format!("{} {}", request.method(), request.uri());
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    for secret in ["private-value", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
        assert!(!text.contains(secret), "{what} answered a secret: {text}");
    }
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn call(app: &Router, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    send(app, request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap()).await
}

async fn admin_call(app: &Router, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    call(app, method, path, body, Some(TOKEN)).await
}

#[tokio::test]
async fn every_route_and_unknown_ones_need_the_token() {
    let (app, _) = app();
    let routes = [
        ("GET", "/admin/sources"),
        ("POST", "/admin/sources"),
        ("GET", "/admin/sources/ombi"),
        ("PATCH", "/admin/sources/ombi"),
        ("DELETE", "/admin/sources/ombi"),
        ("GET", "/admin/targets"),
        ("POST", "/admin/targets"),
        ("GET", "/admin/targets/t"),
        ("PUT", "/admin/targets/t"),
        ("DELETE", "/admin/targets/t"),
        ("POST", "/admin/targets/t/test"),
        ("POST", "/admin/targets/t/preview"),
        ("POST", "/admin/preview"),
        ("GET", "/admin/targets/t/status"),
        ("POST", "/admin/targets/t/replay"),
        ("GET", "/admin/targets/t/rejected"),
        ("DELETE", "/admin/targets/t/rejected"),
        ("POST", "/admin/targets/t/rejected/replay"),
        ("POST", "/admin/targets/t/rejected/01J0000000000000000000000A/replay"),
        ("DELETE", "/admin/targets/t/rejected/01J0000000000000000000000A"),
        ("GET", "/admin/catalog"),
        ("GET", "/admin/dead-letters"),
        ("POST", "/admin/dead-letters/redrive"),
        ("GET", "/admin/nothing-here"),
    ];
    for (method, path) in routes {
        for token in [None, Some("wrong-but-long-enough-token")] {
            let (status, body) = call(&app, method, path, None, token).await;
            assert_eq!(status, 401, "{method} {path}");
            assert!(body["error"].as_str().unwrap().contains("admin token"), "{body}");
        }
    }
    let short = router(Arc::new(admin(MemoryStore::new(vec![], vec![])).0), Secret::new(""));
    assert_eq!(call(&short, "GET", "/admin/sources", None, Some("")).await.0, 401, "an empty token opens nothing");
}

#[tokio::test]
async fn sources_routes() {
    let (app, fakes) = app();
    let (status, created) = admin_call(&app, "POST", "/admin/sources", Some(json!({"id": "k", "kind": "kiosk"}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["credential"]["header"], "X-Kiosk-Signature-256");
    assert!(created.get("url").is_none(), "no Host, no URL: {created}");
    let request = authorized("POST", "/admin/sources")
        .header("host", "abc.execute-api.eu-west-1.amazonaws.com")
        .header("x-forwarded-proto", "https")
        .body(Body::from(json!({"id": "j", "kind": "jellynext"}).to_string()))
        .unwrap();
    let (_, body) = send(&app, request).await;
    assert_eq!(body["url"], "https://abc.execute-api.eu-west-1.amazonaws.com/hooks/j");
    let (status, listed) = admin_call(&app, "GET", "/admin/sources", None).await;
    assert_eq!((status, listed.as_array().unwrap().len()), (200, 3));
    assert!(!listed.to_string().contains(created["credential"]["secret"].as_str().unwrap()));
    let (status, one) = admin_call(&app, "GET", "/admin/sources/k", None).await;
    assert_eq!((status, one["kind"].as_str()), (200, Some("kiosk")));
    let (status, patched) = admin_call(&app, "PATCH", "/admin/sources/k", Some(json!({"dedupe_window_secs": 0}))).await;
    assert_eq!((status, patched["dedupe_window_secs"].as_u64()), (200, Some(0)));
    let (status, err) = admin_call(&app, "PATCH", "/admin/sources/k", Some(json!({"drop": ["nope"]}))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("drop[0]")));
    let (status, err) = admin_call(&app, "PATCH", "/admin/sources/k", Some(json!({"sumary": "x"}))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("sumary")), "a misspelt setting is refused, by name: {err}");
    assert_eq!(admin_call(&app, "POST", "/admin/sources", Some(json!({"id": "k", "kind": "ombi"}))).await.0, 409);
    assert_eq!(admin_call(&app, "DELETE", "/admin/sources/k", None).await.0, 204);
    assert_eq!(admin_call(&app, "DELETE", "/admin/sources/k", None).await.0, 404);
    assert_eq!(admin_call(&app, "GET", "/admin/sources/k", None).await.0, 404);
    assert_eq!(fakes.store.sources.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn targets_routes() {
    let (app, fakes) = app();
    let (status, created) = admin_call(
        &app,
        "POST",
        "/admin/targets",
        Some(json!({"id": "d", "name": "D", "url": "https://discord.com/api/webhooks/1/secret-token-0123456789abc",
                    "preset": "discord"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["url"], "https://discord.com/api/webhooks/1/[redacted]", "the token, not a short id");
    assert!(created["warnings"].is_array());
    let (status, list) = admin_call(&app, "GET", "/admin/targets", None).await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 2));
    let (status, read) = admin_call(&app, "GET", "/admin/targets/t", None).await;
    assert_eq!((status, read["secret"].as_str()), (200, Some("[redacted]")));
    let mut renamed = read.clone();
    renamed["name"] = json!("Renamed");
    let (status, saved) = admin_call(&app, "PUT", "/admin/targets/t", Some(renamed.clone())).await;
    assert_eq!((status, saved["version"].as_u64()), (200, Some(2)), "{saved}");
    assert_eq!(admin_call(&app, "PUT", "/admin/targets/t", Some(renamed)).await.0, 409, "stale");
    // A backslash ends an http URL's authority for the parser that sends: this one goes to evil.example.
    let (_, current) = admin_call(&app, "GET", "/admin/targets/t", None).await;
    for url in ["https://evil.example\\@t.example/hook", "https://{{host}}/hook"] {
        let mut sneaky = current.clone();
        sneaky["url"] = json!(url);
        let (status, err) = admin_call(&app, "PUT", "/admin/targets/t", Some(sneaky)).await;
        assert_eq!(status, 422, "{url}: {err}");
        assert!(err["error"].as_str().unwrap().contains("re-enter"), "{err}");
    }
    let (status, err) = admin_call(&app, "PUT", "/admin/targets/t", None).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("body")));
    let request = authorized("PUT", "/admin/targets/t").header("if-match", "soon").body(Body::from(read.to_string()));
    let (status, err) = send(&app, request.unwrap()).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("If-Match")));
    let (status, err) = admin_call(&app, "POST", "/admin/targets", Some(json!({"name": "x", "url": "ftp://x"}))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("url")));
    assert_eq!(admin_call(&app, "GET", "/admin/targets/none", None).await.0, 404);
    assert_eq!(admin_call(&app, "DELETE", "/admin/targets/d", None).await.0, 204);
    assert_eq!(admin_call(&app, "DELETE", "/admin/targets/d", None).await.0, 404);
    assert_eq!(fakes.store.targets.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn inspection_routes() {
    let (app, fakes) = app();
    let (status, test) = admin_call(&app, "POST", "/admin/targets/t/test", None).await;
    assert_eq!((status, test["ok"].as_bool(), test["status"].as_u64()), (200, Some(true), Some(204)), "{test}");
    assert_eq!(fakes.sender.requests.lock().unwrap().len(), 1, "Test sends through the sender");
    let (status, preview) = admin_call(&app, "POST", "/admin/targets/t/preview", None).await;
    assert_eq!((status, preview["method"].as_str()), (200, Some("POST")), "{preview}");
    let (status, preview) =
        admin_call(&app, "POST", "/admin/targets/t/preview", Some(json!({"kind": "kinescope"}))).await;
    assert_eq!(status, 200, "{preview}");
    let (status, state) = admin_call(&app, "GET", "/admin/targets/t/status", None).await;
    assert_eq!((status, state["holding"].as_bool()), (200, Some(false)), "{state}");
    assert_eq!(admin_call(&app, "POST", "/admin/targets/t/replay", None).await.0, 200);
    let (status, rejected) = admin_call(&app, "GET", "/admin/targets/t/rejected", None).await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(admin_call(&app, "POST", "/admin/targets/t/rejected/replay", None).await.0, 200);
    assert_eq!(admin_call(&app, "DELETE", "/admin/targets/t/rejected", None).await.0, 200);
    let one = "/admin/targets/t/rejected/01J0000000000000000000000A";
    assert_eq!(admin_call(&app, "DELETE", one, None).await.0, 404, "no such rejected delivery");
    assert_eq!(admin_call(&app, "POST", &format!("{one}/replay"), None).await.0, 404);
    assert_eq!(admin_call(&app, "GET", "/admin/targets/none/status", None).await.0, 404);
    let (status, catalog) = admin_call(&app, "GET", "/admin/catalog", None).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = catalog["sources"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
    let selectable: Vec<&str> = herald_domain::SourceKind::selectable().map(|k| k.as_str()).collect();
    assert_eq!(kinds, selectable, "every kind a source can be, Herald's own not among them");
    assert!(kinds.contains(&"servarr") && !kinds.contains(&"herald"));
    assert!(catalog["presets"].as_array().unwrap().iter().any(|p| p["preset"] == "discord"));
    let (status, dead) = admin_call(&app, "GET", "/admin/dead-letters", None).await;
    assert_eq!(status, 200, "{dead}");
    assert_eq!(admin_call(&app, "POST", "/admin/dead-letters/redrive", None).await.0, 200);
}

#[tokio::test]
async fn bad_bodies_unknown_routes_and_methods_answer_json() {
    let (app, _) = app();
    let (status, body) = send(&app, authorized("POST", "/admin/targets").body(Body::from("{not json")).unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(body["field"], "body");
    assert!(body["error"].as_str().unwrap().contains("not valid JSON"), "{body}");
    let (status, body) = admin_call(&app, "GET", "/admin/nothing", None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("no route GET /admin/nothing")));
    let (status, body) = admin_call(&app, "PATCH", "/admin/targets/t", None).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("no route PATCH"), "{body}");
}

#[tokio::test]
async fn the_page_is_public_embedded_and_locked_down() {
    let (app, _) = app();
    for path in ["/admin", "/admin/", "/admin/page/app.js", "/admin/page/editor.js", "/admin/page/style.css"] {
        let response = app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        // Nothing from elsewhere, nothing inline for the CSP to refuse.
        for load in ["src=\"http", "href=\"http", "url(", "@import", "from 'http", "from \"http", "fetch('http"] {
            assert!(!text.contains(load), "{path} loads nothing from elsewhere ({load})");
        }
        assert!(!text.contains("<script>") && !text.contains(" style=\""), "{path} has nothing inline");
    }
    let index = app.clone().oneshot(Request::get("/admin/").body(Body::empty()).unwrap()).await.unwrap();
    let html = String::from_utf8(axum::body::to_bytes(index.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
    for module in html.split("src=\"").skip(1).filter_map(|s| s.split('"').next()) {
        let response = app.clone().oneshot(Request::get(module).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), 200, "{module} is served");
    }
    let missing = app.clone().oneshot(Request::get("/admin/page/../router.rs").body(Body::empty()).unwrap()).await;
    assert_eq!(missing.unwrap().status(), 401, "only the page's own files are public");
    let missing = app.clone().oneshot(Request::get("/admin/page/nothing.js").body(Body::empty()).unwrap()).await;
    assert_eq!(missing.unwrap().status(), 404);
}

#[tokio::test]
async fn the_pages_files_are_gzipped_when_taken_and_a_second_visit_gets_304s() {
    use std::io::Read as _;
    let (app, _) = app();
    let get = |path: &str, headers: &[(&str, &str)]| {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        app.clone().oneshot(request.body(Body::empty()).unwrap())
    };
    for path in ["/admin", "/admin/page/editor.js", "/admin/page/style.css", "/admin/page/favicon.svg"] {
        let plain = get(path, &[]).await.unwrap();
        assert_eq!(plain.headers().get("content-encoding"), None, "{path}: not asked for gzip");
        let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.len() > 10, "{path}: a strong tag: {etag}");
        let plain = axum::body::to_bytes(plain.into_body(), usize::MAX).await.unwrap();

        let zipped = get(path, &[("accept-encoding", "br, gzip;q=0.8")]).await.unwrap();
        assert_eq!(
            (zipped.headers()["content-encoding"].to_str().unwrap(), zipped.headers()["vary"].to_str().unwrap()),
            ("gzip", "Accept-Encoding")
        );
        let zipped = axum::body::to_bytes(zipped.into_body(), usize::MAX).await.unwrap();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..]).read_to_end(&mut unzipped).unwrap();
        assert_eq!(unzipped, plain, "{path}: the same file");
        if plain.len() > 2000 {
            assert!(zipped.len() * 2 < plain.len(), "{path}: {} → {} bytes", plain.len(), zipped.len());
        }
        let refused = get(path, &[("accept-encoding", "gzip;q=0, identity")]).await.unwrap();
        assert_eq!(refused.headers().get("content-encoding"), None, "{path}: q=0 refuses gzip");

        let again =
            get(path, &[("if-none-match", &format!("W/\"x\", {etag}")), ("accept-encoding", "gzip")]).await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(axum::body::to_bytes(again.into_body(), usize::MAX).await.unwrap().is_empty());
        let changed = get(path, &[("if-none-match", "\"an-older-deploy\"")]).await.unwrap();
        assert_eq!(changed.status(), 200, "{path}: another tag gets the file");
    }
}

#[tokio::test]
async fn a_draft_previews_as_it_would_save() {
    let (app, fakes) = app();
    let draft = json!({"target": {"name": "D", "url": "https://discord.com/api/webhooks/1/secret-token-0123456789abc",
        "preset": "discord", "events": ["ombi:RequestAvailable"]}, "kind": "ombi", "event": "RequestAvailable"});
    let (status, preview) = admin_call(&app, "POST", "/admin/preview", Some(draft)).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["url"], "https://discord.com/api/webhooks/1/[redacted]", "the URL's token stays hidden");
    assert_eq!((preview["event"].as_str(), preview["kind"].as_str()), (Some("RequestAvailable"), Some("ombi")));
    let body: Value = serde_json::from_str(preview["body"].as_str().unwrap()).unwrap();
    assert!(body["content"].as_str().unwrap().contains("Example Movie"), "{body}");
    assert!(preview["warnings"].is_array());
    let broken =
        json!({"target": {"name": "D", "url": "https://x.example/h", "body": "{\n  \"a\": {{title}} {{year}}\n}"}});
    let (status, err) = admin_call(&app, "POST", "/admin/preview", Some(broken)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("body")), "{err}");
    assert!(err["error"].as_str().unwrap().contains("line 2"), "the position is given: {err}");
    // An edited target previews with what is stored behind [redacted], and shows none of it.
    let (_, stored) = admin_call(&app, "GET", "/admin/targets/t", None).await;
    let (status, preview) = admin_call(&app, "POST", "/admin/preview", Some(json!({"target": stored}))).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["headers"]["authorization"], "[redacted]");
    let (status, err) = admin_call(&app, "POST", "/admin/preview", Some(json!({"target": {"name": "x"}}))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("url")), "{err}");
    assert!(fakes.sender.requests.lock().unwrap().is_empty(), "a preview sends nothing");
    assert_eq!(fakes.store.targets.lock().unwrap().len(), 1, "and saves nothing");
}

#[tokio::test]
async fn answers_are_not_cached_or_sniffed_and_a_401_shows_no_route_map() {
    let (app, _) = app();
    for (method, token) in [("GET", Some(TOKEN)), ("GET", None), ("PATCH", None), ("DELETE", None)] {
        let mut request = Request::builder().method(method).uri("/admin/targets");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let headers = response.headers();
        assert_eq!(headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{method}");
        assert_eq!(headers.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"));
        if token.is_none() {
            assert_eq!(response.status(), 401, "{method}");
            assert!(headers.get("allow").is_none(), "{method} answered {headers:?}");
        }
    }
}

#[tokio::test]
async fn a_targets_secret_rotates_with_an_overlap_that_edits_keep_and_hex_ones_at_once() {
    let (app, fakes) = app();
    let stored = |id: &str| fakes.store.targets.lock().unwrap().iter().find(|t| t.id.as_str() == id).cloned().unwrap();
    let (status, rotated) = admin_call(&app, "POST", "/admin/targets/t/secret", None).await;
    assert_eq!(status, 200, "{rotated}");
    let secret = rotated["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && rotated["version"] == 2, "{rotated}");
    let until: chrono::DateTime<chrono::Utc> = serde_json::from_value(rotated["previous_until"].clone()).unwrap();
    assert_eq!(
        until,
        chrono::DateTime::UNIX_EPOCH + chrono::Duration::hours(24),
        "a day by default (the clock is at 0)"
    );
    let t = stored("t");
    assert_eq!(t.secret.as_ref().map(|s| s.expose()), Some(secret.as_str()));
    assert_eq!(t.previous_secret.as_ref().unwrap().secret.expose(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

    // Read back: neither secret, the overlap's end; an edit that keeps the secret keeps the overlap.
    let (_, read) = admin_call(&app, "GET", "/admin/targets/t", None).await;
    assert!(!read.to_string().contains(&secret), "{read}");
    assert_eq!(read["previous_secret"]["secret"], "[redacted]");
    let mut renamed = read.clone();
    renamed["name"] = json!("Renamed");
    assert_eq!(admin_call(&app, "PUT", "/admin/targets/t", Some(renamed)).await.0, 200);
    assert!(stored("t").previous_secret.is_some(), "kept by an edit of the name");

    // Refusals change nothing.
    let before = stored("t");
    for (body, field) in [
        (json!({"overlap_hours": 169}), "overlap_hours"),
        (json!({"secret": "not-whsec"}), "secret"),
        (json!({"secret": secret}), "secret"),
        (json!({"overlap": 1}), "overlap"),
    ] {
        let (status, err) = admin_call(&app, "POST", "/admin/targets/t/secret", Some(body.clone())).await;
        assert_eq!((status, err["field"].as_str()), (422, Some(field)), "{body}: {err}");
    }
    let request = authorized("POST", "/admin/targets/t/secret").header("if-match", "\"1\"").body(Body::empty());
    assert_eq!(send(&app, request.unwrap()).await.0, 409, "a stale version");
    assert_eq!(stored("t"), before);
    assert_eq!(admin_call(&app, "POST", "/admin/targets/none/secret", None).await.0, 404);

    // A hex header holds one signature: no overlap, said so; by default it switches at once.
    let hex =
        json!({"id": "h", "name": "H", "url": "https://h.example/", "signature": "hex", "secret": "0123456789abcdef"});
    assert_eq!(admin_call(&app, "POST", "/admin/targets", Some(hex)).await.0, 201);
    let (status, err) = admin_call(&app, "POST", "/admin/targets/h/secret", Some(json!({"overlap_hours": 1}))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("overlap_hours")), "{err}");
    assert!(err["error"].as_str().unwrap().contains("one signature"), "{err}");
    let (status, rotated) = admin_call(&app, "POST", "/admin/targets/h/secret", None).await;
    assert_eq!((status, rotated["previous_until"].is_null()), (200, true), "{rotated}");
    assert_eq!(rotated["secret"].as_str().unwrap().len(), 64, "32 bytes as hex");
    assert!(stored("h").previous_secret.is_none());
}
