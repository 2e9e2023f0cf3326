//! The recovery drain: `parked` deliveries held for one target that was down, released when it
//! comes back, against a receiver with a real latency. Reported beside the rate the same receiver
//! sustains alone at the same concurrency, which is what the drain should approach.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt as _;
use herald_app::ports::{ParkingLot, StateStore, TargetStore};
use herald_aws::dynamodb::Table;
use herald_aws::testing::{Receiver, Reply};
use herald_domain::adapters::{Origin, normalize};
use herald_domain::ladder::Ladder;
use herald_domain::message::DeliveryMessage;
use herald_domain::state::{Failure, TargetState};
use herald_domain::{SourceId, SourceKind, TargetId};
use herald_local::run::{Options, start};
use serde_json::json;

use crate::load::webhook_body;

#[derive(Clone, Debug)]
pub struct DrainOptions {
    pub parked: usize,
    pub receiver_latency: Duration,
    pub receiver_jitter: Duration,
    /// Concurrent deliver and retry invocations.
    pub pollers: usize,
    /// Requests in flight while an unordered backlog goes out (the retry function's window).
    pub concurrency: usize,
    /// Released one by one by the retry function instead of through the queue.
    pub ordered: bool,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct DrainRun {
    pub options: DrainOptions,
    /// Release asked → the last parked delivery received.
    pub elapsed: Duration,
    pub delivered: usize,
    pub duplicates: usize,
    /// Requests in flight at once while the backlog goes out: the window, or 1 for an ordered target.
    pub concurrency: usize,
    /// Requests per second the receiver alone sustains at that concurrency.
    pub receiver_alone: f64,
}

impl DrainRun {
    pub fn rate(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

pub async fn run(aws: &aws_config::SdkConfig, o: &DrainOptions) -> Result<DrainRun> {
    let receiver = Receiver::start().await;
    receiver.set_latency(o.receiver_latency, o.receiver_jitter);
    let options = Options {
        stack: format!("drain-{}", ulid::Ulid::new().to_string().to_lowercase()),
        listen: "127.0.0.1:0".parse()?,
        pollers: o.pollers,
        tuning: herald_aws::settings::Tuning {
            // No wake-up while the backlog is parked: the release is asked for.
            ladder: Ladder::parse("1h")?,
            concurrency: o.concurrency,
            ..herald_local::run::local_tuning()
        },
        ..Options::default()
    };
    let running = start(aws, &options).await?;
    let concurrency = if o.ordered { 1 } else { o.concurrency };
    let http = reqwest::Client::new();
    let admin = |method: reqwest::Method, path: &str| {
        http.request(method, running.url(path)).bearer_auth(running.admin_token.expose())
    };
    // Generic: a chat preset's backlog is paced to its service's rate by design, which is not what
    // this measures (how fast a drain can go).
    let target = json!({"id": "t0", "name": "Drain", "preset": "generic", "url": receiver.url("/t0/hook"),
                        "ordered": o.ordered});
    let response = admin(reqwest::Method::POST, "/admin/targets")
        .header("content-type", "application/json")
        .body(target.to_string())
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("creating the target answered {}: {}", response.status(), response.text().await?);
    }

    // The backlog, parked as a down target's would be, and the target held.
    let table = Table::new(aws_sdk_dynamodb::Client::new(aws), &running.stack.resources.table);
    let id = TargetId::parse("t0")?;
    let stored = table.get_target(&id).await?.context("the target was saved")?;
    let source = SourceId::parse("ombi")?;
    let now = chrono::Utc::now();
    let failure = Failure { status: Some(503), error: "HTTP 503".into(), at: now };
    table.put_state(&id, 0, &TargetState::default().failed(&failure, now + chrono::Duration::hours(1))).await?;
    let expires = now + chrono::Duration::days(1);
    let parked: Vec<DeliveryMessage> = (0..o.parked)
        .map(|n| {
            let event =
                normalize(&Origin::of(&source, SourceKind::Ombi), webhook_body(n).as_bytes(), ulid::Ulid::new(), now)
                    .expect("the bench's webhook normalizes");
            DeliveryMessage::to(&stored, ulid::Ulid::new(), event)
        })
        .collect();
    let results: Vec<_> =
        futures::stream::iter(&parked).map(|d| table.park(d, expires)).buffer_unordered(32).collect().await;
    results.into_iter().collect::<Result<Vec<()>, _>>()?;

    let started = Instant::now();
    let response = admin(reqwest::Method::POST, "/admin/targets/t0/replay").send().await?;
    if !response.status().is_success() {
        bail!("replay answered {}: {}", response.status(), response.text().await?);
    }
    let (delivered, duplicates, last) = loop {
        let got = receiver.requests_to("/t0/");
        if got.len() >= o.parked {
            let mut seen = HashSet::new();
            let mut duplicates = 0;
            for r in got.iter().filter(|r| r.status < 300) {
                let content = r.json()["event_id"].as_str().unwrap_or_default().to_owned();
                if !seen.insert(content) {
                    duplicates += 1;
                }
            }
            if seen.len() >= o.parked {
                break (seen.len(), duplicates, got.iter().map(|r| r.at).max().unwrap_or(started));
            }
        }
        if started.elapsed() > o.timeout {
            bail!("{} of {} parked deliveries after {:?}", got.len(), o.parked, o.timeout);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let elapsed = last.saturating_duration_since(started);
    let receiver_alone = receiver_alone(o, concurrency).await?;
    Ok(DrainRun { options: o.clone(), elapsed, delivered, duplicates, concurrency, receiver_alone })
}

/// The receiver alone: the same number of requests, `concurrency` at a time, from one client.
async fn receiver_alone(o: &DrainOptions, concurrency: usize) -> Result<f64> {
    let receiver = Receiver::start().await;
    receiver.set_latency(o.receiver_latency, o.receiver_jitter);
    receiver.reply_with(Reply::status(204));
    let http = reqwest::Client::new();
    let url = receiver.url("/alone");
    let started = Instant::now();
    let results: Vec<reqwest::Result<reqwest::Response>> = futures::stream::iter(0..o.parked)
        .map(|n| http.post(&url).body(webhook_body(n)).send())
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for r in results {
        r?;
    }
    Ok(o.parked as f64 / started.elapsed().as_secs_f64().max(1e-9))
}

pub fn markdown(r: &DrainRun) -> String {
    let o = &r.options;
    format!(
        "| {} | {} ± {} ms | {} | {} | {:.1} s | {:.0}/s | {:.0}/s | {:.0} % | {} |",
        o.parked,
        o.receiver_latency.as_millis(),
        o.receiver_jitter.as_millis(),
        if o.ordered { "ordered" } else { "unordered" },
        r.concurrency,
        r.elapsed.as_secs_f64(),
        r.rate(),
        r.receiver_alone,
        100.0 * r.rate() / r.receiver_alone.max(1e-9),
        r.duplicates,
    )
}

pub const MARKDOWN_HEADER: &str = "| parked | receiver | target | in flight | drain time | drain rate | receiver alone | drain / alone | duplicates |\n|---|---|---|---|---|---|---|---|---|";
