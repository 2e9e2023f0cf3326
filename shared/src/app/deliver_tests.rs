use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use serde_json::json;
use ulid::Ulid;

use super::*;
use crate::domain::TargetId;
use crate::domain::event::SourceKind;
use crate::domain::message::DeliveryMessage;
use crate::domain::sample::sample_event;
use crate::testing::{FixedClock, MemoryStore, ScriptedSender};

fn setup() -> (Arc<MemoryStore>, Arc<ScriptedSender>, Deliver) {
    let target = serde_json::from_value(json!({"id": "t", "name": "T", "url": "https://t.example/{{event}}"})).unwrap();
    let store = MemoryStore::new(vec![], vec![target]);
    let sender = Arc::new(ScriptedSender::default());
    let deliver = Deliver {
        targets: store.clone(),
        states: store.clone(),
        sender: sender.clone(),
        clock: FixedClock::at(DateTime::UNIX_EPOCH),
    };
    (store, sender, deliver)
}

fn message(target: &str) -> DeliveryMessage {
    DeliveryMessage {
        delivery_id: Ulid::new(),
        target_id: TargetId::parse(target).unwrap(),
        event: sample_event(SourceKind::Ombi, DateTime::UNIX_EPOCH),
    }
}

fn failed(status: u16) -> DeliveryOutcome {
    DeliveryOutcome::Failed { status: Some(status), error: format!("HTTP {status}"), elapsed: Duration::ZERO }
}

#[tokio::test]
async fn healthy_success_reads_state_and_writes_nothing() {
    let (store, sender, deliver) = setup();
    let report = deliver.deliver(&message("t")).await.unwrap();
    assert!(matches!(report, Report::Delivered { status: 204, .. }));
    assert_eq!(sender.requests()[0].url.as_str(), "https://t.example/RequestAvailable");
    assert!(!store.calls().contains(&"put_state"));
}

#[tokio::test]
async fn failure_is_recorded_and_acknowledged_then_success_resets() {
    let (store, sender, deliver) = setup();
    let id = TargetId::parse("t").unwrap();
    sender.then(failed(503));
    let report = deliver.deliver(&message("t")).await.unwrap();
    assert_eq!(report, Report::Failed { status: Some(503), error: "HTTP 503".into() });
    let state = store.state(&id);
    assert_eq!((state.failures, state.last_status, state.last_error.as_deref()), (1, Some(503), Some("HTTP 503")));
    deliver.deliver(&message("t")).await.unwrap();
    let state = store.state(&id);
    assert_eq!((state.failures, state.epoch), (0, 2));
    assert!(state.last_success_at.is_some());
}

#[tokio::test]
async fn concurrent_failures_of_one_outage_count_once() {
    let (store, sender, deliver) = setup();
    for _ in 0..10 {
        sender.then(failed(500));
    }
    // Every delivery reads the state before any writes, as ten in-flight Lambdas would.
    sender.hold_until_in_flight(10);
    let msgs: Vec<_> = (0..10).map(|_| message("t")).collect();
    let results = futures::future::join_all(msgs.iter().map(|m| deliver.deliver(m))).await;
    assert!(results.iter().all(|r| matches!(r, Ok(Report::Failed { .. }))));
    assert_eq!(store.state(&TargetId::parse("t").unwrap()).failures, 1);
}

#[tokio::test]
async fn unknown_targets_are_skipped_and_unbuildable_requests_are_failures() {
    let (store, _sender, deliver) = setup();
    assert_eq!(deliver.deliver(&message("gone")).await.unwrap(), Report::Skipped("target no longer exists"));
    store.targets.lock().unwrap()[0].headers.insert("X-T".into(), "{{title}}".into());
    let mut msg = message("t");
    msg.event.fields.insert("title".into(), json!("a\nb"));
    let report = deliver.deliver(&msg).await.unwrap();
    assert!(matches!(report, Report::Failed { status: None, ref error } if error.contains("line break")), "{report:?}");
}
