//! Ingest: authenticate → parse → normalize → dedupe → route → enqueue, answering only after
//! SQS holds every delivery (sources do not retry on their own).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use ulid::Ulid;

use crate::ports::{Claim, Clock, DedupeStore, DeliveryQueue, QueueError, SourceStore, StoreError, TargetStore};
use herald_domain::adapters::{NormalizeError, Origin, normalize, restamp};
use herald_domain::ids::derived_id;
use herald_domain::message::{DeliveryMessage, MAX_MESSAGE_BYTES};
use herald_domain::source::{Credentials, sha256_hex};
use herald_domain::{Event, SourceId};

pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub struct IngestRequest<'a> {
    pub source_id: &'a str,
    pub headers: &'a http::HeaderMap,
    pub query_token: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Accepted {
    #[serde(with = "herald_domain::ids::ulid_text")]
    pub event_id: Ulid,
    pub deliveries: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("unknown source {0:?}")]
    UnknownSource(String),
    #[error("body is {0} bytes; the limit is {MAX_BODY_BYTES}")]
    TooLarge(usize),
    #[error("the event is {0} bytes once queued; the queue takes {MAX_MESSAGE_BYTES}: send a smaller body")]
    TooLargeQueued(usize),
    #[error("missing or wrong credential for this source")]
    Unauthorized,
    #[error("an earlier attempt at this webhook is still being processed; retry in a minute")]
    InProgress,
    #[error("{0}")]
    BadBody(#[from] NormalizeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl IngestError {
    pub fn status(&self) -> u16 {
        match self {
            Self::UnknownSource(_) => 404,
            Self::TooLarge(_) | Self::TooLargeQueued(_) => 413,
            Self::Unauthorized => 401,
            Self::BadBody(_) => 400,
            Self::Store(_) | Self::Queue(_) | Self::InProgress => 503,
        }
    }

    /// What the sender is told: specific for its mistakes, generic for ours (details go to the log).
    pub fn public_message(&self) -> String {
        match self {
            Self::Store(_) | Self::Queue(_) => "Herald could not store the event; retry later".to_owned(),
            other => other.to_string(),
        }
    }
}

pub struct Ingest {
    pub sources: Arc<dyn SourceStore>,
    pub targets: Arc<dyn TargetStore>,
    pub dedupe: Arc<dyn DedupeStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub clock: Arc<dyn Clock>,
    pub dedupe_window: Duration,
    /// How long a claim is held while its deliveries are queued: longer than the ingest
    /// function's timeout, so a live attempt is never taken over.
    pub dedupe_lease: Duration,
}

impl Ingest {
    pub async fn handle(&self, req: IngestRequest<'_>) -> Result<Accepted, IngestError> {
        let unknown = || IngestError::UnknownSource(req.source_id.to_owned());
        let source_id = SourceId::parse(req.source_id).map_err(|_| unknown())?;
        let source = self.sources.get_source(&source_id).await?.ok_or_else(unknown)?;
        if req.body.len() > MAX_BODY_BYTES {
            return Err(IngestError::TooLarge(req.body.len()));
        }
        let now = self.clock.now();
        let creds = Credentials {
            headers: req.headers,
            query_token: req.query_token,
            body: req.body,
            now_unix: now.timestamp(),
        };
        if !source.authenticate(&creds) {
            return Err(IngestError::Unauthorized);
        }
        let origin =
            Origin { source_id: &source.id, kind: source.kind, event_pointer: source.event_pointer.as_deref() };
        // Checked before anything is written; its id and time come from the claim.
        let mut event = normalize(&origin, req.body, Ulid::nil(), now)?;

        let mut key_material = Vec::with_capacity(source_id.as_str().len() + 1 + req.body.len());
        key_material.extend_from_slice(source_id.as_str().as_bytes());
        key_material.push(0);
        key_material.extend_from_slice(req.body);
        let dedupe_key = sha256_hex(&key_material);
        let first_seen = match self.dedupe.claim(&dedupe_key, now, self.dedupe_lease, self.dedupe_window).await? {
            Claim::Claimed { first_seen } => first_seen,
            Claim::Duplicate { first_seen } => {
                let event_id = derived_id(first_seen, &[dedupe_key.as_bytes()]);
                return Ok(Accepted { event_id, deliveries: 0, duplicate: true });
            }
            Claim::InProgress => return Err(IngestError::InProgress),
        };
        // Every attempt at this body makes the same event id and delivery ids, so a retry after a
        // crash or a partial failure sends receivers the same `webhook-id`.
        restamp(&mut event, derived_id(first_seen, &[dedupe_key.as_bytes()]), first_seen);
        match self.route_and_enqueue(event, &dedupe_key).await {
            Ok(accepted) => {
                if let Err(e) = self.dedupe.complete(&dedupe_key, self.clock.now(), self.dedupe_window).await {
                    // Queued all the same: at worst a retry after the lease sends the same ids again.
                    tracing::error!(error = %e, event_id = %accepted.event_id, "could not mark the event done");
                }
                Ok(accepted)
            }
            Err(e) => {
                // Not everything reached the queue: end the lease so the sender's retry goes through.
                if let Err(abandon) = self.dedupe.abandon(&dedupe_key).await {
                    tracing::error!(error = %abandon, "could not end the dedupe lease after a failed enqueue");
                }
                Err(e)
            }
        }
    }

    async fn route_and_enqueue(&self, event: Event, dedupe_key: &str) -> Result<Accepted, IngestError> {
        let targets = self.targets.list_targets().await?;
        let deliveries: Vec<DeliveryMessage> = targets
            .iter()
            .filter(|t| t.wants(&event))
            .map(|t| DeliveryMessage {
                delivery_id: derived_id(event.received_at, &[dedupe_key.as_bytes(), t.id.as_str().as_bytes()]),
                target_id: t.id.clone(),
                event: event.clone(),
            })
            .collect();
        if let Some(first) = deliveries.first() {
            // Every delivery of an event is the same size but for the target id.
            let longest_id = deliveries.iter().map(|d| d.target_id.as_str().len()).max().unwrap_or(0);
            let queued = first.to_wire().len() - first.target_id.as_str().len() + longest_id;
            if queued > MAX_MESSAGE_BYTES {
                return Err(IngestError::TooLargeQueued(queued));
            }
            self.queue.enqueue(&deliveries).await?;
        }
        tracing::info!(event_id = %event.id, source = %event.source_id, name = %event.name, deliveries = deliveries.len(), "event accepted");
        Ok(Accepted { event_id: event.id, deliveries: deliveries.len(), duplicate: false })
    }
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
