//! One SQS batch of delivery messages. A record fails only itself, and only for our own reasons:
//! a target's HTTP failure is recorded (and the delivery parked) and the message acknowledged.

use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use herald_app::backoff::Warned;
use herald_app::deliver::{Deliver, Report};
use std::time::{Duration, Instant};

use herald_aws::lambda::{Received, flush_activity, for_each_record, stop_starting_at};
use herald_aws::metrics::{Metrics, Unit};
use herald_domain::activity::Outcome;
use herald_domain::message::Message;
use herald_domain::target::MAX_TIMEOUT_MS;
use lambda_runtime::{Error, LambdaEvent};

pub async fn handle(
    deliver: Arc<Deliver>,
    concurrency: usize,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let stop = stop_starting_at(event.context.deadline, RESERVE);
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let response = process_measured(deliver, concurrency, Some(stop), event.payload, metrics.clone()).await;
    metrics.lock().expect("metrics lock").emit("deliver");
    Ok(response)
}

/// What one delivery may take: the longest target timeout, and the table's writes after it.
pub const RESERVE: Duration = Duration::from_secs(MAX_TIMEOUT_MS / 1000 + 5);

/// `stop`: no delivery starts after it (it could not finish inside the invocation).
pub async fn process(
    deliver: Arc<Deliver>,
    concurrency: usize,
    stop: Option<Instant>,
    batch: SqsEvent,
) -> SqsBatchResponse {
    process_measured(deliver, concurrency, stop, batch, Arc::default()).await
}

/// [`process`], adding each delivery's outcome (and a success's latency) to `metrics`.
pub async fn process_measured(
    deliver: Arc<Deliver>,
    concurrency: usize,
    stop: Option<Instant>,
    batch: SqsEvent,
    metrics: Arc<Mutex<Metrics>>,
) -> SqsBatchResponse {
    let response = for_each_record(batch, concurrency, stop, |record| {
        let (deliver, metrics) = (deliver.clone(), metrics.clone());
        async move { deliver_one(&deliver, &record, &metrics).await }
    })
    .await;
    flush_activity(&deliver.backoff.journal, &metrics).await;
    response
}

/// True when the message is done with (delivered, parked, set aside as rejected, recorded as a
/// target failure, or skipped).
async fn deliver_one(deliver: &Deliver, record: &Received, metrics: &Mutex<Metrics>) -> bool {
    let count = |outcome: &str| metrics.lock().expect("metrics lock").count("Deliveries", &[("Outcome", outcome)]);
    let message_id = record.message_id.as_str();
    let message = match Message::from_json(&record.body) {
        Ok(Message::Deliver(m)) => m,
        Ok(Message::Wakeup(_) | Message::Sweep) => {
            tracing::error!(message_id, "a wake-up or sweep on the deliveries queue; left for the DLQ");
            count("malformed");
            return false;
        }
        Err(e) => {
            tracing::error!(message_id, error = %e, "malformed message; left for the DLQ");
            count("malformed");
            return false;
        }
    };
    match deliver.deliver(&message).await {
        Ok(report) => {
            let mut m = metrics.lock().expect("metrics lock");
            m.count("Deliveries", &[("Outcome", outcome(&report))]);
            if message.counts_webhook {
                // Ingest's count of the webhook, written in the line the batch shares.
                m.count("WebhooksAccepted", &[("SourceKind", message.event.source_kind.as_str())]);
            }
            if let Report::Delivered { .. } = report {
                // Webhook accepted → receiver's 2xx: what a person waiting for the message sees.
                let waited = chrono::Utc::now() - message.event.received_at;
                m.record("DeliveryLatency", Unit::Milliseconds, &[], waited.num_milliseconds().max(0) as f64);
            }
            if let Report::Failed { warned: Warned(true), .. } | Report::Rejected { warned: Warned(true), .. } = report
            {
                m.count("HealthWarnings", &[]);
            }
            true
        }
        Err(e) => {
            tracing::error!(message_id, event_id = %message.event.id, delivery_id = %message.delivery_id, error = %e, "infrastructure error; will be retried");
            count("error");
            if record.is_last_receive() {
                // SQS moves it to the dead-letter queue now: the log says where it went.
                deliver.backoff.note(&message, Outcome::DeadLettered);
            }
            false
        }
    }
}

/// The `Outcome` dimension: a handful of values, whatever the target.
fn outcome(report: &Report) -> &'static str {
    match report {
        Report::Delivered { .. } => "delivered",
        Report::Failed { .. } => "failed",
        Report::Throttled => "throttled",
        Report::Rejected { .. } => "rejected",
        Report::Parked => "parked",
        Report::Requeued => "requeued",
        Report::Skipped(_) => "skipped",
    }
}

#[cfg(test)]
mod tests {
    use herald_app::testing::world::world;

    use super::*;

    fn batch(file: &str) -> SqsEvent {
        let path = format!("{}/../../events/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn deliver() -> (herald_app::testing::world::TestWorld, Arc<Deliver>) {
        let w = world();
        for id in ["discord", "generic"] {
            w.store.targets.lock().unwrap().push(
                serde_json::from_value(serde_json::json!({"id": id, "name": id, "url": "https://x.example"})).unwrap(),
            );
        }
        let deliver = Arc::new(Deliver { backoff: w.backoff.clone() });
        (w, deliver)
    }

    #[tokio::test]
    async fn a_batch_writes_its_outcomes_as_emf_metrics() {
        let (_w, deliver) = deliver();
        let metrics = Arc::new(Mutex::new(Metrics::default()));
        process_measured(deliver, 2, None, batch("deliver-batch.json"), metrics.clone()).await;
        let mut log = Vec::new();
        metrics.lock().unwrap().write("deliver", 1_700_000_000_000, &mut log);
        let docs: Vec<serde_json::Value> =
            String::from_utf8(log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let count = |outcome: &str| {
            docs.iter().find(|d| d["Outcome"] == outcome).map_or(0.0, |d| d["Deliveries"].as_f64().unwrap())
        };
        assert_eq!((count("delivered"), count("malformed")), (2.0, 1.0), "{docs:#?}");
        let latency = docs.iter().find_map(|d| d.get("DeliveryLatency")).expect("a latency per delivery");
        assert_eq!(latency.as_array().map_or(1, Vec::len), 2);
        for d in &docs {
            let spec = &d["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(spec["Namespace"], "Herald");
            for dims in spec["Dimensions"][0].as_array().unwrap() {
                assert!(d.get(dims.as_str().unwrap()).is_some(), "every dimension has its value: {d}");
            }
            assert!(!d.to_string().contains("discord"), "no target in a metric: {d}");
        }
    }

    /// At the default level a healthy delivery writes no line of its own; its share of its batch's
    /// one EMF line is what CloudWatch Logs bills. Goal: at most 40 bytes at the default batch of 20.
    #[tokio::test]
    async fn a_healthy_delivery_writes_at_most_40_log_bytes_at_the_default_level() {
        let (captured, _guard) = herald_aws::telemetry::capture_logs("info");
        let (w, deliver) = deliver();
        let mut event = batch("deliver-batch.json");
        event.records.truncate(2);
        // Twenty healthy deliveries: the two valid records ten times, each under an id of its own.
        // Each the one that carries its webhook's count, as for twenty webhooks to one target each.
        let twice = event.records.clone();
        event.records = (0..10)
            .flat_map(|i| {
                twice.iter().cloned().map(move |mut r| {
                    r.message_id = r.message_id.map(|id| format!("{id}-{i}"));
                    r.body = r.body.map(|b| b.replacen('{', r#"{"counts_webhook":true,"#, 1));
                    r
                })
            })
            .collect();
        let metrics = Arc::new(Mutex::new(Metrics::default()));
        let response = process_measured(deliver, 20, None, event, metrics.clone()).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(w.sender.requests().len(), 20);
        let mut emf = Vec::new();
        metrics.lock().unwrap().write("deliver", 1_795_000_000_000, &mut emf);
        let bytes = captured.bytes() + emf.len();
        assert!(bytes <= 40 * 20, "{bytes} bytes for 20 healthy deliveries: {}", captured.text());
        assert_eq!(captured.bytes(), 0, "no line of its own: {}", captured.text());
        // The webhooks' count shares the batch's one line.
        let line: serde_json::Value = serde_json::from_slice(&emf).expect("one line");
        assert_eq!((line["WebhooksAccepted"].as_f64(), line["SourceKind"].as_str()), (Some(20.0), Some("kinescope")));
        assert_eq!(line["Deliveries"], 20.0);
    }

    #[tokio::test]
    async fn a_malformed_record_fails_only_itself() {
        let (w, deliver) = deliver();
        let event = batch("deliver-batch.json");
        let malformed = event.records.last().unwrap().message_id.clone().unwrap();
        let response = process(deliver, 2, None, event).await;
        let failed: Vec<_> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
        assert_eq!(failed, [malformed]);
        assert_eq!(w.sender.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_delivery_failing_its_last_receive_is_logged_as_dead_lettered() {
        let (w, deliver) = deliver();
        *w.store.targets_unavailable.lock().unwrap() = true;
        let mut event = batch("deliver-batch.json");
        event.records.truncate(2);
        // The first is on its last receive; the second has receives left (SQS tries it again).
        event.records[0].attributes.insert("ApproximateReceiveCount".into(), "5".into());
        let response = process(deliver, 2, None, event).await;
        assert_eq!(response.batch_item_failures.len(), 2, "both fail: SQS decides where they go");
        let logged: Vec<_> =
            w.store.attempts.lock().unwrap().iter().map(|(a, _)| (a.delivery_id.to_string(), a.outcome)).collect();
        assert_eq!(logged, [("01JDZ3M00000000000000000D1".to_owned(), Outcome::DeadLettered)]);
    }

    #[tokio::test]
    async fn wakeups_on_the_deliveries_queue_are_refused() {
        let (w, deliver) = deliver();
        let response = process(deliver, 2, None, batch("wakeup-batch.json")).await;
        assert_eq!(response.batch_item_failures.len(), 2);
        assert!(w.sender.requests().is_empty());
    }
}
