//! Ingest: authenticate → parse → drop secrets → normalize → dedupe → route → enqueue, answering
//! only after SQS holds every delivery (sources do not retry on their own).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use ulid::Ulid;

use crate::ports::{
    Claimed, Clock, DeliveryQueue, EventLog, IdSource, QueueError, SourceHealthLog, SourceStore, StoreError,
    TargetStore,
};
use crate::source_health::{HealthThrottle, RefusalThrottle};
use herald_domain::activity::{EventRecord, Refusal, Routed, delivery_id};
use herald_domain::adapters::{DropRules, NormalizeError, Origin, normalize_value, prune, restamp};
use herald_domain::ids::derived_id;
use herald_domain::message::{DeliveryMessage, MAX_MESSAGE_BYTES, new_wires};
use herald_domain::source::{AuthFailure, Credentials, sha256_hex};
use herald_domain::source_health::{LastRefused, SourceSignal};
use herald_domain::{Event, Source, SourceId};

pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub struct IngestRequest<'a> {
    pub source_id: &'a str,
    pub method: &'a http::Method,
    pub headers: &'a http::HeaderMap,
    /// The URL's query, decoded, in order.
    pub query: &'a [(String, String)],
    pub body: &'a [u8],
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Accepted {
    #[serde(with = "herald_domain::ids::ulid_text")]
    pub event_id: Ulid,
    pub deliveries: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// For metrics; not part of the answer.
    #[serde(skip)]
    pub source_kind: Option<herald_domain::SourceKind>,
    /// The event's record could not be written (a metric): its deliveries went out all the same.
    #[serde(skip)]
    pub unlogged: bool,
    /// One of its deliveries carries the webhook's count to the deliver function's metrics, so
    /// ingest's own metrics leave it out.
    #[serde(skip)]
    pub counted_on_delivery: bool,
}

impl Accepted {
    fn duplicate(record: &EventRecord) -> Self {
        Self {
            event_id: record.event_id,
            deliveries: 0,
            duplicate: true,
            source_kind: Some(record.source_kind),
            unlogged: false,
            counted_on_delivery: false,
        }
    }

    /// `deliveries` of `event` were queued.
    fn queued(event: &Event, deliveries: &[DeliveryMessage], unlogged: bool) -> Self {
        Self {
            event_id: event.id,
            deliveries: deliveries.len(),
            duplicate: false,
            source_kind: Some(event.source_kind),
            unlogged,
            counted_on_delivery: deliveries.iter().any(|d| d.counts_webhook),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Answered exactly as a wrong credential, so a stranger cannot tell which source ids exist.
    #[error("missing or wrong credential for this source")]
    UnknownSource,
    #[error("webhooks are sent with POST, PUT, PATCH or GET, not {0}")]
    MethodNotAllowed(String),
    #[error("body is {bytes} bytes; the limit is {limit}")]
    TooLarge { bytes: usize, limit: usize },
    #[error("the event is {0} bytes once queued; the queue takes {MAX_MESSAGE_BYTES}: send a smaller body")]
    TooLargeQueued(usize),
    #[error("missing or wrong credential for this source")]
    Unauthorized(AuthFailure),
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
            Self::UnknownSource => 401,
            Self::MethodNotAllowed(_) => 405,
            Self::TooLarge { .. } | Self::TooLargeQueued(_) => 413,
            Self::Unauthorized(_) => 401,
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

    /// Why, for the source's health and the log: the credential failure's detail, never a value the
    /// sender sent.
    pub fn reason(&self) -> String {
        match self {
            Self::Unauthorized(why) => why.to_string(),
            other => other.public_message(),
        }
    }
}

pub struct Ingest {
    pub sources: Arc<dyn SourceStore>,
    pub targets: Arc<dyn TargetStore>,
    /// Event records, which are also the dedupe claims.
    pub log: Arc<dyn EventLog>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub health: Arc<dyn SourceHealthLog>,
    pub clock: Arc<dyn Clock>,
    /// Event ids of sources that do not dedupe (two identical bodies in one millisecond are two events).
    pub ids: Arc<dyn IdSource>,
    /// The dedupe window of sources that do not set their own (Kinescope's default is none).
    pub dedupe_window: Duration,
    /// How long a claim is held while its deliveries are queued: longer than the ingest
    /// function's timeout, so a live attempt is never taken over.
    pub dedupe_lease: Duration,
    /// How long event records are kept (the activity log's retention).
    pub retention: Duration,
    /// At most one health write per source and outcome (accepted, refused) per this long, per container.
    pub health_throttle: HealthThrottle,
    /// Refused webhooks written to the activity log, a bounded number a minute.
    pub refusals: RefusalThrottle,
}

impl Ingest {
    pub async fn handle(&self, req: IngestRequest<'_>) -> Result<Accepted, IngestError> {
        if !matches!(*req.method, http::Method::POST | http::Method::PUT | http::Method::PATCH | http::Method::GET) {
            return Err(IngestError::MethodNotAllowed(req.method.to_string()));
        }
        let source_id = SourceId::parse(req.source_id).map_err(|_| IngestError::UnknownSource)?;
        let source = self.sources.get_source(&source_id).await?.ok_or(IngestError::UnknownSource)?;
        let result = self.accept(&source, &req).await;
        let signal = match &result {
            Ok((accepted, name)) => {
                SourceSignal::accepted(self.clock.now(), name, accepted.event_id, accepted.deliveries)
            }
            Err(e) => {
                SourceSignal::Refused(LastRefused { at: self.clock.now(), status: e.status(), reason: e.reason() })
            }
        };
        if self.health_throttle.due(&source.id, &signal, self.clock.now())
            && let Err(e) = self.health.record(&source.id, &signal).await
        {
            // Health is for people; the webhook's own outcome stands.
            tracing::warn!(error = %e, source = %source.id, "could not record the source's health");
        }
        if let SourceSignal::Refused(refused) = &signal
            && (400..500).contains(&refused.status)
            && self.refusals.due(&source.id, refused.at)
        {
            let refusal = Refusal {
                at: refused.at,
                source_id: source.id.clone(),
                status: refused.status,
                reason: refused.reason.clone(),
            };
            if let Err(e) = self.log.write_refusal(&refusal, refused.at + self.retention).await {
                tracing::warn!(error = %e, source = %source.id, "could not log the refused webhook");
            }
        }
        result.map(|(accepted, _)| accepted)
    }

    /// The webhook's outcome, and the event's name for the source's health.
    async fn accept(&self, source: &Source, req: &IngestRequest<'_>) -> Result<(Accepted, String), IngestError> {
        let now = self.clock.now();
        let query_token = req.query.iter().find(|(k, _)| k == "token").map(|(_, v)| v.as_str());
        let creds = Credentials { headers: req.headers, query_token, body: req.body, now_unix: now.timestamp() };
        // The credential first: a stranger learns nothing about a source from any other answer.
        source.check(&creds).map_err(IngestError::Unauthorized)?;
        let (mut body, key_body) = read_body(source, req).await?;
        let dropped = prune(&mut body, &DropRules::for_source(source, source.credential_texts(&creds)));
        let raw_text = match (dropped, &key_body) {
            // Unchanged: carried exactly as the sender wrote it.
            (0, KeyBody::Bytes) => String::from_utf8_lossy(req.body).into_owned(),
            (0, KeyBody::Part(text)) => text.clone(),
            _ => body.to_string(),
        };
        let origin = Origin {
            source_id: &source.id,
            kind: source.kind,
            event_pointer: source.event_pointer.as_deref(),
            summary: source.summary.as_deref(),
        };
        // Checked before anything is written; its id and time come from the claim.
        let mut event = normalize_value(&origin, body, raw_text, Ulid::nil(), now)?;
        let name = event.name.clone();

        // The source's incarnation is part of the key: one deleted and created again under the same
        // id finds none of its predecessor's records. (A source stored before incarnations keeps its keys.)
        let whose = match source.incarnation {
            Some(incarnation) => format!("{}\0{incarnation}", source.id),
            None => source.id.to_string(),
        };
        let dedupe_key = match source.trusted_delivery_id(req.headers) {
            Some(id) => sha256_hex(format!("id\0{whose}\0{id}").as_bytes()),
            None => {
                let material = match key_body {
                    KeyBody::Bytes => req.body.to_vec(),
                    KeyBody::Query(text) | KeyBody::Part(text) => text.into_bytes(),
                };
                let mut key_material = Vec::with_capacity(whose.len() + 1 + material.len());
                key_material.extend_from_slice(whose.as_bytes());
                key_material.push(0);
                key_material.extend_from_slice(&material);
                sha256_hex(&key_material)
            }
        };
        // Shown in the event's record whatever dedupe trusts.
        let sender_id = source.delivery_id(req.headers);
        let window = source.dedupe_window(self.dedupe_window);
        if window.is_zero() {
            // No dedupe for this source: every webhook is an event of its own, with ids of its own.
            restamp(&mut event, self.ids.new_id(), now);
            return Ok((self.fresh(event, sender_id, None, window).await?, name));
        }
        // Every attempt at this webhook inside the window makes the same event id and delivery ids
        // (from the dedupe key and the time it was first seen), so a retry after a crash or a
        // partial failure sends receivers the same `webhook-id`.
        let id = derived_id(now, &[dedupe_key.as_bytes()]);
        if let Some(found) = self.log.find_claim(id, now - window, now).await? {
            return Ok((self.again(event, found, now).await?, name));
        }
        restamp(&mut event, id, now);
        Ok((self.fresh(event, sender_id, Some(now + self.dedupe_lease), window).await?, name))
    }

    /// A webhook seen for the first time inside its window: its record (the claim) is written,
    /// then its deliveries queued. Should the record fail to write, the deliveries still go.
    async fn fresh(
        &self,
        event: Event,
        sender_id: Option<&str>,
        lease_until: Option<chrono::DateTime<chrono::Utc>>,
        window: Duration,
    ) -> Result<Accepted, IngestError> {
        let (mut deliveries, record) = self.route(&event, sender_id).await?;
        if let Some(first) = deliveries.first_mut() {
            first.counts_webhook = true;
        }
        let wires = checked_wires(&deliveries)?;
        let kept = self.retention.max(window + self.dedupe_lease);
        let logged = match self.log.write_event(&record, lease_until, event.received_at + kept).await {
            Ok(()) => true,
            // This very id is stored: our own write, retried by the SDK after its answer was lost,
            // or the same webhook in the same millisecond. Either way its deliveries go out, with
            // the same ids: at worst twice with the same `webhook-id`, never not at all.
            Err(StoreError::Conflict) => true,
            Err(e) => {
                tracing::error!(error = %e, event_id = %event.id, "could not write the event's record; its deliveries go out unlogged");
                false
            }
        };
        if let Err(e) = self.enqueue(&wires).await {
            // Not everything reached the queue: the sender's retry must go through, with these
            // ids (some may be queued already). Without a record it would make new ones: write it
            // now, its lease ended. (A record of a source that does not dedupe stays, showing an
            // attempt the sender was told failed.)
            let mut released = Ok(());
            // A few tries: should this fail too, the retry would make new ids for what may be queued.
            for _ in 0..3 {
                released = if logged {
                    self.log.end_lease(&record).await
                } else {
                    let ended = Some(chrono::DateTime::UNIX_EPOCH);
                    match self.log.write_event(&record, ended, event.received_at + kept).await {
                        Ok(()) | Err(StoreError::Conflict) => Ok(()),
                        Err(e) => Err(e),
                    }
                };
                if released.is_ok() {
                    break;
                }
            }
            if let Err(release) = released {
                tracing::error!(error = %release, "could not release the claim after a failed enqueue");
            }
            return Err(e);
        }
        // The activity log is where an accepted webhook is looked up: no line of its own at info.
        tracing::debug!(event_id = %event.id, source = %event.source_id, name = %event.name, deliveries = deliveries.len(), "event accepted");
        Ok(Accepted::queued(&event, &deliveries, !logged))
    }

    /// The same webhook again inside its window. A duplicate if every one of its deliveries was
    /// handled (or it had none); retry later while the first attempt may still be queueing them;
    /// else the first attempt died between its record and the queue, or the queue took only part
    /// of them (or they still wait there): the unhandled ones are queued again with the same ids,
    /// so at worst a receiver gets one twice with the same `webhook-id`.
    async fn again(
        &self,
        mut event: Event,
        found: Claimed,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Accepted, IngestError> {
        let record = &found.record;
        let ids: Vec<Ulid> = record.routed.iter().map(|r| r.delivery_id).collect();
        let handled = if ids.is_empty() { Vec::new() } else { self.log.handled(&ids, record.received_at).await? };
        // Every one of them: a batch the queue took only in part leaves some never sent.
        if ids.iter().all(|id| handled.contains(id)) {
            return Ok(Accepted::duplicate(record));
        }
        if found.lease_until.is_some_and(|until| until > now) {
            return Err(IngestError::InProgress);
        }
        restamp(&mut event, record.event_id, record.received_at);
        let (mut deliveries, _) = self.route(&event, None).await?;
        deliveries.retain(|d| !handled.contains(&d.delivery_id));
        self.enqueue(&checked_wires(&deliveries)?).await?;
        tracing::warn!(event_id = %event.id, deliveries = deliveries.len(), "an earlier attempt's deliveries were not handled; queued again with the same ids");
        Ok(Accepted::queued(&event, &deliveries, false))
    }

    /// The event's deliveries and its record: every target, routed or why not.
    async fn route(
        &self,
        event: &Event,
        sender_id: Option<&str>,
    ) -> Result<(Vec<DeliveryMessage>, EventRecord), IngestError> {
        let targets = self.targets.list_targets().await?;
        let (mut deliveries, mut routed, mut not_routed) = (Vec::new(), Vec::new(), Vec::new());
        for t in targets.iter() {
            match t.why_not(event) {
                None => {
                    let id = delivery_id(event.id, event.received_at, &t.id);
                    routed.push(Routed { target_id: t.id.clone(), delivery_id: id });
                    deliveries.push(DeliveryMessage::to(t, id, event.clone()));
                }
                Some(why) => not_routed.push((t.id.clone(), why)),
            }
        }
        Ok((deliveries, EventRecord::of(event, sender_id, routed, not_routed)))
    }

    async fn enqueue(&self, wires: &[String]) -> Result<(), IngestError> {
        if !wires.is_empty() {
            self.queue.enqueue_wires(wires).await?;
        }
        Ok(())
    }
}

/// The deliveries on the wire, the event encoded once for all of them and checked before any is sent.
fn checked_wires(deliveries: &[DeliveryMessage]) -> Result<Vec<String>, IngestError> {
    let wires = new_wires(deliveries);
    let queued = wires.iter().map(String::len).max().unwrap_or(0);
    if queued > MAX_MESSAGE_BYTES {
        return Err(IngestError::TooLargeQueued(queued));
    }
    Ok(wires)
}

#[path = "ingest_body.rs"]
mod body;
use body::{KeyBody, read_body};

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
