//! One SQS batch of delivery messages. A record fails only itself, and only for our own reasons:
//! a target's HTTP failure is recorded (and the delivery parked) and the message acknowledged.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use herald_app::deliver::Deliver;
use std::time::{Duration, Instant};

use herald_aws::lambda::{for_each_record, stop_starting_at};
use herald_domain::message::Message;
use herald_domain::target::MAX_TIMEOUT_MS;
use lambda_runtime::{Error, LambdaEvent};

pub async fn handle(
    deliver: Arc<Deliver>,
    concurrency: usize,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let stop = stop_starting_at(event.context.deadline, RESERVE);
    Ok(process(deliver, concurrency, Some(stop), event.payload).await)
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
    for_each_record(batch, concurrency, stop, |id, body| {
        let deliver = deliver.clone();
        async move { deliver_one(&deliver, &id, &body).await }
    })
    .await
}

/// True when the message is done with (delivered, parked, set aside as rejected, recorded as a
/// target failure, or skipped).
async fn deliver_one(deliver: &Deliver, message_id: &str, body: &str) -> bool {
    let message = match Message::from_json(body) {
        Ok(Message::Deliver(m)) => m,
        Ok(Message::Wakeup(_) | Message::Sweep) => {
            tracing::error!(message_id, "a wake-up or sweep on the deliveries queue; left for the DLQ");
            return false;
        }
        Err(e) => {
            tracing::error!(message_id, error = %e, "malformed message; left for the DLQ");
            return false;
        }
    };
    match deliver.deliver(&message).await {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(message_id, delivery_id = %message.delivery_id, error = %e, "infrastructure error; will be retried");
            false
        }
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
    async fn wakeups_on_the_deliveries_queue_are_refused() {
        let (w, deliver) = deliver();
        let response = process(deliver, 2, None, batch("wakeup-batch.json")).await;
        assert_eq!(response.batch_item_failures.len(), 2);
        assert!(w.sender.requests().is_empty());
    }
}
