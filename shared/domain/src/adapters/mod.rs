//! Source adapters: a webhook body in, a normalized [`Event`] out. One file per sender; each
//! decides the event's name, its canonical fields and its summary from what that sender's own
//! code sends (cited in each file).

mod duplicates;
mod generic;
mod jellynext;
mod kinescope;
mod kiosk;
mod ombi;
mod prune;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use ulid::Ulid;

use super::event::{Event, RawBody, SourceKind, rfc3339};
use super::ids::SourceId;
use super::template::{Context, Template};

pub use prune::{DropRules, check_pointer, prune};

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
}

/// JellyNext substitutes values into its payload without escaping them (`WebhookDownloadProvider.cs`).
const JELLYNEXT_HINT: &str = "JellyNext puts values into its payload without JSON escaping, so a title with a \" or \\ \
     breaks the body, and an unquoted placeholder with no value (\"year\": {year}) leaves nothing there; \
     quote every placeholder in JellyNext's payload template";

/// Parses a body as JSON, with the position of the first error and, where a sender is known to
/// produce broken JSON, why.
pub fn parse_body(kind: SourceKind, body: &[u8]) -> Result<Value, NormalizeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(NormalizeError::Empty);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let hint = if kind == SourceKind::Jellynext { format!(". {JELLYNEXT_HINT}") } else { String::new() };
        NormalizeError::NotJson(format!("{e}{hint}"))
    })?;
    if !value.is_object() {
        return Err(NormalizeError::NotObject);
    }
    if let Some(key) = duplicates::duplicate_key(body) {
        return Err(NormalizeError::DuplicateKey(key));
    }
    Ok(value)
}

/// Gives a normalized event its final id and arrival time (ingest learns them from the dedupe
/// claim, after the body was checked): the canonical `event_id`, `herald_event_id` and `timestamp`
/// fields follow, unless the source had fields of those names.
pub fn restamp(event: &mut Event, id: Ulid, received_at: DateTime<Utc>) {
    let (old_id, old_time) = (Value::String(event.id.to_string()), Value::String(rfc3339(event.received_at)));
    for (name, old, new) in [
        ("event_id", &old_id, id.to_string()),
        ("herald_event_id", &old_id, id.to_string()),
        ("timestamp", &old_time, rfc3339(received_at)),
    ] {
        if let Some(value) = event.fields.get_mut(name)
            && value == old
        {
            *value = Value::String(new);
        }
    }
    event.id = id;
    event.received_at = received_at;
    // A source's summary may name the id or the time: rendered again with the final ones.
    render_summary(event);
}

/// The source's summary template over the finished event, when it has one.
fn render_summary(event: &mut Event) {
    if let Some(template) = event.summary_template.clone() {
        let summary = Template::parse(&template).render(event, Context::Text);
        event.fields.insert("summary".into(), Value::String(summary.trim().to_owned()));
    }
}

/// What the adapter needs to know about the source besides the body.
#[derive(Clone, Copy)]
pub struct Origin<'a> {
    pub source_id: &'a SourceId,
    pub kind: SourceKind,
    /// JSON pointer to the event name, for generic sources whose name lives elsewhere.
    pub event_pointer: Option<&'a str>,
    /// The source's own summary template, in place of the kind's.
    pub summary: Option<&'a str>,
}

impl<'a> Origin<'a> {
    pub fn of(source_id: &'a SourceId, kind: SourceKind) -> Self {
        Self { source_id, kind, event_pointer: None, summary: None }
    }
}

/// Parses and normalizes a body as it was received (samples, slim messages rebuilt on arrival).
pub fn normalize(
    origin: &Origin<'_>,
    body: &[u8],
    id: Ulid,
    received_at: DateTime<Utc>,
) -> Result<Event, NormalizeError> {
    let value = parse_body(origin.kind, body)?;
    // Valid UTF-8: it parsed.
    normalize_value(origin, value, String::from_utf8_lossy(body).into_owned(), id, received_at)
}

/// What one adapter decides about a body.
struct Normalized {
    name: String,
    summary: String,
    chatty: bool,
}

/// Normalizes a parsed body; `raw_text` is its JSON text, carried for `{{raw}}`.
pub fn normalize_value(
    origin: &Origin<'_>,
    raw: Value,
    raw_text: String,
    id: Ulid,
    received_at: DateTime<Utc>,
) -> Result<Event, NormalizeError> {
    let Value::Object(root) = &raw else {
        return Err(NormalizeError::NotObject);
    };
    let mut fields = Map::new();
    let decided = match origin.kind {
        SourceKind::Kinescope => kinescope::normalize(root, &mut fields)?,
        SourceKind::Ombi => ombi::normalize(root, &mut fields)?,
        SourceKind::Jellynext => jellynext::normalize(root, &mut fields),
        SourceKind::Kiosk => kiosk::normalize(root, &mut fields)?,
        SourceKind::Generic | SourceKind::Herald => generic::normalize(origin, &raw, &mut fields)?,
    };
    // Canonical names fill in only where the source has no field of that name: Kinescope's own
    // `event_id` (a stream id) must stay what Kinescope meant.
    let canonical = [
        ("event", Value::String(decided.name.clone())),
        ("summary", Value::String(decided.summary)),
        ("source", Value::String(origin.source_id.to_string())),
        ("source_kind", Value::String(origin.kind.as_str().into())),
        ("event_id", Value::String(id.to_string())),
        ("herald_event_id", Value::String(id.to_string())),
        ("timestamp", Value::String(rfc3339(received_at))),
    ];
    for (k, v) in canonical {
        fields.entry(k).or_insert(v);
    }
    let mut event = Event {
        id,
        source_id: origin.source_id.clone(),
        source_kind: origin.kind,
        name: decided.name,
        received_at,
        chatty: decided.chatty,
        fields,
        event_pointer: origin.event_pointer.map(str::to_owned),
        summary_template: origin.summary.map(str::to_owned),
        raw: RawBody::from_json(raw_text).map_err(|e| NormalizeError::NotJson(e.to_string()))?,
    };
    // Rendered over the finished event, so it may use canonical names as well as the body's.
    render_summary(&mut event);
    Ok(event)
}

/// A top-level string field, or "" when it is missing, null or not a string.
fn text<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Puts canonical values in where the body has no non-null field of that name.
fn fill(fields: &mut Map<String, Value>, canonical: Vec<(&str, String)>) {
    for (k, v) in canonical {
        if !v.is_empty() && fields.get(k).is_none_or(Value::is_null) {
            fields.insert(k.into(), Value::String(v));
        }
    }
}

#[cfg(test)]
mod tests;
