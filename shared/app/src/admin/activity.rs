//! The activity log, read: events newest first with their fan-out and what became of each
//! delivery, one delivery's steps, and look-ups by event id, delivery id (`webhook-id`) or the
//! sender's own id. The log is stored an hour to a partition; a view reads the hours it needs,
//! newest first, and each hour's steps once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use ulid::Ulid;

use herald_domain::TargetId;
use herald_domain::activity::{Attempt, EventRecord, Outcome, hour_of};

use super::views::{
    ActivityFilter, DeliveryItem, DeliveryLine, DeliveryPage, DeliveryView, EventPage, EventView, NotRoutedView,
};
use super::{Admin, AdminError, invalid};

pub const DEFAULT_LIMIT: usize = 50;
/// Hours one list request reads at most before it answers with `next_until`.
pub const SCAN_HOURS: usize = 24;
/// Hours a target's status looks back for its last delivery.
pub const STATUS_HOURS: i64 = 2;
pub const MAX_LIMIT: usize = 200;

/// The hours of the log already read, so each is read once per view, their steps by delivery.
struct Reader<'a> {
    admin: &'a Admin,
    now: DateTime<Utc>,
    read: HashSet<DateTime<Utc>>,
    steps: HashMap<Ulid, Vec<Attempt>>,
}

impl<'a> Reader<'a> {
    fn new(admin: &'a Admin, now: DateTime<Utc>) -> Self {
        Self { admin, now, read: HashSet::new(), steps: HashMap::new() }
    }

    /// Reads every hour of steps from `from`'s to now that is not read yet.
    async fn read_since(&mut self, from: DateTime<Utc>) -> Result<(), AdminError> {
        let mut hour = hour_of(from);
        while hour <= self.now {
            if self.read.insert(hour) {
                for step in self.admin.activity.attempts_in_hour(hour, None, self.now).await? {
                    self.steps.entry(step.delivery_id).or_default().push(step);
                }
            }
            hour += chrono::Duration::hours(1);
        }
        Ok(())
    }

    async fn view(&mut self, record: &EventRecord, with_steps: bool) -> Result<EventView, AdminError> {
        // A delivery's steps come after its event: its hour to now holds them all.
        self.read_since(record.received_at).await?;
        let deliveries = record
            .routed
            .iter()
            .map(|r| {
                let mut mine = self.steps.get(&r.delivery_id).cloned().unwrap_or_default();
                mine.sort_by_key(|s| s.at);
                if let Some(expired) = expiry(&mine, self.admin.parked_retention, self.now) {
                    mine.push(expired);
                }
                line(r.delivery_id, &r.target_id, mine, with_steps)
            })
            .collect();
        Ok(EventView {
            event_id: record.event_id.to_string(),
            received_at: record.received_at,
            source_id: record.source_id.to_string(),
            source_kind: record.source_kind,
            name: record.name.clone(),
            summary: record.summary.clone(),
            sender_id: record.sender_id.clone(),
            about: record.about.as_ref().map(ToString::to_string),
            deliveries,
            not_routed: record
                .not_routed
                .iter()
                .map(|(t, why)| NotRoutedView { target_id: t.to_string(), reason: why.as_str().to_owned() })
                .collect(),
        })
    }
}

/// The step a delivery's parking ended with when it was parked longer than `kept` by `now`: the
/// parked item is gone (DynamoDB's TTL) and nothing logged it. Its parking began with the first
/// step of the last run of steps that left it parked (a failed probe keeps the same item).
fn expiry(steps: &[Attempt], kept: std::time::Duration, now: DateTime<Utc>) -> Option<Attempt> {
    let last = steps.last().filter(|s| s.outcome.leaves_parked())?;
    let run = steps.iter().rposition(|s| !s.outcome.leaves_parked()).map_or(0, |i| i + 1);
    let parked_at = steps[run..].iter().find(|s| s.outcome == Outcome::Parked)?.at;
    let expired_at = parked_at + chrono::Duration::from_std(kept).ok()?;
    (expired_at <= now)
        .then(|| Attempt::step(expired_at, last.delivery_id, last.event_id, &last.target_id, Outcome::Expired))
}

fn line(delivery_id: Ulid, target: &TargetId, steps: Vec<Attempt>, with_steps: bool) -> DeliveryLine {
    let last = steps.last();
    DeliveryLine {
        delivery_id: delivery_id.to_string(),
        target_id: target.to_string(),
        outcome: last.map_or("pending", |s| s.outcome.as_str()).to_owned(),
        // A parking after a failure keeps the failure's status in view.
        status: steps.iter().rev().find_map(|s| s.status),
        last_at: last.map(|s| s.at),
        attempts: steps.iter().filter(|s| !s.outcome.sent_nothing()).count(),
        steps: with_steps.then_some(steps),
    }
}

fn outcome_matches(filter: &str, line: &DeliveryLine) -> bool {
    match filter {
        "failed" => Outcome::parse(&line.outcome).is_some_and(Outcome::is_failure),
        other => line.outcome == other,
    }
}

const OUTCOMES: &str = "delivered, failed, parked, rejected, throttled, skipped, dead_lettered, expired or pending";

impl ActivityFilter {
    fn check(&self) -> Result<(), AdminError> {
        if let Some(o) = &self.outcome
            && o != "pending"
            && o != "failed"
            && Outcome::parse(o).is_none()
        {
            return Err(invalid("outcome", format!("must be {OUTCOMES}, not {o:?}")));
        }
        if self.limit.is_some_and(|l| l == 0 || l > MAX_LIMIT) {
            return Err(invalid("limit", format!("must be 1 to {MAX_LIMIT}")));
        }
        if let Some(b) = &self.before
            && Ulid::from_string(b).is_err()
        {
            return Err(invalid("before", "must be an event id from next_before"));
        }
        Ok(())
    }

    fn keeps_record(&self, r: &EventRecord) -> bool {
        let q = self.q.as_deref().map(str::to_lowercase);
        self.source.as_deref().is_none_or(|s| r.source_id.as_str() == s)
            && self.name.as_deref().is_none_or(|n| r.name == n)
            && q.is_none_or(|q| r.summary.to_lowercase().contains(&q) || r.name.to_lowercase().contains(&q))
            && self.before.as_deref().and_then(|b| Ulid::from_string(b).ok()).is_none_or(|b| r.event_id < b)
            && self.since.is_none_or(|s| r.received_at >= s)
            && self.until.is_none_or(|u| r.received_at <= u)
    }

    fn keeps_line(&self, l: &DeliveryLine) -> bool {
        self.target.as_deref().is_none_or(|t| l.target_id == t)
            && self.outcome.as_deref().is_none_or(|o| outcome_matches(o, l))
    }

    /// Whether the view keeps the event: a target or outcome filter needs a delivery that matches.
    fn keeps_view(&self, v: &EventView) -> bool {
        let about = self.target.as_deref().is_some_and(|t| v.about.as_deref() == Some(t));
        if self.target.is_none() && self.outcome.is_none() {
            return true;
        }
        v.deliveries.iter().any(|l| self.keeps_line(l)) || (about && self.outcome.is_none())
    }
}

impl Admin {
    /// The oldest time the log shows: a record is kept longer when it is also a dedupe claim
    /// (its window), but shown for the retention only.
    pub(super) fn log_starts(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::from_std(self.activity_retention).unwrap_or(chrono::Duration::days(7))
    }

    /// The oldest time an event may be from and still be shown: one whose delivery was parked is
    /// kept past the retention, for as long as parked deliveries are kept.
    fn kept_starts(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.log_starts(now) - chrono::Duration::from_std(self.parked_retention).unwrap_or(chrono::Duration::days(7))
    }

    fn is_shown(&self, record: &EventRecord, now: DateTime<Utc>) -> bool {
        record.received_at >= self.log_starts(now) || record.kept_until.is_some_and(|k| k > now)
    }

    async fn shown_events(&self, hour: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<EventRecord>, AdminError> {
        Ok(self.activity.events_in_hour(hour, now).await?.into_iter().filter(|r| self.is_shown(r, now)).collect())
    }

    async fn shown_event(&self, id: Ulid, now: DateTime<Utc>) -> Result<Option<EventRecord>, AdminError> {
        Ok(self.activity.event(id, now).await?.filter(|r| self.is_shown(r, now)))
    }

    /// Events newest first, narrowed by `filter`, a page at a time.
    pub async fn events(&self, filter: &ActivityFilter) -> Result<EventPage, AdminError> {
        filter.check()?;
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
        let now = self.clock.now();
        let mut reader = Reader::new(self, now);
        if let Some(id) = filter.id.as_deref() {
            let mut events = Vec::new();
            for record in self.find_by_id(&mut reader, id).await? {
                events.push(reader.view(&record, false).await?);
            }
            return Ok(EventPage { events, next_before: None, next_until: None });
        }
        // Back to where a record kept for a parking may be from: only older pages read those hours.
        let oldest = self.kept_starts(now);
        let since = filter.since.map_or(oldest, |s| s.max(oldest));
        let until = filter.until.map_or(now, |u| u.min(now));
        let mut hour = hour_of(until);
        let mut events = Vec::new();
        let mut scanned = 0;
        while hour >= hour_of(since) && events.len() <= limit {
            if scanned == SCAN_HOURS {
                // A quiet log or a narrow filter: this page stops here; the next one goes on from here.
                let next_until = Some(hour + chrono::Duration::hours(1) - chrono::Duration::milliseconds(1));
                return Ok(EventPage { events, next_before: None, next_until });
            }
            scanned += 1;
            let mut records: Vec<EventRecord> = self
                .shown_events(hour, now)
                .await?
                .into_iter()
                .filter(|r| filter.keeps_record(r) && r.received_at >= since && r.received_at <= until)
                .collect();
            records.sort_by_key(|r| std::cmp::Reverse(r.event_id));
            for record in records {
                let view = reader.view(&record, false).await?;
                if filter.keeps_view(&view) {
                    events.push(view);
                }
                if events.len() > limit {
                    break;
                }
            }
            hour -= chrono::Duration::hours(1);
        }
        let next_before = (events.len() > limit).then(|| events[limit - 1].event_id.clone());
        events.truncate(limit);
        Ok(EventPage { events, next_before, next_until: None })
    }

    /// One event, with every step of each of its deliveries.
    pub async fn event(&self, id: &str) -> Result<EventView, AdminError> {
        let now = self.clock.now();
        let parsed = Ulid::from_string(id).map_err(|_| AdminError::NotFound(format!("event {id}")))?;
        let record = self.shown_event(parsed, now).await?.ok_or_else(|| AdminError::NotFound(format!("event {id}")))?;
        Reader::new(self, now).view(&record, true).await
    }

    /// Deliveries newest event first, narrowed by `filter` (its target and outcome apply to each).
    pub async fn deliveries(&self, filter: &ActivityFilter) -> Result<DeliveryPage, AdminError> {
        let page = self.events(filter).await?;
        let deliveries = page
            .events
            .into_iter()
            .flat_map(|e| {
                let (event_id, received_at, name, summary) = (e.event_id, e.received_at, e.name, e.summary);
                e.deliveries.into_iter().filter(|l| filter.keeps_line(l)).map(move |line| DeliveryItem {
                    line,
                    event_id: event_id.clone(),
                    received_at,
                    name: name.clone(),
                    summary: summary.clone(),
                })
            })
            .collect();
        Ok(DeliveryPage { deliveries, next_before: page.next_before, next_until: page.next_until })
    }

    /// One delivery by its id (the `webhook-id` its receiver saw): every step, and the request as
    /// sent when it waits in the rejected list.
    pub async fn delivery(&self, id: &str) -> Result<DeliveryView, AdminError> {
        let now = self.clock.now();
        let not_found = || AdminError::NotFound(format!("delivery {id}"));
        let parsed = Ulid::from_string(id).map_err(|_| not_found())?;
        let mut reader = Reader::new(self, now);
        let record = self.event_of_delivery(&mut reader, parsed).await?.ok_or_else(not_found)?;
        let mut event = reader.view(&record, true).await?;
        let index = event.deliveries.iter().position(|l| l.delivery_id == id).ok_or_else(not_found)?;
        let delivery = event.deliveries.remove(index);
        let rejection = match TargetId::parse(&delivery.target_id) {
            Ok(target) => self.rejected.rejection(&target, &parsed, now).await?,
            Err(_) => None,
        };
        let in_rejected_list = rejection.is_some();
        // The request of the latest attempt that did not go through (a healthy one's is not kept).
        let logged = delivery.steps.iter().flatten().rev().find_map(|s| s.request.clone());
        let request = rejection.and_then(|r| r.note.request).or(logged);
        Ok(DeliveryView { event, delivery, in_rejected_list, request })
    }

    /// When the target last took a delivery, and which, from the log (the last [`STATUS_HOURS`]).
    pub(crate) async fn last_delivered(&self, target: &TargetId) -> Result<Option<Attempt>, AdminError> {
        let now = self.clock.now();
        // The page asks every few seconds: look at the last two hours only (a Query each).
        let oldest = self.log_starts(now).max(now - chrono::Duration::hours(STATUS_HOURS - 1));
        let mut hour = hour_of(now);
        while hour >= hour_of(oldest) {
            let steps = self.activity.attempts_in_hour(hour, Some(target.as_str()), now).await?;
            let newest = steps
                .into_iter()
                .filter(|s| &s.target_id == target && s.outcome == Outcome::Delivered)
                .max_by_key(|s| s.at);
            if newest.is_some() {
                return Ok(newest);
            }
            hour -= chrono::Duration::hours(1);
        }
        Ok(None)
    }

    /// The records `id` names: an event, the event of a delivery, or the events a sender's id came with.
    async fn find_by_id(&self, reader: &mut Reader<'_>, id: &str) -> Result<Vec<EventRecord>, AdminError> {
        let now = self.clock.now();
        if let Ok(ulid) = Ulid::from_string(id) {
            if let Some(record) = self.shown_event(ulid, now).await? {
                return Ok(vec![record]);
            }
            if let Some(record) = self.event_of_delivery(reader, ulid).await? {
                return Ok(vec![record]);
            }
        }
        let oldest = self.log_starts(now);
        let mut found = Vec::new();
        let mut hour = hour_of(now);
        while hour >= hour_of(oldest) {
            let records = self.shown_events(hour, now).await?;
            found.extend(records.into_iter().filter(|r| r.sender_id.as_deref() == Some(id)));
            hour -= chrono::Duration::hours(1);
        }
        found.sort_by_key(|r| std::cmp::Reverse(r.event_id));
        Ok(found)
    }

    /// The record of the event a delivery belongs to: its steps name the event (a delivery id's
    /// time is its event's, so the search starts at that hour).
    async fn event_of_delivery(
        &self,
        reader: &mut Reader<'_>,
        delivery: Ulid,
    ) -> Result<Option<EventRecord>, AdminError> {
        let at = DateTime::from_timestamp_millis(delivery.timestamp_ms() as i64).unwrap_or(reader.now);
        let mut hour = hour_of(at);
        while hour <= reader.now {
            let steps = self.activity.attempts_in_hour(hour, Some(&delivery.to_string()), reader.now).await?;
            if let Some(step) = steps.iter().find(|s| s.delivery_id == delivery) {
                return self.shown_event(step.event_id, reader.now).await;
            }
            hour += chrono::Duration::hours(1);
        }
        // Not handled yet: the event routed it, in the hour the delivery id names.
        let records = self.shown_events(hour_of(at), reader.now).await?;
        Ok(records.into_iter().find(|r| r.routed.iter().any(|d| d.delivery_id == delivery)))
    }
}

#[cfg(test)]
#[path = "activity_tests.rs"]
mod tests;
