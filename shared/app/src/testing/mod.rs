//! In-memory fakes of the ports for fast use-case tests. Behind the `test-util` feature: never in
//! a Lambda binary. (The recording HTTP receiver, for tests over the real network, is herald-aws's.)

pub mod activity;
pub mod admin;
pub mod world;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::{
    Clock, DeliveryQueue, IdSource, ParkingLot, QueueError, RejectedStore, ScheduleError, Sender, SourceHealthLog,
    SourceStore, StateStore, StoreError, TargetStore, WakeupScheduler, WakeupVia,
};
use herald_domain::message::DeliveryMessage;
use herald_domain::message::WakeupMessage;
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::rejection::Rejection;
use herald_domain::request::OutboundRequest;
use herald_domain::source_health::SourceSignal;
use herald_domain::state::TargetState;
use herald_domain::{Source, SourceId, Target, TargetId};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Rejected deliveries by (target, delivery id), with when they expire.
pub type RejectedMap = std::collections::BTreeMap<(TargetId, ulid::Ulid), (Rejection, DateTime<Utc>)>;

/// Parked deliveries by (target, delivery id), with when they expire.
pub type ParkedMap = std::collections::BTreeMap<(TargetId, ulid::Ulid), (DeliveryMessage, DateTime<Utc>)>;

/// Sources, targets, states and the activity log in memory, with the same conditional semantics as DynamoDB.
#[derive(Default)]
pub struct MemoryStore {
    pub sources: Mutex<Vec<Source>>,
    pub targets: Mutex<Vec<Target>>,
    pub states: Mutex<HashMap<TargetId, TargetState>>,
    /// Event records (the dedupe claims too), with their lease and expiry.
    pub events: Mutex<Vec<activity::StoredEvent>>,
    /// Logged steps, with their expiry.
    pub attempts: Mutex<Vec<(herald_domain::activity::Attempt, DateTime<Utc>)>>,
    /// Refused webhooks, with their expiry.
    pub refusals: Mutex<Vec<(herald_domain::activity::Refusal, DateTime<Utc>)>>,
    pub parked: Mutex<ParkedMap>,
    pub rejected: Mutex<RejectedMap>,
    /// Every source health signal recorded, in order.
    pub health: Mutex<Vec<(SourceId, SourceSignal)>>,
    /// Counts every read and write, to check what a path costs.
    pub calls: Mutex<Vec<&'static str>>,
    /// While set, reading the targets fails as an unavailable table does.
    pub targets_unavailable: Mutex<bool>,
}

impl MemoryStore {
    pub fn new(sources: Vec<Source>, targets: Vec<Target>) -> Arc<Self> {
        Arc::new(Self { sources: Mutex::new(sources), targets: Mutex::new(targets), ..Self::default() })
    }

    pub fn state(&self, id: &TargetId) -> TargetState {
        lock(&self.states).get(id).cloned().unwrap_or_default()
    }

    pub fn calls(&self) -> Vec<&'static str> {
        lock(&self.calls).clone()
    }

    fn note(&self, call: &'static str) {
        lock(&self.calls).push(call);
    }
}

#[async_trait]
impl SourceStore for MemoryStore {
    async fn get_source(&self, id: &SourceId) -> Result<Option<Source>, StoreError> {
        self.note("get_source");
        Ok(lock(&self.sources).iter().find(|s| &s.id == id).cloned())
    }
}

#[async_trait]
impl SourceHealthLog for MemoryStore {
    async fn record(&self, source: &SourceId, signal: &SourceSignal) -> Result<(), StoreError> {
        self.note("record_health");
        lock(&self.health).push((source.clone(), signal.clone()));
        Ok(())
    }
}

#[async_trait]
impl TargetStore for MemoryStore {
    async fn list_targets(&self) -> Result<Arc<Vec<Target>>, StoreError> {
        self.note("list_targets");
        if *lock(&self.targets_unavailable) {
            return Err(StoreError::Unavailable("the table is down (test)".into()));
        }
        Ok(Arc::new(lock(&self.targets).clone()))
    }
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn get_state(&self, target: &TargetId) -> Result<TargetState, StoreError> {
        self.note("get_state");
        Ok(self.state(target))
    }

    async fn put_state(&self, target: &TargetId, expected_epoch: u64, next: &TargetState) -> Result<(), StoreError> {
        self.note("put_state");
        let mut states = lock(&self.states);
        let current = states.get(target).cloned().unwrap_or_default();
        if current.epoch != expected_epoch {
            return Err(StoreError::Conflict);
        }
        // Like the DynamoDB adapter, a transition leaves the parking counters alone.
        states.insert(
            target.clone(),
            TargetState {
                parked: current.parked,
                parked_expired: current.parked_expired,
                rejections_in_row: current.rejections_in_row,
                ..next.clone()
            },
        );
        Ok(())
    }
}

#[async_trait]
impl ParkingLot for MemoryStore {
    async fn park(&self, delivery: &DeliveryMessage, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.note("park");
        let key = (delivery.target_id.clone(), delivery.delivery_id);
        let fresh = lock(&self.parked).insert(key, (delivery.clone(), expires_at)).is_none();
        if fresh {
            lock(&self.states).entry(delivery.target_id.clone()).or_default().parked += 1;
        }
        Ok(())
    }

    async fn oldest_after(
        &self,
        target: &TargetId,
        now: DateTime<Utc>,
        after: Option<ulid::Ulid>,
        limit: usize,
    ) -> Result<Vec<DeliveryMessage>, StoreError> {
        self.note("oldest");
        Ok(lock(&self.parked)
            .iter()
            .filter(|((t, id), (_, expires))| t == target && *expires > now && after.is_none_or(|a| *id > a))
            .take(limit)
            .map(|(_, (d, _))| d.clone())
            .collect())
    }

    async fn remove(&self, target: &TargetId, delivery_id: &ulid::Ulid) -> Result<(), StoreError> {
        self.note("remove");
        if lock(&self.parked).remove(&(target.clone(), *delivery_id)).is_some() {
            lock(&self.states).entry(target.clone()).or_default().parked -= 1;
        }
        Ok(())
    }

    async fn settle_expired(&self, target: &TargetId, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let live = lock(&self.parked).iter().filter(|((t, _), (_, expires))| t == target && *expires > now).count();
        let mut states = lock(&self.states);
        let state = states.entry(target.clone()).or_default();
        let expired = (state.parked - live as i64).max(0);
        state.parked -= expired;
        state.parked_expired += expired as u64;
        Ok(expired as u64)
    }
}

#[async_trait]
impl RejectedStore for MemoryStore {
    async fn set_aside(&self, rejection: &Rejection, expires_at: DateTime<Utc>) -> Result<Option<u32>, StoreError> {
        self.note("set_aside");
        let d = &rejection.delivery;
        let fresh = lock(&self.rejected).insert((d.target_id.clone(), d.delivery_id), (rejection.clone(), expires_at));
        if fresh.is_some() {
            return Ok(None);
        }
        let mut states = lock(&self.states);
        let state = states.entry(d.target_id.clone()).or_default();
        state.rejections_in_row += 1;
        Ok(Some(state.rejections_in_row))
    }

    async fn rejected_after(
        &self,
        target: &TargetId,
        after: Option<ulid::Ulid>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Rejection>, StoreError> {
        self.note("rejected");
        Ok(lock(&self.rejected)
            .iter()
            .filter(|((t, id), (_, expires))| t == target && *expires > now && after.is_none_or(|a| *id > a))
            .take(limit)
            .map(|(_, (r, _))| r.clone())
            .collect())
    }

    async fn rejection(
        &self,
        target: &TargetId,
        delivery_id: &ulid::Ulid,
        now: DateTime<Utc>,
    ) -> Result<Option<Rejection>, StoreError> {
        self.note("rejection");
        let rejected = lock(&self.rejected);
        Ok(rejected.get(&(target.clone(), *delivery_id)).filter(|(_, expires)| *expires > now).map(|(r, _)| r.clone()))
    }

    async fn discard(&self, target: &TargetId, delivery_id: &ulid::Ulid) -> Result<bool, StoreError> {
        self.note("discard");
        Ok(lock(&self.rejected).remove(&(target.clone(), *delivery_id)).is_some())
    }

    async fn reset_streak(&self, target: &TargetId) -> Result<(), StoreError> {
        self.note("reset_streak");
        lock(&self.states).entry(target.clone()).or_default().rejections_in_row = 0;
        Ok(())
    }
}

/// Records wake-ups instead of scheduling them; delays up to `timer_max` count as queue timers.
pub struct MemoryWakeups {
    pub scheduled: Mutex<Vec<(WakeupMessage, Duration, WakeupVia)>>,
    pub timer_max: Duration,
}

impl Default for MemoryWakeups {
    fn default() -> Self {
        Self { scheduled: Mutex::default(), timer_max: Duration::from_secs(900) }
    }
}

impl MemoryWakeups {
    pub fn scheduled(&self) -> Vec<(WakeupMessage, Duration, WakeupVia)> {
        lock(&self.scheduled).clone()
    }
}

#[async_trait]
impl WakeupScheduler for MemoryWakeups {
    async fn schedule(
        &self,
        wakeup: &WakeupMessage,
        delay: Duration,
        _now: DateTime<Utc>,
    ) -> Result<WakeupVia, ScheduleError> {
        let via = if delay <= self.timer_max { WakeupVia::QueueTimer } else { WakeupVia::Schedule };
        lock(&self.scheduled).push((wakeup.clone(), delay, via));
        Ok(via)
    }
}

/// A queue that records what it was given and can be told to refuse.
#[derive(Default)]
pub struct MemoryQueue {
    pub sent: Mutex<Vec<DeliveryMessage>>,
    pub fail: Mutex<bool>,
}

impl MemoryQueue {
    pub fn sent(&self) -> Vec<DeliveryMessage> {
        lock(&self.sent).clone()
    }

    pub fn fail_next(&self, fail: bool) {
        *lock(&self.fail) = fail;
    }
}

#[async_trait]
impl DeliveryQueue for MemoryQueue {
    async fn enqueue_wires(&self, wires: &[String]) -> Result<(), QueueError> {
        if *lock(&self.fail) {
            return Err(QueueError { failed: wires.len(), total: wires.len(), source: "queue refused (test)".into() });
        }
        // Read back as the deliver function would, so a test sees what really went on the wire.
        let mut sent = lock(&self.sent);
        for wire in wires {
            match herald_domain::message::Message::from_json(wire) {
                Ok(herald_domain::message::Message::Deliver(d)) => sent.push(*d),
                other => return Err(QueueError { failed: 1, total: wires.len(), source: format!("{other:?}").into() }),
            }
        }
        Ok(())
    }
}

/// Answers with scripted outcomes (then `Delivered 204`) and records every request.
#[derive(Default)]
pub struct ScriptedSender {
    pub script: Mutex<VecDeque<DeliveryOutcome>>,
    pub requests: Mutex<Vec<OutboundRequest>>,
    /// When set, every send waits here first: holds N deliveries in flight at once.
    pub barrier: Mutex<Option<Arc<tokio::sync::Barrier>>>,
    /// Sends started and not answered yet, and the most there ever were.
    in_flight: Mutex<(usize, usize)>,
}

impl ScriptedSender {
    pub fn then(&self, outcome: DeliveryOutcome) -> &Self {
        lock(&self.script).push_back(outcome);
        self
    }

    pub fn hold_until_in_flight(&self, n: usize) {
        *lock(&self.barrier) = Some(Arc::new(tokio::sync::Barrier::new(n)));
    }

    pub fn requests(&self) -> Vec<OutboundRequest> {
        lock(&self.requests).clone()
    }

    /// The most sends that were waiting for their answer at once.
    pub fn most_in_flight(&self) -> usize {
        lock(&self.in_flight).1
    }
}

#[async_trait]
impl Sender for ScriptedSender {
    async fn send(&self, request: &OutboundRequest, _timeout: Duration) -> DeliveryOutcome {
        lock(&self.requests).push(request.clone());
        {
            let mut in_flight = lock(&self.in_flight);
            in_flight.0 += 1;
            in_flight.1 = in_flight.1.max(in_flight.0);
        }
        let barrier = lock(&self.barrier).clone();
        if let Some(barrier) = barrier {
            barrier.wait().await;
        }
        // An answer takes a moment: a caller that sends side by side starts the others meanwhile.
        tokio::task::yield_now().await;
        lock(&self.in_flight).0 -= 1;
        lock(&self.script)
            .pop_front()
            .unwrap_or(DeliveryOutcome::Delivered { status: 204, elapsed: Duration::from_millis(1) })
    }
}

/// A clock that stands still until told to move.
pub struct FixedClock(pub Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(t)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = lock(&self.0);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Ids in the order they are asked for, across the whole test process: distinct, and sorted as
/// created (as a ULID made a millisecond later would be), with no sleeping.
pub struct SequentialIds;

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The next id of [`SequentialIds`], for tests that build messages themselves.
pub fn next_id() -> ulid::Ulid {
    ulid::Ulid::from_parts(NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed), 0)
}

impl IdSource for SequentialIds {
    fn new_id(&self) -> ulid::Ulid {
        next_id()
    }
}
