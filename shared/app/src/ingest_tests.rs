use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use http::{HeaderMap, HeaderValue};
use serde_json::json;

use super::*;
use crate::ports::{Clock, DeliveryQueue, EventLog};
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
    // Kinescope dedupes nothing by default; these tests set a window to see dedupe at work.
    let mut kino =
        Source::new(SourceId::parse("kino").unwrap(), SourceKind::Kinescope, SourceAuth::token("secret-token"));
    kino.dedupe_window_secs = Some(600);
    let kinescope =
        Source::new(SourceId::parse("kinescope").unwrap(), SourceKind::Kinescope, SourceAuth::token("secret-token"));
    let jellynext =
        Source::new(SourceId::parse("jn").unwrap(), SourceKind::Jellynext, SourceAuth::token("secret-token"));
    let kiosk = Source::new(
        SourceId::parse("kiosk").unwrap(),
        SourceKind::Kiosk,
        SourceAuth::HmacHex {
            secret: herald_domain::Secret::new(KIOSK_SECRET),
            header: "X-Kiosk-Signature-256".into(),
        },
    );
    let generic = Source::new(SourceId::parse("gen").unwrap(), SourceKind::Generic, SourceAuth::token("secret-token"));
    let sources = vec![kino, kinescope, jellynext, kiosk, generic];
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
        log: store.clone(),
        queue: queue.clone(),
        health: store.clone(),
        clock: clock.clone(),
        ids: Arc::new(crate::testing::SequentialIds),
        dedupe_window: Duration::from_secs(600),
        dedupe_lease: Duration::from_secs(60),
        retention: Duration::from_secs(7 * 86_400),
        health_throttle: Default::default(),
        refusals: Default::default(),
    };
    World { store, queue, clock, ingest }
}

fn token() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("authorization", HeaderValue::from_static("Bearer secret-token"));
    h
}

const KIOSK_SECRET: &str = "kiosk-signing-secret";

async fn post(w: &World, source: &str, headers: &HeaderMap, body: &str) -> Result<Accepted, IngestError> {
    send(w, &http::Method::POST, source, headers, &[], body).await
}

async fn send(
    w: &World,
    method: &http::Method,
    source: &str,
    headers: &HeaderMap,
    query: &[(&str, &str)],
    body: &str,
) -> Result<Accepted, IngestError> {
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    w.ingest.handle(IngestRequest { source_id: source, method, headers, query: &query, body: body.as_bytes() }).await
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

/// A new webhook's count rides on one of its deliveries (the deliver function's metrics line is
/// shared by its batch); a duplicate, or a retry queueing again what an earlier attempt could not,
/// is left for ingest to count.
#[tokio::test]
async fn one_delivery_of_a_new_webhook_carries_its_count() {
    let w = world();
    let accepted = post(&w, "kino", &token(), DONE).await.unwrap();
    let flags: Vec<bool> = w.queue.sent().iter().map(|d| d.counts_webhook).collect();
    assert_eq!((flags, accepted.counted_on_delivery), (vec![true, false], true));
    w.store.handled(&w.queue);
    let duplicate = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(duplicate.duplicate && !duplicate.counted_on_delivery);

    let body = DONE.replace("v1", "v2");
    w.queue.fail_next(true);
    assert!(post(&w, "kino", &token(), &body).await.is_err(), "the queue refused: the sender retries");
    w.queue.fail_next(false);
    let before = w.queue.sent().len();
    let retried = post(&w, "kino", &token(), &body).await.unwrap();
    let queued = &w.queue.sent()[before..];
    assert_eq!(queued.len(), 2);
    assert!(queued.iter().all(|d| !d.counts_webhook) && !retried.counted_on_delivery);
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
    w.store.handled(&w.queue);
    let again = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(again.duplicate);
    assert_eq!((again.deliveries, w.queue.sent().len()), (0, 2));
    w.clock.advance(Duration::from_secs(601));
    assert!(!post(&w, "kino", &token(), DONE).await.unwrap().duplicate, "the window has passed");
    assert_eq!(w.store.events.lock().unwrap().len(), 2, "two events, a record each");
}

#[tokio::test]
async fn a_webhook_writes_its_record_once_and_nothing_else() {
    let w = world();
    let accepted = post(&w, "kino", &token(), DONE).await.unwrap();
    // Besides the source's health, written at most once a minute.
    let calls: Vec<_> = w.store.calls().into_iter().filter(|c| *c != "record_health").collect();
    assert_eq!(
        calls,
        ["get_source", "find_claim", "list_targets", "write_event"],
        "one write: the record is the claim"
    );
    let events = w.store.events.lock().unwrap();
    let record = &events[0].record;
    assert_eq!((record.event_id, record.name.as_str()), (accepted.event_id, "media.update.status"));
    let routed: Vec<_> = record.routed.iter().map(|r| r.target_id.as_str()).collect();
    assert_eq!(routed, ["discord", "all"]);
    let sent: Vec<_> = w.queue.sent().iter().map(|d| d.delivery_id).collect();
    assert_eq!(record.routed.iter().map(|r| r.delivery_id).collect::<Vec<_>>(), sent);
    let off = record.not_routed.iter().find(|(t, _)| t.as_str() == "off").map(|(_, why)| *why);
    assert_eq!(off, Some(herald_domain::activity::NotRouted::Disabled));
}

#[tokio::test]
async fn bad_inputs_get_their_status_and_change_nothing() {
    let w = world();
    let big = format!("{{\"event\": \"x\", \"pad\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES));
    let cases = [
        (post(&w, "nope", &token(), DONE).await, 401),
        (post(&w, "../etc", &token(), DONE).await, 401),
        (post(&w, "kino", &HeaderMap::new(), DONE).await, 401),
        (post(&w, "kino", &token(), "{not json").await, 400),
        (post(&w, "kino", &token(), r#"{"data": {}}"#).await, 400),
        (post(&w, "kino", &token(), &big).await, 413),
    ];
    for (result, status) in cases {
        assert_eq!(result.unwrap_err().status(), status);
    }
    assert!(w.queue.sent().is_empty());
    assert!(no_records(&w.store));
}

fn no_records(store: &MemoryStore) -> bool {
    store.events.lock().unwrap().is_empty()
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
    w.store.handled(&w.queue);
    let again = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.event_id, first.event_id, "a duplicate answers the original event id");
    assert_eq!(sent[0].event.id, first.event_id);
    assert_eq!(sent[0].event.received_at, DateTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000), "first seen");
}

#[tokio::test]
async fn an_attempt_that_died_holds_its_key_for_the_lease_then_a_retry_gets_the_same_ids() {
    // An attempt that wrote its record and died before its deliveries were handled (a killed
    // process, or a Lambda timeout, between the write and the queue).
    let w = world();
    let accepted = post(&w, "kino", &token(), DONE).await.unwrap();
    let first: Vec<_> = w.queue.sent().iter().map(|d| d.delivery_id).collect();
    let err = post(&w, "kino", &token(), DONE).await.unwrap_err();
    assert!(matches!(err, IngestError::InProgress), "{err}");
    assert_eq!(err.status(), 503);
    w.clock.advance(Duration::from_secs(61));
    let retried = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(!retried.duplicate, "past the lease, unhandled deliveries are queued again");
    let second: Vec<_> = w.queue.sent()[2..].iter().map(|d| d.delivery_id).collect();
    assert_eq!(first, second, "with the same ids");
    assert_eq!(retried.event_id, accepted.event_id);
    assert_eq!(w.store.events.lock().unwrap().len(), 1, "and no second record");
    w.store.handled(&w.queue);
    assert!(post(&w, "kino", &token(), DONE).await.unwrap().duplicate, "once handled, a duplicate");
}

#[tokio::test]
async fn a_claim_with_no_deliveries_is_a_duplicate_at_once() {
    let w = world();
    let body = r#"{"event": "nobody.listens", "data": {"status": "x"}}"#;
    w.store.targets.lock().unwrap().retain(|t| t.id.as_str() == "off");
    let first = post(&w, "kino", &token(), body).await.unwrap();
    assert_eq!(first.deliveries, 0);
    assert!(post(&w, "kino", &token(), body).await.unwrap().duplicate, "nothing to lose, nothing to wait for");
}

#[tokio::test]
async fn a_live_claim_answers_retry_later() {
    let w = world();
    let event = herald_domain::sample::sample_event(SourceKind::Kinescope, ulid::Ulid::nil(), w.clock.now());
    let id = herald_domain::ids::derived_id(w.clock.now(), &[dedupe_key_of(DONE).as_bytes()]);
    let mut record = herald_domain::activity::EventRecord::of(&event, None, vec![], vec![]);
    record.event_id = id;
    record.routed = vec![herald_domain::activity::Routed {
        target_id: herald_domain::TargetId::parse("all").unwrap(),
        delivery_id: id,
    }];
    let lease = w.clock.now() + Duration::from_secs(60);
    w.store.write_event(&record, Some(lease), w.clock.now() + Duration::from_secs(600)).await.unwrap();
    w.clock.advance(Duration::from_secs(1));
    let err = post(&w, "kino", &token(), DONE).await.unwrap_err();
    assert!(matches!(err, IngestError::InProgress));
    assert!(w.queue.sent().is_empty());
}

fn dedupe_key_of(body: &str) -> String {
    let mut material = b"kino\0".to_vec();
    material.extend_from_slice(body.as_bytes());
    sha256_hex(&material)
}

#[tokio::test]
async fn kinescope_repeats_are_events_by_default_and_only_a_signed_or_named_delivery_id_is_the_key() {
    let w = world();
    let first = post(&w, "kinescope", &token(), DONE).await.unwrap();
    w.clock.advance(Duration::from_secs(60));
    let second = post(&w, "kinescope", &token(), DONE).await.unwrap();
    assert!(!second.duplicate && second.event_id != first.event_id);
    assert_eq!(w.queue.sent().len(), 4);
    assert!(!w.store.calls().contains(&"find_claim"), "no dedupe look-up when the window is 0");
    assert!(w.store.events.lock().unwrap().iter().all(|e| e.lease_until.is_none()), "records, not claims");

    // A token source: a delivery-id header is nobody's signature, so the body stays the key.
    let mut headers = token();
    headers.insert("x-github-delivery", HeaderValue::from_static("d-1"));
    let original = post(&w, "gen", &headers, r#"{"event": "a", "attempt": 1}"#).await.unwrap();
    w.store.handled(&w.queue);
    headers.insert("x-github-delivery", HeaderValue::from_static("d-fresh"));
    let replay = post(&w, "gen", &headers, r#"{"event": "a", "attempt": 1}"#).await.unwrap();
    assert!(replay.duplicate, "a replay with a fresh id is still a duplicate");
    let genuine = post(&w, "gen", &headers, r#"{"event": "a", "attempt": 2}"#).await.unwrap();
    assert!(!genuine.duplicate, "a pre-claimed id suppresses no genuine webhook");
    assert_ne!(genuine.event_id, original.event_id);
    let recorded = w.store.events.lock().unwrap().iter().any(|e| e.record.sender_id.as_deref() == Some("d-1"));
    assert!(recorded, "the sender's id is shown in the record all the same");

    // Named by the source itself: trusted.
    let mut named = w.store.sources.lock().unwrap().iter().find(|s| s.id.as_str() == "gen").cloned().unwrap();
    named.delivery_id_header = Some("x-github-delivery".into());
    w.store.sources.lock().unwrap().push(Source { id: SourceId::parse("named").unwrap(), ..named });
    headers.insert("x-github-delivery", HeaderValue::from_static("d-9"));
    post(&w, "named", &headers, r#"{"event": "a", "attempt": 1}"#).await.unwrap();
    w.store.handled(&w.queue);
    let redelivery = post(&w, "named", &headers, r#"{"event": "a", "attempt": 2}"#).await.unwrap();
    assert!(redelivery.duplicate, "same named id, whatever the body");
}

#[tokio::test]
async fn health_records_the_last_accepted_and_refused_at_most_once_a_minute_each() {
    let w = world();
    post(&w, "kino", &token(), DONE).await.unwrap();
    post(&w, "kino", &token(), PROCESSING).await.unwrap();
    post(&w, "kino", &HeaderMap::new(), DONE).await.unwrap_err();
    post(&w, "kino", &token(), "{not json").await.unwrap_err();
    let health = w.store.health.lock().unwrap().clone();
    assert_eq!(health.len(), 2, "{health:?}");
    let herald_domain::source_health::SourceSignal::Refused(refused) = &health[1].1 else { panic!("{health:?}") };
    assert_eq!(refused.status, 401);
    assert!(refused.reason.starts_with("no credential"), "{}", refused.reason);
    w.clock.advance(Duration::from_secs(60));
    post(&w, "kino", &token(), PROCESSING).await.unwrap();
    assert_eq!(w.store.health.lock().unwrap().len(), 3);
    post(&w, "nope", &token(), DONE).await.unwrap_err();
    assert_eq!(w.store.health.lock().unwrap().len(), 3, "an unknown source has no health");
}

#[tokio::test]
async fn pathological_shapes_get_a_clear_answer_or_a_bounded_event() {
    let w = world();
    let deep = format!(r#"{{"event": "x", "a": {}1{}}}"#, "[".repeat(200), "]".repeat(200));
    let err = post(&w, "gen", &token(), &deep).await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.public_message().contains("recursion limit"), "{}", err.public_message());

    // 250 KB of array items: accepted, with bounded fields; the rest stays reachable by name.
    let items: Vec<u32> = (0..40_000).collect();
    let wide = json!({"event": "x", "items": items}).to_string();
    assert!(wide.len() > 200_000);
    let accepted = post(&w, "gen", &token(), &wide).await.unwrap();
    assert_eq!(accepted.deliveries, 2, "discord (no status to narrow it) and the * target");
    let sent = w.queue.sent();
    let event = &sent[0].event;
    assert!(event.fields.len() <= herald_domain::event::MAX_FIELDS + 8, "{}", event.fields.len());
    assert_eq!(event.lookup("items.39999").unwrap().as_ref(), &json!(39_999));
    assert!(sent[0].to_wire().len() < MAX_MESSAGE_BYTES);
}

#[tokio::test]
async fn a_record_write_retried_after_its_answer_was_lost_still_queues_the_deliveries() {
    // The SDK retries a PutItem whose answer timed out; the retry finds the item the first try
    // wrote and fails its condition. That is our own record, not a duplicate.
    let w = world();
    let id = herald_domain::ids::derived_id(w.clock.now(), &[dedupe_key_of(DONE).as_bytes()]);
    let event = herald_domain::sample::sample_event(SourceKind::Kinescope, id, w.clock.now());
    let record = herald_domain::activity::EventRecord::of(&event, None, vec![], vec![]);
    w.store.write_event(&record, None, w.clock.now() + Duration::from_secs(600)).await.unwrap();
    // As if the first try's write landed a moment before this attempt's look-up could see it.
    w.store.events.lock().unwrap()[0].record.received_at = w.clock.now() - Duration::from_secs(3600);
    let accepted = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(!accepted.duplicate);
    assert_eq!((accepted.deliveries, w.queue.sent().len()), (2, 2));
}

#[tokio::test]
async fn a_retry_queues_again_only_the_deliveries_never_handled() {
    // The queue took part of the first attempt's batch: one delivery was handled, the other never sent.
    let w = world();
    post(&w, "kino", &token(), DONE).await.unwrap();
    let first = w.queue.sent();
    let handled_one = MemoryQueue::default();
    handled_one.enqueue(&first[..1]).await.unwrap();
    w.store.handled(&handled_one);
    w.clock.advance(Duration::from_secs(61));
    let retried = post(&w, "kino", &token(), DONE).await.unwrap();
    assert!(!retried.duplicate, "one delivery was never handled");
    let again: Vec<_> = w.queue.sent()[first.len()..].iter().map(|d| d.delivery_id).collect();
    assert_eq!(again, [first[1].delivery_id], "only the unhandled one, with its id");
}

#[path = "ingest_body_tests.rs"]
mod body;
