//! CPU per warm invocation: a function's release binary against a fake Lambda Runtime API that
//! hands it `n` events one after another, with its CPU time read from `/proc` after the first
//! answer and after the last. What a warm container spends per webhook, init excluded; run under
//! `--wrap "valgrind --tool=callgrind"` it gives the instruction profile instead.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

use crate::cold::{function_command, invocation_headers, serve};

struct Api {
    events: Vec<String>,
    handed: Mutex<usize>,
    answered: Mutex<Answered>,
    progress: Notify,
}

#[derive(Default)]
struct Answered {
    count: usize,
    errors: Vec<String>,
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    let index = {
        let mut handed = api.handed.lock().expect("lock");
        *handed += 1;
        *handed - 1
    };
    let Some(event) = api.events.get(index) else {
        // No more events: keep the function waiting, as an idle Lambda container waits.
        std::future::pending::<()>().await;
        unreachable!()
    };
    (invocation_headers(&format!("req-{index}")), event.clone()).into_response()
}

async fn answered(
    State(api): State<Arc<Api>>,
    UrlPath((_, kind)): UrlPath<(String, String)>,
    body: String,
) -> StatusCode {
    let mut answered = api.answered.lock().expect("lock");
    answered.count += 1;
    if kind == "error" {
        answered.errors.push(body);
    }
    api.progress.notify_one();
    StatusCode::ACCEPTED
}

/// CPU (user + system) the process `pid` has used so far (`self` for this one), from /proc.
pub(crate) fn process_cpu(pid: &str) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    Ok(parse_stat(&stat, clock_ticks_per_second()?).context("a stat line")?.1)
}

/// A `/proc/<pid>/stat` line's command name and its user + system CPU (fields 14 and 15, counted
/// in ticks of `1 / ticks_per_second`).
pub(crate) fn parse_stat(stat: &str, ticks_per_second: f64) -> Option<(&str, Duration)> {
    // The command is in parentheses and may hold spaces and parentheses itself.
    let (head, fields) = stat.rsplit_once(')')?;
    let name = &head[head.find('(')? + 1..];
    let fields: Vec<&str> = fields.split_whitespace().collect();
    // After the command, the state is field 3: utime and stime are the 12th and 13th.
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some((name, Duration::from_secs_f64(ticks / ticks_per_second)))
}

/// USER_HZ, the unit of `/proc/<pid>/stat`'s times (100 on mainstream kernels; asked once, not assumed).
pub(crate) fn clock_ticks_per_second() -> Result<f64> {
    static ASKED: std::sync::OnceLock<Option<f64>> = std::sync::OnceLock::new();
    let asked = ASKED.get_or_init(|| {
        let out = std::process::Command::new("getconf").arg("CLK_TCK").output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    });
    asked.context("getconf CLK_TCK gave no number")
}

/// What `n` warm invocations cost.
#[derive(Clone, Copy, Debug)]
pub struct Warm {
    pub invocations: usize,
    /// CPU per invocation after the first (init and the first connection excluded).
    pub cpu_per_invocation: Duration,
    pub wall_per_invocation: Duration,
}

/// Runs `binary` (through `wrap`, e.g. valgrind, if given) over `events`.
pub async fn run(binary: &Path, wrap: &[String], env: &[(String, String)], events: Vec<String>) -> Result<Warm> {
    let n = events.len();
    if n < 2 {
        bail!("give at least two events: the first is not counted");
    }
    let api = Arc::new(Api { events, handed: Mutex::new(0), answered: Mutex::default(), progress: Notify::new() });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answered))
        .with_state(api.clone());
    let (addr, server) = serve(app).await?;
    let (program, args) = match wrap.split_first() {
        Some((program, args)) => {
            (program.clone(), args.iter().cloned().chain([binary.display().to_string()]).collect())
        }
        None => (binary.display().to_string(), Vec::new()),
    };
    let mut child = function_command(&program, env, addr)
        .args(&args)
        // A wrapper such as valgrind finds its own tools on the PATH.
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    let pid = child.id().context("a running child")?;
    let answered = |at_least: usize| {
        let api = api.clone();
        async move {
            loop {
                let progress = api.progress.notified();
                if api.answered.lock().expect("lock").count >= at_least {
                    return;
                }
                progress.await;
            }
        }
    };
    let timeout = Duration::from_secs(600);
    tokio::time::timeout(timeout, answered(1)).await.context("no first answer")?;
    let (cpu_first, wall_first) = (process_cpu(&pid.to_string())?, std::time::Instant::now());
    tokio::time::timeout(timeout, answered(n)).await.context("not every event answered")?;
    let (cpu_last, wall_last) = (process_cpu(&pid.to_string())?, std::time::Instant::now());
    // A wrapper (valgrind) writes its profile when the process ends: ask it to end, and wait.
    let _ = tokio::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    server.abort();
    let errors = &api.answered.lock().expect("lock").errors;
    if let Some(first) = errors.first() {
        bail!("{} of {n} invocations failed, e.g.: {first}", errors.len());
    }
    let counted = (n - 1) as f64;
    Ok(Warm {
        invocations: n,
        cpu_per_invocation: cpu_last.saturating_sub(cpu_first).div_f64(counted),
        wall_per_invocation: Duration::from_secs_f64((wall_last - wall_first).as_secs_f64() / counted),
    })
}
