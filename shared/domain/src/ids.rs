//! Id newtypes, so a target id can never be passed where a source id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = InvalidId;

            fn try_from(value: String) -> Result<Self, InvalidId> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl $name {
            /// Accepts 1–64 characters of `[A-Za-z0-9_-]`, which keeps ids safe in URLs, keys and logs.
            pub fn parse(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                let ok = !value.is_empty()
                    && value.len() <= 64
                    && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if ok { Ok(Self(value)) } else { Err(InvalidId { kind: stringify!($name), value }) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// The id in `POST /hooks/{source_id}`.
    SourceId
);
string_id!(
    /// A delivery target's id.
    TargetId
);

/// ULIDs as their 26-character text. Hand-written because ulid's own `serde` feature does not
/// build without `std`, which this crate leaves off so that `Ulid::new()` is out of reach.
pub mod ulid_text {
    use std::fmt;

    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};
    use ulid::Ulid;

    pub fn serialize<S: Serializer>(id: &Ulid, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Ulid, D::Error> {
        deserializer.deserialize_str(UlidVisitor)
    }

    struct UlidVisitor;

    impl Visitor<'_> for UlidVisitor {
        type Value = Ulid;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a ULID")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<Ulid, E> {
            Ulid::from_string(text).map_err(|e| E::custom(format!("{text:?} is not a ULID: {e}")))
        }
    }

    /// The same for `Option<Ulid>` (absent or `null` is `None`).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use ulid::Ulid;

        pub fn serialize<S: Serializer>(id: &Option<Ulid>, serializer: S) -> Result<S::Ok, S::Error> {
            match id {
                Some(id) => serializer.collect_str(id),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Ulid>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapped(#[serde(with = "super")] Ulid);
            Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(id)| id))
        }
    }
}

/// An id that comes out the same every time for the same inputs, so a sender's retry, a partial
/// batch failure or a redelivery carries the same `webhook-id`: the time part is `at` (the first
/// time the event was seen, so ids still sort by arrival), the rest a SHA-256 of `parts`.
pub fn derived_id(at: chrono::DateTime<chrono::Utc>, parts: &[&[u8]]) -> ulid::Ulid {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    let digest = hash.finalize();
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    ulid::Ulid::from_parts(at.timestamp_millis().max(0) as u64, u128::from_be_bytes(random))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{kind} must be 1-64 characters of letters, digits, '-' or '_' (got {value:?})")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_url_safe_names_only() {
        assert!(SourceId::parse("kinescope-main_1").is_ok());
        for bad in ["", "a/b", "a b", "é", &"x".repeat(65)] {
            let err = SourceId::parse(bad).unwrap_err();
            assert!(err.to_string().starts_with("SourceId must be"), "{err}");
        }
    }

    #[test]
    fn ids_validate_when_deserialized() {
        let ok: TargetId = serde_json::from_str("\"discord_1\"").unwrap();
        assert_eq!(ok.as_str(), "discord_1");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"discord_1\"");
        let err = serde_json::from_str::<TargetId>("\"../etc\"").unwrap_err();
        assert!(err.to_string().contains("TargetId must be"), "{err}");
        assert!(serde_json::from_str::<SourceId>("\"\"").is_err());
    }

    #[test]
    fn derived_ids_are_stable_distinct_and_ordered_by_time() {
        let t0 = chrono::DateTime::UNIX_EPOCH + chrono::Duration::seconds(1_700_000_000);
        let t1 = t0 + chrono::Duration::milliseconds(1);
        let a = derived_id(t0, &[b"key", b"discord"]);
        assert_eq!(a, derived_id(t0, &[b"key", b"discord"]));
        assert_ne!(a, derived_id(t0, &[b"key", b"slack"]));
        assert_ne!(derived_id(t0, &[b"ab", b"c"]), derived_id(t0, &[b"a", b"bc"]), "parts are length-prefixed");
        assert!(derived_id(t1, &[b"key", b"aaa"]) > a && derived_id(t1, &[b"key", b"zzz"]) > a);
        assert_eq!(a.timestamp_ms(), t0.timestamp_millis() as u64);
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct WithIds {
        #[serde(with = "ulid_text")]
        id: ulid::Ulid,
        #[serde(default, with = "ulid_text::option")]
        maybe: Option<ulid::Ulid>,
    }

    #[test]
    fn ulids_travel_as_text() {
        let v = WithIds { id: ulid::Ulid::from_parts(1, 2), maybe: None };
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, r#"{"id":"00000000010000000000000002","maybe":null}"#);
        assert_eq!(serde_json::from_str::<WithIds>(&text).unwrap(), v);
        let owned: WithIds = serde_json::from_value(serde_json::json!({"id": "00000000010000000000000002"})).unwrap();
        assert_eq!(owned, v);
        let err = serde_json::from_str::<WithIds>(r#"{"id":"nope"}"#).unwrap_err();
        assert!(err.to_string().contains("is not a ULID"), "{err}");
    }
}
