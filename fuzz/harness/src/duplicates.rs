//! Duplicate keys in a JSON body (`herald_domain::adapters::duplicate_key`, which ingest uses to
//! refuse a body that could hide a secret from pruning behind a second copy of a key).
//!
//! Checked against a reading of the whole document that keeps every pair of every object: for
//! any input that parses as JSON, `duplicate_key` names a key iff some object has that key twice,
//! and the key it names is one of those.

use std::collections::HashSet;
use std::fmt;

use herald_domain::adapters::duplicate_key;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON document with every pair kept, in order.
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Scalar,
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Scalar)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut pairs = Vec::new();
        while let Some(pair) = map.next_entry::<String, Json>()? {
            pairs.push(pair);
        }
        Ok(Json::Object(pairs))
    }
}

/// Every key some object of `json` names more than once.
fn repeated(json: &Json, out: &mut HashSet<String>) {
    match json {
        Json::Object(pairs) => {
            let mut seen = HashSet::new();
            for (key, value) in pairs {
                if !seen.insert(key) {
                    out.insert(key.clone());
                }
                repeated(value, out);
            }
        }
        Json::Array(items) => items.iter().for_each(|item| repeated(item, out)),
        Json::Scalar => {}
    }
}

pub fn duplicates(data: &[u8]) {
    let Ok(json) = serde_json::from_slice::<Json>(data) else { return };
    let mut keys = HashSet::new();
    repeated(&json, &mut keys);
    match duplicate_key(data) {
        Some(key) => assert!(keys.contains(&key), "{key:?} is named as repeated, but no object repeats it"),
        None => assert!(keys.is_empty(), "repeated keys {keys:?} were not found"),
    }
}
