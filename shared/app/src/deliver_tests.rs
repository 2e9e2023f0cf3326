use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::ports::{Clock, RejectedStore, WakeupVia};
use crate::testing::world::{deliver, delivered, failed, message, rejected, t, world};

#[tokio::test]
async fn healthy_success_reads_state_and_writes_nothing() {
    let w = world();
    let report = deliver(&w).deliver(&message("t")).await.unwrap();
    assert!(matches!(report, Report::Delivered { status: 204, .. }));
    assert_eq!(w.sender.requests()[0].url.as_str(), "https://t.example/RequestAvailable");
    assert_eq!(w.store.calls(), ["list_targets", "get_state"]);
}

#[tokio::test]
async fn a_failure_climbs_one_rung_schedules_a_wakeup_and_parks() {
    let w = world();
    w.sender.then(failed(503));
    let msg = message("t");
    let report = deliver(&w).deliver(&msg).await.unwrap();
    assert_eq!(report, Report::Failed { status: Some(503), error: "HTTP 503".into(), warned: Warned(false) });
    let state = w.store.state(&t());
    assert_eq!((state.failures, state.epoch, state.last_status, state.parked), (1, 1, Some(503), 1));
    assert_eq!(state.next_attempt_at, Some(w.clock.now() + Duration::from_secs(30)));
    let scheduled = w.wakeups.scheduled();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(
        (scheduled[0].0.epoch, scheduled[0].1, scheduled[0].2),
        (1, Duration::from_secs(30), WakeupVia::QueueTimer)
    );
    // While holding, the next delivery is parked without a send.
    let report = deliver(&w).deliver(&message("t")).await.unwrap();
    assert_eq!(report, Report::Parked);
    assert_eq!(w.sender.requests().len(), 1);
    assert_eq!(w.store.state(&t()).parked, 2);
}

#[tokio::test]
async fn concurrent_failures_of_one_outage_climb_one_rung() {
    let w = world();
    for _ in 0..10 {
        w.sender.then(failed(500));
    }
    // Every delivery reads the state before any writes, as ten in-flight Lambdas would.
    w.sender.hold_until_in_flight(10);
    let d = deliver(&w);
    let msgs: Vec<_> = (0..10).map(|_| message("t")).collect();
    let results = futures::future::join_all(msgs.iter().map(|m| d.deliver(m))).await;
    assert!(results.iter().all(|r| matches!(r, Ok(Report::Failed { .. }))));
    let state = w.store.state(&t());
    assert_eq!((state.failures, state.epoch, state.parked), (1, 1, 10));
}

#[tokio::test]
async fn a_429_pauses_without_climbing() {
    let w = world();
    w.sender.then(DeliveryOutcome::Throttled { retry_after: Some(Duration::from_secs(2)), elapsed: Duration::ZERO });
    assert_eq!(deliver(&w).deliver(&message("t")).await.unwrap(), Report::Throttled);
    let state = w.store.state(&t());
    assert_eq!((state.failures, state.last_status, state.parked), (0, Some(429), 1));
    assert_eq!(w.wakeups.scheduled()[0].1, Duration::from_secs(2));
}

#[tokio::test]
async fn the_fifth_failure_warns_healthy_others_once() {
    let w = world();
    w.store
        .states
        .lock()
        .unwrap()
        .insert(t(), herald_domain::state::TargetState { failures: 4, epoch: 7, ..Default::default() });
    w.sender.then(failed(503));
    deliver(&w).deliver(&message("t")).await.unwrap();
    let warnings = w.queue.sent();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].target_id.as_str(), "other");
    assert_eq!(warnings[0].event.name, "health_warning");
    assert_eq!(
        warnings[0].event.fields["message"],
        json!("Webhook 'T' has failed 5 times in a row: HTTP 503 Service Unavailable")
    );
    assert_eq!(w.wakeups.scheduled()[0].1, Duration::from_secs(86_400));
    assert_eq!(w.wakeups.scheduled()[0].2, WakeupVia::Schedule);
}

#[tokio::test]
async fn unhealthy_others_get_no_warning() {
    let w = world();
    let mut states = w.store.states.lock().unwrap().clone();
    states.insert(t(), herald_domain::state::TargetState { failures: 4, epoch: 7, ..Default::default() });
    states.insert(
        herald_domain::TargetId::parse("other").unwrap(),
        herald_domain::state::TargetState { failures: 2, ..Default::default() },
    );
    *w.store.states.lock().unwrap() = states;
    w.sender.then(failed(503));
    deliver(&w).deliver(&message("t")).await.unwrap();
    assert!(w.queue.sent().is_empty());
}

#[tokio::test]
async fn unknown_targets_are_skipped_and_unbuildable_requests_are_rejections() {
    let w = world();
    assert_eq!(deliver(&w).deliver(&message("gone")).await.unwrap(), Report::Skipped("target no longer exists"));
    w.store.targets.lock().unwrap()[0].headers.insert("X-{{title}}".into(), "v".into());
    let mut msg = message("t");
    msg.event.fields.insert("title".into(), json!("not a header name"));
    let report = deliver(&w).deliver(&msg).await.unwrap();
    assert!(
        matches!(report, Report::Rejected { status: None, ref error, .. } if error.contains("could not build")),
        "{report:?}"
    );
    assert!(w.store.state(&t()).is_healthy(), "the target is not held");
    let kept = w.store.rejected(&t(), w.clock.now(), 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].note.request.is_none() && kept[0].delivery == msg);
}

#[tokio::test]
async fn a_multi_line_value_in_a_header_is_folded_and_sent() {
    let w = world();
    w.store.targets.lock().unwrap()[0].headers.insert("X-Msg".into(), "{{title}}".into());
    let mut msg = message("t");
    msg.event.fields.insert("title".into(), json!("first line\r\nsecond line"));
    assert!(matches!(deliver(&w).deliver(&msg).await.unwrap(), Report::Delivered { .. }));
    let sent = w.sender.requests();
    let value = sent[0].headers.iter().find(|(n, _)| n == "x-msg").unwrap().1.to_str().unwrap().to_owned();
    assert_eq!(value, "first line second line");
}

#[tokio::test]
async fn a_rejected_delivery_is_set_aside_and_the_others_go_on() {
    let w = world();
    let d = deliver(&w);
    w.sender.then(delivered()).then(rejected(400)).then(delivered());
    let msgs: Vec<_> = (0..3).map(|_| message("t")).collect();
    let mut reports = Vec::new();
    for m in &msgs {
        reports.push(d.deliver(m).await.unwrap());
    }
    assert!(matches!(reports[1], Report::Rejected { status: Some(400), .. }), "{reports:?}");
    assert!(matches!(reports[2], Report::Delivered { .. }));
    let state = w.store.state(&t());
    assert!(state.is_healthy() && state.parked == 0, "{state:?}");
    assert_eq!(state.rejections_in_row, 0, "the success after it ended the streak");
    assert!(w.wakeups.scheduled().is_empty(), "nothing to wake: the target never held");
    let kept = w.store.rejected(&t(), w.clock.now(), 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].delivery.delivery_id, msgs[1].delivery_id);
    assert_eq!(kept[0].note.response.as_deref(), Some(r#"{"content": ["Must be 2000 or fewer in length."]}"#));
    assert!(kept[0].note.request.as_ref().is_some_and(|r| r.method == "POST"));
}

#[tokio::test]
async fn five_rejections_in_a_row_warn_the_others_once() {
    let w = world();
    let d = deliver(&w);
    for _ in 0..7 {
        w.sender.then(rejected(400));
    }
    for _ in 0..7 {
        d.deliver(&message("t")).await.unwrap();
    }
    let warnings = w.queue.sent();
    assert_eq!(warnings.len(), 1, "once, at the fifth");
    assert_eq!(warnings[0].target_id.as_str(), "other");
    assert_eq!(
        warnings[0].event.fields["message"],
        json!("Webhook 'T' rejected 5 deliveries in a row: HTTP 400 Bad Request")
    );
    assert!(w.store.state(&t()).is_healthy());
    d.deliver(&message("t")).await.unwrap();
    assert_eq!(w.store.state(&t()).rejections_in_row, 0);
}

#[tokio::test]
async fn only_the_winner_schedules_and_an_overdue_target_is_nudged() {
    let w = world();
    for _ in 0..3 {
        w.sender.then(failed(500));
    }
    w.sender.hold_until_in_flight(3);
    let d = deliver(&w);
    let msgs: Vec<_> = (0..3).map(|_| message("t")).collect();
    futures::future::join_all(msgs.iter().map(|m| d.deliver(m))).await;
    assert_eq!(w.wakeups.scheduled().len(), 1, "one wake-up per epoch");
    *w.sender.barrier.lock().unwrap() = None;
    w.clock.advance(Duration::from_secs(30) + w.backoff.overdue_after + Duration::from_secs(1));
    assert_eq!(d.deliver(&message("t")).await.unwrap(), Report::Parked);
    let scheduled = w.wakeups.scheduled();
    assert_eq!(scheduled.len(), 2);
    assert_eq!((scheduled[1].0.epoch, scheduled[1].1), (1, Duration::ZERO));
}

/// Answers `get_state` with a holding state the store no longer has: a read made just before the
/// retry function released the target.
struct ReadBeforeRelease(std::sync::Arc<crate::testing::MemoryStore>);

#[async_trait::async_trait]
impl crate::ports::StateStore for ReadBeforeRelease {
    async fn get_state(
        &self,
        _: &herald_domain::TargetId,
    ) -> Result<herald_domain::state::TargetState, crate::ports::StoreError> {
        let now = chrono::DateTime::UNIX_EPOCH;
        Ok(herald_domain::state::TargetState::default().throttled(now))
    }

    async fn get_state_now(
        &self,
        target: &herald_domain::TargetId,
    ) -> Result<herald_domain::state::TargetState, crate::ports::StoreError> {
        self.0.get_state(target).await
    }

    async fn put_state(
        &self,
        target: &herald_domain::TargetId,
        epoch: u64,
        next: &herald_domain::state::TargetState,
    ) -> Result<(), crate::ports::StoreError> {
        self.0.put_state(target, epoch, next).await
    }
}

#[tokio::test]
async fn a_delivery_parked_as_its_target_is_released_goes_back_on_the_queue() {
    let w = world();
    let backoff = Backoff { states: std::sync::Arc::new(ReadBeforeRelease(w.store.clone())), ..clone_backoff(&w) };
    let d = Deliver { backoff: std::sync::Arc::new(backoff) };
    let msg = herald_domain::message::DeliveryMessage { counts_webhook: true, ..message("t") };
    assert_eq!(d.deliver(&msg).await.unwrap(), Report::Requeued);
    // Sent again without the webhook's count: this handling of it counted the webhook already.
    assert_eq!(w.queue.sent(), vec![herald_domain::message::DeliveryMessage { counts_webhook: false, ..msg }]);
    assert!(w.store.parked.lock().unwrap().is_empty(), "not left in the parking lot");
    assert_eq!(w.store.state(&t()).parked, 0);
}

fn clone_backoff(w: &crate::testing::world::TestWorld) -> Backoff {
    let b = &w.backoff;
    Backoff {
        journal: w.backoff.journal.clone(),
        targets: b.targets.clone(),
        states: b.states.clone(),
        parking: b.parking.clone(),
        rejected: b.rejected.clone(),
        wakeups: b.wakeups.clone(),
        queue: b.queue.clone(),
        sender: b.sender.clone(),
        clock: b.clock.clone(),
        ids: b.ids.clone(),
        ladder: b.ladder.clone(),
        retention: b.retention,
        overdue_after: b.overdue_after,
        recent: Default::default(),
    }
}

#[tokio::test]
async fn a_target_created_again_after_the_list_was_cached_still_gets_its_deliveries() {
    let w = world();
    // A deliver function whose copy of the target list predates the target's new incarnation.
    let cached = Arc::new(crate::cache::CachedTargets::new(w.store.clone(), Duration::from_secs(3600)));
    let backoff = Backoff { targets: cached.clone(), ..clone_backoff(&w) };
    let deliver = Deliver { backoff: Arc::new(backoff) };
    assert!(crate::ports::TargetStore::get_target(&*cached, &t()).await.unwrap().is_some(), "cached");
    let new_incarnation = ulid::Ulid::from_parts(1_800_000_000_000, 1);
    w.store.targets.lock().unwrap().iter_mut().find(|x| x.id == t()).unwrap().incarnation = Some(new_incarnation);
    let mut msg = message("t");
    msg.incarnation = Some(new_incarnation);
    assert!(matches!(deliver.deliver(&msg).await.unwrap(), Report::Delivered { .. }));
    // Routed by an ingest whose copy of the list still had the old incarnation, but arrived
    // after the new one was created: it is the new target's.
    let mut routed_stale = message("t");
    routed_stale.incarnation = Some(ulid::Ulid::from_parts(1_700_000_000_000, 1));
    routed_stale.event.received_at = chrono::DateTime::from_timestamp_millis(1_800_000_000_001).unwrap();
    assert!(matches!(deliver.deliver(&routed_stale).await.unwrap(), Report::Delivered { .. }));
    // And one for the incarnation before it, of an event from before, is dropped.
    let mut old = message("t");
    old.incarnation = Some(ulid::Ulid::from_parts(1_700_000_000_000, 1));
    assert_eq!(deliver.deliver(&old).await.unwrap(), Report::Skipped("meant for a deleted target of that id"));
}
