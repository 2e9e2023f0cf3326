//! The load bench: N webhooks through herald-local and the emulator into a local receiver, with
//! every AWS call counted by the SDK interceptor of the function that made it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use futures::StreamExt as _;
use herald_aws::Clients;
use herald_aws::settings::{self, Tuning};
use herald_aws::testing::{Receiver, Recorded, Reply};
use herald_domain::ladder::Ladder;
use herald_domain::sample::OMBI_REQUEST_AVAILABLE;
use herald_local::batching::Batching;
use herald_local::poller::Invocations;
use herald_local::run::{Options, RoleClients, Running, start_with};
use serde_json::json;

use crate::counting::{CallCounter, Tally};

#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub events: usize,
    pub fan_out: usize,
    /// Every nth request the receiver gets fails with a 500; `None` for a healthy target.
    pub fail_every: Option<usize>,
    /// Webhooks posted at once.
    pub in_flight: usize,
    /// Concurrent deliver invocations (the event source mapping scales them on AWS).
    pub pollers: usize,
    pub timeout: Duration,
    /// How long the receiver takes to answer, ± `receiver_jitter`: Discord and Telegram take
    /// 100-500 ms, and Lambda bills the wait.
    pub receiver_latency: Duration,
    pub receiver_jitter: Duration,
    /// Targets (the last ones) that answer 503 for the whole run: their deliveries are parked,
    /// not delivered, and the rest must not pay for them.
    pub down_targets: usize,
    /// Webhooks per second (0: as fast as ingest answers). Below the delivery side's capacity, the
    /// latency is Herald's; above it, the queue's backlog.
    pub rate: f64,
    /// The activity log's delivery steps (`HERALD_ACTIVITY_STEPS`), on by default.
    pub activity_steps: bool,
    /// The deliveries mapping's batch size and batching window (the template's defaults unless set).
    pub batching: Batching,
}

impl LoadOptions {
    pub fn new(events: usize, fan_out: usize) -> Self {
        Self {
            events,
            fan_out,
            fail_every: None,
            in_flight: 32,
            pollers: 4,
            timeout: Duration::from_secs(1800),
            receiver_latency: Duration::ZERO,
            receiver_jitter: Duration::ZERO,
            down_targets: 0,
            rate: 0.0,
            activity_steps: true,
            batching: Batching::default(),
        }
    }

    /// Targets that are up: the deliveries a run waits for are `events` × this.
    pub fn up_targets(&self) -> usize {
        self.fan_out.saturating_sub(self.down_targets)
    }
}

/// One run's measurements.
#[derive(Clone, Debug)]
pub struct LoadRun {
    pub options: LoadOptions,
    /// First webhook posted → last delivery received.
    pub elapsed: Duration,
    pub deliveries: usize,
    /// Deliveries that arrived more than once (SQS is at-least-once).
    pub duplicates: usize,
    /// Requests the receiver failed on purpose.
    pub failed_attempts: usize,
    /// Herald's own deliveries (a down target's health warning to the others), not the bench's.
    pub warnings: usize,
    /// Webhook posted → delivery received, sorted.
    pub latencies: Vec<Duration>,
    /// Sum of ingest handler times, each rounded up to the millisecond as Lambda bills.
    pub ingest_billed_ms: u64,
    pub ingest: Tally,
    pub deliver: Tally,
    pub retry: Tally,
    pub deliver_invocations: u64,
    pub deliver_billed_ms: u64,
    pub retry_invocations: u64,
    pub retry_billed_ms: u64,
    /// What one Activity page view (the newest 50 events) read, after the run.
    pub page_view: Tally,
}

impl LoadRun {
    pub fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Counters {
    ingest: CallCounter,
    deliver: CallCounter,
    retry: CallCounter,
    admin: CallCounter,
}

pub async fn run(aws: &aws_config::SdkConfig, o: &LoadOptions) -> Result<LoadRun> {
    let receiver = Receiver::start().await;
    if let Some(nth) = o.fail_every {
        receiver.reply_with(Reply::FailEvery { nth, status: 500 });
    }
    receiver.set_latency(o.receiver_latency, o.receiver_jitter);
    for t in o.up_targets()..o.fan_out {
        receiver.reply_for(&format!("/t{t}/"), Reply::status(503));
    }
    let counters = Counters {
        ingest: CallCounter::default(),
        deliver: CallCounter::default(),
        retry: CallCounter::default(),
        admin: CallCounter::default(),
    };
    let roles = RoleClients {
        ingest: Clients::with_interceptor(aws, counters.ingest.clone()),
        deliver: Clients::with_interceptor(aws, counters.deliver.clone()),
        retry: Clients::with_interceptor(aws, counters.retry.clone()),
        admin: Clients::with_interceptor(aws, counters.admin.clone()),
    };
    let options = Options {
        stack: format!("bench-{}", ulid::Ulid::new().to_string().to_lowercase()),
        listen: "127.0.0.1:0".parse()?,
        pollers: o.pollers,
        batching: o.batching,
        tuning: Tuning {
            // The template's default.
            target_cache_ttl: settings::DEFAULT_TARGET_CACHE_TTL,
            // A failing target climbs the ladder; short rungs keep the run minutes long, and every
            // hold, park and release is still counted.
            ladder: if o.fail_every.is_some() || o.down_targets > 0 {
                Ladder::parse("1s,2s,4s")?
            } else {
                Ladder::default()
            },
            activity_steps: o.activity_steps,
            ..herald_local::run::local_tuning()
        },
        ..Options::default()
    };
    let running = start_with(aws, &options, roles).await?;
    let credential = set_up(&running, &receiver, o.fan_out).await?;

    let before = (counters.ingest.snapshot(), counters.deliver.snapshot(), counters.retry.snapshot());
    let (deliver_before, retry_before) = (counts(&running.deliver_invocations), counts(&running.retry_invocations));
    let started = Instant::now();
    let posted = post_all(&running, &credential, o).await?;
    let ingest_billed_ms = posted.iter().map(|(_, took)| took.as_micros().div_ceil(1000) as u64).sum();
    let recorded = wait_for_deliveries(&receiver, o, started).await?;
    // The mapping deletes a batch after its deliveries arrived: count its calls once it has.
    wait_for_empty_queue(aws, &running.stack.resources.deliveries_queue_url).await?;
    let (ingest, deliver, retry) = (
        counters.ingest.snapshot().since(&before.0),
        counters.deliver.snapshot().since(&before.1),
        counters.retry.snapshot().since(&before.2),
    );
    let (deliver_after, retry_after) = (counts(&running.deliver_invocations), counts(&running.retry_invocations));
    let page_view = activity_page_view(&running, &counters.admin).await?;

    let mut seen = HashSet::new();
    let mut latencies = Vec::with_capacity(o.events * o.up_targets());
    let mut duplicates = 0;
    let mut failed_attempts = 0;
    let mut warnings = 0;
    let mut last = started;
    for r in &recorded {
        if r.status >= 300 {
            failed_attempts += 1;
            continue;
        }
        if delivery_key(r).is_some_and(|(_, t)| t >= o.up_targets()) {
            continue;
        }
        let Some(key) = delivery_key(r) else {
            // Not the bench's: Herald's health warning about a down target, to the others.
            if r.body.windows(b"failed".len()).any(|w| w == b"failed") {
                warnings += 1;
                continue;
            }
            bail!("a delivery the bench did not send: {}", String::from_utf8_lossy(&r.body));
        };
        if !seen.insert(key) {
            duplicates += 1;
            continue;
        }
        last = last.max(r.at);
        latencies.push(r.at.saturating_duration_since(posted[key.0].0));
    }
    latencies.sort();
    Ok(LoadRun {
        options: o.clone(),
        elapsed: last - started,
        deliveries: seen.len(),
        duplicates,
        failed_attempts,
        warnings,
        latencies,
        ingest_billed_ms,
        ingest,
        deliver,
        retry,
        deliver_invocations: deliver_after.0 - deliver_before.0,
        deliver_billed_ms: deliver_after.1 - deliver_before.1,
        retry_invocations: retry_after.0 - retry_before.0,
        retry_billed_ms: retry_after.1 - retry_before.1,
        page_view,
    })
}

/// What the page's Activity view reads once: the newest 50 events with their deliveries' outcomes.
async fn activity_page_view(running: &Running, admin: &CallCounter) -> Result<Tally> {
    let before = admin.snapshot();
    let response = reqwest::Client::new()
        .get(running.url("/admin/events?limit=50"))
        .bearer_auth(running.admin_token.expose())
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("the Activity view answered {}", response.status());
    }
    Ok(admin.snapshot().since(&before))
}

/// Invocations so far, and their billed milliseconds.
fn counts(invocations: &Invocations) -> (u64, u64) {
    (invocations.count(), invocations.billed_ms())
}

/// An Ombi source and `fan_out` Discord-preset targets, through the admin API as a user would.
async fn set_up(running: &Running, receiver: &Receiver, fan_out: usize) -> Result<String> {
    let http = reqwest::Client::new();
    let token = running.admin_token.expose();
    let post = |path: &str, body: serde_json::Value| {
        http.post(running.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let response = post("/admin/sources", json!({"id": "ombi", "kind": "ombi"})).await?;
    let status = response.status();
    let created: serde_json::Value = serde_json::from_str(&response.text().await?)?;
    if !status.is_success() {
        bail!("creating the source answered {status}: {created}");
    }
    for t in 0..fan_out {
        // No id: the API makes one of 26 characters, as for a target made in the page, so each
        // logged step is as long as a user's.
        let body =
            json!({"name": format!("Bench {t}"), "preset": "discord", "url": receiver.url(&format!("/t{t}/hook"))});
        let response = post("/admin/targets", body).await?;
        if !response.status().is_success() {
            bail!("creating target t{t} answered {}: {}", response.status(), response.text().await?);
        }
    }
    created["credential"]["token"].as_str().map(str::to_owned).context("the source's credential")
}

/// An Ombi "request available" webhook whose title carries the event's number.
pub fn webhook_body(n: usize) -> String {
    OMBI_REQUEST_AVAILABLE.replacen("\"Example Movie\"", &format!("\"bench-{n}\""), 1).replacen(
        "\"requestId\": \"123\"",
        &format!("\"requestId\": \"{n}\""),
        1,
    )
}

/// Which event and target a delivery is for: `bench-<n>` in the Discord content, `/t<t>/` in the path.
fn delivery_key(r: &Recorded) -> Option<(usize, usize)> {
    let content = r.json()["content"].as_str()?.to_owned();
    let digits: String = content.split("bench-").nth(1)?.chars().take_while(char::is_ascii_digit).collect();
    let target = r.uri.path().strip_prefix("/t")?.split('/').next()?.parse().ok()?;
    Some((digits.parse().ok()?, target))
}

/// Posts every webhook, `in_flight` at a time; returns when each was posted and how long ingest took.
async fn post_all(running: &Running, credential: &str, o: &LoadOptions) -> Result<Vec<(Instant, Duration)>> {
    let http = reqwest::Client::new();
    let url = running.url("/hooks/ombi");
    paced(o.events, o.rate, o.in_flight, |n| {
        let request = http.post(&url).header("access-token", credential).header("content-type", "application/json");
        async move {
            let at = Instant::now();
            let response = request.body(webhook_body(n)).send().await?;
            let took = at.elapsed();
            if response.status() != 202 {
                bail!("webhook {n} answered {}: {}", response.status(), response.text().await?);
            }
            Ok(took)
        }
    })
    .await
}

/// Runs `send(n)` for every `n` below `events`, `in_flight` at a time, the nth no sooner than
/// `n / rate` seconds in (a rate of 0: as fast as they are answered). Returns, by `n`, when each
/// was sent and what it gave.
pub(crate) async fn paced<T, F, Fut>(events: usize, rate: f64, in_flight: usize, send: F) -> Result<Vec<(Instant, T)>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let start = tokio::time::Instant::now();
    let results: Vec<Result<(usize, Instant, T)>> = futures::stream::iter(0..events)
        .map(|n| {
            let due = (rate > 0.0).then(|| start + Duration::from_secs_f64(n as f64 / rate));
            let sending = send(n);
            async move {
                if let Some(due) = due {
                    tokio::time::sleep_until(due).await;
                }
                let at = Instant::now();
                Ok((n, at, sending.await?))
            }
        })
        .buffer_unordered(in_flight.max(1))
        .collect()
        .await;
    let mut sent: Vec<Option<(Instant, T)>> = (0..events).map(|_| None).collect();
    for result in results {
        let (n, at, gave) = result?;
        sent[n] = Some((at, gave));
    }
    Ok(sent.into_iter().map(|s| s.expect("every n was sent")).collect())
}

async fn wait_for_deliveries(receiver: &Receiver, o: &LoadOptions, started: Instant) -> Result<Vec<Recorded>> {
    let expected = o.events * o.up_targets();
    loop {
        if receiver.count() >= expected {
            let recorded = receiver.requests();
            let delivered: HashSet<_> = recorded
                .iter()
                .filter(|r| r.status < 300)
                .filter_map(delivery_key)
                .filter(|(_, t)| *t < o.up_targets())
                .collect();
            if delivered.len() >= expected {
                return Ok(recorded);
            }
        }
        if started.elapsed() > o.timeout {
            bail!("{} of {expected} deliveries after {:?}", receiver.count(), o.timeout);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits (10 s at most, then says so and goes on) until no message is waiting or in flight on
/// `queue_url`.
async fn wait_for_empty_queue(aws: &aws_config::SdkConfig, queue_url: &str) -> Result<()> {
    use aws_sdk_sqs::types::QueueAttributeName::{ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible};
    let sqs = aws_sdk_sqs::Client::new(aws);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(ApproximateNumberOfMessages)
            .attribute_names(ApproximateNumberOfMessagesNotVisible)
            .send()
            .await?;
        let attrs = out.attributes.unwrap_or_default();
        let left: u64 = [ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible]
            .iter()
            .map(|k| attrs.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0))
            .sum();
        if left == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            eprintln!("note: {left} messages still on {queue_url}; the mapping's last calls may be missing");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&d, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&d[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn webhook_bodies_differ_by_number() {
        let body: serde_json::Value = serde_json::from_str(&webhook_body(42)).unwrap();
        assert_eq!((body["title"].as_str(), body["requestId"].as_str()), (Some("bench-42"), Some("42")));
    }
}
