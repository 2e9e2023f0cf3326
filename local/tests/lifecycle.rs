//! A target's life: deleted and created again under the same id, it starts clean and never gets
//! the old one's parked deliveries or wake-ups; disabled, it sends nothing and keeps its backlog
//! parked until it is enabled again.

mod common;

use std::time::Duration;

use common::{WAIT, World, basic, world};
use herald_app::ports::ParkingLot;
use herald_app::retry::WakeReport;
use herald_aws::testing::Reply;
use herald_domain::TargetId;
use herald_domain::message::WakeupMessage;
use serde_json::{Value, json};

fn config() -> Value {
    json!({"sources": [{"id": "k", "kind": "kinescope", "token": "kt"}], "targets": []})
}

async fn event(w: &World, n: u64) {
    let body = json!({"event": "live.finished", "data": {"event_id": format!("s{n}"), "n": n}}).to_string();
    let (status, answer) = w.post("k", &[("authorization", &basic("k", "kt"))], body).await;
    assert_eq!(status, 202, "{answer}");
}

fn id() -> TargetId {
    TargetId::parse("t").unwrap()
}

/// Creates target `t` at `path`, sends `n` events while it fails, and waits until all are parked.
async fn holding_with_parked(w: &World, path: &str, n: u64) -> herald_domain::state::TargetState {
    w.receiver.reply_for(path, Reply::status(503));
    let target = json!({"id": "t", "name": "T", "url": w.receiver.url(path), "events": ["k:*"]});
    assert_eq!(w.admin("POST", "/admin/targets", Some(target)).await.0, 201);
    for i in 0..n {
        event(w, i).await;
    }
    w.wait_for_state("t", WAIT, |s| s.is_holding() && s.parked == n as i64).await
}

#[tokio::test]
async fn a_target_created_again_under_a_deleted_ones_id_gets_nothing_old() {
    let w = world(config()).await;
    let old = holding_with_parked(&w, "/old", 3).await;
    let (_, read) = w.admin("GET", "/admin/targets/t", None).await;
    let old_incarnation = read["incarnation"].as_str().unwrap().parse().unwrap();

    assert_eq!(w.admin("DELETE", "/admin/targets/t", None).await.0, 204);
    let target = json!({"id": "t", "name": "T again", "url": w.receiver.url("/new"), "events": ["k:*"]});
    let (status, created) = w.admin("POST", "/admin/targets", Some(target)).await;
    assert_eq!(status, 201, "{created}");
    assert_ne!(created["incarnation"], read["incarnation"]);

    let state = herald_app::ports::StateStore::get_state_now(&w.table, &id()).await.unwrap();
    assert!(!state.is_holding() && state.parked == 0 && state.epoch > old.epoch, "a clean start: {state:?}");
    let parked = w.table.oldest(&id(), chrono::Utc::now(), 100).await.unwrap();
    assert!(parked.is_empty(), "the old parked deliveries are gone: {parked:?}");

    // The old target's wake-up, whenever it fires, is for nobody.
    let stale = WakeupMessage { target_id: id(), epoch: old.epoch, incarnation: Some(old_incarnation) };
    assert_eq!(w.running.retry.wake(&stale).await.unwrap(), WakeReport::TargetGone);
    let current = WakeupMessage { target_id: id(), epoch: state.epoch, incarnation: Some(old_incarnation) };
    assert_eq!(w.running.retry.wake(&current).await.unwrap(), WakeReport::TargetGone);

    event(&w, 10).await;
    let got = w.receiver.wait_for("/new", 1, WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got_new: Vec<Value> = w.receiver.requests_to("/new").iter().map(|r| r.json()).collect();
    assert_eq!(got_new.len(), 1, "{got_new:?}");
    assert_eq!(got[0].json()["n"], 10, "only what came after it");
}

#[tokio::test]
async fn a_disabled_target_sends_nothing_and_keeps_its_backlog_until_enabled() {
    let w = world(config()).await;
    let holding = holding_with_parked(&w, "/t", 3).await;
    let (_, mut read) = w.admin("GET", "/admin/targets/t", None).await;
    read["enabled"] = json!(false);
    let (status, saved) = w.admin("PUT", "/admin/targets/t", Some(read)).await;
    assert_eq!(status, 200, "{saved}");
    w.receiver.reply_for("/t", Reply::status(204));
    let before = w.receiver.requests_to("/t").len();

    let wakeup = WakeupMessage {
        target_id: id(),
        epoch: holding.epoch,
        incarnation: saved["incarnation"].as_str().map(|i| i.parse().unwrap()),
    };
    assert_eq!(w.running.retry.wake(&wakeup).await.unwrap(), WakeReport::Disabled);
    assert_eq!(w.admin("POST", "/admin/targets/t/replay", None).await.0, 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(w.receiver.requests_to("/t").len(), before, "nothing sent while disabled");
    // A delivery already on the queue when the target was disabled is kept too.
    let target = herald_app::ports::TargetStore::get_target(&w.table, &id()).await.unwrap().unwrap();
    let source = herald_domain::SourceId::parse("k").unwrap();
    let origin = herald_domain::adapters::Origin::of(&source, herald_domain::SourceKind::Kinescope);
    let body = json!({"event": "live.finished", "data": {"event_id": "s3", "n": 3}}).to_string();
    let event =
        herald_domain::adapters::normalize(&origin, body.as_bytes(), ulid::Ulid::new(), chrono::Utc::now()).unwrap();
    let in_flight = herald_domain::message::DeliveryMessage::to(&target, ulid::Ulid::new(), event);
    let report = w.running.deliver.deliver(&in_flight).await.unwrap();
    assert_eq!(report, herald_app::deliver::Report::Parked);
    let state = herald_app::ports::StateStore::get_state_now(&w.table, &id()).await.unwrap();
    assert_eq!(state.parked, 4, "the backlog stays parked and counted: {state:?}");

    let (_, mut read) = w.admin("GET", "/admin/targets/t", None).await;
    read["enabled"] = json!(true);
    assert_eq!(w.admin("PUT", "/admin/targets/t", Some(read)).await.0, 200);
    let got = w.receiver.wait_for("/t", before + 4, WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(w.receiver.requests_to("/t").len(), got.len(), "each once");
    let mut delivered: Vec<u64> =
        got.iter().filter(|r| r.status == 204).map(|r| r.json()["n"].as_u64().unwrap()).collect();
    // Not an ordered target: the backlog goes out in parallel.
    delivered.sort();
    assert_eq!(delivered, [0, 1, 2, 3], "enabled again, the whole backlog goes out, the in-flight one too");
}
