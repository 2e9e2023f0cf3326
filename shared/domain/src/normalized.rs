//! What a sender's normalize function reads and decides, and the small helpers every sender file
//! shares. It sits below `senders/`: a sender file imports from here, never from the code that
//! dispatches to it.

use serde_json::{Map, Value};

use super::ids::SourceId;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NormalizeError {
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    #[error("body must be a JSON object")]
    NotObject,
    #[error("body is empty; this source sends its event as a JSON body")]
    Empty,
    #[error("{0}")]
    NoEventName(String),
    #[error("body has the key {0:?} twice in one object; send each key once")]
    DuplicateKey(String),
    #[error("{0}")]
    Multipart(String),
}

/// What one sender decides about a body.
pub struct Normalized {
    pub name: String,
    pub summary: String,
    pub chatty: bool,
}

/// A parsed body and what the sender needs to know about its source.
pub struct Input<'a> {
    pub source_id: &'a SourceId,
    /// JSON pointer to the event name, for generic sources whose name lives elsewhere.
    pub event_pointer: Option<&'a str>,
    pub raw: &'a Value,
    pub root: &'a Map<String, Value>,
}

/// A top-level string field, or "" when it is missing, null or not a string.
pub fn text<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A field as text whatever its JSON type (numbers too), trimmed; "" when missing or null.
pub fn text_of(map: &Map<String, Value>, key: &str) -> String {
    match map.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(v) => crate::event::scalar_text(v).trim().to_owned(),
    }
}

/// A nested object, or an empty one.
pub fn object<'a>(map: &'a Map<String, Value>, key: &str) -> &'a Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    map.get(key).and_then(Value::as_object).unwrap_or(&EMPTY)
}

/// Puts canonical values in where the body has no non-null field of that name.
pub fn fill(fields: &mut Map<String, Value>, canonical: Vec<(&str, String)>) {
    for (k, v) in canonical {
        if !v.is_empty() && fields.get(k).is_none_or(Value::is_null) {
            fields.insert(k.into(), Value::String(v));
        }
    }
}

/// "Dune (2021)", "Dune", or `fallback` when there is no title.
pub fn titled(title: &str, year: &str, fallback: &str) -> String {
    match (title.trim(), year.trim()) {
        ("", _) => fallback.to_owned(),
        (title, "" | "0") => title.to_owned(),
        (title, year) => format!("{title} ({year})"),
    }
}

/// "S02E01" from season and episode numbers; "S02" or "" when they are missing.
pub fn episode_code(season: &str, episode: &str) -> String {
    let two = |n: &str| n.parse::<u32>().map_or_else(|_| n.to_owned(), |n| format!("{n:02}"));
    match (season.trim(), episode.trim()) {
        ("", _) => String::new(),
        (s, "") => format!("S{}", two(s)),
        (s, e) => format!("S{}E{}", two(s), two(e)),
    }
}

/// "base: detail", or base alone when there is no detail.
pub fn with_detail(base: String, detail: &str) -> String {
    match detail.trim() {
        "" => base,
        detail => format!("{base}: {detail}"),
    }
}

/// A byte count as people read it: "8.2 GB".
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_leave_out_what_is_missing() {
        assert_eq!(titled("Dune", "2021", "a movie"), "Dune (2021)");
        assert_eq!(titled("Dune", "0", "a movie"), "Dune");
        assert_eq!(titled(" ", "2021", "a movie"), "a movie");
        assert_eq!(episode_code("2", "1"), "S02E01");
        assert_eq!(episode_code("12", ""), "S12");
        assert_eq!(episode_code("", "4"), "");
        assert_eq!(human_size(8_200_000_000), "8.2 GB");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(with_detail("a".into(), " "), "a");
    }
}
