//! The normalized event every source adapter produces and every target template reads.

use std::borrow::Cow;
use std::sync::OnceLock;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use ulid::Ulid;

use super::ids::SourceId;

pub use super::senders::SourceKind;

/// Placeholders every template may use whatever the source; Kino's table plus Herald's own.
/// A `{name}` (single-brace) placeholder is only substituted when its name is one of these or a
/// field of the event, so literal braces in a body survive.
pub const CANONICAL_PLACEHOLDERS: &[&str] = &[
    "event",
    "title",
    "show",
    "season",
    "episode",
    "quality",
    "year",
    "size",
    "indexer",
    "message",
    "movie_id",
    "episode_id",
    "summary",
    "source",
    "source_kind",
    "event_id",
    "herald_event_id",
    "timestamp",
    "raw",
];

/// What a canonical placeholder holds, in a few words (the page's placeholder buttons show it).
pub fn canonical_description(name: &str) -> Option<&'static str> {
    Some(match name {
        "event" => "the event's name, as its sender calls it",
        "title" => "the movie, episode, book or video it is about",
        "show" => "the series, for a TV event",
        "season" => "the season number",
        "episode" => "the episode number",
        "quality" => "the release's quality, e.g. 1080p",
        "year" => "the release year",
        "size" => "the file's size",
        "indexer" => "the indexer the release came from",
        "message" => "the sender's own message text",
        "movie_id" => "the movie's database id, as the sender gives it",
        "episode_id" => "the episode's database id, as the sender gives it",
        "summary" => "one line about the event (the source's summary template)",
        "source" => "the source's id in Herald",
        "source_kind" => "the kind of sender, e.g. ombi",
        "event_id" | "herald_event_id" => "Herald's id for this event (the same for a sender's retry)",
        "timestamp" => "when Herald received it (RFC 3339)",
        "raw" => "the whole webhook body, as JSON",
        _ => return None,
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(with = "crate::ids::ulid_text")]
    pub id: Ulid,
    pub source_id: SourceId,
    pub source_kind: SourceKind,
    pub name: String,
    pub received_at: DateTime<Utc>,
    /// Noisy events (a streamer reconnecting, intermediate processing statuses) that a target's
    /// default subscription leaves out, as Kino leaves `on_watched` off by default.
    #[serde(default)]
    pub chatty: bool,
    /// Flat map of placeholder name → JSON scalar, in the source's own order. Empty in a slim
    /// queue message (see `message::SLIM_ABOVE`), which rebuilds it from `raw`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
    /// The source's `event_pointer` when it has one, so a slim message normalizes as ingest did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pointer: Option<String>,
    /// The source's summary template when it has one, for the same reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_template: Option<String>,
    /// The body as received; `{{raw}}` and dotted names not in `fields` read from it.
    pub raw: RawBody,
}

/// The body's JSON text, carried verbatim: the deliver function reads it only for `{{raw}}` and
/// dotted names `fields` lacks, so it is parsed into a tree at most once, on first such use.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawBody {
    json: Box<RawValue>,
    #[serde(skip)]
    tree: OnceLock<Value>,
}

impl RawBody {
    /// `text` must already be known to be JSON (the adapters parse it first).
    pub fn from_json(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(|json| Self { json, tree: OnceLock::new() })
    }

    pub fn from_value(value: &Value) -> Self {
        let json = serde_json::value::to_raw_value(value).expect("a Value always serializes");
        Self { json, tree: OnceLock::new() }
    }

    pub fn get(&self) -> &str {
        self.json.get()
    }

    pub fn parse(&self) -> &Value {
        self.tree.get_or_init(|| serde_json::from_str(self.json.get()).unwrap_or(Value::Null))
    }
}

impl PartialEq for RawBody {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Event {
    /// Looks a placeholder up: exact name, then case-insensitive, then `raw` and dotted paths
    /// into the original body (`data.id`, `assets.0.id`).
    pub fn lookup(&self, name: &str) -> Option<Cow<'_, Value>> {
        if let Some(v) = self.fields.get(name) {
            return Some(Cow::Borrowed(v));
        }
        if let Some((_, v)) = self.fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            return Some(Cow::Borrowed(v));
        }
        if name.eq_ignore_ascii_case("raw") {
            return Some(Cow::Owned(Value::String(self.raw.get().to_owned())));
        }
        // Dotted names, and names the flattening limits left out, read the raw body.
        walk(self.raw.parse(), name).filter(|v| is_scalar(v)).map(Cow::Borrowed)
    }

    /// Whether `{name}` refers to a placeholder (so it is substituted, possibly with nothing).
    pub fn knows(&self, name: &str) -> bool {
        CANONICAL_PLACEHOLDERS.iter().any(|c| c.eq_ignore_ascii_case(name)) || self.lookup(name).is_some()
    }

    /// The payload sent when a target has no body template: every field of the event.
    pub fn default_payload(&self) -> Value {
        Value::Object(self.fields.clone())
    }
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Follows a dotted path (`assets.0.id`), matching object keys case-insensitively.
fn walk<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |node, part| match node {
        Value::Object(map) => {
            map.get(part).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(part)).map(|(_, v)| v))
        }
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// At most this many flattened fields per event: a body of 125 000 array items must not become
/// 125 000 fields (and a 32 MB queue message). What is left out stays reachable by name through
/// [`Event::lookup`], which reads the raw body.
pub const MAX_FIELDS: usize = 1000;
/// Nesting flattened at most this deep.
pub const MAX_DEPTH: usize = 16;
/// Longer dotted names are not flattened.
pub const MAX_NAME_BYTES: usize = 256;

/// Flattens an object's entries into dotted names, without copying the object first.
pub(crate) fn flatten_map(prefix: &str, map: &Map<String, Value>, out: &mut Map<String, Value>) {
    flatten_entries(prefix, map, out, depth_of(prefix));
}

/// Flattens nested objects and arrays into dotted names; scalars keep their JSON type. Bounded by
/// [`MAX_FIELDS`], [`MAX_DEPTH`] and [`MAX_NAME_BYTES`].
pub(crate) fn flatten_into(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    flatten_at(prefix, value, out, depth_of(prefix));
}

fn depth_of(prefix: &str) -> usize {
    if prefix.is_empty() { 0 } else { 1 + prefix.matches('.').count() }
}

fn flatten_entries(prefix: &str, map: &Map<String, Value>, out: &mut Map<String, Value>, depth: usize) {
    for (k, v) in map {
        flatten_at(&join(prefix, k), v, out, depth + 1);
    }
}

fn flatten_at(name: &str, value: &Value, out: &mut Map<String, Value>, depth: usize) {
    if out.len() >= MAX_FIELDS || depth > MAX_DEPTH || name.len() > MAX_NAME_BYTES {
        return;
    }
    match value {
        Value::Object(map) => flatten_entries(name, map, out, depth),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                if out.len() >= MAX_FIELDS {
                    return;
                }
                flatten_at(&join(name, &i.to_string()), v, out, depth + 1);
            }
        }
        scalar => {
            out.insert(name.to_owned(), scalar.clone());
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

/// Renders a scalar as text the way a template shows it: strings raw, null as nothing.
pub fn scalar_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Event {
        let raw = json!({"event": "x", "data": {"id": "v1", "Nested": {"n": 3}}, "assets": [{"id": "a0"}]});
        let mut fields = Map::new();
        fields.insert("Title".into(), json!("Dune"));
        Event {
            id: Ulid::nil(),
            source_id: SourceId::parse("s").unwrap(),
            source_kind: SourceKind::Generic,
            name: "x".into(),
            received_at: DateTime::UNIX_EPOCH,
            chatty: false,
            event_pointer: None,
            summary_template: None,
            fields,
            raw: RawBody::from_value(&raw),
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_reaches_into_raw() {
        let e = event();
        assert_eq!(e.lookup("title").unwrap().as_ref(), &json!("Dune"));
        assert_eq!(e.lookup("data.nested.N").unwrap().as_ref(), &json!(3));
        assert_eq!(e.lookup("assets.0.id").unwrap().as_ref(), &json!("a0"));
        assert!(e.lookup("data.Nested").is_none(), "objects are not placeholders");
        assert!(e.lookup("nope").is_none());
        let raw = e.lookup("RAW").unwrap();
        assert_eq!(serde_json::from_str::<Value>(raw.as_str().unwrap()).unwrap(), *e.raw.parse());
    }

    #[test]
    fn knows_canonical_names_even_when_empty() {
        let e = event();
        assert!(e.knows("season"));
        assert!(e.knows("TITLE"));
        assert!(!e.knows("tmdbId"));
    }

    #[test]
    fn flatten_uses_dotted_names() {
        let mut out = Map::new();
        flatten_into("", &json!({"a": {"b": [1, {"c": null}]}, "d": true}), &mut out);
        assert_eq!(Value::Object(out), json!({"a.b.0": 1, "a.b.1.c": null, "d": true}));
    }

    #[test]
    fn flattening_is_bounded_and_the_rest_stays_reachable() {
        let wide = json!({"items": (0..5000).collect::<Vec<_>>(), "last": "here"});
        let mut out = Map::new();
        flatten_into("", &wide, &mut out);
        assert_eq!(out.len(), MAX_FIELDS);
        let mut deep = json!("bottom");
        for _ in 0..40 {
            deep = json!({"d": deep});
        }
        let mut out = Map::new();
        flatten_into("", &deep, &mut out);
        assert!(out.is_empty(), "nothing under the depth limit here");
        let long_key = "k".repeat(MAX_NAME_BYTES + 1);
        let mut out = Map::new();
        flatten_into("", &json!({long_key.clone(): 1, "short": 2}), &mut out);
        assert_eq!(Value::Object(out), json!({"short": 2}));

        let e = Event { fields: Map::new(), raw: RawBody::from_value(&wide), ..event() };
        assert_eq!(e.lookup("items.4999").unwrap().as_ref(), &json!(4999), "beyond the cap, by name");
        assert_eq!(e.lookup("LAST").unwrap().as_ref(), &json!("here"));
    }
}
