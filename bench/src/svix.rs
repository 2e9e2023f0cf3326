//! The load bench's webhooks through svix-server, so Herald's latency and CPU can be put beside a
//! well-known relay's on one machine, with the same driver and the same receiver. svix-server and its
//! PostgreSQL are set up by hand (BENCHMARKS.md, "Beside svix-server"); nothing here runs in CI
//! against them.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use herald_aws::testing::Receiver;
use serde_json::{Value, json};

use crate::load::{LoadRun, paced, percentile, webhook_body};
use crate::warm::{clock_ticks_per_second, parse_stat, process_cpu};

#[derive(Clone, Debug)]
pub struct SvixOptions {
    /// svix-server's base URL, e.g. `http://127.0.0.1:8071`.
    pub url: String,
    /// An organisation's API token (`svix-server jwt generate`).
    pub token: String,
    pub events: usize,
    /// Messages per second (0: as fast as svix-server answers).
    pub rate: f64,
    pub in_flight: usize,
    pub receiver_latency: Duration,
    pub receiver_jitter: Duration,
    /// svix's processes by name (`svix-server`, `postgres`): their CPU is added up for the run.
    pub processes: Vec<String>,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct SvixRun {
    pub deliveries: usize,
    pub duplicates: usize,
    /// Message posted → delivery received, sorted.
    pub latencies: Vec<Duration>,
    /// First message posted → last delivery received.
    pub elapsed: Duration,
    /// CPU of each process named in the options (all of that name added up), in their order.
    pub relay_cpu: Vec<(String, Duration)>,
    /// CPU of this process (the driver and the receiver).
    pub bench_cpu: Duration,
}

pub async fn run(o: &SvixOptions) -> Result<SvixRun> {
    let receiver = Receiver::start().await;
    receiver.set_latency(o.receiver_latency, o.receiver_jitter);
    let api = Api { http: reqwest::Client::new(), base: o.url.trim_end_matches('/').to_owned(), token: &o.token };
    let app = api.post("/api/v1/app", json!({"name": format!("herald-bench {}", ulid::Ulid::new())})).await?;
    let app_id = app["id"].as_str().context("svix-server's application has no id")?.to_owned();
    api.post(
        &format!("/api/v1/app/{app_id}/endpoint"),
        json!({"url": receiver.url("/svix/hook"), "description": "herald-bench's receiver"}),
    )
    .await?;

    let (relay_before, bench_before) = (named_cpu(&o.processes), own_cpu());
    let started = Instant::now();
    let posted = post_all(&api, &app_id, o).await?;
    let recorded = loop {
        let recorded = receiver.requests();
        if delivered(&recorded).len() >= o.events {
            break recorded;
        }
        if started.elapsed() > o.timeout {
            bail!("{} of {} deliveries from svix-server after {:?}", delivered(&recorded).len(), o.events, o.timeout);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let relay_cpu = o
        .processes
        .iter()
        .zip(relay_before)
        .zip(named_cpu(&o.processes))
        .map(|((name, before), after)| (name.clone(), after.saturating_sub(before)))
        .collect();
    let bench_cpu = own_cpu().unwrap_or_default().saturating_sub(bench_before.unwrap_or_default());

    let mut seen = HashSet::new();
    let mut latencies = Vec::with_capacity(o.events);
    let mut duplicates = 0;
    let mut last = started;
    for r in recorded.iter().filter(|r| r.status < 300) {
        let Some(n) = event_number(&r.json()) else { bail!("a delivery the bench did not send: {}", r.text()) };
        if !seen.insert(n) {
            duplicates += 1;
            continue;
        }
        let sent = *posted.get(n).with_context(|| format!("message {n} was never sent"))?;
        last = last.max(r.at);
        latencies.push(r.at.saturating_duration_since(sent));
    }
    latencies.sort();
    Ok(SvixRun { deliveries: seen.len(), duplicates, latencies, elapsed: last - started, relay_cpu, bench_cpu })
}

struct Api<'a> {
    http: reqwest::Client,
    base: String,
    token: &'a str,
}

impl Api<'_> {
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("svix-server answered {status} to POST {path}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("svix-server's answer to POST {path}: {text}"))
    }
}

/// Posts every message (the load bench's Ombi webhook as the payload), `in_flight` at a time;
/// returns when each was posted.
async fn post_all(api: &Api<'_>, app_id: &str, o: &SvixOptions) -> Result<Vec<Instant>> {
    let path = format!("/api/v1/app/{app_id}/msg");
    let path = &path;
    let sent = paced(o.events, o.rate, o.in_flight, |n| async move {
        let payload: Value = serde_json::from_str(&webhook_body(n))?;
        api.post(path, json!({"eventType": "ombi.request_available", "payload": payload})).await.map(drop)
    })
    .await?;
    Ok(sent.into_iter().map(|(at, ())| at).collect())
}

/// svix delivers the payload as the body: the webhook's `requestId` is the message's number.
fn event_number(body: &Value) -> Option<usize> {
    body["requestId"].as_str()?.parse().ok()
}

fn delivered(recorded: &[herald_aws::testing::Recorded]) -> HashSet<usize> {
    recorded.iter().filter(|r| r.status < 300).filter_map(|r| event_number(&r.json())).collect()
}

/// User and system CPU of the processes called each of `names` (Linux' /proc), added up by name:
/// PostgreSQL, for one, runs a process per connection.
fn named_cpu(names: &[String]) -> Vec<Duration> {
    let mut totals = vec![Duration::ZERO; names.len()];
    let (Ok(entries), Ok(hz)) = (std::fs::read_dir("/proc"), clock_ticks_per_second()) else { return totals };
    for entry in entries.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        if let Some((name, cpu)) = parse_stat(&stat, hz) {
            for (total, _) in totals.iter_mut().zip(names).filter(|(_, n)| *n == name) {
                *total += cpu;
            }
        }
    }
    totals
}

/// This process's user and system CPU so far.
pub fn own_cpu() -> Option<Duration> {
    process_cpu("self").ok()
}

/// The side by side, one row per system. Herald runs inside this process, so its relay CPU is this
/// process's less what the driver and the receiver alone took in svix's run.
pub fn markdown(herald: Option<(&LoadRun, Duration)>, svix: &SvixRun, rate: f64) -> String {
    let per_1000 = |cpu: Duration, n: usize| cpu.as_secs_f64() * 1000.0 / n.max(1) as f64;
    let driver = per_1000(svix.bench_cpu, svix.deliveries);
    let asked = if rate > 0.0 { format!("{rate} webhooks/s") } else { "flat out".into() };
    let mut out = format!(
        "| {asked} | deliveries | p50 | p99 | deliveries/s | relay CPU per 1000 deliveries | this process's |\n|---|---|---|---|---|---|---|\n"
    );
    let row = |name: &str, latencies: &[Duration], elapsed: Duration, relay: String, own: f64| {
        format!(
            "| {name} | {} | {} ms | {} ms | {:.0} | {relay} | {own:.2} s |\n",
            latencies.len(),
            percentile(latencies, 50.0).as_millis(),
            percentile(latencies, 99.0).as_millis(),
            latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        )
    };
    if let Some((h, cpu)) = herald {
        let own = per_1000(cpu, h.deliveries);
        let relay = format!("~{:.2} s", (own - driver).max(0.0));
        out += &row("Herald (herald-local, emulator)", &h.latencies, h.elapsed, relay, own);
    }
    let relay = if svix.relay_cpu.is_empty() {
        "not asked".to_owned()
    } else {
        let each: Vec<String> = svix
            .relay_cpu
            .iter()
            .map(|(name, cpu)| format!("{name} {:.2} s", per_1000(*cpu, svix.deliveries)))
            .collect();
        each.join(" + ")
    };
    out += &row("svix-server", &svix.latencies, svix.elapsed, relay, driver);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proc_stat_line_gives_its_name_and_cpu() {
        // A name with a space and a parenthesis, as the kernel writes it.
        let line = "4242 (svix (w) 1) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 37 0 0 20 0 9 0 123 0 0";
        assert_eq!(parse_stat(line, 100.0), Some(("svix (w) 1", Duration::from_millis(2870))));
        assert_eq!(parse_stat("garbage", 100.0), None);
        assert!(own_cpu().is_some(), "this process's own line parses");
        assert!(named_cpu(&[]).is_empty());
    }

    /// svix-server's three calls as its API takes them, delivering each message's payload to the
    /// endpoint (the first one twice, as an at-least-once relay may): the driver's bookkeeping,
    /// checked without a svix-server.
    async fn svix_lookalike(token: &'static str) -> String {
        use axum::extract::{Path, State};
        use axum::http::{HeaderMap, StatusCode};
        use axum::routing::post;
        use std::sync::{Arc, Mutex};
        type Endpoint = Arc<Mutex<Option<String>>>;
        let authorized = move |headers: &HeaderMap| {
            headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {token}"))
        };
        let app =
            axum::Router::new()
                .route(
                    "/api/v1/app",
                    post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                        match (authorized(&headers), body["name"].is_string()) {
                            (true, true) => (StatusCode::CREATED, axum::Json(json!({"id": "app_1"}))),
                            (false, _) => {
                                (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": "authentication_failed"})))
                            }
                            (true, false) => {
                                (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!({"code": "validation"})))
                            }
                        }
                    }),
                )
                .route(
                    "/api/v1/app/{app}/endpoint",
                    post(|State(endpoint): State<Endpoint>, axum::Json(body): axum::Json<Value>| async move {
                        *endpoint.lock().unwrap() = body["url"].as_str().map(str::to_owned);
                        (StatusCode::CREATED, axum::Json(json!({"id": "ep_1"})))
                    }),
                )
                .route(
                    "/api/v1/app/{app}/msg",
                    post(
                        |Path(app): Path<String>,
                         State(endpoint): State<Endpoint>,
                         axum::Json(body): axum::Json<Value>| async move {
                            assert_eq!(app, "app_1");
                            let url = endpoint.lock().unwrap().clone().expect("an endpoint first");
                            let times = if body["payload"]["requestId"] == "0" { 2 } else { 1 };
                            tokio::spawn(async move {
                                for _ in 0..times {
                                    reqwest::Client::new()
                                        .post(&url)
                                        .body(body["payload"].to_string())
                                        .send()
                                        .await
                                        .unwrap();
                                }
                            });
                            (StatusCode::ACCEPTED, axum::Json(json!({"id": "msg_1"})))
                        },
                    ),
                )
                .with_state(Endpoint::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn options(url: String, token: &str) -> SvixOptions {
        SvixOptions {
            url,
            token: token.into(),
            events: 25,
            rate: 0.0,
            in_flight: 8,
            receiver_latency: Duration::ZERO,
            receiver_jitter: Duration::ZERO,
            processes: vec!["no-such-process-name".into()],
            timeout: Duration::from_secs(20),
        }
    }

    #[tokio::test]
    async fn each_message_is_counted_once_with_its_latency_and_a_refusal_is_an_error() {
        let url = svix_lookalike("org-token").await;
        let done = run(&options(url.clone(), "org-token")).await.unwrap();
        assert_eq!((done.deliveries, done.duplicates, done.latencies.len()), (25, 1, 25));
        assert!(done.latencies.windows(2).all(|w| w[0] <= w[1]), "sorted");
        assert_eq!(done.relay_cpu, [("no-such-process-name".to_owned(), Duration::ZERO)], "none of that name runs");
        let table = markdown(None, &done, 0.0);
        assert!(table.contains("| svix-server | 25 |") && table.contains("no-such-process-name 0.00 s"), "{table}");

        let refused = run(&options(url, "wrong-token")).await.unwrap_err().to_string();
        assert!(refused.contains("401") && !refused.contains("wrong-token"), "{refused}");
    }
}
