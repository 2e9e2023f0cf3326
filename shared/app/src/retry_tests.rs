use std::time::Duration;

use super::*;
use crate::deliver::{Deliver, Report};
use crate::ports::{Clock, ParkingLot, RejectedStore, StateStore};
use crate::testing::world::{fail_once_then_park, failed, make_ordered, message, rejected, retry, t, wakeup, world};

#[tokio::test]
async fn recovery_sends_the_backlog_in_order_and_resets() {
    let w = world();
    make_ordered(&w);
    fail_once_then_park(&w, 4).await;
    let report = retry(&w).wake(&wakeup(1)).await.unwrap();
    assert_eq!(report, WakeReport::Recovered { sent: 5, expired: 0, rejected: 0 });
    let sent: Vec<String> = w.sender.requests().iter().map(|r| r.url.path().to_owned()).collect();
    assert_eq!(
        sent,
        ["/e0", "/e0", "/e1", "/e2", "/e3", "/e4"],
        "the first failure, then the probe and the rest in order"
    );
    let state = w.store.state(&t());
    assert!(state.is_healthy(), "{state:?}");
    assert_eq!(state.parked, 0);
    assert!(w.store.parked.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_chat_presets_backlog_goes_out_in_order_at_the_services_rate() {
    let w = world();
    // An unordered Discord target: its backlog is not sent side by side but one by one, 0.4 s apart.
    w.store.targets.lock().unwrap().iter_mut().find(|x| x.id == t()).unwrap().preset =
        herald_domain::preset::Preset::Discord;
    fail_once_then_park(&w, 4).await;
    let started = tokio::time::Instant::now();
    let report = retry(&w).wake(&wakeup(1)).await.unwrap();
    assert_eq!(report, WakeReport::Recovered { sent: 5, expired: 0, rejected: 0 });
    let sent: Vec<String> = w.sender.requests().iter().map(|r| r.url.path().to_owned()).collect();
    assert_eq!(sent, ["/e0", "/e0", "/e1", "/e2", "/e3", "/e4"], "in arrival order");
    // Five sends, four gaps of 400 ms (the clock is tokio's paused one: exact).
    assert_eq!(started.elapsed(), Duration::from_millis(1600));
}

#[tokio::test]
async fn stale_and_duplicate_wakeups_change_nothing() {
    let w = world();
    fail_once_then_park(&w, 1).await;
    assert_eq!(retry(&w).wake(&wakeup(0)).await.unwrap(), WakeReport::Stale);
    assert_eq!(w.sender.requests().len(), 1);
    retry(&w).wake(&wakeup(1)).await.unwrap();
    let after = w.store.state(&t());
    assert_eq!(retry(&w).wake(&wakeup(1)).await.unwrap(), WakeReport::Stale, "the duplicate");
    assert_eq!(w.store.state(&t()), after);
}

#[tokio::test]
async fn a_failed_probe_climbs_to_the_next_rung() {
    let w = world();
    fail_once_then_park(&w, 2).await;
    w.sender.then(failed(502));
    assert_eq!(
        retry(&w).wake(&wakeup(1)).await.unwrap(),
        WakeReport::SetBack { sent: 0, warned: Warned(false), failures: Some(2) }
    );
    let state = w.store.state(&t());
    assert_eq!((state.failures, state.epoch, state.parked), (2, 2, 3));
    let last = w.wakeups.scheduled().last().unwrap().clone();
    assert_eq!((last.0.epoch, last.1), (2, Duration::from_secs(900)));
}

#[tokio::test]
async fn nothing_parked_releases_and_the_next_delivery_probes() {
    let w = world();
    let d = Deliver { backoff: w.backoff.clone() };
    w.sender.then(failed(500));
    let m = message("t");
    d.deliver(&m).await.unwrap();
    w.store.parked.lock().unwrap().clear();
    assert_eq!(retry(&w).wake(&wakeup(1)).await.unwrap(), WakeReport::Released { expired: 1 });
    assert!(matches!(d.deliver(&message("t")).await.unwrap(), Report::Delivered { .. }));
    assert!(w.store.state(&t()).is_healthy());
}

#[tokio::test]
async fn long_backlogs_continue_in_a_fresh_wakeup() {
    let w = world();
    make_ordered(&w);
    fail_once_then_park(&w, 5).await;
    let r = Retry { backoff: w.backoff.clone(), max_sends: 4, budget: Duration::from_secs(60), window: 10 };
    assert_eq!(r.wake(&wakeup(1)).await.unwrap(), WakeReport::Continues { sent: 4 });
    let epoch = w.store.state(&t()).epoch;
    assert_eq!(w.wakeups.scheduled().last().unwrap().0.epoch, epoch);
    assert_eq!(r.wake(&wakeup(epoch)).await.unwrap(), WakeReport::Recovered { sent: 2, expired: 0, rejected: 0 });
}

#[tokio::test]
async fn expired_parked_deliveries_are_counted_not_sent() {
    let w = world();
    fail_once_then_park(&w, 3).await;
    w.clock.advance(Duration::from_secs(8 * 86_400));
    assert_eq!(retry(&w).wake(&wakeup(1)).await.unwrap(), WakeReport::Released { expired: 4 });
    let state = w.store.state(&t());
    assert_eq!(w.sender.requests().len(), 1, "expired deliveries are not sent");
    assert_eq!((state.parked, state.parked_expired), (0, 4));
}

#[tokio::test]
async fn a_spent_time_budget_continues_after_at_least_one_send() {
    let w = world();
    make_ordered(&w);
    fail_once_then_park(&w, 2).await;
    let r = Retry { backoff: w.backoff.clone(), max_sends: 100, budget: Duration::ZERO, window: 10 };
    assert_eq!(r.wake(&wakeup(1)).await.unwrap(), WakeReport::Continues { sent: 1 });
}

#[tokio::test]
async fn a_rejected_probe_is_set_aside_and_the_next_one_recovers_the_target() {
    let w = world();
    fail_once_then_park(&w, 2).await;
    w.sender.then(rejected(400));
    let report = retry(&w).wake(&wakeup(1)).await.unwrap();
    assert_eq!(report, WakeReport::Recovered { sent: 2, expired: 0, rejected: 1 }, "in the same wake-up");
    let state = w.store.state(&t());
    assert!(state.is_healthy() && state.parked == 0, "{state:?}");
    let kept = w.store.rejected(&t(), w.clock.now(), 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].delivery.event.fields["event"], serde_json::json!("e0"), "the first parked was the probe");
    assert_eq!(state.rejections_in_row, 0, "then a success");
}

#[tokio::test]
async fn when_every_parked_delivery_is_rejected_the_target_is_released() {
    let w = world();
    fail_once_then_park(&w, 1).await;
    w.sender.then(rejected(422)).then(rejected(422));
    assert_eq!(retry(&w).wake(&wakeup(1)).await.unwrap(), WakeReport::Released { expired: 0 });
    assert!(!w.store.state(&t()).is_holding());
    assert_eq!(w.store.rejected(&t(), w.clock.now(), 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_sweep_wakes_a_target_whose_wake_up_was_lost() {
    let w = world();
    fail_once_then_park(&w, 1).await;
    let scheduled = w.wakeups.scheduled().len();
    let r = retry(&w);
    assert_eq!(r.sweep().await.unwrap(), 0, "not overdue yet");
    w.clock.advance(Duration::from_secs(30) + w.backoff.overdue_after + Duration::from_secs(1));
    assert_eq!(r.sweep().await.unwrap(), 1);
    let woken = w.wakeups.scheduled();
    assert_eq!(woken.len(), scheduled + 1);
    assert_eq!((woken.last().unwrap().0.epoch, woken.last().unwrap().1), (1, Duration::ZERO));
    w.store.targets.lock().unwrap()[0].enabled = false;
    assert_eq!(r.sweep().await.unwrap(), 0, "a disabled target is left alone");
}

#[tokio::test]
async fn settling_counts_only_what_really_expired() {
    let w = world();
    fail_once_then_park(&w, 1).await;
    // One more parked delivery arrives in the instant of the recovery, after the last look.
    let late = message("t");
    w.store.park(&late, w.clock.now() + Duration::from_secs(3600)).await.unwrap();
    w.clock.advance(Duration::from_secs(30));
    let expired = w.store.settle_expired(&t(), w.clock.now()).await.unwrap();
    assert_eq!(expired, 0, "all three are parked and unexpired");
    w.clock.advance(Duration::from_secs(8 * 86_400));
    assert_eq!(w.store.settle_expired(&t(), w.clock.now()).await.unwrap(), 3);
    assert_eq!(w.store.state(&t()).parked_expired, 3);
}

#[tokio::test]
async fn send_parked_now_during_an_outage_never_climbs_the_ladder_nor_warns() {
    let w = world();
    fail_once_then_park(&w, 2).await;
    // Four failures in a row: the next counted one would be the fifth, and warn the others.
    let held = w.store.state(&t());
    let four = TargetState { failures: 4, ..held.clone() };
    w.store.put_state(&t(), held.epoch, &four).await.unwrap();
    let scheduled_at = four.next_attempt_at.unwrap();
    let (admin, _) = crate::testing::admin::admin(w.store.clone());
    // The receiver is down: every request fails.
    for _ in 0..10 {
        w.sender.then(failed(503));
    }
    for press in 0..3 {
        admin.replay("t").await.unwrap();
        let state = w.store.state(&t());
        assert!(state.manual_resume_at.is_some(), "press {press}");
        let report = retry(&w).wake(&wakeup(state.epoch)).await.unwrap();
        assert!(matches!(report, WakeReport::SetBack { warned: Warned(false), failures: Some(4), .. }), "{report:?}");
        let after = w.store.state(&t());
        assert_eq!(
            (after.failures, after.next_attempt_at),
            (4, Some(scheduled_at)),
            "press {press}: same rung, same time"
        );
        assert_eq!(after.last_status, Some(503));
    }
    assert!(w.queue.sent().is_empty(), "no health warning went out");
    // The ladder's own wake-up, at the scheduled time, still counts.
    let epoch = w.store.state(&t()).epoch;
    let report = retry(&w).wake(&wakeup(epoch)).await.unwrap();
    assert!(matches!(report, WakeReport::SetBack { warned: Warned(true), failures: Some(5), .. }), "{report:?}");
}
