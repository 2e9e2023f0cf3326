//! Cold start: each function's release binary started against a minimal fake Lambda Runtime API
//! on loopback. Init is process start → its first `GET .../invocation/next`; first response is
//! process start → the `POST .../response` for the first event (SDK clients and the HTTP pool are
//! built lazily, so this includes the first connection to the emulator).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

#[derive(Default)]
struct Seen {
    next: Option<Instant>,
    response: Option<Instant>,
    error: Option<String>,
}

struct Api {
    event: String,
    seen: Mutex<Seen>,
    done: Notify,
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    let first = {
        let mut seen = api.seen.lock().expect("lock");
        let first = seen.next.is_none();
        seen.next.get_or_insert_with(Instant::now);
        first
    };
    if !first {
        // The function asks for its second event once it answered the first: keep it waiting.
        std::future::pending::<()>().await;
    }
    (invocation_headers(REQUEST_ID), api.event.clone()).into_response()
}

/// What the Runtime API sends with an event: its request id, a deadline 30 s away, the function.
pub(crate) fn invocation_headers(request_id: &str) -> HeaderMap {
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", request_id.parse().expect("valid"));
    headers.insert("lambda-runtime-deadline-ms", deadline.to_string().parse().expect("valid"));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:000000000000:function:herald-bench".parse().expect("valid"),
    );
    headers.insert("lambda-runtime-trace-id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700".parse().expect("valid"));
    headers
}

/// `program`, to be started as Lambda starts a function: with `env` for its whole environment and
/// the fake Runtime API at `api`, its output discarded, killed when dropped.
pub(crate) fn function_command(
    program: impl AsRef<std::ffi::OsStr>,
    env: &[(String, String)],
    api: std::net::SocketAddr,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .stdout(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Serves a fake Runtime API on a loopback port; the address goes in `AWS_LAMBDA_RUNTIME_API`.
pub(crate) async fn serve(app: Router) -> Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, server))
}

async fn response(State(api): State<Arc<Api>>) -> StatusCode {
    api.seen.lock().expect("lock").response.get_or_insert_with(Instant::now);
    api.done.notify_one();
    StatusCode::ACCEPTED
}

async fn error(State(api): State<Arc<Api>>, body: String) -> StatusCode {
    api.seen.lock().expect("lock").error = Some(body);
    api.done.notify_one();
    StatusCode::ACCEPTED
}

/// One cold start's timings.
#[derive(Clone, Copy, Debug)]
pub struct Start {
    pub init: Duration,
    pub first_response: Duration,
}

/// Starts `binary` with `env` against a fresh fake Runtime API and times its first event.
pub async fn cold_start(binary: &Path, env: &[(String, String)], event: &str) -> Result<Start> {
    let api = Arc::new(Api { event: event.to_owned(), seen: Mutex::default(), done: Notify::new() });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(api.clone());
    let (addr, server) = serve(app).await?;
    let done = api.done.notified();
    let spawned = Instant::now();
    let mut child = function_command(binary, env, addr)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let waited = tokio::select! {
        () = done => Ok(()),
        status = child.wait() => Err(status),
        () = tokio::time::sleep(Duration::from_secs(30)) => Ok(()),
    };
    let _ = child.start_kill();
    let output = child.wait_with_output().await?;
    server.abort();
    let seen = api.seen.lock().expect("lock");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if let Err(status) = waited {
        bail!("{} exited ({:?}) before answering: {stderr}", binary.display(), status.ok());
    }
    if let Some(error) = &seen.error {
        bail!("{} reported an error: {error}\n{stderr}", binary.display());
    }
    match (seen.next, seen.response) {
        (Some(next), Some(response)) => Ok(Start { init: next - spawned, first_response: response - spawned }),
        _ => bail!("{} did not answer within 30 s: {stderr}", binary.display()),
    }
}

/// `<dir>/<name>` (cargo build) or `<dir>/<name>/bootstrap` (cargo lambda build).
pub fn find_binary(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(name).join("bootstrap")].into_iter().find(|p| p.is_file())
}

/// The architecture an ELF binary was built for, from its header.
pub fn elf_arch(binary: &Path) -> Result<&'static str> {
    let bytes = std::fs::read(binary)?;
    if bytes.get(..4) != Some(b"\x7fELF") {
        bail!("{} is not an ELF binary", binary.display());
    }
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    Ok(match machine {
        0x3e => "x86_64",
        0xb7 => "arm64",
        _ => "other",
    })
}

pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(median(vec![ms(4), ms(1), ms(2), ms(3)]), ms(3));
        assert_eq!(median(vec![]), Duration::ZERO);
    }

    #[test]
    fn elf_arch_reads_the_machine_field() {
        let me = std::env::current_exe().unwrap();
        let expected = if cfg!(target_arch = "x86_64") { "x86_64" } else { "arm64" };
        assert_eq!(elf_arch(&me).unwrap(), expected);
        let dir = std::env::temp_dir().join(format!("herald-elf-{}", std::process::id()));
        std::fs::write(&dir, b"#!/bin/sh\n").unwrap();
        assert!(elf_arch(&dir).unwrap_err().to_string().contains("not an ELF binary"));
        let _ = std::fs::remove_file(dir);
    }
}
