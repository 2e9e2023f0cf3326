use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use http::{HeaderMap, HeaderValue};
use serde_json::json;

use super::*;
use crate::ports::{Claim, Clock};
use crate::testing::{FixedClock, MemoryQueue, MemoryStore};
use herald_domain::source::SourceAuth;
use herald_domain::{Source, SourceKind, Target};

struct World {
    store: Arc<MemoryStore>,
    queue: Arc<MemoryQueue>,
    clock: Arc<FixedClock>,
    ingest: Ingest,
}

fn world() -> World {
    let sources = vec![Source {
        id: SourceId::parse("kino").unwrap(),
        kind: SourceKind::Kinescope,
        auth: SourceAuth::token("secret-token"),
        event_pointer: None,
    }];
    let targets: Vec<Target> = vec![
        serde_json::from_value(
            json!({"id": "discord", "name": "Discord", "url": "https://discord.example/x", "preset": "discord",
                                      "when": {"status": ["done", "error"]}}),
        )
        .unwrap(),
        serde_json::from_value(json!({"id": "all", "name": "All", "url": "https://all.example/x", "events": ["*"]}))
            .unwrap(),
        serde_json::from_value(json!({"id": "off", "name": "Off", "url": "https://off.example/x", "enabled": false}))
            .unwrap(),
    ];
    let store = MemoryStore::new(sources, targets);
    let queue = Arc::new(MemoryQueue::default());
    let clock = FixedClock::at(DateTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let ingest = Ingest {
        sources: store.clone(),
        targets: store.clone(),
        dedupe: store.clone(),
        queue: queue.clone(),
        clock: clock.clone(),
        dedupe_window: Duration::from_secs(600),
        dedupe_lease: Duration::from_secs(60),
    };
    World { store, queue, clock, ingest }
}

fn token() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("authorization", HeaderValue::from_static("Bearer secret-token"));
    h
}

async fn post(w: &World, source: &str, headers: &HeaderMap, body: &str) -> Result<Accepted, IngestError> {
    w.ingest.handle(IngestRequest { source_id: source, headers, query_token: None, body: body.as_bytes() }).await
}

const DONE: &str = r#"{"event": "media.update.status", "data": {"id": "v1", "status": "done"}}"#;
const PROCESSING: &str = r#"{"event": "media.update.status", "data": {"id": "v1", "status": "processing"}}"#;

#[tokio::test]
async fn routes_to_every_enabled_matching_target() {
    let w = world();
    let accepted = post(&w, "kino", &token(), DONE).await.unwrap();
    assert_eq!(accepted.deliveries, 2);
    let sent = w.queue.sent();
    let ids: Vec<_> = sent.iter().map(|d| d.target_id.as_str()).collect();
    assert_eq!(ids, ["discord", "all"]);
    assert!(sent.iter().all(|d| d.event.id == accepted.event_id));
    assert_ne!(sent[0].delivery_id, sent[1].delivery_id);
}

#[tokio::test]
async fn when_and_chatty_defaults_filter() {
    let w = world();
    assert_eq!(post(&w, "kino", &token(), PROCESSING).await.unwrap().deliveries, 1, "only the explicit * target");
}

#[tokio::test]
async fn duplicates_inside_the_window_enqueue_nothing() {
    let w = world();
    post(&w, "kino", &token(), DONE).await.unwrap();
    let again = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(again.duplicate);
    assert_eq!((again.deliveries, w.queue.sent().len()), (0, 2));
    w.clock.advance(Duration::from_secs(601));
    assert!(!post(&w, "kino", &token(), DONE).await.unwrap().duplicate, "the window has passed");
}

#[tokio::test]
async fn bad_inputs_get_their_status_and_change_nothing() {
    let w = world();
    let big = format!("{{\"event\": \"x\", \"pad\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES));
    let cases = [
        (post(&w, "nope", &token(), DONE).await, 404),
        (post(&w, "../etc", &token(), DONE).await, 404),
        (post(&w, "kino", &HeaderMap::new(), DONE).await, 401),
        (post(&w, "kino", &token(), "{not json").await, 400),
        (post(&w, "kino", &token(), r#"{"data": {}}"#).await, 400),
        (post(&w, "kino", &token(), &big).await, 413),
    ];
    for (result, status) in cases {
        assert_eq!(result.unwrap_err().status(), status);
    }
    assert!(w.queue.sent().is_empty());
    assert!(lock_claims_empty(&w.store));
}

fn lock_claims_empty(store: &MemoryStore) -> bool {
    store.claims.lock().unwrap().is_empty()
}

#[tokio::test]
async fn a_failed_enqueue_releases_the_claim_so_a_retry_goes_through() {
    let w = world();
    w.queue.fail_next(true);
    let err = post(&w, "kino", &token(), DONE).await.unwrap_err();
    assert_eq!(err.status(), 503);
    assert!(!err.public_message().contains("test"), "internal details stay in the log");
    w.queue.fail_next(false);
    let retry = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(!retry.duplicate);
    assert_eq!(retry.deliveries, 2);
}

#[tokio::test]
async fn a_retry_after_a_failed_enqueue_carries_the_same_ids() {
    let w = world();
    w.queue.fail_next(true);
    post(&w, "kino", &token(), DONE).await.unwrap_err();
    w.queue.fail_next(false);
    w.clock.advance(Duration::from_secs(5));
    let first = post(&w, "kino", &token(), DONE).await.unwrap();
    let sent = w.queue.sent();
    let again = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.event_id, first.event_id, "a duplicate answers the original event id");
    assert_eq!(sent[0].event.id, first.event_id);
    assert_eq!(sent[0].event.received_at, DateTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000), "first seen");
}

#[tokio::test]
async fn an_attempt_that_died_holds_its_key_for_the_lease_then_a_retry_gets_the_same_ids() {
    let w = world();
    // An attempt that queued its deliveries and died before marking the key done, as a killed
    // process or a Lambda timeout leaves it.
    let key_claim = w.store.claim("k", w.clock.now(), Duration::from_secs(60), Duration::from_secs(600)).await.unwrap();
    assert_eq!(key_claim, Claim::Claimed { first_seen: w.clock.now() });
    assert_eq!(
        w.store.claim("k", w.clock.now(), Duration::from_secs(60), Duration::from_secs(600)).await.unwrap(),
        Claim::InProgress
    );
    w.clock.advance(Duration::from_secs(61));
    let now = w.clock.now();
    assert_eq!(
        w.store.claim("k", now, Duration::from_secs(60), Duration::from_secs(600)).await.unwrap(),
        Claim::Claimed { first_seen: now - Duration::from_secs(61) },
        "an expired lease is claimable, and keeps when the key was first seen"
    );

    // Through ingest: the same body's deliveries get the same ids on every attempt.
    let w = world();
    let accepted = post(&w, "kino", &token(), DONE).await.unwrap();
    let first: Vec<_> = w.queue.sent().iter().map(|d| d.delivery_id).collect();
    w.store.claims.lock().unwrap().values_mut().for_each(|m| m.lease_until = Some(DateTime::UNIX_EPOCH));
    let retried = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(!retried.duplicate, "a dead attempt's pending claim is taken over");
    let second: Vec<_> = w.queue.sent()[2..].iter().map(|d| d.delivery_id).collect();
    assert_eq!(first, second);
    assert_eq!(retried.event_id, accepted.event_id);
}

#[tokio::test]
async fn a_live_pending_claim_answers_retry_later() {
    let w = world();
    w.store
        .claim(&dedupe_key_of(DONE), w.clock.now(), Duration::from_secs(60), Duration::from_secs(600))
        .await
        .unwrap();
    let err = post(&w, "kino", &token(), DONE).await.unwrap_err();
    assert!(matches!(err, IngestError::InProgress));
    assert_eq!(err.status(), 503);
    assert!(w.queue.sent().is_empty());
}

fn dedupe_key_of(body: &str) -> String {
    let mut material = b"kino\0".to_vec();
    material.extend_from_slice(body.as_bytes());
    sha256_hex(&material)
}
