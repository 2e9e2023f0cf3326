//! The retry ladder end to end with a compressed schedule: SQS timers for the short rungs,
//! EventBridge Scheduler (through the emulator) for the long ones, parking, ordered release,
//! the health warning, 429 pauses and retention.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use common::{World, world_with};
use herald_app::ports::{ParkingLot, StateStore, TargetStore};
use herald_aws::testing::Reply;
use herald_domain::ladder::Ladder;
use herald_domain::message::{DeliveryMessage, WakeupMessage};
use herald_domain::sample::sample_event;
use herald_domain::state::TargetState;
use herald_domain::{SourceKind, TargetId};
use herald_local::run::Options;
use serde_json::{Value, json};

fn compressed(ladder: &str) -> impl FnOnce(&mut Options) {
    let ladder = Ladder::parse(ladder).unwrap();
    move |o: &mut Options| {
        o.tuning.ladder = ladder;
        o.tuning.timer_max = Duration::from_secs(2);
        o.schedule_grace = Duration::from_secs(2);
    }
}

fn config(extra_targets: Value) -> Value {
    let mut targets = vec![json!({"id": "down", "name": "Down", "url": "{receiver}/down", "events": ["kinescope:*"]})];
    targets.extend(extra_targets.as_array().unwrap().iter().cloned());
    json!({"sources": [{"id": "k", "kind": "kinescope", "token": "t"}], "targets": targets})
}

async fn post(w: &World, n: usize) {
    let body = json!({"event": "live.finished", "data": {"event_id": format!("e{n}")}}).to_string();
    let (status, answer) = w.post("k", &[("access-token", "t")], body).await;
    assert_eq!(status, 202, "{answer}");
}

fn id(s: &str) -> TargetId {
    TargetId::parse(s).unwrap()
}

/// Every schedule name seen in the group while the test runs (they delete themselves after firing).
fn watch_schedules(w: &World) -> (Arc<Mutex<BTreeSet<String>>>, tokio::task::JoinHandle<()>) {
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let client = aws_sdk_scheduler::Client::new(&w.aws);
    let group = w.running.stack.resources.schedule_group.clone();
    let sink = seen.clone();
    let task = tokio::spawn(async move {
        loop {
            if let Ok(out) = client.list_schedules().group_name(&group).send().await {
                sink.lock().unwrap().extend(out.schedules.into_iter().filter_map(|s| s.name));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    });
    (seen, task)
}

#[tokio::test]
async fn the_ladder_climbs_at_its_delays_warns_once_and_resets_on_success() {
    let extra = json!([
        {"id": "healthy", "name": "Healthy", "url": "{receiver}/healthy", "events": ["health_warning"]},
        {"id": "sick", "name": "Sick", "url": "{receiver}/sick", "events": ["health_warning"]}
    ]);
    let w = world_with(config(extra), compressed("1s,2s,3s,4s,5s")).await;
    let sick = TargetState {
        failures: 2,
        epoch: 2,
        next_attempt_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..Default::default()
    };
    w.table.put_state(&id("sick"), 0, &sick).await.unwrap();
    w.receiver.reply_for("/down", Reply::status(503));
    let (seen, watcher) = watch_schedules(&w);

    post(&w, 0).await;
    let attempts = w.receiver.wait_for("/down", 5, Duration::from_secs(90)).await;
    let gaps: Vec<f64> = attempts.windows(2).map(|p| (p[1].at - p[0].at).as_secs_f64()).collect();
    for (i, gap) in gaps.iter().enumerate() {
        let rung = (i + 1) as f64;
        // Never early; late by at most a poll, the at() rounding, the firing grace and emulator lag.
        assert!(*gap >= rung - 0.05 && *gap <= rung + 14.0, "gap {i} was {gap:.2} s for a {rung} s rung: {gaps:?}");
    }
    let state = w.wait_for_state("down", common::WAIT, |s| s.failures == 5).await;
    assert_eq!(state.last_status, Some(503));
    // The fifth rung's schedule is created just after the state write we waited for.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !seen.lock().unwrap().contains("down-5") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names = seen.lock().unwrap().clone();
    for long in ["down-3", "down-4", "down-5"] {
        assert!(names.contains(long), "rung {long} goes through Scheduler: saw {names:?}");
    }
    for short in ["down-1", "down-2"] {
        assert!(!names.contains(short), "rung {short} is an SQS timer, not a schedule: saw {names:?}");
    }
    let warnings = w.receiver.wait_for("/healthy", 1, common::WAIT).await;
    assert_eq!(
        warnings[0].json()["message"],
        "Webhook 'Down' has failed 5 times in a row: HTTP 503 Service Unavailable"
    );
    assert!(w.receiver.requests_to("/sick").is_empty(), "an unhealthy target gets no warning");

    // The receiver comes back: the next probe succeeds and the ladder resets.
    w.receiver.reply_for("/down", Reply::status(204));
    let state =
        w.wait_for_state("down", Duration::from_secs(40), |s| s.failures == 0 && s.next_attempt_at.is_none()).await;
    assert!(state.last_success_at.is_some());
    assert_eq!(state.parked, 0);
    watcher.abort();
    assert_eq!(w.receiver.requests_to("/healthy").len(), 1, "one warning per outage");
    assert!(w.receiver.requests_to("/down").len() >= 6);
}

#[tokio::test]
async fn twenty_events_sent_during_an_outage_arrive_once_and_in_order() {
    let mut strict = config(json!([]));
    strict["targets"][0]["ordered"] = json!(true);
    let w = world_with(strict, compressed("3s,5s")).await;
    w.receiver.reply_for("/down", Reply::status(500));
    post(&w, 0).await;
    w.wait_for_state("down", common::WAIT, |s| s.failures == 1).await;
    w.receiver.reply_for("/down", Reply::status(204));
    for n in 1..=20 {
        post(&w, n).await;
    }
    let got = w.receiver.wait_for("/down", 22, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got_after = w.receiver.requests_to("/down");
    assert_eq!(got_after.len(), 22, "nothing twice");
    let order: Vec<String> = got.iter().map(|r| r.json()["event_id"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> = std::iter::once("e0".to_owned()).chain((0..=20).map(|n| format!("e{n}"))).collect();
    assert_eq!(order, expected, "the failed first, then the probe and the backlog in arrival order");
    let state = w.table.get_state(&id("down")).await.unwrap();
    assert!(state.is_healthy() && state.parked == 0, "{state:?}");
}

#[tokio::test]
async fn an_unordered_backlog_goes_out_in_parallel_once_each_after_the_probe() {
    let w = world_with(config(json!([])), compressed("3s,5s")).await;
    w.receiver.reply_for("/down", Reply::status(500));
    post(&w, 0).await;
    w.wait_for_state("down", common::WAIT, |s| s.failures == 1).await;
    for n in 1..=40 {
        post(&w, n).await;
    }
    w.wait_for_state("down", common::WAIT, |s| s.parked == 41).await;
    w.receiver.reply_for("/down", Reply::status(204));
    let got = w.receiver.wait_for("/down", 1 + 41, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut delivered: Vec<String> = w
        .receiver
        .requests_to("/down")
        .iter()
        .filter(|r| r.status == 204)
        .map(|r| r.json()["event_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got[1].json()["event_id"], "e0", "the oldest is the probe");
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 41, "every one, once");
    let state = w.wait_for_state("down", common::WAIT, |s| s.is_healthy() && s.parked == 0).await;
    assert_eq!(state.failures, 0);
}

#[tokio::test]
async fn an_isolated_failure_of_a_busy_target_holds_nothing() {
    let w = world_with(config(json!([])), compressed("3s,5s")).await;
    post(&w, 0).await;
    w.receiver.wait_for("/down", 1, common::WAIT).await;
    w.receiver.then(Reply::status(500));
    post(&w, 1).await;
    let state = w.wait_for_state("down", common::WAIT, |s| s.failures == 1).await;
    assert!(!state.is_holding() && state.grace_until.is_some(), "{state:?}");
    for n in 2..=5 {
        post(&w, n).await;
    }
    // The later ones went straight through, and the failed one arrives after its rung.
    let got = w.receiver.wait_for("/down", 1 + 1 + 4 + 1, Duration::from_secs(20)).await;
    let delivered: Vec<String> =
        got.iter().filter(|r| r.status == 204).map(|r| r.json()["event_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!((delivered.first().map(String::as_str), delivered.last().map(String::as_str)), (Some("e0"), Some("e1")));
    let mut meanwhile = delivered[1..delivered.len() - 1].to_vec();
    meanwhile.sort();
    assert_eq!(meanwhile, ["e2", "e3", "e4", "e5"], "nothing held behind the failure: {delivered:?}");
    let state = w.wait_for_state("down", common::WAIT, |s| s.parked == 0).await;
    assert!(state.is_healthy(), "{state:?}");
}

fn batch(messages: impl IntoIterator<Item = String>) -> SqsEvent {
    let mut event = SqsEvent::default();
    for (i, body) in messages.into_iter().enumerate() {
        let mut record = SqsMessage::default();
        record.message_id = Some(format!("m{i}"));
        record.body = Some(body);
        event.records.push(record);
    }
    event
}

async fn schedules(w: &World) -> Vec<String> {
    let client = aws_sdk_scheduler::Client::new(&w.aws);
    let out = client.list_schedules().group_name(&w.running.stack.resources.schedule_group).send().await.unwrap();
    out.schedules.into_iter().filter_map(|s| s.name).collect()
}

#[tokio::test]
async fn ten_concurrent_failures_climb_one_rung_with_one_wakeup() {
    let w = world_with(config(json!([])), compressed("60s")).await;
    w.receiver.reply_for("/down", Reply::After { delay: Duration::from_millis(300), status: 500 });
    let event = sample_event(SourceKind::Kinescope, ulid::Ulid::new(), chrono::Utc::now());
    let messages = (0..10).map(|_| {
        DeliveryMessage {
            delivery_id: ulid::Ulid::new(),
            target_id: id("down"),
            incarnation: None,
            event: event.clone(),
            counts_webhook: false,
        }
        .to_json()
    });
    let response = herald_deliver::handler::process(w.running.deliver.clone(), 10, None, batch(messages)).await;
    assert!(response.batch_item_failures.is_empty());
    let state = w.table.get_state(&id("down")).await.unwrap();
    assert_eq!((state.failures, state.epoch, state.parked), (1, 1, 10));
    assert_eq!(schedules(&w).await, ["down-1"], "one wake-up, for the epoch the winner wrote");
}

#[tokio::test]
async fn duplicate_and_stale_wakeups_change_nothing() {
    let w = world_with(config(json!([])), compressed("60s")).await;
    w.receiver.reply_for("/down", Reply::status(500));
    post(&w, 0).await;
    w.wait_for_state("down", common::WAIT, |s| s.failures == 1 && s.parked == 1).await;
    w.receiver.reply_for("/down", Reply::status(204));
    let wake = |epoch| WakeupMessage { target_id: id("down"), epoch, incarnation: None }.to_json();
    let retry = w.running.retry.clone();
    let before = w.table.get_state(&id("down")).await.unwrap();
    herald_retry::handler::process(retry.clone(), None, batch([wake(0)])).await;
    assert_eq!(w.table.get_state(&id("down")).await.unwrap(), before, "stale");
    assert_eq!(w.receiver.requests_to("/down").len(), 1);
    herald_retry::handler::process(retry.clone(), None, batch([wake(1)])).await;
    let recovered = w.table.get_state(&id("down")).await.unwrap();
    assert!(recovered.is_healthy());
    herald_retry::handler::process(retry, None, batch([wake(1)])).await;
    assert_eq!(w.table.get_state(&id("down")).await.unwrap(), recovered, "the duplicate");
    assert_eq!(w.receiver.requests_to("/down").len(), 2, "the failure and one probe");
}

#[tokio::test]
async fn a_429_waits_for_retry_after_without_climbing() {
    let w = world_with(config(json!([])), compressed("30s")).await;
    w.receiver.then(Reply::Status {
        status: 429,
        headers: vec![("Retry-After".into(), "2".into())],
        body: String::new(),
    });
    post(&w, 0).await;
    let throttled = w.wait_for_state("down", common::WAIT, |s| s.last_status == Some(429)).await;
    assert_eq!(throttled.failures, 0);
    let got = w.receiver.wait_for("/down", 2, Duration::from_secs(15)).await;
    let gap = (got[1].at - got[0].at).as_secs_f64();
    assert!((1.95..=6.0).contains(&gap), "retried after {gap:.2} s");
    let state = w.wait_for_state("down", common::WAIT, |s| s.next_attempt_at.is_none()).await;
    assert_eq!(state.failures, 0);
}

#[tokio::test]
async fn parked_deliveries_past_retention_are_gone_and_counted() {
    let w = world_with(config(json!([])), |o| {
        compressed("5s")(o);
        o.tuning.parked_retention = Duration::from_secs(1);
    })
    .await;
    w.receiver.reply_for("/down", Reply::status(500));
    post(&w, 0).await;
    w.wait_for_state("down", common::WAIT, |s| s.failures == 1).await;
    post(&w, 1).await;
    post(&w, 2).await;
    w.receiver.reply_for("/down", Reply::status(204));
    let started = Instant::now();
    let state = w.wait_for_state("down", Duration::from_secs(30), |s| s.parked_expired == 3).await;
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(state.parked, 0);
    assert_eq!(w.receiver.requests_to("/down").len(), 1, "expired deliveries are not sent");
}

/// The retry function reads the lot a page ahead while the page before is still going out: the
/// next page starts after the last delivery read, even once that one was sent and removed.
#[tokio::test]
async fn the_parking_lot_pages_on_after_a_delivery_that_is_gone() {
    let w = world_with(config(json!([])), |_| {}).await;
    let target = w.table.get_target(&id("down")).await.unwrap().unwrap();
    let (now, expires) = (chrono::Utc::now(), chrono::Utc::now() + chrono::Duration::hours(1));
    let mut parked = Vec::new();
    for _ in 0..30 {
        let event = sample_event(SourceKind::Kinescope, ulid::Ulid::new(), now);
        let delivery = DeliveryMessage::to(&target, ulid::Ulid::new(), event);
        w.table.park(&delivery, expires).await.unwrap();
        parked.push(delivery.delivery_id);
    }
    parked.sort();
    let first = w.table.oldest(&id("down"), now, 25).await.unwrap();
    let cursor = first[24].delivery_id;
    w.table.remove_many(&id("down"), &[cursor]).await.unwrap();
    let rest = w.table.oldest_after(&id("down"), now, Some(cursor), 25).await.unwrap();
    let read: Vec<_> = first.iter().chain(&rest).map(|d| d.delivery_id).collect();
    assert_eq!(read, parked, "every one once, in arrival order");
    assert!(w.table.oldest_after(&id("down"), now, parked.last().copied(), 25).await.unwrap().is_empty());
}
