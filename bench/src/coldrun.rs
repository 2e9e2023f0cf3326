//! Cold starts of all four functions (and a do-nothing Lambda as the floor) against a stack in the
//! emulator, with the demo's sources and targets so each first event runs the real path.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use herald_aws::dynamodb::Table;
use herald_aws::testing::Receiver;
use herald_local::config_file::LocalConfig;
use herald_local::stack::Stack;

use crate::cold::{cold_start, elf_arch, find_binary, median};

const FUNCTIONS: [&str; 4] = ["herald-ingest", "herald-deliver", "herald-retry", "herald-admin"];
/// A Lambda that answers `{}`: tokio, lambda_runtime and nothing else, built with the same profile.
pub const FLOOR: &str = "lambda-floor";
const ADMIN_TOKEN: &str = "bench-admin-token";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn event_file(name: &str) -> Result<String> {
    std::fs::read_to_string(repo("events").join(name)).with_context(|| format!("reading events/{name}"))
}

/// The first event each function gets.
fn first_event(function: &str) -> Result<String> {
    Ok(match function {
        "herald-ingest" => event_file("ingest-ombi-movie-request-available.json")?,
        "herald-deliver" => event_file("deliver-batch.json")?,
        "herald-retry" => event_file("wakeup-batch.json")?,
        "herald-admin" => {
            let mut event: serde_json::Value =
                serde_json::from_str(&event_file("ingest-ombi-movie-request-available.json")?)?;
            event["routeKey"] = "GET /admin/targets".into();
            event["rawPath"] = "/admin/targets".into();
            event["requestContext"]["http"]["method"] = "GET".into();
            event["requestContext"]["http"]["path"] = "/admin/targets".into();
            event["headers"] = serde_json::json!({"authorization": format!("Bearer {ADMIN_TOKEN}")});
            event["body"] = serde_json::Value::Null;
            event["pathParameters"] = serde_json::json!({});
            event.to_string()
        }
        _ => "{}".to_owned(),
    })
}

/// What the Lambda service sets for every function.
pub fn lambda_environment(function: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{function}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What the template gives every function, pointed at the emulator and `stack`.
fn environment(stack: &Stack, function: &str) -> Vec<(String, String)> {
    // The same environment `cargo lambda watch` gets from herald-local's setup.
    let token = herald_domain::Secret::new(ADMIN_TOKEN);
    let lines = stack.env_lines(&herald_local::aws::endpoint(), &token);
    let mut all = lambda_environment(function);
    all.push(("RUST_LOG".to_owned(), "warn".to_owned()));
    all.extend(lines.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())));
    all
}

/// One function's figures: median of `runs` cold starts.
#[derive(Clone, Debug)]
pub struct ColdRow {
    pub function: String,
    pub arch: &'static str,
    pub size: u64,
    pub init: Duration,
    pub first_response: Duration,
}

/// A fresh stack on the emulator with the demo's sources and targets, the targets pointed at a local
/// receiver (kept alive by the caller), so each function's events run the real path.
async fn demo_stack(aws: &aws_config::SdkConfig, prefix: &str) -> Result<(Stack, Receiver)> {
    let stack = Stack::ensure(aws, &format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())).await?;
    let receiver = Receiver::start().await;
    let demo = std::fs::read_to_string(repo("local/demo.json"))?.replace("http://127.0.0.1:8787", &receiver.url(""));
    let demo_path = std::env::temp_dir().join(format!("herald-bench-{prefix}-{}.json", std::process::id()));
    std::fs::write(&demo_path, demo)?;
    let config = LocalConfig::load(&demo_path);
    let _ = std::fs::remove_file(&demo_path);
    config?.apply(&Table::new(aws_sdk_dynamodb::Client::new(aws), &stack.resources.table)).await?;
    Ok((stack, receiver))
}

pub async fn run(aws: &aws_config::SdkConfig, bin_dir: &Path, runs: usize) -> Result<Vec<ColdRow>> {
    let (stack, _receiver) = demo_stack(aws, "cold").await?;
    let mut rows = Vec::new();
    for function in [FLOOR].into_iter().chain(FUNCTIONS) {
        let binary = find_binary(bin_dir, function)
            .with_context(|| format!("no {function} in {}: build it first (see BENCHMARKS.md)", bin_dir.display()))?;
        let (env, event) = (environment(&stack, function), first_event(function)?);
        let mut starts = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            starts.push(cold_start(&binary, &env, &event).await?);
        }
        rows.push(ColdRow {
            function: function.to_owned(),
            arch: elf_arch(&binary)?,
            size: std::fs::metadata(&binary)?.len(),
            init: median(starts.iter().map(|s| s.init).collect()),
            first_response: median(starts.iter().map(|s| s.first_response).collect()),
        });
    }
    Ok(rows)
}

pub fn markdown(rows: &[ColdRow], runs: usize) -> String {
    let floor = rows.iter().find(|r| r.function == FLOOR);
    let mut out = format!(
        "| function | arch | stripped size | init (median of {runs}) | init / floor | first response | goal |\n|---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        let ratio = floor.map_or(0.0, |f| r.init.as_secs_f64() / f.init.as_secs_f64().max(1e-9));
        out.push_str(&format!(
            "| {} | {} | {:.1} MB | {:.1} ms | {ratio:.1}× | {:.1} ms | init ≤ 20 ms |\n",
            r.function,
            r.arch,
            r.size as f64 / 1e6,
            r.init.as_secs_f64() * 1e3,
            r.first_response.as_secs_f64() * 1e3,
        ));
    }
    out
}

/// `n` distinct Ombi webhooks as the HTTP API hands them to ingest (distinct, so none is a duplicate).
fn ingest_events(n: usize) -> Result<Vec<String>> {
    let event: serde_json::Value = serde_json::from_str(&first_event("herald-ingest")?)?;
    let body: serde_json::Value = serde_json::from_str(event["body"].as_str().context("the event's body")?)?;
    Ok((0..n)
        .map(|i| {
            let mut body = body.clone();
            body["title"] = format!("Warm Movie {i}").into();
            let mut event = event.clone();
            event["body"] = body.to_string().into();
            event.to_string()
        })
        .collect())
}

/// CPU per warm ingest invocation, and the floor's (the runtime alone) in the same run.
pub async fn warm_ingest(
    aws: &aws_config::SdkConfig,
    bin_dir: &Path,
    n: usize,
    wrap: &[String],
) -> Result<(crate::warm::Warm, crate::warm::Warm)> {
    let (stack, _receiver) = demo_stack(aws, "warm").await?;
    let binary = |name: &str| {
        find_binary(bin_dir, name).with_context(|| format!("no {name} in {}: build it first", bin_dir.display()))
    };
    let ingest =
        crate::warm::run(&binary("herald-ingest")?, wrap, &environment(&stack, "herald-ingest"), ingest_events(n)?)
            .await?;
    let floor = crate::warm::run(&binary(FLOOR)?, &[], &lambda_environment(FLOOR), vec!["{}".to_owned(); n]).await?;
    Ok((ingest, floor))
}
