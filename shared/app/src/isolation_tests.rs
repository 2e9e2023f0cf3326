//! Issue 16's rule on fakes: an isolated failure of a target that keeps succeeding parks only its
//! own delivery; a second failure in a row holds the target as before; an unordered backlog goes
//! back through the queue after the probe; an ordered target keeps the strict behaviour.

use std::time::Duration;

use crate::backoff::Warned;
use crate::deliver::Report;
use crate::ports::{Clock, ParkingLot};
use crate::retry::WakeReport;
use crate::testing::world::{
    TestWorld, deliver, delivered, fail_once_then_park, failed, make_ordered, message, retry, t, wakeup, world,
};

/// A success, then a failure: the second is isolated.
async fn succeed_then_fail(w: &TestWorld) -> Report {
    deliver(w).deliver(&message("t")).await.unwrap();
    w.sender.then(failed(500));
    deliver(w).deliver(&message("t")).await.unwrap()
}

#[tokio::test]
async fn an_isolated_failure_parks_one_delivery_and_holds_nothing() {
    let w = world();
    let report = succeed_then_fail(&w).await;
    assert_eq!(report, Report::Failed { status: Some(500), error: "HTTP 500".into(), warned: Warned(false) });
    let state = w.store.state(&t());
    assert_eq!((state.failures, state.parked, state.is_holding()), (1, 1, false), "{state:?}");
    assert_eq!(state.grace_until, Some(w.clock.now() + Duration::from_secs(30)));
    assert_eq!(w.wakeups.scheduled().last().map(|s| (s.0.epoch, s.1)), Some((1, Duration::from_secs(30))));
    // The target keeps sending; its success resets the ladder.
    assert!(matches!(deliver(&w).deliver(&message("t")).await.unwrap(), Report::Delivered { .. }));
    let state = w.store.state(&t());
    assert!(state.is_healthy() && state.grace_until.is_none(), "{state:?}");
    // The wake-up, stale by then, still sends the parked one: back on the queue.
    assert_eq!(retry(&w).wake(&wakeup(1)).await.unwrap(), WakeReport::Released { expired: 0 });
    assert_eq!(w.queue.sent().len(), 1);
    assert_eq!(w.store.state(&t()).parked, 0);
    assert!(w.store.oldest(&t(), w.clock.now(), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_second_failure_in_a_row_holds_until_the_first_ones_retry_on_the_same_rung() {
    let w = world();
    succeed_then_fail(&w).await;
    let retry_at = w.store.state(&t()).grace_until.unwrap();
    w.clock.advance(Duration::from_secs(2));
    w.sender.then(failed(502));
    let report = deliver(&w).deliver(&message("t")).await.unwrap();
    assert!(matches!(report, Report::Failed { status: Some(502), .. }), "{report:?}");
    let state = w.store.state(&t());
    assert_eq!((state.failures, state.next_attempt_at, state.parked), (1, Some(retry_at), 2), "{state:?}");
    assert_eq!(w.wakeups.scheduled().last().map(|s| (s.0.epoch, s.1)), Some((2, Duration::from_secs(28))));
    assert_eq!(deliver(&w).deliver(&message("t")).await.unwrap(), Report::Parked, "now it holds");
}

#[tokio::test]
async fn the_isolated_deliverys_retry_is_a_probe_that_climbs_when_it_fails() {
    let w = world();
    succeed_then_fail(&w).await;
    w.clock.advance(Duration::from_secs(30));
    w.sender.then(failed(500));
    let report = retry(&w).wake(&wakeup(1)).await.unwrap();
    assert!(matches!(report, WakeReport::SetBack { failures: Some(2), .. }), "{report:?}");
    let state = w.store.state(&t());
    assert_eq!(state.next_attempt_at, Some(w.clock.now() + Duration::from_secs(900)), "the second rung");
    // And when it succeeds, the target is healthy with nothing parked.
    let w = world();
    succeed_then_fail(&w).await;
    w.clock.advance(Duration::from_secs(30));
    assert_eq!(retry(&w).wake(&wakeup(1)).await.unwrap(), WakeReport::Recovered { sent: 1, expired: 0, rejected: 0 });
    let state = w.store.state(&t());
    assert!(state.is_healthy() && state.parked == 0, "{state:?}");
}

#[tokio::test]
async fn a_failure_without_a_recent_success_holds_as_before() {
    let w = world();
    w.sender.then(failed(500));
    deliver(&w).deliver(&message("t")).await.unwrap();
    assert!(w.store.state(&t()).is_holding(), "a quiet target's first failure holds it");
    let w = world();
    deliver(&w).deliver(&message("t")).await.unwrap();
    w.clock.advance(Duration::from_secs(31));
    w.sender.then(failed(500));
    deliver(&w).deliver(&message("t")).await.unwrap();
    assert!(w.store.state(&t()).is_holding(), "a success longer ago than the first rung is not recent");
}

#[tokio::test]
async fn an_ordered_target_holds_at_its_first_failure_and_drains_one_by_one() {
    let w = world();
    make_ordered(&w);
    succeed_then_fail(&w).await;
    assert!(w.store.state(&t()).is_holding(), "no grace for an ordered target");
    for _ in 0..3 {
        assert_eq!(deliver(&w).deliver(&message("t")).await.unwrap(), Report::Parked);
    }
    let report = retry(&w).wake(&wakeup(1)).await.unwrap();
    assert_eq!(report, WakeReport::Recovered { sent: 4, expired: 0, rejected: 0 });
    assert!(w.queue.sent().is_empty(), "sent by the retry function itself, in order");
    assert_eq!(w.sender.requests().len(), 2 + 4);
}

#[tokio::test]
async fn an_unordered_backlog_is_sent_side_by_side_after_the_probe() {
    let w = world();
    fail_once_then_park(&w, 60).await;
    let report = retry(&w).wake(&wakeup(1)).await.unwrap();
    assert_eq!(report, WakeReport::Recovered { sent: 61, expired: 0, rejected: 0 });
    // 61 sends and an empty lot (a delivery leaves it only once sent): each went once.
    assert_eq!(w.sender.requests().len(), 1 + 61, "the first failure, the probe, then the rest");
    assert!(w.store.oldest(&t(), w.clock.now(), 100).await.unwrap().is_empty());
    assert_eq!(w.sender.most_in_flight(), 10, "the window, across pages of 25");
    assert!(w.queue.sent().is_empty(), "none went back through the queue");
    let state = w.store.state(&t());
    assert!(state.is_healthy() && state.parked == 0, "{state:?}");
}

#[tokio::test]
async fn a_failure_while_the_backlog_goes_out_stops_new_sends_and_sets_the_target_back_once() {
    let w = world();
    fail_once_then_park(&w, 40).await;
    // The probe and 4 more go through; the 6th and 7th fail, the rest of the window was in flight.
    w.sender.then(delivered()).then(delivered()).then(delivered()).then(delivered()).then(delivered());
    w.sender.then(failed(503)).then(failed(503));
    let report = retry(&w).wake(&wakeup(1)).await.unwrap();
    assert!(matches!(report, WakeReport::SetBack { failures: Some(1), .. }), "{report:?}");
    let sent = w.sender.requests().len() - 1;
    assert!((7..=15).contains(&sent), "no new send after the failure: {sent}");
    let state = w.store.state(&t());
    assert_eq!((state.failures, state.is_holding()), (1, true), "one rung, from the reset: {state:?}");
    let left = w.store.oldest(&t(), w.clock.now(), 100).await.unwrap().len();
    assert_eq!(left, 41 - (sent - 2), "what failed stays parked with what was not sent");
    assert_eq!(state.parked, left as i64);
}

#[tokio::test]
async fn after_an_isolated_failure_one_success_resets_the_ladder_not_every_one_in_flight() {
    let w = world();
    succeed_then_fail(&w).await;
    let graced = w.store.state(&t());
    // Ten deliveries in flight read the same state, as concurrent sends of one invocation do.
    w.sender.hold_until_in_flight(10);
    let d = deliver(&w);
    let msgs: Vec<_> = (0..10).map(|_| message("t")).collect();
    let reports = futures::future::join_all(msgs.iter().map(|m| d.deliver(m))).await;
    assert!(reports.iter().all(|r| matches!(r, Ok(Report::Delivered { .. }))), "{reports:?}");
    let writes = w.store.calls().iter().filter(|c| **c == "put_state").count();
    assert_eq!(writes, 2, "the isolation and one reset: {:?}", w.store.calls());
    let state = w.store.state(&t());
    assert!(state.is_healthy() && state.epoch == graced.epoch + 1, "{state:?}");
}

/// The parked count can fall behind the lot (a removal retried after an AWS error counts twice):
/// the isolated delivery's retry still finds it.
#[tokio::test]
async fn the_isolated_deliverys_retry_finds_it_when_the_count_lost_it() {
    let w = world();
    succeed_then_fail(&w).await;
    w.store.states.lock().unwrap().get_mut(&t()).unwrap().parked = 0;
    w.clock.advance(Duration::from_secs(30));
    assert_eq!(retry(&w).wake(&wakeup(1)).await.unwrap(), WakeReport::Recovered { sent: 1, expired: 0, rejected: 0 });
    assert!(w.store.oldest(&t(), w.clock.now(), 10).await.unwrap().is_empty());
}

/// Two isolated failures at once: the one that lost the race parks and relies on the winner's
/// wake-up. Should that wake-up be lost and the winner's own retry succeed, the sweep releases what
/// is parked; while an isolated failure's retry is still to come, it leaves the target alone.
#[tokio::test]
async fn the_sweep_releases_deliveries_parked_for_a_target_that_is_not_holding() {
    let w = world();
    succeed_then_fail(&w).await;
    let r = retry(&w);
    assert_eq!(r.sweep().await.unwrap(), 0, "the isolated delivery's retry is still to come");
    // The winner's wake-up never comes; a later success resets the target.
    deliver(&w).deliver(&message("t")).await.unwrap();
    w.store.states.lock().unwrap().get_mut(&t()).unwrap().parked = 0;
    let state = w.store.state(&t());
    assert!(state.is_healthy() && state.grace_until.is_none(), "{state:?}");
    let scheduled = w.wakeups.scheduled().len();
    assert_eq!(r.sweep().await.unwrap(), 1);
    let woken = w.wakeups.scheduled();
    assert_eq!(woken.len(), scheduled + 1);
    assert_eq!(woken.last().map(|s| (s.0.epoch, s.1)), Some((state.epoch, Duration::ZERO)));
    assert_eq!(r.wake(&woken.last().unwrap().0).await.unwrap(), WakeReport::Released { expired: 0 });
    assert_eq!(w.queue.sent().len(), 1, "the parked delivery is back on the queue");
    assert_eq!(r.sweep().await.unwrap(), 0, "nothing is left to release");
}

/// A wake-up that continues a drain sends at once, side by side: no probe one at a time first.
#[tokio::test]
async fn a_drain_that_continues_in_a_fresh_wake_up_starts_side_by_side() {
    let w = world();
    fail_once_then_park(&w, 35).await;
    let first = crate::retry::Retry { max_sends: 16, ..retry(&w) };
    assert_eq!(first.wake(&wakeup(1)).await.unwrap(), WakeReport::Continues { sent: 16 });
    let continuation = w.wakeups.scheduled().last().unwrap().0.clone();
    assert!(w.store.state(&t()).is_draining());
    // The continuation is at a new epoch: another wake-up of the drain (a nudge, once it looks
    // overdue) is stale, and cannot drain beside it.
    // Epoch 1 failed, 2 recovered at the probe, 3 continued.
    assert_eq!((continuation.epoch, w.store.state(&t()).epoch), (3, 3));
    assert_eq!(retry(&w).wake(&wakeup(2)).await.unwrap(), WakeReport::Stale);
    // Every send now waits until ten are in flight: a probe sent alone would never be answered.
    w.sender.hold_until_in_flight(10);
    let report = tokio::time::timeout(Duration::from_secs(5), retry(&w).wake(&continuation)).await;
    assert_eq!(report.expect("no probe alone").unwrap(), WakeReport::Recovered { sent: 20, expired: 0, rejected: 0 });
}

/// A wake-up sends at least one, however long its first read took: a continuation out of time at
/// once would hand on the same backlog for ever.
#[tokio::test]
async fn a_continuation_out_of_time_at_once_still_sends_one() {
    let w = world();
    fail_once_then_park(&w, 5).await;
    let first = crate::retry::Retry { max_sends: 2, ..retry(&w) };
    assert_eq!(first.wake(&wakeup(1)).await.unwrap(), WakeReport::Continues { sent: 2 });
    let no_time = crate::retry::Retry { budget: Duration::ZERO, ..retry(&w) };
    let continuation = w.wakeups.scheduled().last().unwrap().0.clone();
    assert_eq!(no_time.wake(&continuation).await.unwrap(), WakeReport::Continues { sent: 1 });
    assert_eq!(w.store.oldest(&t(), w.clock.now(), 10).await.unwrap().len(), 3);
}
