//! Every key of the table, spelled once. Sources and targets live in one partition each (listed
//! with one Query); each target has its own partition for its state and parked deliveries; the
//! activity log (event records, which are also the dedupe claims, and logged steps) one per hour.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use herald_domain::{SourceId, TargetId};
use ulid::Ulid;

/// The partition of every source.
pub const SOURCES: &str = "SOURCES";
/// The partition of every source's health (one item per source, so a Query lists them all).
pub const SOURCE_HEALTH: &str = "SOURCE_HEALTH";
/// The partition of every target's configuration.
pub const TARGETS: &str = "TARGETS";
/// Sort keys of parked deliveries start with this; their ULIDs sort them by arrival.
pub const PARKED_PREFIX: &str = "PARKED#";
/// Sort keys of rejected deliveries start with this.
pub const REJECTED_PREFIX: &str = "REJECTED#";

/// A primary key: partition and sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl From<Key> for HashMap<String, AttributeValue> {
    fn from(key: Key) -> Self {
        HashMap::from([("PK".to_owned(), AttributeValue::S(key.pk)), ("SK".to_owned(), AttributeValue::S(key.sk))])
    }
}

pub fn source(id: &SourceId) -> Key {
    Key { pk: SOURCES.to_owned(), sk: format!("SOURCE#{id}") }
}

pub fn source_health(id: &SourceId) -> Key {
    Key { pk: SOURCE_HEALTH.to_owned(), sk: format!("SOURCE#{id}") }
}

pub fn target(id: &TargetId) -> Key {
    Key { pk: TARGETS.to_owned(), sk: format!("TARGET#{id}") }
}

/// The partition that holds one target's state and parked deliveries.
pub fn target_partition(id: &TargetId) -> String {
    format!("TARGET#{id}")
}

pub fn state(target: &TargetId) -> Key {
    Key { pk: target_partition(target), sk: "STATE".to_owned() }
}

pub fn parked(target: &TargetId, delivery: &Ulid) -> Key {
    Key { pk: target_partition(target), sk: format!("{PARKED_PREFIX}{delivery}") }
}

pub fn rejected(target: &TargetId, delivery: &Ulid) -> Key {
    Key { pk: target_partition(target), sk: format!("{REJECTED_PREFIX}{delivery}") }
}

/// The activity log lives an hour to a partition family, read newest hour first: event records
/// in [`EVENT_SHARDS`] partitions by the top of their id's hashed part (so the Query that looks for
/// an earlier record of the same webhook reads a sixteenth of the hour), steps in one, refused
/// webhooks in one.
fn log_hour(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{LOG_PREFIX}{}", at.format("%Y-%m-%dT%H"))
}

pub const LOG_PREFIX: &str = "LOG#";
/// Sort keys of event records start with this.
pub const EVENT_PREFIX: &str = "E#";
/// Sort keys of logged steps start with this.
pub const STEPS_PREFIX: &str = "A#";
/// How many partitions an hour's event records are spread over.
pub const EVENT_SHARDS: u8 = 16;

fn at_of(id: &Ulid) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(id.timestamp_ms() as i64).unwrap_or_default()
}

/// The event records' partition `shard` of the hour that contains `at`.
pub fn events_partition(at: chrono::DateTime<chrono::Utc>, shard: u8) -> String {
    format!("{}#E{shard:x}", log_hour(at))
}

/// The shard of an event id: the top four bits of its hashed part.
pub fn shard_of(id: &Ulid) -> u8 {
    (id.random() >> 76) as u8 & 0x0f
}

/// The steps' partition of the hour that contains `at`.
pub fn steps_partition(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}#A", log_hour(at))
}

/// The refused webhooks' partition of the hour that contains `at`.
pub fn refusals_partition(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}#R", log_hour(at))
}

/// An event record's sort key: its id's random part first (which ids derive from the dedupe key,
/// so the same webhook's records share a prefix a Query finds), then its time.
pub fn event(id: &Ulid) -> Key {
    Key {
        pk: events_partition(at_of(id), shard_of(id)),
        sk: format!("{}{:012x}", same_webhook_prefix(id), id.timestamp_ms()),
    }
}

/// The sort-key prefix of every record whose event id has `id`'s random part.
pub fn same_webhook_prefix(id: &Ulid) -> String {
    format!("{EVENT_PREFIX}{:020x}", id.random())
}

/// Sort keys of refused webhooks start with this and the source's id.
pub fn refusals_prefix(source: &SourceId) -> String {
    format!("R#{source}#")
}

/// A refused webhook, under an id of its own that sorts by when it was refused.
pub fn refusal(source: &SourceId, id: &Ulid) -> Key {
    Key { pk: refusals_partition(at_of(id)), sk: format!("{}{id}", refusals_prefix(source)) }
}

/// A batch of logged steps, under an id of its own that sorts by when it was written.
pub fn steps(id: &Ulid) -> Key {
    Key { pk: steps_partition(at_of(id)), sk: format!("{STEPS_PREFIX}{id}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_stored_spelling() {
        let t = TargetId::parse("discord").unwrap();
        assert_eq!(target(&t), Key { pk: "TARGETS".into(), sk: "TARGET#discord".into() });
        assert_eq!(state(&t), Key { pk: "TARGET#discord".into(), sk: "STATE".into() });
        let parked = parked(&t, &Ulid::from_parts(1, 2));
        assert!(parked.sk.starts_with(PARKED_PREFIX) && parked.pk == "TARGET#discord", "{parked:?}");
        assert_eq!(source(&SourceId::parse("ombi").unwrap()).sk, "SOURCE#ombi");
        assert_eq!(source_health(&SourceId::parse("ombi").unwrap()).pk, "SOURCE_HEALTH");
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let id = Ulid::from_parts(at.timestamp_millis() as u64, 0xabc);
        let key = event(&id);
        assert_eq!(key.pk, "LOG#2023-11-14T22#E0");
        let high = Ulid::from_parts(at.timestamp_millis() as u64, 0xf << 76);
        assert_eq!(event(&high).pk, "LOG#2023-11-14T22#Ef");
        assert_eq!(steps(&id).pk, "LOG#2023-11-14T22#A");
        assert!(key.sk.starts_with(&same_webhook_prefix(&id)) && key.sk.starts_with("E#00000000000000000abc"));
        let later = Ulid::from_parts(at.timestamp_millis() as u64 + 1, 0xabc);
        assert_ne!(event(&later).sk, key.sk, "the same webhook at another time is another record");
        assert_eq!(steps(&id).sk, format!("A#{id}"));
    }
}
