//! Every key of the table, spelled once. Sources and targets live in one partition each (listed
//! with one Query); each target has its own partition for its state and parked deliveries; each
//! dedupe marker its own item.

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

pub fn dedupe(key: &str) -> Key {
    Key { pk: format!("DEDUPE#{key}"), sk: "DEDUPE".to_owned() }
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
        assert_eq!(dedupe("abc"), Key { pk: "DEDUPE#abc".into(), sk: "DEDUPE".into() });
    }
}
