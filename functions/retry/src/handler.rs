//! One SQS batch of wake-ups. Wake-ups for different targets run side by side; a malformed record
//! or an infrastructure error fails only its own record, which SQS hands back later.

use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use herald_app::backoff::Warned;
use herald_app::retry::{Retry, WakeReport};
use std::time::{Duration, Instant};

use herald_aws::lambda::{flush_activity, for_each_record, stop_starting_at};
use herald_aws::metrics::{Metrics, Unit};
use herald_domain::message::Message;
use herald_domain::target::MAX_TIMEOUT_MS;
use lambda_runtime::{Error, LambdaEvent};

/// Wake-ups of one batch handled at once: the whole batch (the template's `BatchSize`), so the
/// invocation's worst case is one wake-up's, not a queue of them (see the README's timeouts).
pub const CONCURRENCY: usize = 10;

pub async fn handle(retry: Arc<Retry>, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    // A wake-up starts sends for up to its budget, the last one may take the longest target
    // timeout, and a few writes follow.
    let reserve = retry.budget + Duration::from_millis(MAX_TIMEOUT_MS) + Duration::from_secs(10);
    let stop = stop_starting_at(event.context.deadline, reserve);
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let response = process_measured(retry, Some(stop), event.payload, metrics.clone()).await;
    metrics.lock().expect("metrics lock").emit("retry");
    Ok(response)
}

/// `stop`: no wake-up starts after it (it could not finish inside the invocation).
pub async fn process(retry: Arc<Retry>, stop: Option<Instant>, batch: SqsEvent) -> SqsBatchResponse {
    process_measured(retry, stop, batch, Arc::default()).await
}

/// [`process`], adding what each wake-up did to `metrics`.
pub async fn process_measured(
    retry: Arc<Retry>,
    stop: Option<Instant>,
    batch: SqsEvent,
    metrics: Arc<Mutex<Metrics>>,
) -> SqsBatchResponse {
    let response = for_each_record(batch, CONCURRENCY, stop, |record| {
        let (retry, metrics) = (retry.clone(), metrics.clone());
        async move { wake_one(&retry, &record.message_id, &record.body, &metrics).await }
    })
    .await;
    flush_activity(&retry.backoff.journal, &metrics).await;
    response
}

/// Wake-ups by outcome; parked deliveries sent (`Released`), expired unsent and set aside as rejected.
fn measure(report: &WakeReport, m: &mut Metrics) {
    let (outcome, released, expired, rejected) = match report {
        WakeReport::Stale => ("stale", 0, 0, 0),
        WakeReport::NotHolding => ("not_holding", 0, 0, 0),
        WakeReport::TargetGone => ("target_gone", 0, 0, 0),
        WakeReport::Disabled => ("disabled", 0, 0, 0),
        WakeReport::SetBack { sent, .. } => ("set_back", *sent, 0, 0),
        WakeReport::Released { expired } => ("released", 0, *expired, 0),
        WakeReport::Recovered { sent, expired, rejected } => ("recovered", *sent, *expired, *rejected),
        WakeReport::Continues { sent } => ("continues", *sent, 0, 0),
    };
    m.count("Wakeups", &[("Outcome", outcome)]);
    m.add("Released", &[], released as u64);
    m.add("Expired", &[], expired);
    m.add("Rejected", &[], rejected as u64);
    if let WakeReport::SetBack { warned, failures, .. } = report {
        if *warned == Warned(true) {
            m.count("HealthWarnings", &[]);
        }
        // Its maximum says how long the worst target has been held (the long-hold alarm).
        if let Some(failures) = failures {
            m.record("ConsecutiveFailures", Unit::None, &[], f64::from(*failures));
        }
    }
}

async fn wake_one(retry: &Retry, message_id: &str, body: &str, metrics: &Mutex<Metrics>) -> bool {
    let wakeup = match Message::from_json(body) {
        Ok(Message::Wakeup(w)) => w,
        Ok(Message::Sweep) => {
            return match retry.sweep().await {
                Ok(woken) => {
                    tracing::info!(message_id, woken, "sweep handled");
                    true
                }
                Err(e) => {
                    tracing::error!(message_id, error = %e, "sweep failed; will be retried");
                    false
                }
            };
        }
        Ok(Message::Deliver(_)) => {
            tracing::error!(message_id, "a delivery on the wakeups queue; left for the DLQ");
            return false;
        }
        Err(e) => {
            tracing::error!(message_id, error = %e, "malformed message; left for the DLQ");
            return false;
        }
    };
    match retry.wake(&wakeup).await {
        Ok(report) => {
            tracing::info!(message_id, target_id = %wakeup.target_id, epoch = wakeup.epoch, ?report, "wake-up handled");
            measure(&report, &mut metrics.lock().expect("metrics lock"));
            true
        }
        Err(e) => {
            tracing::error!(message_id, target_id = %wakeup.target_id, error = %e, "infrastructure error; will be retried");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use herald_app::deliver::Deliver;
    use herald_app::retry::WakeReport;
    use herald_app::testing::world::{failed, message, world};
    use herald_domain::message::WakeupMessage;

    use super::*;

    #[tokio::test]
    async fn the_sample_wakeup_batch_runs_and_malformed_records_fail_alone() {
        let w = world();
        let retry = Arc::new(Retry {
            backoff: w.backoff.clone(),
            max_sends: 10,
            budget: std::time::Duration::from_secs(60),
            window: 10,
        });
        let path = format!("{}/../../events/wakeup-batch.json", env!("CARGO_MANIFEST_DIR"));
        let mut batch: SqsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(
            process(retry.clone(), None, batch.clone()).await.batch_item_failures.is_empty(),
            "unknown targets are no error"
        );
        batch.records[0].body = Some("{\"v\":1,\"kind\":\"wakeup\"".into());
        let failed_ids: Vec<_> = process(retry, None, batch.clone())
            .await
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(failed_ids, [batch.records[0].message_id.clone().unwrap()]);
    }

    #[tokio::test]
    async fn a_wakeup_recovers_a_parked_target() {
        let w = world();
        w.sender.then(failed(500));
        Deliver { backoff: w.backoff.clone() }.deliver(&message("t")).await.unwrap();
        let retry =
            Retry { backoff: w.backoff.clone(), max_sends: 10, budget: std::time::Duration::from_secs(60), window: 10 };
        let report = retry
            .wake(&WakeupMessage { target_id: herald_app::testing::world::t(), epoch: 1, incarnation: None })
            .await
            .unwrap();
        assert_eq!(report, WakeReport::Recovered { sent: 1, expired: 0, rejected: 0 });
        let mut metrics = Metrics::default();
        measure(&report, &mut metrics);
        let mut log = Vec::new();
        metrics.write("retry", 0, &mut log);
        let docs: Vec<serde_json::Value> =
            String::from_utf8(log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(docs.iter().any(|d| d["Outcome"] == "recovered" && d["Wakeups"] == 1.0), "{docs:#?}");
        assert!(docs.iter().any(|d| d["Released"] == 1.0), "one parked delivery went out: {docs:#?}");
        assert!(!docs.iter().any(|d| d.get("Expired").is_some()), "no zero metrics: {docs:#?}");
    }
}
