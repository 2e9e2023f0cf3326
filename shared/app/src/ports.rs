//! One small trait per capability, so each function is built from exactly what its IAM policy grants.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use ulid::Ulid;

use herald_domain::activity::{Attempt, EventRecord, Refusal};
use herald_domain::message::{DeliveryMessage, WakeupMessage};
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::rejection::Rejection;
use herald_domain::request::OutboundRequest;
use herald_domain::source_health::{SourceHealth, SourceSignal};
use herald_domain::state::TargetState;
use herald_domain::{Source, SourceId, Target, TargetId};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost to another writer (DynamoDB `ConditionalCheckFailed`).
    #[error("the item changed since it was read")]
    Conflict,
    #[error("stored item {key} could not be read: {source}")]
    Corrupt {
        key: String,
        #[source]
        source: BoxError,
    },
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] BoxError),
}

#[derive(Debug, thiserror::Error)]
#[error("the queue did not accept {failed} of {total} messages: {source}")]
pub struct QueueError {
    pub failed: usize,
    pub total: usize,
    #[source]
    pub source: BoxError,
}

#[async_trait]
pub trait SourceStore: Send + Sync {
    async fn get_source(&self, id: &SourceId) -> Result<Option<Source>, StoreError>;
}

/// Ingest's side of source health: what it last accepted or refused (throttled by the caller).
#[async_trait]
pub trait SourceHealthLog: Send + Sync {
    async fn record(&self, source: &SourceId, signal: &SourceSignal) -> Result<(), StoreError>;
}

/// The admin API's side of source health.
#[async_trait]
pub trait SourceHealthReader: Send + Sync {
    /// Every source's health that has any, by id.
    async fn all_health(&self) -> Result<HashMap<SourceId, SourceHealth>, StoreError>;
    async fn forget_health(&self, source: &SourceId) -> Result<(), StoreError>;
}

#[async_trait]
pub trait TargetStore: Send + Sync {
    async fn list_targets(&self) -> Result<Arc<Vec<Target>>, StoreError>;

    async fn get_target(&self, id: &TargetId) -> Result<Option<Target>, StoreError> {
        Ok(self.list_targets().await?.iter().find(|t| &t.id == id).cloned())
    }

    /// As [`Self::get_target`], past any cache: for a message that names a target (or an
    /// incarnation of it) newer than the copy at hand.
    async fn get_target_fresh(&self, id: &TargetId) -> Result<Option<Target>, StoreError> {
        self.get_target(id).await
    }
}

/// An event record that is also a dedupe claim, and the lease its attempt holds while it queues
/// the deliveries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub record: EventRecord,
    pub lease_until: Option<DateTime<Utc>>,
}

/// Ingest's side of the activity log, which is also its dedupe: one item per webhook is both the
/// event's record and its claim, so ingest writes once (see the README's decisions).
#[async_trait]
pub trait EventLog: Send + Sync {
    /// The newest record that arrived between `from` and `to` whose event id has the same random
    /// part as `like` (ids derive it from the dedupe key, so: the same webhook).
    async fn find_claim(
        &self,
        like: Ulid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<Claimed>, StoreError>;
    /// Writes the record, kept until `expires_at`; `StoreError::Conflict` if its event id is taken.
    async fn write_event(
        &self,
        record: &EventRecord,
        lease_until: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The claim's deliveries could not all be queued: its lease ends now, so the sender's retry
    /// goes through at once, with the same ids (some may have reached the queue).
    async fn end_lease(&self, record: &EventRecord) -> Result<(), StoreError>;
    /// Those of `deliveries` that the deliver or retry function logged a step of since `since`.
    async fn handled(&self, deliveries: &[Ulid], since: DateTime<Utc>) -> Result<Vec<Ulid>, StoreError>;
    /// A webhook the source's URL refused, kept until `expires_at`.
    async fn write_refusal(&self, refusal: &Refusal, expires_at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// The deliver and retry functions' side of the activity log: an invocation's steps, packed into
/// as few items as their size allows (about ten healthy ones to a write unit).
#[async_trait]
pub trait AttemptLog: Send + Sync {
    async fn write_attempts(&self, attempts: &[Attempt], expires_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The records of events these functions make themselves (health warnings).
    async fn write_records(&self, records: &[EventRecord], expires_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Keeps the records of `events` until at least `until` (never shortens one): a parked
    /// delivery's event must outlive the parking, so that its expiry can be shown.
    async fn keep_records(&self, events: &[Ulid], until: DateTime<Utc>) -> Result<(), StoreError>;
}

/// The admin's side of the activity log, an hour (its storage's partition) at a time.
#[async_trait]
pub trait ActivityReader: Send + Sync {
    /// The event records of the hour starting at `hour`, unexpired at `now`, in no order.
    async fn events_in_hour(&self, hour: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<EventRecord>, StoreError>;
    async fn event(&self, id: Ulid, now: DateTime<Utc>) -> Result<Option<EventRecord>, StoreError>;
    /// The webhooks `source` refused in the hour starting at `hour`, unexpired at `now`.
    async fn refusals_in_hour(
        &self,
        source: &SourceId,
        hour: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Refusal>, StoreError>;
    /// The steps logged in the hour starting at `hour`, unexpired at `now`; with `mentioning`, only
    /// those of invocations whose steps mention that id (an event, delivery or target id).
    async fn attempts_in_hour(
        &self,
        hour: DateTime<Utc>,
        mentioning: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Attempt>, StoreError>;
}

#[async_trait]
pub trait StateStore: Send + Sync {
    async fn get_state(&self, target: &TargetId) -> Result<TargetState, StoreError>;
    /// Writes `next` only if the stored epoch is still `expected_epoch`; else `StoreError::Conflict`.
    async fn put_state(&self, target: &TargetId, expected_epoch: u64, next: &TargetState) -> Result<(), StoreError>;
    /// Writes `next` if the state is still `current`: `Some(next)`, or `None` when another writer
    /// moved it meanwhile (theirs goes on). Every "write the state if unchanged" goes through here.
    async fn transition(
        &self,
        target: &TargetId,
        current: &TargetState,
        next: TargetState,
    ) -> Result<Option<TargetState>, StoreError> {
        match self.put_state(target, current.epoch, &next).await {
            Ok(()) => Ok(Some(next)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }
    /// As `get_state`, but strongly consistent and never cached: for a decision that must see a
    /// write made a moment ago by another function.
    async fn get_state_now(&self, target: &TargetId) -> Result<TargetState, StoreError> {
        self.get_state(target).await
    }
    /// Another port changed this target's state item (its rejection streak): a cache drops its copy.
    fn forget(&self, _target: &TargetId) {}
}

/// Deliveries a target's receiver refused for their content (`REJECTED#<delivery ulid>` items),
/// kept for a person to fix the template and replay them, and the streak of rejections in a row.
#[async_trait]
pub trait RejectedStore: Send + Sync {
    /// Keeps `rejection` until `expires_at`, idempotent per delivery id. Returns the target's
    /// rejections in a row counting this one, or `None` if it was kept already.
    async fn set_aside(&self, rejection: &Rejection, expires_at: DateTime<Utc>) -> Result<Option<u32>, StoreError>;
    /// Up to `limit` rejections not expired at `now`, oldest first.
    async fn rejected(
        &self,
        target: &TargetId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Rejection>, StoreError> {
        self.rejected_after(target, None, now, limit).await
    }
    /// The same, starting after the rejection of delivery `after` (a page of a long list).
    async fn rejected_after(
        &self,
        target: &TargetId,
        after: Option<Ulid>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Rejection>, StoreError>;
    /// One rejection, by its delivery id (read by key, not found in the list).
    async fn rejection(
        &self,
        target: &TargetId,
        delivery_id: &Ulid,
        now: DateTime<Utc>,
    ) -> Result<Option<Rejection>, StoreError>;
    /// Removes one; false if there was none.
    async fn discard(&self, target: &TargetId, delivery_id: &Ulid) -> Result<bool, StoreError>;
    /// A delivery went through: the streak starts again from zero.
    async fn reset_streak(&self, target: &TargetId) -> Result<(), StoreError>;
}

#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    /// Sends messages already on the wire ([`herald_domain::message::wires`]), all or an error.
    async fn enqueue_wires(&self, wires: &[String]) -> Result<(), QueueError>;

    async fn enqueue(&self, deliveries: &[DeliveryMessage]) -> Result<(), QueueError> {
        self.enqueue_wires(&herald_domain::message::wires(deliveries)).await
    }
}

#[async_trait]
pub trait Sender: Send + Sync {
    async fn send(&self, request: &OutboundRequest, timeout: Duration) -> DeliveryOutcome;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// New ids for events and deliveries. A port, like the clock, so that use-case tests get distinct
/// ids in a known order without sleeping between them.
pub trait IdSource: Send + Sync {
    fn new_id(&self) -> Ulid;
}

/// Deliveries held for a target in backoff, oldest first (`PARKED#<delivery ulid>` items).
#[async_trait]
pub trait ParkingLot: Send + Sync {
    /// Idempotent per delivery id: parking the same delivery twice keeps one copy.
    async fn park(&self, delivery: &DeliveryMessage, expires_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Up to `limit` parked deliveries not expired at `now`, in arrival order.
    async fn oldest(
        &self,
        target: &TargetId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DeliveryMessage>, StoreError> {
        self.oldest_after(target, now, None, limit).await
    }
    /// The same, starting after delivery `after` (which need not be parked any more): a reader
    /// pages through the lot while what it read is still being sent.
    async fn oldest_after(
        &self,
        target: &TargetId,
        now: DateTime<Utc>,
        after: Option<Ulid>,
        limit: usize,
    ) -> Result<Vec<DeliveryMessage>, StoreError>;
    /// Removes one that was sent (or handed back to the queue).
    async fn remove(&self, target: &TargetId, delivery_id: &Ulid) -> Result<(), StoreError>;
    /// Removes several that were just read and sent (or handed back to the queue), in as few
    /// writes as the store allows, the count moving once.
    async fn remove_many(&self, target: &TargetId, delivery_ids: &[Ulid]) -> Result<(), StoreError> {
        for id in delivery_ids {
            self.remove(target, id).await?;
        }
        Ok(())
    }
    /// Whether anything unexpired is parked for the target. `counted` is the state's `parked`: a
    /// positive count is believed; a zero is checked against the lot itself, because the count can
    /// fall behind (a removal retried after an AWS error counts twice) and a delivery that no
    /// decision sees would wait until it expired.
    async fn has_parked(&self, target: &TargetId, counted: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(counted > 0 || !self.oldest(target, now, 1).await?.is_empty())
    }
    /// After a full recovery: of what the counter still holds, what is not parked and unexpired at
    /// `now` expired unsent; that much moves to `parked_expired` (a delivery parked in the same
    /// instant is not counted).
    async fn settle_expired(&self, target: &TargetId, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// How a wake-up was scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeupVia {
    /// An SQS message timer on the wakeups queue (delays up to 15 minutes).
    QueueTimer,
    /// A one-time EventBridge Scheduler schedule whose target is the wakeups queue.
    Schedule,
}

#[derive(Debug, thiserror::Error)]
#[error("could not schedule the wake-up: {0}")]
pub struct ScheduleError(#[source] pub BoxError);

#[async_trait]
pub trait WakeupScheduler: Send + Sync {
    async fn schedule(
        &self,
        wakeup: &WakeupMessage,
        delay: Duration,
        now: DateTime<Utc>,
    ) -> Result<WakeupVia, ScheduleError>;
}

/// Writes to the configuration (the admin API's side of sources and targets).
#[async_trait]
pub trait ConfigStore: Send + Sync {
    async fn list_sources(&self) -> Result<Vec<Source>, StoreError>;
    /// `StoreError::Conflict` if a source with this id exists.
    async fn create_source(&self, source: &Source) -> Result<(), StoreError>;
    /// Replaces an existing source if it is still at `expected_version`: false if there was none,
    /// `StoreError::Conflict` if another write came first.
    async fn replace_source(&self, source: &Source, expected_version: u64) -> Result<bool, StoreError>;
    /// False if there was none.
    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError>;
    /// Creates (`expected_version: None`, conflict if the id exists) or replaces the target whose
    /// stored version is `expected_version` (conflict otherwise).
    async fn save_target(&self, target: &Target, expected_version: Option<u64>) -> Result<(), StoreError>;
    async fn delete_target(&self, id: &TargetId) -> Result<bool, StoreError>;
}

/// A message that could not be processed and waits in a dead-letter queue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeadLetter {
    /// `deliveries` or `wakeups`.
    pub queue: String,
    pub id: String,
    pub receive_count: u32,
    /// What the message is, for a person (no secrets: messages hold events, never credentials).
    pub summary: String,
}

#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Up to `limit` dead letters of each queue, and how many each holds.
    async fn peek(&self, limit: usize) -> Result<(Vec<DeadLetter>, Vec<(String, u64)>), QueueError>;
    /// Moves every dead letter back to the queue it came from; returns how many.
    async fn redrive(&self) -> Result<usize, QueueError>;
}
