//! A webhook body in, a normalized [`Event`] out: parsing, the sender's own normalize function
//! (one file per sender in `senders/`, each citing the sender's code), the canonical fields, and
//! pruning.

mod duplicates;
pub use duplicates::duplicate_key;
mod prune;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use ulid::Ulid;

use super::event::{Event, RawBody, SourceKind, rfc3339};
use super::ids::SourceId;
use super::template::{Context, Template};

use super::normalized::Input;
pub use super::normalized::NormalizeError;
pub use prune::{DropRules, check_pointer, prune};

/// Parses a body as JSON, with the position of the first error and, where a sender is known to
/// produce broken JSON, why.
pub fn parse_body(kind: SourceKind, body: &[u8]) -> Result<Value, NormalizeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(NormalizeError::Empty);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| match kind.sender().json_hint {
        Some(hint) => NormalizeError::NotJson(format!("{e}. {hint}")),
        None => NormalizeError::NotJson(e.to_string()),
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

/// The most a summary may weigh: one line for a notification, whatever its template repeats.
pub const MAX_SUMMARY_BYTES: usize = 1024;

/// The source's summary template over the finished event, when it has one.
fn render_summary(event: &mut Event) {
    if let Some(template) = event.summary_template.clone() {
        let summary = Template::parse(&template).render_capped(event, Context::Text, MAX_SUMMARY_BYTES);
        let summary = summary.trim();
        let summary = crate::preset::truncate_bytes(summary, MAX_SUMMARY_BYTES).unwrap_or_else(|| summary.to_owned());
        event.fields.insert("summary".into(), Value::String(summary));
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
    let input = Input { source_id: origin.source_id, event_pointer: origin.event_pointer, raw: &raw, root };
    let decided = (origin.kind.sender().normalize)(&input, &mut fields)?;
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

#[cfg(test)]
mod tests;
