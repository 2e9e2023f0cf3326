//! One SQS batch of wake-ups. Wake-ups for different targets run side by side; a malformed record
//! or an infrastructure error fails only its own record, which SQS hands back later.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use herald_app::retry::Retry;
use std::time::{Duration, Instant};

use herald_aws::lambda::{for_each_record, stop_starting_at};
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
    Ok(process(retry, Some(stop), event.payload).await)
}

/// `stop`: no wake-up starts after it (it could not finish inside the invocation).
pub async fn process(retry: Arc<Retry>, stop: Option<Instant>, batch: SqsEvent) -> SqsBatchResponse {
    for_each_record(batch, CONCURRENCY, stop, |id, body| {
        let retry = retry.clone();
        async move { wake_one(&retry, &id, &body).await }
    })
    .await
}

async fn wake_one(retry: &Retry, message_id: &str, body: &str) -> bool {
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
        let retry =
            Arc::new(Retry { backoff: w.backoff.clone(), max_sends: 10, budget: std::time::Duration::from_secs(60) });
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
        let retry = Retry { backoff: w.backoff.clone(), max_sends: 10, budget: std::time::Duration::from_secs(60) };
        let report = retry
            .wake(&WakeupMessage { target_id: herald_app::testing::world::t(), epoch: 1, incarnation: None })
            .await
            .unwrap();
        assert_eq!(report, WakeReport::Recovered { sent: 1, expired: 0, rejected: 0 });
    }
}
