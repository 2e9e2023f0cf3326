//! SQS batch glue shared by the queue-driven functions: every record in its own task, a bounded
//! number at a time; a record fails only itself (reported in `batchItemFailures`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Runs `handle(message_id, body)` for each record; `false` (or a panic) marks the record failed.
pub async fn for_each_record<F, Fut>(batch: SqsEvent, concurrency: usize, handle: F) -> SqsBatchResponse
where
    F: Fn(String, String) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut ids = HashMap::new();
    for record in batch.records {
        let id = record.message_id.unwrap_or_default();
        let work = handle(id.clone(), record.body.unwrap_or_default());
        let permits = permits.clone();
        let message_id = id.clone();
        let task = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore is never closed");
            (message_id, work.await)
        });
        ids.insert(task.id(), id);
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
            Err(e) => {
                tracing::error!(error = %e, "record task panicked");
                fail(ids.remove(&e.id()).unwrap_or_default());
            }
        }
    }
    response
}
