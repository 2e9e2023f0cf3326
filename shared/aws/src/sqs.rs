//! SQS: the deliveries queue, fed with `SendMessageBatch`.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use herald_app::ports::{DeliveryQueue, QueueError};

/// SendMessageBatch takes at most 10 entries and (on emulators and older regions) 256 KiB in all.
const MAX_BATCH_ENTRIES: usize = 10;
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// Entries SQS refuses for its own reasons (throttling, internal errors) are sent again this often.
const ATTEMPTS: usize = 3;

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends message bodies, all or an error; `delay` (≤ 900 s) applies to each.
    pub async fn send_bodies(&self, bodies: &[String], delay_seconds: Option<i32>) -> Result<(), QueueError> {
        let total = bodies.len();
        for chunk in chunks(bodies) {
            let mut pending: Vec<(usize, &String)> = chunk.to_vec();
            for attempt in 1..=ATTEMPTS {
                let entries = pending
                    .iter()
                    .map(|(i, body)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message_body(body.as_str())
                            .set_delay_seconds(delay_seconds)
                            .build()
                            .expect("id and body are set")
                    })
                    .collect();
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(&self.url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| QueueError { failed: pending.len(), total, source: Box::new(e) })?;
                let failed = out.failed;
                if failed.is_empty() {
                    break;
                }
                let permanent = failed.iter().find(|f| f.sender_fault);
                if permanent.is_some() || attempt == ATTEMPTS {
                    let first = permanent.unwrap_or(&failed[0]);
                    let why = format!("{}: {}", first.code, first.message.as_deref().unwrap_or(""));
                    return Err(QueueError { failed: failed.len(), total, source: why.into() });
                }
                pending.retain(|(i, _)| failed.iter().any(|f| f.id == i.to_string()));
            }
        }
        Ok(())
    }
}

/// Groups (index, body) pairs into batches within the entry and byte limits.
fn chunks(bodies: &[String]) -> Vec<Vec<(usize, &String)>> {
    let mut out: Vec<Vec<(usize, &String)>> = Vec::new();
    let mut bytes = 0;
    for (i, body) in bodies.iter().enumerate() {
        let fits = out.last().is_some_and(|c| c.len() < MAX_BATCH_ENTRIES && bytes + body.len() <= MAX_BATCH_BYTES);
        if !fits {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += body.len();
        out.last_mut().expect("just pushed").push((i, body));
    }
    out
}

#[async_trait]
impl DeliveryQueue for SqsQueue {
    async fn enqueue_wires(&self, wires: &[String]) -> Result<(), QueueError> {
        self.send_bodies(wires, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_count_and_size() {
        let small: Vec<String> = (0..23).map(|i| i.to_string()).collect();
        let sizes: Vec<usize> = chunks(&small).iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 3]);
        let big: Vec<String> = (0..3).map(|_| "x".repeat(100 * 1024)).collect();
        let sizes: Vec<usize> = chunks(&big).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 1]);
    }
}
