//! The dead-letter queues: look at what is there, and move it back to be processed again.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName};

use super::sqs::SqsQueue;
use herald_app::ports::{DeadLetter, DeadLetters, QueueError};
use herald_domain::message::Message;

/// Rounds of 10 messages one redrive moves at most (a Lambda invocation has time limits).
const MAX_REDRIVE_ROUNDS: usize = 100;

pub struct DeadLetterQueue {
    /// `deliveries` or `wakeups`.
    pub name: String,
    pub dlq_url: String,
    /// Where its messages go back to.
    pub source: SqsQueue,
}

pub struct SqsDeadLetters {
    pub client: Client,
    pub queues: Vec<DeadLetterQueue>,
}

fn queue_error(e: impl std::error::Error + Send + Sync + 'static) -> QueueError {
    QueueError { failed: 0, total: 0, source: Box::new(e) }
}

fn summarize(body: &str) -> String {
    match Message::from_json(body) {
        Ok(Message::Deliver(d)) => format!("deliver {} ({}) to {}", d.event.name, d.event.source_id, d.target_id),
        Ok(Message::Wakeup(w)) => format!("wake {} at epoch {}", w.target_id, w.epoch),
        Ok(Message::Sweep) => "sweep for overdue wake-ups".to_owned(),
        Err(e) => format!("unreadable: {e}"),
    }
}

#[async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn peek(&self, limit: usize) -> Result<(Vec<DeadLetter>, Vec<(String, u64)>), QueueError> {
        let mut letters = Vec::new();
        let mut counts = Vec::new();
        for q in &self.queues {
            let attrs = self
                .client
                .get_queue_attributes()
                .queue_url(&q.dlq_url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .send()
                .await
                .map_err(queue_error)?;
            let count = attrs
                .attributes
                .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages).and_then(|v| v.parse().ok()))
                .unwrap_or(0);
            counts.push((q.name.clone(), count));
            // A zero visibility timeout looks without taking the messages away.
            let out = self
                .client
                .receive_message()
                .queue_url(&q.dlq_url)
                .max_number_of_messages(limit.clamp(1, 10) as i32)
                .visibility_timeout(0)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .map_err(queue_error)?;
            for m in out.messages.unwrap_or_default() {
                let receive_count = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                letters.push(DeadLetter {
                    queue: q.name.clone(),
                    id: m.message_id.unwrap_or_default(),
                    receive_count,
                    summary: summarize(m.body.as_deref().unwrap_or("")),
                });
            }
        }
        Ok((letters, counts))
    }

    async fn redrive(&self) -> Result<usize, QueueError> {
        let mut moved = 0;
        for q in &self.queues {
            for _ in 0..MAX_REDRIVE_ROUNDS {
                let out = self
                    .client
                    .receive_message()
                    .queue_url(&q.dlq_url)
                    .max_number_of_messages(10)
                    .visibility_timeout(60)
                    .send()
                    .await
                    .map_err(queue_error)?;
                let messages = out.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                let bodies: Vec<String> = messages.iter().map(|m| m.body.clone().unwrap_or_default()).collect();
                // Sent before deleted: a failure in between redrives a message twice, never loses it.
                q.source.send_bodies(&bodies, None).await?;
                let entries = messages
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        DeleteMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                            .build()
                            .expect("id and receipt are set")
                    })
                    .collect();
                self.client
                    .delete_message_batch()
                    .queue_url(&q.dlq_url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(queue_error)?;
                moved += messages.len();
            }
        }
        Ok(moved)
    }
}
