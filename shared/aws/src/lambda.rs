//! SQS batch glue shared by the queue-driven functions: every record in its own task, a bounded
//! number at a time; a record fails only itself (reported in `batchItemFailures`); a record that
//! could not finish before the invocation's deadline is not started, and SQS hands it back later.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Lambda's longest timeout: a deadline further away than this is not one Lambda gave.
const LONGEST_INVOCATION: Duration = Duration::from_secs(900);
/// How long an invocation starts records when its runtime gives no usable deadline (cargo lambda's
/// `invoke` sends one in 1970; other runtimes none at all).
pub const OWN_BOUND: Duration = Duration::from_secs(60);

/// The moment to stop starting records: `reserve` (what one record may take) before the
/// invocation's `deadline_ms` (Lambda's, in milliseconds since the epoch). An absent (0), past or
/// absurdly far deadline is no deadline known: [`OWN_BOUND`] from now stands in for it.
pub fn stop_starting_at(deadline_ms: u64, reserve: Duration) -> Instant {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let left = deadline_ms
        .checked_sub(now_ms)
        .map(Duration::from_millis)
        .filter(|left| !left.is_zero() && *left <= LONGEST_INVOCATION)
        .unwrap_or(OWN_BOUND.max(reserve + Duration::from_secs(1)));
    Instant::now() + left.saturating_sub(reserve)
}

/// How many times SQS hands a message out before moving it to its dead-letter queue (the queues'
/// `maxReceiveCount` in template.yaml, and herald-local's).
pub const MAX_RECEIVES: u32 = 5;

/// One SQS record, as a handler sees it.
pub struct Received {
    pub message_id: String,
    pub body: String,
    /// SQS's `ApproximateReceiveCount` (1 when absent).
    pub receive_count: u32,
}

impl Received {
    /// A failure now moves the message to the dead-letter queue.
    pub fn is_last_receive(&self) -> bool {
        self.receive_count >= MAX_RECEIVES
    }
}

/// Runs `handle(record)` for each record; `false` (or a panic) marks the record failed.
/// A record whose turn comes after `stop` is failed without being started.
pub async fn for_each_record<F, Fut>(
    batch: SqsEvent,
    concurrency: usize,
    stop: Option<Instant>,
    handle: F,
) -> SqsBatchResponse
where
    F: Fn(Received) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut ids = HashMap::new();
    for record in batch.records {
        let id = record.message_id.unwrap_or_default();
        let receive_count = record.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);
        let work = handle(Received { message_id: id.clone(), body: record.body.unwrap_or_default(), receive_count });
        let permits = permits.clone();
        let message_id = id.clone();
        let task = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore is never closed");
            if stop.is_some_and(|stop| Instant::now() >= stop) {
                tracing::warn!(message_id, "too close to the deadline to start; SQS hands it back later");
                return (message_id, false);
            }
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

/// Writes what a batch did to the activity log, one item for it all. A miss loses only the log's
/// lines (the deliveries went on): an error in the log and a metric, which an alarm watches.
pub async fn flush_activity(
    journal: &herald_app::journal::Journal,
    metrics: &std::sync::Mutex<crate::metrics::Metrics>,
) {
    if let Err(e) = journal.flush().await {
        tracing::error!(error = %e, "could not write the activity log");
        metrics.lock().expect("metrics lock").count("ActivityLogMisses", &[]);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_lambda_events::event::sqs::SqsMessage;

    use super::*;

    fn batch(n: usize) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = (0..n)
            .map(|i| {
                let mut m = SqsMessage::default();
                m.message_id = Some(format!("m{i}"));
                m.body = Some("{}".into());
                m
            })
            .collect();
        event
    }

    #[tokio::test]
    async fn records_whose_turn_comes_after_the_deadline_are_not_started() {
        let started = Arc::new(AtomicUsize::new(0));
        let count = started.clone();
        // One at a time, each taking 50 ms, and 120 ms to go: the third and later do not start.
        let stop = Some(Instant::now() + Duration::from_millis(120));
        let response = for_each_record(batch(5), 1, stop, move |_| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                true
            }
        })
        .await;
        let done = started.load(Ordering::SeqCst);
        assert!((2..=3).contains(&done), "{done} started");
        assert_eq!(response.batch_item_failures.len(), 5 - done);
    }

    #[test]
    fn the_stop_is_the_deadline_less_the_reserve() {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let stop = stop_starting_at(now_ms + 40_000, Duration::from_secs(35));
        let left = stop.saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(4) && left <= Duration::from_secs(5), "{left:?}");
        assert!(stop_starting_at(now_ms + 500, Duration::from_secs(1)) <= Instant::now(), "a real deadline, too close");
    }

    #[test]
    fn an_absent_past_or_absurd_deadline_is_no_deadline_known() {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let reserve = Duration::from_secs(20);
        for deadline in [0, 1_000, now_ms - 5_000, now_ms + 86_400_000, u64::MAX] {
            let left = stop_starting_at(deadline, reserve).saturating_duration_since(Instant::now());
            assert!(
                left > OWN_BOUND - reserve - Duration::from_secs(1) && left <= OWN_BOUND - reserve,
                "{deadline}: {left:?}"
            );
        }
    }
}
