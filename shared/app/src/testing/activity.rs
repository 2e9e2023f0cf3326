//! The activity log in memory: event records (which are the dedupe claims) and logged steps.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::{MemoryStore, lock};
use crate::ports::{ActivityReader, AttemptLog, Claimed, EventLog, StoreError};
use herald_domain::SourceId;
use herald_domain::activity::{Attempt, EventRecord, Refusal, hour_of};

#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub record: EventRecord,
    pub lease_until: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
impl EventLog for MemoryStore {
    async fn find_claim(
        &self,
        like: Ulid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<Claimed>, StoreError> {
        self.note("find_claim");
        Ok(lock(&self.events)
            .iter()
            .filter(|e| e.record.event_id.random() == like.random())
            .filter(|e| e.record.received_at > from && e.record.received_at <= to)
            .max_by_key(|e| e.record.received_at)
            .map(|e| Claimed { record: e.record.clone(), lease_until: e.lease_until }))
    }

    async fn write_event(
        &self,
        record: &EventRecord,
        lease_until: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.note("write_event");
        let mut events = lock(&self.events);
        if events.iter().any(|e| e.record.event_id == record.event_id) {
            return Err(StoreError::Conflict);
        }
        events.push(StoredEvent { record: record.clone(), lease_until, expires_at });
        Ok(())
    }

    async fn end_lease(&self, record: &EventRecord) -> Result<(), StoreError> {
        self.note("end_lease");
        for e in lock(&self.events).iter_mut().filter(|e| e.record.event_id == record.event_id) {
            e.lease_until = Some(DateTime::UNIX_EPOCH);
        }
        Ok(())
    }

    async fn handled(&self, deliveries: &[Ulid], since: DateTime<Utc>) -> Result<Vec<Ulid>, StoreError> {
        self.note("handled");
        let attempts = lock(&self.attempts);
        Ok(deliveries
            .iter()
            .filter(|d| attempts.iter().any(|(a, _)| a.at >= since && a.delivery_id == **d))
            .copied()
            .collect())
    }

    async fn write_refusal(&self, refusal: &Refusal, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.note("write_refusal");
        lock(&self.refusals).push((refusal.clone(), expires_at));
        Ok(())
    }
}

impl MemoryStore {
    pub fn refusals(&self) -> Vec<Refusal> {
        lock(&self.refusals).iter().map(|(r, _)| r.clone()).collect()
    }

    /// As the deliver function would: a step logged for every delivery `queue` holds.
    pub fn handled(&self, queue: &super::MemoryQueue) {
        let steps = queue.sent().into_iter().map(|d| {
            let step = Attempt::step(
                d.event.received_at,
                d.delivery_id,
                d.event.id,
                &d.target_id,
                herald_domain::activity::Outcome::Delivered,
            );
            (step, DateTime::<Utc>::MAX_UTC)
        });
        lock(&self.attempts).extend(steps);
    }
}

#[async_trait]
impl AttemptLog for MemoryStore {
    async fn write_attempts(&self, attempts: &[Attempt], expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.note("write_attempts");
        lock(&self.attempts).extend(attempts.iter().map(|a| (a.clone(), expires_at)));
        Ok(())
    }

    async fn write_records(&self, records: &[EventRecord], expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.note("write_records");
        let stored = records.iter().map(|r| StoredEvent { record: r.clone(), lease_until: None, expires_at });
        lock(&self.events).extend(stored);
        Ok(())
    }

    async fn keep_records(&self, events: &[Ulid], until: DateTime<Utc>) -> Result<(), StoreError> {
        self.note("keep_records");
        for stored in lock(&self.events).iter_mut().filter(|e| events.contains(&e.record.event_id)) {
            stored.expires_at = stored.expires_at.max(until);
            stored.record.kept_until = Some(until);
        }
        Ok(())
    }
}

#[async_trait]
impl ActivityReader for MemoryStore {
    async fn events_in_hour(&self, hour: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<EventRecord>, StoreError> {
        Ok(lock(&self.events)
            .iter()
            .filter(|e| hour_of(e.record.received_at) == hour && e.expires_at > now)
            .map(|e| e.record.clone())
            .collect())
    }

    async fn event(&self, id: Ulid, now: DateTime<Utc>) -> Result<Option<EventRecord>, StoreError> {
        Ok(lock(&self.events).iter().find(|e| e.record.event_id == id && e.expires_at > now).map(|e| e.record.clone()))
    }

    async fn refusals_in_hour(
        &self,
        source: &SourceId,
        hour: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Refusal>, StoreError> {
        Ok(lock(&self.refusals)
            .iter()
            .filter(|(r, expires)| &r.source_id == source && hour_of(r.at) == hour && *expires > now)
            .map(|(r, _)| r.clone())
            .collect())
    }

    async fn attempts_in_hour(
        &self,
        hour: DateTime<Utc>,
        mentioning: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Attempt>, StoreError> {
        let mentions = |a: &Attempt| {
            mentioning.is_none_or(|m| {
                a.delivery_id.to_string() == m || a.event_id.to_string() == m || a.target_id.as_str() == m
            })
        };
        Ok(lock(&self.attempts)
            .iter()
            .filter(|(a, expires)| hour_of(a.at) == hour && *expires > now && mentions(a))
            .map(|(a, _)| a.clone())
            .collect())
    }
}
