use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_domain::activity::{Attempt, EventRecord, NotRouted, Outcome, Routed, delivery_id};
use herald_domain::sample::sample_event;
use herald_domain::{SourceKind, TargetId};

use super::*;
use crate::ports::{AttemptLog, EventLog};
use crate::testing::MemoryStore;
use crate::testing::admin::{AdminFakes, admin};

fn t(id: &str) -> TargetId {
    TargetId::parse(id).unwrap()
}

/// An Ombi event at `at` titled by `summary`, routed to `discord`, not to `slack`.
fn record(at: DateTime<Utc>, n: u128, summary: &str) -> EventRecord {
    let id = Ulid::from_parts(at.timestamp_millis() as u64, n);
    let mut record = EventRecord::of(
        &sample_event(SourceKind::Ombi, id, at),
        Some("sender-7"),
        vec![Routed { target_id: t("discord"), delivery_id: delivery_id(id, at, &t("discord")) }],
        vec![(t("slack"), NotRouted::NotSubscribed)],
    );
    record.summary = summary.to_owned();
    record
}

/// [`record`], stored.
async fn event(f: &AdminFakes, at: DateTime<Utc>, n: u128, summary: &str) -> EventRecord {
    let record = record(at, n, summary);
    // Kept longer than shown (a record that is also a claim can be): the retention decides what is shown.
    f.store.write_event(&record, None, at + Duration::from_secs(30 * 86_400)).await.unwrap();
    record
}

async fn step(f: &AdminFakes, record: &EventRecord, after: i64, outcome: Outcome, status: Option<u16>) {
    let at = record.received_at + chrono::Duration::seconds(after);
    let mut a = Attempt::step(at, record.routed[0].delivery_id, record.event_id, &t("discord"), outcome);
    a.status = status;
    f.store.write_attempts(&[a], at + Duration::from_secs(86_400)).await.unwrap();
}

fn setup() -> (crate::admin::Admin, AdminFakes, DateTime<Utc>) {
    let (admin, fakes) = admin(MemoryStore::new(vec![], vec![]));
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    *fakes.clock.0.lock().unwrap() = now;
    (admin, fakes, now)
}

#[tokio::test]
async fn events_come_newest_first_with_each_deliverys_latest_outcome() {
    let (admin, f, now) = setup();
    let old = event(&f, now - chrono::Duration::hours(2), 1, "Arrival is available").await;
    let new = event(&f, now - chrono::Duration::minutes(5), 2, "Dune: Part Two is available").await;
    step(&f, &old, 1, Outcome::Delivered, Some(204)).await;
    step(&f, &new, 1, Outcome::Failed, Some(503)).await;
    step(&f, &new, 2, Outcome::Parked, None).await;
    let page = admin.events(&ActivityFilter::default()).await.unwrap();
    let summaries: Vec<&str> = page.events.iter().map(|e| e.summary.as_str()).collect();
    assert_eq!(summaries, ["Dune: Part Two is available", "Arrival is available"]);
    let d = &page.events[0].deliveries[0];
    assert_eq!((d.outcome.as_str(), d.status, d.attempts), ("parked", Some(503), 1), "parked after its failure");
    assert_eq!(page.events[0].not_routed[0].reason, "not_subscribed");

    let only = |f: ActivityFilter| {
        let admin = &admin;
        async move { admin.events(&f).await.unwrap().events.into_iter().map(|e| e.summary).collect::<Vec<_>>() }
    };
    assert_eq!(
        only(ActivityFilter { q: Some("DUNE".into()), ..Default::default() }).await,
        ["Dune: Part Two is available"]
    );
    assert_eq!(
        only(ActivityFilter { outcome: Some("delivered".into()), ..Default::default() }).await,
        ["Arrival is available"]
    );
    assert!(only(ActivityFilter { target: Some("slack".into()), ..Default::default() }).await.is_empty());
    let by_delivery = ActivityFilter { id: Some(old.routed[0].delivery_id.to_string()), ..Default::default() };
    assert_eq!(only(by_delivery).await, ["Arrival is available"], "the webhook-id a receiver saw finds its event");
    assert_eq!(only(ActivityFilter { id: Some("sender-7".into()), ..Default::default() }).await.len(), 2);

    let first = admin.events(&ActivityFilter { limit: Some(1), ..Default::default() }).await.unwrap();
    let next = ActivityFilter { before: first.next_before.clone(), limit: Some(1), ..Default::default() };
    assert_eq!(only(next).await, ["Arrival is available"], "pages follow next_before");
}

#[tokio::test]
async fn one_delivery_shows_every_step_and_bad_filters_say_why() {
    let (admin, f, now) = setup();
    let record = event(&f, now - chrono::Duration::minutes(1), 1, "Dune").await;
    step(&f, &record, 1, Outcome::Failed, Some(503)).await;
    step(&f, &record, 40, Outcome::Delivered, Some(204)).await;
    let view = admin.delivery(&record.routed[0].delivery_id.to_string()).await.unwrap();
    let outcomes: Vec<Outcome> = view.delivery.steps.unwrap().iter().map(|s| s.outcome).collect();
    assert_eq!(outcomes, [Outcome::Failed, Outcome::Delivered]);
    assert_eq!(view.delivery.outcome, "delivered");
    assert!(matches!(admin.delivery(&Ulid::nil().to_string()).await, Err(AdminError::NotFound(_))));
    assert!(matches!(admin.event("not-an-id").await, Err(AdminError::NotFound(_))));
    let bad = admin.events(&ActivityFilter { outcome: Some("lost".into()), ..Default::default() }).await;
    assert!(matches!(bad, Err(AdminError::Invalid { ref field, .. }) if field == "outcome"), "{bad:?}");
    let refused = admin.replay_delivery(&record.routed[0].delivery_id.to_string()).await;
    assert!(matches!(refused, Err(AdminError::Conflict(ref why)) if why.contains("only a rejected delivery")));
}

#[tokio::test]
async fn a_page_reads_a_day_at_most_and_nothing_older_than_the_retention() {
    let (admin, f, now) = setup();
    event(&f, now - chrono::Duration::days(8), 1, "long ago").await;
    event(&f, now - chrono::Duration::hours(30), 2, "yesterday").await;
    let first = admin.events(&ActivityFilter::default()).await.unwrap();
    assert!(first.events.is_empty() && first.next_before.is_none());
    let until = first.next_until.expect("a day was read: go on from there");
    let next = admin.events(&ActivityFilter { until: Some(until), ..Default::default() }).await.unwrap();
    assert_eq!(next.events.iter().map(|e| e.summary.as_str()).collect::<Vec<_>>(), ["yesterday"]);
    let mut until = next.next_until;
    let mut pages = 0;
    while let Some(at) = until {
        let page = admin.events(&ActivityFilter { until: Some(at), ..Default::default() }).await.unwrap();
        assert!(page.events.is_empty(), "nothing past the retention: {:?}", page.events);
        until = page.next_until;
        pages += 1;
        // At the retention, and a parked retention further for the records a parking keeps.
        assert!(pages < 20, "the pages end");
    }
}

#[tokio::test]
async fn a_delivery_parked_past_the_parked_retention_shows_as_expired_for_the_logs_retention() {
    let (admin, f, start) = setup();
    const WEEK: Duration = Duration::from_secs(7 * 86_400);
    let journal = crate::journal::Journal::new(f.store.clone(), f.clock.clone(), WEEK, WEEK);
    let set_clock = |at: DateTime<Utc>| *f.clock.0.lock().unwrap() = at;
    // As ingest writes them: kept for the retention.
    let (parked, delivered) = (record(start, 1, "Parked"), record(start, 2, "Delivered"));
    for record in [&parked, &delivered] {
        f.store.write_event(record, None, start + WEEK).await.unwrap();
    }
    let note = |record: &EventRecord, outcome: Outcome| {
        journal.note(Attempt::step(start, record.routed[0].delivery_id, record.event_id, &t("discord"), outcome))
    };
    note(&parked, Outcome::Failed);
    note(&parked, Outcome::Parked);
    note(&delivered, Outcome::Delivered);
    journal.flush().await.unwrap();

    let shown_at = |days: i64, outcome: Option<&'static str>| {
        set_clock(start + chrono::Duration::days(days));
        let admin = &admin;
        async move {
            let (mut shown, mut until) = (Vec::new(), None);
            loop {
                let filter = ActivityFilter { until, outcome: outcome.map(Into::into), ..Default::default() };
                let page = admin.events(&filter).await.unwrap();
                shown.extend(page.events.iter().map(|e| (e.summary.clone(), e.deliveries[0].outcome.clone())));
                match page.next_until {
                    Some(next) => until = Some(next),
                    None => return shown,
                }
            }
        }
    };
    let both =
        |outcome: &str| vec![("Parked".to_owned(), outcome.to_owned()), ("Delivered".into(), "delivered".into())];
    let mut shown = shown_at(6, None).await;
    shown.sort();
    let mut expected = both("parked");
    expected.sort();
    assert_eq!(shown, expected, "inside both retentions");
    let expired = [("Parked".to_owned(), "expired".to_owned())];
    assert_eq!(shown_at(8, None).await, expired, "the delivered one is gone");
    let view = admin.delivery(&parked.routed[0].delivery_id.to_string()).await.unwrap();
    let last = view.delivery.steps.unwrap().pop().unwrap();
    assert_eq!((last.outcome, last.at), (Outcome::Expired, start + WEEK));
    for filter in ["expired", "failed"] {
        assert_eq!(shown_at(8, Some(filter)).await, expired, "{filter}");
    }
    assert!(shown_at(8, Some("parked")).await.is_empty());
    assert!(shown_at(15, None).await.is_empty(), "kept for the log's retention after it expired, then gone");
}
