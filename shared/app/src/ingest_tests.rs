use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use http::{HeaderMap, HeaderValue};
use serde_json::json;

use super::*;
use crate::testing::{FixedClock, MemoryQueue, MemoryStore, SequentialIds};
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
        ids: Arc::new(SequentialIds),
        dedupe_window: Duration::from_secs(600),
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
