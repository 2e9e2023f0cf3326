//! Plays the Lambda event source mapping: receive up to a batch of messages (SQS hands out 10 per
//! call, so a larger batch takes several), hand them to a handler as a real `SqsEvent`, delete the
//! ones not reported in `batchItemFailures`. Failed ones come back after the visibility timeout and
//! reach the DLQ after `maxReceiveCount`, as on AWS.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, MessageSystemAttributeName,
};

/// Messages one ReceiveMessage returns, and entries one DeleteMessageBatch takes, at most.
pub const SQS_MAX_PER_CALL: i32 = 10;

/// How long the window's gathering waits after a receive that found nothing. AWS's pollers long-poll
/// (a receive returns when there are messages) and do not publish how often they ask within a window;
/// asking every 100 ms bounds this model at ten receives per empty second, where a 20 ms spin made
/// fifty, and adds at most 100 ms to a window that ends on a full batch.
const GATHER_POLL: Duration = Duration::from_millis(100);

/// What the pollers of one queue did: handler invocations as Lambda would bill them.
#[derive(Debug, Default)]
pub struct Invocations {
    count: AtomicU64,
    records: AtomicU64,
    /// Sum of each invocation's duration rounded up to the millisecond, as Lambda bills.
    billed_ms: AtomicU64,
}

impl Invocations {
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    pub fn billed_ms(&self) -> u64 {
        self.billed_ms.load(Ordering::Relaxed)
    }

    fn add(&self, records: usize, took: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(records as u64, Ordering::Relaxed);
        self.billed_ms.fetch_add(took.as_micros().div_ceil(1000) as u64, Ordering::Relaxed);
    }
}

pub struct Poller {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub queue_arn: String,
    pub region: String,
    /// The template's batch size (more than [`SQS_MAX_PER_CALL`] needs a batching window, as on AWS).
    pub batch_size: i32,
    /// The template's batching window: how long to wait for a full batch once one message is in.
    pub batch_window: Duration,
    pub invocations: Arc<Invocations>,
    /// herald-local only: hand a failed record back after this long instead of the queue's
    /// visibility timeout (minutes), so fault-injection runs finish in seconds.
    pub failed_visibility: Option<Duration>,
    /// Set on Ctrl-C: the poller finishes the round it is in (its receive waits 1 s at most) and
    /// returns, so no message is received by a process about to exit and left invisible for minutes.
    pub stop: Arc<AtomicBool>,
}

impl Poller {
    /// Polls forever; each batch is handled before the next is received (one concurrent invocation).
    pub async fn run<F, Fut>(self, handler: F)
    where
        F: Fn(SqsEvent) -> Fut,
        Fut: Future<Output = SqsBatchResponse>,
    {
        while !self.stop.load(Ordering::Relaxed) {
            if let Err(e) = self.poll_once(&handler).await {
                tracing::warn!(queue = %self.queue_url, error = %e, "polling failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    async fn receive(&self, max: i32, wait_seconds: i32) -> anyhow::Result<Vec<aws_sdk_sqs::types::Message>> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            // A long poll outlasts the functions' call timeouts on purpose (it is the mapping's call).
            .customize()
            .config_override(
                aws_sdk_sqs::config::Builder::default().timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_attempt_timeout(Duration::from_secs(wait_seconds.max(0) as u64 + 5))
                        .operation_timeout(Duration::from_secs(wait_seconds.max(0) as u64 + 10))
                        .build(),
                ),
            )
            .send()
            .await?;
        Ok(out.messages.unwrap_or_default())
    }

    /// One receive → handle → delete round; returns how many messages it handled.
    pub async fn poll_once<F, Fut>(&self, handler: &F) -> anyhow::Result<usize>
    where
        F: Fn(SqsEvent) -> Fut,
        Fut: Future<Output = SqsBatchResponse>,
    {
        let mut messages = self.receive(self.batch_size.min(SQS_MAX_PER_CALL), 1).await?;
        if messages.is_empty() {
            return Ok(0);
        }
        // Like the mapping's MaximumBatchingWindowInSeconds: gather up to a full batch first.
        let gathering = Instant::now();
        while messages.len() < self.batch_size as usize && gathering.elapsed() < self.batch_window {
            let more = self.receive((self.batch_size - messages.len() as i32).min(SQS_MAX_PER_CALL), 0).await?;
            if more.is_empty() {
                tokio::time::sleep(GATHER_POLL).await;
            }
            messages.extend(more);
        }
        let mut event = SqsEvent::default();
        let mut receipts = Vec::with_capacity(messages.len());
        for m in messages {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body;
            record.md5_of_body = m.md5_of_body;
            record.attributes =
                m.attributes.unwrap_or_default().into_iter().map(|(k, v)| (k.as_str().to_owned(), v)).collect();
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = Some(self.queue_arn.clone());
            record.aws_region = Some(self.region.clone());
            receipts.push((m.message_id.unwrap_or_default(), m.receipt_handle.unwrap_or_default()));
            event.records.push(record);
        }
        let handled = receipts.len();
        let started = Instant::now();
        let response = handler(event).await;
        self.invocations.add(handled, started.elapsed());
        let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        let entries: Vec<DeleteMessageBatchRequestEntry> = receipts
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| !failed.contains(&id.as_str()))
            .map(|(i, (_, receipt))| {
                DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(receipt).build()
            })
            .collect::<Result<_, _>>()?;
        for chunk in entries.chunks(SQS_MAX_PER_CALL as usize) {
            self.sqs.delete_message_batch().queue_url(&self.queue_url).set_entries(Some(chunk.to_vec())).send().await?;
        }
        if let Some(after) = self.failed_visibility {
            let again: Vec<ChangeMessageVisibilityBatchRequestEntry> = receipts
                .iter()
                .enumerate()
                .filter(|(_, (id, _))| failed.contains(&id.as_str()))
                .map(|(i, (_, receipt))| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(receipt)
                        .visibility_timeout(after.as_secs() as i32)
                        .build()
                })
                .collect::<Result<_, _>>()?;
            for chunk in again.chunks(SQS_MAX_PER_CALL as usize) {
                self.sqs
                    .change_message_visibility_batch()
                    .queue_url(&self.queue_url)
                    .set_entries(Some(chunk.to_vec()))
                    .send()
                    .await?;
            }
        }
        Ok(handled)
    }
}
