//! The settings page in a real browser: herald-local on the emulator and the recording receiver,
//! driven by `browser/e2e.mjs` (playwright-core and Debian's Chromium, which `scripts/browser`
//! installs). `scripts/test` sets HERALD_BROWSER_TESTS=1, so there a missing browser fails the run;
//! a plain `cargo test` without one says it skipped.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use herald_aws::testing::{Receiver, Reply};
use herald_domain::signature::StandardKey;
use serde_json::json;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// What the browser run needs, or why it cannot run here.
fn ready() -> Result<PathBuf, String> {
    let chromium = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !chromium.exists() {
        return Err(format!("no Chromium at {} (scripts/browser installs it)", chromium.display()));
    }
    let script = repo().join("browser");
    if !script.join("node_modules/playwright-core").exists() {
        return Err("browser/node_modules has no playwright-core (scripts/browser installs it)".into());
    }
    Ok(script)
}

/// The receiver's answers, switched by the browser script: POST /fail, POST /ok; GET /delivered
/// lists the bodies it accepted; GET /verify?path=&secret= checks the last request to `path` the
/// way a Standard Webhooks receiver holding `secret` would.
fn control(receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route("/fail", post(|State(r): State<Arc<Receiver>>| async move { r.reply_with(Reply::status(500)) }))
        .route("/ok", post(|State(r): State<Arc<Receiver>>| async move { r.reply_with(Reply::status(204)) }))
        .route(
            "/delivered",
            get(|State(r): State<Arc<Receiver>>| async move {
                let bodies: Vec<String> = r
                    .requests()
                    .iter()
                    .filter(|q| (200..300).contains(&q.status))
                    .map(|q| String::from_utf8_lossy(&q.body).into_owned())
                    .collect();
                axum::Json(json!({"delivered": bodies}))
            }),
        )
        .route(
            "/verify",
            get(|State(r): State<Arc<Receiver>>, Query(q): Query<HashMap<String, String>>| async move {
                let last = r.requests().into_iter().rfind(|x| x.uri.path().starts_with(&q["path"]));
                let Some(last) = last else { return axum::Json(json!({"verified": false, "signatures": 0})) };
                let header = |name: &str| last.header(name).unwrap_or_default().to_owned();
                let signature = header("webhook-signature");
                let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or_default();
                let key = StandardKey::parse(&q["secret"]).expect("a whsec_ secret");
                let now = chrono::Utc::now().timestamp();
                let verified = key.verify(&header("webhook-id"), timestamp, now, &last.body, &signature);
                axum::Json(json!({"verified": verified, "signatures": signature.split_whitespace().count()}))
            }),
        )
        .with_state(receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_page_works_in_a_real_browser() {
    let script = match ready() {
        Ok(script) => script,
        Err(why) if std::env::var_os("HERALD_BROWSER_TESTS").is_none() => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(why) => panic!("HERALD_BROWSER_TESTS is set but {why}"),
    };
    let w = common::world(json!({})).await;
    let receiver = Arc::new(Receiver::start().await);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let control_url = format!("http://{}", listener.local_addr().unwrap());
    let app = control(receiver.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut command = tokio::process::Command::new("node");
    command
        .arg("e2e.mjs")
        .current_dir(&script)
        .env("HERALD_URL", w.running.url(""))
        .env("HERALD_TOKEN", w.running.admin_token.expose())
        .env("RECEIVER_URL", receiver.url(""))
        .env("CONTROL_URL", &control_url)
        .kill_on_drop(true);
    if let Some(dir) = std::env::var_os("HERALD_SCREENSHOTS") {
        command.env("SCREENSHOTS", dir);
    }
    let run = tokio::time::timeout(Duration::from_secs(240), command.output()).await;
    server.abort();
    let output = run.expect("the browser run ends within 4 minutes").expect("node runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{stdout}");
    assert!(output.status.success(), "the browser run failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("the page works"), "{stdout}");
}
