//! One SQS batch: every record in its own task, a bounded number at a time. A record fails only
//! itself (reported in `batchItemFailures`), and only for our own reasons: a target's HTTP
//! failure is recorded and the message acknowledged.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use herald_core::app::deliver::{Deliver, Report};
use herald_core::domain::message::Message;
use lambda_runtime::{Error, LambdaEvent};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub async fn handle(
    deliver: Arc<Deliver>,
    concurrency: usize,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    Ok(process(deliver, concurrency, event.payload).await)
}

pub async fn process(deliver: Arc<Deliver>, concurrency: usize, batch: SqsEvent) -> SqsBatchResponse {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut ids = HashMap::new();
    for record in batch.records {
        let id = record.message_id.unwrap_or_default();
        let body = record.body.unwrap_or_default();
        let deliver = deliver.clone();
        let permits = permits.clone();
        let message_id = id.clone();
        let handle = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore is never closed");
            let ok = deliver_one(&deliver, &message_id, &body).await;
            (message_id, ok)
        });
        ids.insert(handle.id(), id);
    }
    let mut response = SqsBatchResponse::default();
    let mut fail = |id: String| {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    };
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, true)) => {}
            Ok((id, false)) => fail(id),
            // A panic fails only its own record.
            Err(e) => {
                tracing::error!(error = %e, "delivery task panicked");
                fail(ids.remove(&e.id()).unwrap_or_default());
            }
        }
    }
    response
}

/// True when the message is done with (delivered, recorded as a target failure, or skipped).
async fn deliver_one(deliver: &Deliver, message_id: &str, body: &str) -> bool {
    let message = match Message::from_json(body) {
        Ok(Message::Deliver(m)) => *m,
        Ok(other) => {
            tracing::error!(message_id, kind = ?std::mem::discriminant(&other), "not a delivery message; left for the DLQ");
            return false;
        }
        Err(e) => {
            tracing::error!(message_id, error = %e, "malformed message; left for the DLQ");
            return false;
        }
    };
    match deliver.deliver(&message).await {
        Ok(Report::Delivered { .. } | Report::Failed { .. } | Report::Skipped(_)) => true,
        Err(e) => {
            tracing::error!(message_id, delivery_id = %message.delivery_id, error = %e, "infrastructure error; will be retried");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use herald_core::testing::{FixedClock, MemoryStore, ScriptedSender};

    use super::*;

    fn batch(file: &str) -> SqsEvent {
        let path = format!("{}/../../events/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn deliver() -> (Arc<ScriptedSender>, Arc<Deliver>) {
        let targets = ["discord", "generic"].map(|id| {
            serde_json::from_value(serde_json::json!({"id": id, "name": id, "url": "https://x.example"})).unwrap()
        });
        let store = MemoryStore::new(vec![], targets.to_vec());
        let sender = Arc::new(ScriptedSender::default());
        let deliver = Deliver {
            targets: store.clone(),
            states: store,
            sender: sender.clone(),
            clock: FixedClock::at(DateTime::UNIX_EPOCH),
        };
        (sender, Arc::new(deliver))
    }

    #[tokio::test]
    async fn a_malformed_record_fails_only_itself() {
        let (sender, deliver) = deliver();
        let event = batch("deliver-batch.json");
        let malformed = event.records.last().unwrap().message_id.clone().unwrap();
        let response = process(deliver, 2, event).await;
        let failed: Vec<_> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
        assert_eq!(failed, [malformed]);
        assert_eq!(sender.requests().len(), 2);
    }

    #[tokio::test]
    async fn wakeups_on_the_deliveries_queue_are_refused() {
        let (sender, deliver) = deliver();
        let response = process(deliver, 2, batch("wakeup-batch.json")).await;
        assert_eq!(response.batch_item_failures.len(), 2);
        assert!(sender.requests().is_empty());
    }
}
