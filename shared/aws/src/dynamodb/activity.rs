//! The activity log: `LOG#<hour>#…` partitions (see `keys`). An event record (`E#<id's random
//! part><time>`) is also its webhook's dedupe claim, so ingest writes one item; an invocation's
//! steps (`A#<ulid>`) are packed as lines of text, about twenty healthy ones to a write unit, and
//! matched to an event, delivery or target id once read (see `log_items`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use herald_app::ports::{ActivityReader, AttemptLog, Claimed, EventLog, StoreError};
use herald_domain::activity::{Attempt, EventRecord, NotRouted, Refusal, Routed, delivery_id, hour_of};
use herald_domain::{SourceId, SourceKind, TargetId};

use super::keys::{
    self, EVENT_PREFIX, EVENT_SHARDS, STEPS_PREFIX, events_partition, refusals_partition, same_webhook_prefix,
    shard_of, steps_partition,
};
use super::steps::{StoredSteps, pack, unpack};
use super::{Item, TTL_ATTRIBUTE, Table, conflict_or_unavailable, from_item, n, s, to_expiring_item, unavailable};

/// An event record as stored: short names, and routed targets without their delivery ids (they
/// derive from the event id), so a record with a handful of targets stays within one write unit.
#[derive(Serialize, Deserialize)]
struct StoredEvent {
    #[serde(with = "herald_domain::ids::ulid_text")]
    id: Ulid,
    at: DateTime<Utc>,
    src: SourceId,
    kind: SourceKind,
    name: String,
    sum: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    /// Routed target ids, space-separated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    to: String,
    /// `target:reason` for the others, space-separated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    not: String,
    /// While the first attempt may still be queueing the deliveries (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease: Option<i64>,
    /// A health warning's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    about: Option<TargetId>,
    /// Kept for a parked delivery until then (seconds since the epoch; set by `keep_records`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kept: Option<i64>,
}

impl StoredEvent {
    fn of(record: &EventRecord, lease_until: Option<DateTime<Utc>>) -> Self {
        let join = |parts: Vec<String>| parts.join(" ");
        Self {
            id: record.event_id,
            at: record.received_at,
            src: record.source_id.clone(),
            kind: record.source_kind,
            name: record.name.clone(),
            sum: record.summary.clone(),
            sid: record.sender_id.clone(),
            to: join(record.routed.iter().map(|r| r.target_id.to_string()).collect()),
            not: join(record.not_routed.iter().map(|(t, why)| format!("{t}:{}", why.as_str())).collect()),
            lease: lease_until.map(|l| l.timestamp()),
            about: record.about.clone(),
            kept: record.kept_until.map(|k| k.timestamp()),
        }
    }

    fn into_claim(self) -> Claimed {
        let routed = self
            .to
            .split_whitespace()
            .filter_map(|t| TargetId::parse(t).ok())
            .map(|t| Routed { delivery_id: delivery_id(self.id, self.at, &t), target_id: t })
            .collect();
        let not_routed = self
            .not
            .split_whitespace()
            .filter_map(|pair| pair.split_once(':'))
            .filter_map(|(t, why)| Some((TargetId::parse(t).ok()?, NotRouted::parse(why)?)))
            .collect();
        let lease_until = self.lease.and_then(|l| DateTime::from_timestamp(l, 0));
        let record = EventRecord {
            event_id: self.id,
            received_at: self.at,
            source_id: self.src,
            source_kind: self.kind,
            name: self.name,
            summary: self.sum,
            sender_id: self.sid,
            routed,
            not_routed,
            about: self.about,
            kept_until: self.kept.and_then(|k| DateTime::from_timestamp(k, 0)),
        };
        Claimed { record, lease_until }
    }
}

/// Every hour from the one containing `from` to the one containing `to`.
pub fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> {
    let (start, end) = (hour_of(from), hour_of(to));
    std::iter::successors(Some(start), |h| Some(*h + chrono::Duration::hours(1))).take_while(move |h| *h <= end)
}

impl Table {
    /// The unexpired items of `pk` whose sort key starts with `prefix`. Steps are matched to an id
    /// after they are read, not by a filter on their text: a line leaves out a delivery id that
    /// derives from its event and target, and names a target by number after its item's first line.
    /// A Query is billed for what it reads before any filter, so this costs no more.
    async fn log_items(
        &self,
        pk: &str,
        prefix: &str,
        now: DateTime<Utc>,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let filter = "#exp > :now";
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let query = self
                .client
                .query()
                .table_name(&self.name)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .filter_expression(filter)
                .expression_attribute_names("#exp", TTL_ATTRIBUTE)
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":prefix", s(prefix))
                .expression_attribute_values(":now", n(now.timestamp()))
                .consistent_read(consistent)
                .set_exclusive_start_key(start);
            let out = query.send().await.map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl EventLog for Table {
    async fn find_claim(
        &self,
        like: Ulid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<Claimed>, StoreError> {
        let prefix = same_webhook_prefix(&like);
        let mut newest: Option<Claimed> = None;
        for hour in hours(from, to) {
            // Strongly consistent: a sender's retry a moment after the first attempt must see its claim.
            let partition = events_partition(hour, shard_of(&like));
            for item in self.log_items(&partition, &prefix, from, true).await? {
                let claim = from_item::<StoredEvent>(item)?.into_claim();
                let at = claim.record.received_at;
                if at > from && at <= to && newest.as_ref().is_none_or(|n| n.record.received_at < at) {
                    newest = Some(claim);
                }
            }
        }
        Ok(newest)
    }

    async fn write_event(
        &self,
        record: &EventRecord,
        lease_until: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let item = to_expiring_item(keys::event(&record.event_id), &StoredEvent::of(record, lease_until), expires_at);
        if self.put_new(item).await? { Ok(()) } else { Err(StoreError::Conflict) }
    }

    async fn end_lease(&self, record: &EventRecord) -> Result<(), StoreError> {
        let ended = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::event(&record.event_id).into()))
            .update_expression("SET lease = :zero")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match ended.map_err(conflict_or_unavailable) {
            // No record (it was never written): nothing holds the key.
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn handled(&self, deliveries: &[Ulid], since: DateTime<Utc>) -> Result<Vec<Ulid>, StoreError> {
        // The steps written since `since`: their ids sort by when they were written.
        let from = format!("{STEPS_PREFIX}{}", Ulid::from_parts(since.timestamp_millis().max(0) as u64, 0));
        let mut found = Vec::new();
        for hour in hours(since, Utc::now()) {
            for item in self.log_items(&steps_partition(hour), STEPS_PREFIX, since, true).await? {
                if item.get("SK").and_then(|k| k.as_s().ok()).is_none_or(|sk| *sk < from) {
                    continue;
                }
                for step in unpack(from_item::<StoredSteps>(item)?) {
                    if deliveries.contains(&step.delivery_id) && !found.contains(&step.delivery_id) {
                        found.push(step.delivery_id);
                    }
                }
            }
        }
        Ok(found)
    }

    async fn write_refusal(&self, refusal: &Refusal, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let id = Ulid::from_parts(refusal.at.timestamp_millis().max(0) as u64, rand_part());
        self.put(to_expiring_item(keys::refusal(&refusal.source_id, &id), refusal, expires_at)).await
    }
}

/// The random part of a fresh ULID (the time part is the refusal's own).
fn rand_part() -> u128 {
    Ulid::new().random()
}

#[async_trait]
impl AttemptLog for Table {
    async fn write_attempts(&self, attempts: &[Attempt], expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        for stored in pack(attempts) {
            self.put(to_expiring_item(keys::steps(&Ulid::new()), &stored, expires_at)).await?;
        }
        Ok(())
    }

    async fn write_records(&self, records: &[EventRecord], expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        for record in records {
            match self.write_event(record, None, expires_at).await {
                // Written already (a retried batch): the same record.
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn keep_records(&self, events: &[Ulid], until: DateTime<Utc>) -> Result<(), StoreError> {
        for id in events {
            // The expiry moves only later (a dedupe claim may be kept longer already); `kept` is
            // set either way, since it is what shows the record past the log's retention.
            let longer = self.keep_record(id, until, "SET #ttl = :until, kept = :until", "#ttl < :until").await;
            let kept = match longer {
                Err(StoreError::Conflict) => self.keep_record(id, until, "SET kept = :until", "#ttl >= :until").await,
                other => other,
            };
            match kept {
                // Gone, or changed meanwhile by another parking of the same event.
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Table {
    async fn keep_record(
        &self,
        id: &Ulid,
        until: DateTime<Utc>,
        update: &str,
        condition: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::event(id).into()))
            .update_expression(update)
            .condition_expression(format!("attribute_exists(PK) AND {condition}"))
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":until", n(until.timestamp()))
            .send()
            .await
            .map(|_| ())
            .map_err(conflict_or_unavailable)
    }
}

#[async_trait]
impl ActivityReader for Table {
    async fn events_in_hour(&self, hour: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<EventRecord>, StoreError> {
        // The hour's shards side by side: a page view waits for one Query's time, not sixteen.
        let shards = (0..EVENT_SHARDS).map(|shard| {
            let partition = events_partition(hour, shard);
            async move { self.log_items(&partition, EVENT_PREFIX, now, false).await }
        });
        let mut records = Vec::new();
        for items in futures::future::try_join_all(shards).await? {
            for item in items {
                records.push(from_item::<StoredEvent>(item)?.into_claim().record);
            }
        }
        Ok(records)
    }

    async fn event(&self, id: Ulid, now: DateTime<Utc>) -> Result<Option<EventRecord>, StoreError> {
        let Some(mut item) = self.get(keys::event(&id)).await? else { return Ok(None) };
        let expired = item
            .remove(TTL_ATTRIBUTE)
            .and_then(|v| v.as_n().ok().and_then(|v| v.parse::<i64>().ok()))
            .is_some_and(|at| at <= now.timestamp());
        if expired {
            return Ok(None);
        }
        Ok(Some(from_item::<StoredEvent>(item)?.into_claim().record))
    }

    async fn refusals_in_hour(
        &self,
        source: &SourceId,
        hour: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Refusal>, StoreError> {
        let items = self.log_items(&refusals_partition(hour), &keys::refusals_prefix(source), now, false).await?;
        items.into_iter().map(from_item).collect()
    }

    async fn attempts_in_hour(
        &self,
        hour: DateTime<Utc>,
        mentioning: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Attempt>, StoreError> {
        let items = self.log_items(&steps_partition(hour), STEPS_PREFIX, now, false).await?;
        // Read once, not per step: the id as a delivery or event id, if it is one.
        let as_ulid = mentioning.and_then(|m| Ulid::from_string(m).ok().filter(|id| id.to_string() == m));
        let mut steps = Vec::new();
        for item in items {
            let batch = unpack(from_item::<StoredSteps>(item)?);
            // The steps of an invocation that mentions the id, as the port promises.
            let mentions = |a: &Attempt| {
                mentioning.is_none_or(|m| {
                    as_ulid.is_some_and(|id| a.delivery_id == id || a.event_id == id) || a.target_id.as_str() == m
                })
            };
            if batch.iter().any(mentions) {
                steps.extend(batch);
            }
        }
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_cover_both_ends() {
        let from = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(hours(from, from).count(), 1);
        assert_eq!(hours(from, from + chrono::Duration::minutes(90)).count(), 2);
        assert_eq!(hours(from, from - chrono::Duration::hours(1)).count(), 0);
    }
}
