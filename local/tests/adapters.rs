//! The AWS adapters against the emulator, through the real SDK clients.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use herald_app::ports::{Claim, DedupeStore, DeliveryQueue, StateStore, StoreError, TargetStore};
use herald_aws::dynamodb::Table;
use herald_aws::sqs::SqsQueue;
use herald_domain::message::{DeliveryMessage, Message};
use herald_domain::sample::sample_event;
use herald_domain::state::{Failure, TargetState};
use herald_domain::{SourceKind, Target, TargetId};
use herald_local::stack::Stack;

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
async fn dedupe_claims_lease_complete_and_expire_even_before_ttl_sweeps() {
    let (_, _, table) = stack().await;
    // Markers keep milliseconds; a whole second keeps lease arithmetic exact.
    let now = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
    let (lease, window) = (Duration::from_secs(60), Duration::from_secs(600));
    let claimed = Claim::Claimed { first_seen: now };
    assert_eq!(table.claim("k1", now, lease, window).await.unwrap(), claimed);
    assert_eq!(table.claim("k1", now + Duration::from_secs(30), lease, window).await.unwrap(), Claim::InProgress);
    assert_eq!(table.claim("k2", now, lease, window).await.unwrap(), Claim::Claimed { first_seen: now }, "independent");
    // The attempt on k1 died: after its lease a retry takes it over, keeping when it was first seen.
    let later = now + Duration::from_secs(61);
    assert_eq!(table.claim("k1", later, lease, window).await.unwrap(), claimed, "taken over");
    assert_eq!(table.claim("k1", later, lease, window).await.unwrap(), Claim::InProgress, "only once");
    table.complete("k1", later, window).await.unwrap();
    assert_eq!(table.claim("k1", later, lease, window).await.unwrap(), Claim::Duplicate { first_seen: now });
    let expired = later + window + Duration::from_secs(1);
    assert_eq!(table.claim("k1", expired, lease, window).await.unwrap(), Claim::Claimed { first_seen: expired });
    // An abandoned claim is claimable at once, with its first time.
    table.abandon("k2").await.unwrap();
    assert_eq!(
        table.claim("k2", now + Duration::from_secs(1), lease, window).await.unwrap(),
        Claim::Claimed { first_seen: now }
    );
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
