//! A body that names the same key twice in one object is refused: a parser keeps one of the two,
//! and what the sender wrote, the other one among it, could travel past the drop rules (a secret
//! hidden in the first copy reached `{{raw}}`, which forwards an unchanged body's own bytes).

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first key an object of `json` names twice, if any (`json` must already parse).
pub fn duplicate_key(json: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    // serde_json's own recursion limit applies: what is too deep fails to parse before this runs.
    Check.deserialize(&mut deserializer).ok().flatten()
}

struct Check;

impl<'de> DeserializeSeed<'de> for Check {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            let inner = map.next_value_seed(Check)?;
            if found.is_some() {
                continue;
            }
            if seen.contains(&key) {
                found = Some(key);
            } else {
                found = inner;
                seen.insert(key);
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(inner) = seq.next_element_seed(Check)? {
            found = found.or(inner);
        }
        Ok(found)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_key_named_twice_is_found_at_any_depth() {
        assert_eq!(duplicate_key(br#"{"a": 1, "b": {"c": [1, {"d": 2}]}}"#), None);
        assert_eq!(duplicate_key(br#"{"note": "s3cret", "note": "ok"}"#).as_deref(), Some("note"));
        assert_eq!(duplicate_key(br#"{"x": [{"k": 1, "k": 2}], "y": 1}"#).as_deref(), Some("k"));
        assert_eq!(duplicate_key(br#"{"a": {"k": 1}, "b": {"k": 2}}"#), None, "the same key in two objects is fine");
        assert_eq!(duplicate_key(br#"{"a\u0062": 1, "ab": 2}"#).as_deref(), Some("ab"), "escapes are the same key");
    }
}
