//! A Backoff on in-memory fakes, for the deliver and retry use-case and handler tests.

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use serde_json::json;

use super::{FixedClock, MemoryQueue, MemoryStore, MemoryWakeups, ScriptedSender, SequentialIds, next_id};
use crate::backoff::Backoff;
use herald_domain::TargetId;
use herald_domain::event::SourceKind;
use herald_domain::ladder::Ladder;
use herald_domain::message::{DeliveryMessage, WakeupMessage};

const WEEK: Duration = Duration::from_secs(7 * 86_400);
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::sample::sample_event;

pub struct TestWorld {
    pub store: Arc<MemoryStore>,
    pub sender: Arc<ScriptedSender>,
    pub wakeups: Arc<MemoryWakeups>,
    pub queue: Arc<MemoryQueue>,
    pub clock: Arc<FixedClock>,
    pub backoff: Arc<Backoff>,
}

/// Targets `t` (the one under test) and `other`, both healthy.
pub fn world() -> TestWorld {
    let targets = ["t", "other"].map(|id| {
        serde_json::from_value(json!({"id": id, "name": id.to_uppercase(), "url": "https://t.example/{{event}}"}))
            .unwrap()
    });
    let store = MemoryStore::new(vec![], targets.to_vec());
    let sender = Arc::new(ScriptedSender::default());
    let wakeups = Arc::new(MemoryWakeups::default());
    let queue = Arc::new(MemoryQueue::default());
    let clock = FixedClock::at(DateTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let backoff = Arc::new(Backoff {
        journal: Arc::new(crate::journal::Journal::new(store.clone(), clock.clone(), WEEK, WEEK)),
        targets: store.clone(),
        states: store.clone(),
        parking: store.clone(),
        rejected: store.clone(),
        wakeups: wakeups.clone(),
        queue: queue.clone(),
        sender: sender.clone(),
        clock: clock.clone(),
        ids: Arc::new(SequentialIds),
        ladder: Ladder::default(),
        retention: Duration::from_secs(7 * 86_400),
        overdue_after: Duration::from_secs(5 * 60),
        recent: Default::default(),
    });
    TestWorld { store, sender, wakeups, queue, clock, backoff }
}

pub fn message(target: &str) -> DeliveryMessage {
    DeliveryMessage {
        delivery_id: next_id(),
        target_id: TargetId::parse(target).unwrap(),
        incarnation: None,
        event: sample_event(SourceKind::Ombi, next_id(), DateTime::UNIX_EPOCH),
        counts_webhook: false,
    }
}

pub fn failed(status: u16) -> DeliveryOutcome {
    DeliveryOutcome::Failed {
        status: Some(status),
        error: format!("HTTP {status}"),
        response: None,
        elapsed: Duration::ZERO,
    }
}

pub fn t() -> TargetId {
    TargetId::parse("t").unwrap()
}

/// The deliver use case over the world's fakes.
pub fn deliver(w: &TestWorld) -> crate::deliver::Deliver {
    crate::deliver::Deliver { backoff: w.backoff.clone() }
}

/// The retry use case over the world's fakes, with room for a long backlog in one wake-up.
pub fn retry(w: &TestWorld) -> crate::retry::Retry {
    crate::retry::Retry { backoff: w.backoff.clone(), max_sends: 100, budget: Duration::from_secs(60), window: 10 }
}

/// Target `t` fails once (no recent success, so it holds), then `n` more deliveries park behind
/// it; the events are named `e0`…`e{n}` in arrival order.
pub async fn fail_once_then_park(w: &TestWorld, n: usize) {
    let d = deliver(w);
    w.sender.then(failed(500));
    for i in 0..=n {
        let mut m = message("t");
        m.event.fields.insert("event".into(), json!(format!("e{i}")));
        let report = d.deliver(&m).await.unwrap();
        if i > 0 {
            assert_eq!(report, crate::deliver::Report::Parked, "e{i}");
        }
    }
}

/// The wake-up of target `t` at `epoch`.
pub fn wakeup(epoch: u64) -> WakeupMessage {
    WakeupMessage { target_id: t(), epoch, incarnation: None }
}

/// Makes target `t` strict about order: held at its first failure, drained one by one.
pub fn make_ordered(w: &TestWorld) {
    w.store.targets.lock().unwrap().iter_mut().find(|x| x.id == t()).unwrap().ordered = true;
}

pub fn delivered() -> DeliveryOutcome {
    DeliveryOutcome::Delivered { status: 204, elapsed: Duration::ZERO }
}

/// A receiver refusing the payload, as Discord does for a `content` over 2000 characters.
pub fn rejected(status: u16) -> DeliveryOutcome {
    DeliveryOutcome::Rejected {
        status: Some(status),
        error: format!("HTTP {status} Bad Request"),
        response: Some(r#"{"content": ["Must be 2000 or fewer in length."]}"#.to_owned()),
        elapsed: Duration::ZERO,
    }
}
