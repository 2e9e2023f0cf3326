//! Sends the API Gateway requests in `events/` to a running herald-local over HTTP, as the real
//! sources would, and prints what Herald answered.

use std::path::Path;

use anyhow::{Context, Result};
use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use base64::Engine as _;

/// The header that names a demo run: the demo's sources take it as each webhook's delivery id.
pub const RUN_HEADER: &str = "x-herald-demo-run";

/// Every `events/ingest-*.json`, in name order: (file name, request).
pub fn ingest_events(dir: &Path) -> Result<Vec<(String, ApiGatewayV2httpRequest)>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("ingest-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)?;
            let request = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            Ok((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), request))
        })
        .collect()
}

/// Sends one API Gateway request to `base` (e.g. `http://127.0.0.1:3000`) with its own method;
/// returns status and body.
pub async fn post(client: &reqwest::Client, base: &str, request: &ApiGatewayV2httpRequest) -> Result<(u16, String)> {
    let path = request.raw_path.as_deref().context("event has no rawPath")?;
    let query =
        request.raw_query_string.as_deref().filter(|q| !q.is_empty()).map(|q| format!("?{q}")).unwrap_or_default();
    let method = request.request_context.http.method.clone();
    let mut builder = client.request(method, format!("{base}{path}{query}"));
    for (name, value) in &request.headers {
        if name != "content-length" && name != "host" {
            builder = builder.header(name, value);
        }
    }
    let body = request.body.clone().unwrap_or_default();
    // Multipart fixtures (Plex, Emby) are kept base64-encoded, as API Gateway passes binary bodies.
    let body = if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD.decode(body.as_bytes()).context("body is not base64")?
    } else {
        body.into_bytes()
    };
    let response = builder.body(body).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

/// The demo's sources (fixed tokens, so the files in `events/` authenticate) are written directly;
/// its targets are created through the admin API, as a person would.
pub async fn set_up(aws: &aws_config::SdkConfig, running: &crate::run::Running, config: &Path) -> Result<()> {
    let config = crate::config_file::LocalConfig::load(config)?;
    let table = herald_aws::dynamodb::Table::new(aws_sdk_dynamodb::Client::new(aws), &running.stack.resources.table);
    for source in &config.sources {
        let mut source = source.to_source()?;
        // Each run of the demo sends the same files; named by run, the second run is not a repeat.
        source.delivery_id_header = Some(RUN_HEADER.to_owned());
        table.put_source(&source).await?;
    }
    let client = reqwest::Client::new();
    let token = running.admin_token.expose();
    for target in &config.targets {
        let url = running.url(&format!("/admin/targets/{}", target.id));
        client.delete(&url).bearer_auth(token).send().await?;
        let mut body = serde_json::to_value(target)?;
        body.as_object_mut().map(|b| b.remove("version"));
        let response = client
            .post(running.url("/admin/targets"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "creating target {} answered {status}: {}",
            target.id,
            response.text().await?
        );
        println!("created target {:<10} through POST /admin/targets", target.id.as_str());
    }
    Ok(())
}
