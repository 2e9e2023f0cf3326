//! The AWS adapters against the emulator, through the real SDK clients.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::DurationRound;
use chrono::Utc;
use herald_app::ports::{
    ActivityReader, AttemptLog, Claimed, DeliveryQueue, EventLog, StateStore, StoreError, TargetStore,
};
use herald_aws::dynamodb::Table;
use herald_aws::sqs::SqsQueue;
use herald_domain::activity::{Attempt, EventRecord, NotRouted, Outcome, Routed, delivery_id};
use herald_domain::ids::derived_id;
use herald_domain::message::{DeliveryMessage, Message};
use herald_domain::sample::sample_event;
use herald_domain::state::{Failure, TargetState};
use herald_domain::{SourceKind, Target, TargetId};
use herald_local::stack::Stack;
use ulid::Ulid;

async fn stack() -> (aws_config::SdkConfig, Stack, Table) {
    let aws = common::aws().await;
    let stack = Stack::ensure(&aws, &common::unique_stack()).await.unwrap();
    let table = Table::new(aws_sdk_dynamodb::Client::new(&aws), &stack.resources.table);
    (aws, stack, table)
}

#[tokio::test]
async fn state_writes_are_conditional_on_the_epoch() {
    let (_, _, table) = stack().await;
    let id = TargetId::parse("t").unwrap();
    assert_eq!(table.get_state(&id).await.unwrap(), TargetState::default());
    let failure = Failure { status: Some(500), error: "HTTP 500".into(), at: Utc::now() };
    let once = TargetState::default().failed(&failure, Utc::now());
    table.put_state(&id, 0, &once).await.unwrap();
    // A second writer that read epoch 0 too loses.
    assert!(matches!(table.put_state(&id, 0, &once).await, Err(StoreError::Conflict)));
    let read = table.get_state(&id).await.unwrap();
    assert_eq!((read.failures, read.epoch, read.last_status), (1, 1, Some(500)));
    assert_eq!(read.last_failure_at.map(|t| t.timestamp_millis()), Some(failure.at.timestamp_millis()));
    table.put_state(&id, 1, &read.recovered(Utc::now(), None)).await.unwrap();
    assert_eq!(table.get_state(&id).await.unwrap().failures, 0);
}

#[tokio::test]
async fn event_records_are_claims_found_by_their_webhook_and_steps_by_any_id() {
    let (_, _, table) = stack().await;
    let now = Utc::now();
    let key = b"the same webhook";
    let id = derived_id(now, &[key]);
    let event = sample_event(SourceKind::Ombi, id, now);
    let t = TargetId::parse("discord").unwrap();
    let routed = vec![Routed { target_id: t.clone(), delivery_id: delivery_id(id, now, &t) }];
    let record =
        EventRecord::of(&event, Some("sender-1"), routed, vec![(TargetId::parse("x").unwrap(), NotRouted::When)]);
    let lease = chrono::DateTime::from_timestamp(now.timestamp() + 60, 0).unwrap();
    let keep = now + Duration::from_secs(3600);
    table.write_event(&record, Some(lease), keep).await.unwrap();
    assert!(
        matches!(table.write_event(&record, None, keep).await, Err(StoreError::Conflict)),
        "one record per event id"
    );
    // Found by any id of the same webhook (the same random part), whatever its time.
    let later = now + Duration::from_secs(5);
    let found = table.find_claim(derived_id(later, &[key]), now - Duration::from_secs(600), later).await.unwrap();
    assert_eq!(found, Some(Claimed { record: record.clone(), lease_until: Some(lease) }));
    let other =
        table.find_claim(derived_id(later, &[b"another"]), now - Duration::from_secs(600), later).await.unwrap();
    assert_eq!(other, None);
    assert_eq!(table.event(id, later).await.unwrap(), Some(record.clone()));
    assert_eq!(table.event(id, keep + Duration::from_secs(1)).await.unwrap(), None, "gone after the retention");
    table.end_lease(&record).await.unwrap();
    let ended = table.find_claim(id, now - Duration::from_secs(600), later).await.unwrap().unwrap();
    assert!(ended.lease_until.is_some_and(|l| l < now));

    // Steps: written packed, read back by the hour, and found by the ids they mention.
    let d = record.routed[0].delivery_id;
    assert!(table.handled(&[d], now).await.unwrap().is_empty());
    let mut failed = Attempt::step(later, d, id, &t, Outcome::Failed);
    (failed.status, failed.ms, failed.error) = (Some(503), 240, Some("HTTP 503 Service Unavailable".into()));
    failed.response = Some("down for maintenance".into());
    let delivered =
        Attempt { outcome: Outcome::Delivered, status: Some(204), error: None, response: None, ..failed.clone() };
    table.write_attempts(&[failed.clone(), delivered.clone()], keep).await.unwrap();
    assert_eq!(table.handled(&[d, Ulid::nil()], now).await.unwrap(), [d], "only those with a step");
    let hour = later.duration_trunc(chrono::Duration::hours(1)).unwrap();
    let mut steps = Vec::new();
    for h in [hour, hour + chrono::Duration::hours(1)] {
        steps.extend(table.attempts_in_hour(h, Some(&d.to_string()), later).await.unwrap());
    }
    assert_eq!(steps, [failed, delivered]);
    let none = table.attempts_in_hour(hour, Some("01ZZZZZZZZZZZZZZZZZZZZZZZZ"), later).await.unwrap();
    assert!(none.is_empty());
    let events = table.events_in_hour(now.duration_trunc(chrono::Duration::hours(1)).unwrap(), later).await.unwrap();
    assert_eq!(events, [record]);
}

#[tokio::test]
async fn targets_round_trip_through_serde_dynamo() {
    let (_, _, table) = stack().await;
    let target: Target = serde_json::from_value(serde_json::json!({
        "id": "full", "name": "Everything", "url": "https://x.example/{tmdbId}", "method": "PATCH",
        "headers": {"X-A": "{{title}}"}, "body": "{\"t\": \"{{title}}\"}", "content_type": "application/json",
        "preset": "slack", "events": ["ombi:*"], "when": {"type": ["Movie"]}, "secret": "k", "signature": "hex",
        "signature_header": "X-Sig", "timeout_ms": 2500, "enabled": false, "version": 7
    }))
    .unwrap();
    table.put_target(&target).await.unwrap();
    for i in 0..3 {
        let mut other = target.clone();
        other.id = TargetId::parse(format!("t{i}")).unwrap();
        table.put_target(&other).await.unwrap();
    }
    let listed = table.list_targets().await.unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed.iter().find(|t| t.id.as_str() == "full"), Some(&target));
}

#[tokio::test]
async fn enqueue_sends_every_delivery_in_batches() {
    let (aws, stack, _) = stack().await;
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let queue = Arc::new(SqsQueue::new(sqs.clone(), &stack.resources.deliveries_queue_url));
    let event = sample_event(SourceKind::Ombi, ulid::Ulid::new(), Utc::now());
    let mut deliveries: Vec<DeliveryMessage> = (0..23)
        .map(|i| DeliveryMessage {
            delivery_id: ulid::Ulid::new(),
            target_id: TargetId::parse(format!("t{i}")).unwrap(),
            incarnation: None,
            event: event.clone(),
            counts_webhook: false,
        })
        .collect();
    queue.enqueue(&deliveries).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let out = sqs
            .receive_message()
            .queue_url(&stack.resources.deliveries_queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in out.messages.unwrap_or_default() {
            match Message::from_json(m.body.as_deref().unwrap()).unwrap() {
                Message::Deliver(d) => seen.push(*d),
                other => panic!("unexpected {other:?}"),
            }
        }
        if seen.len() == deliveries.len() {
            break;
        }
    }
    seen.sort_by_key(|d| d.delivery_id);
    deliveries.sort_by_key(|d| d.delivery_id);
    assert_eq!(seen, deliveries);
}
