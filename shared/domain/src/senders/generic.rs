//! Any JSON object: the name from the source's pointer or `/event`, `/type`, `/notificationType`.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender};
use crate::event::{flatten_into, scalar_text};
use crate::normalized::{Input, NormalizeError, Normalized};

pub const SENDER: Sender = Sender {
    label: "Any JSON sender",
    selectable: true,
    events: &[],
    sample: IMPORTED,
    test: None,
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: true,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[
        "POST JSON to {url} with Authorization: Bearer {token}, or to {token_url}",
        "Sign each body with the secret above: sha256=<hex of HMAC-SHA256> in {header}.",
    ],
    normalize,
};

pub const IMPORTED: &str = r#"{"event": "imported", "title": "Fight Club", "year": 1999, "quality": "Bluray-1080p",
 "tmdbId": 550, "imdbId": "tt0137523", "size": "8.2 GB"}"#;

/// Keys that name what an event is about, top level first, for the default summary.
const TITLE_KEYS: &[&str] = &["title", "name", "subject"];

pub(super) fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let raw = input.raw;
    let candidates: Vec<&str> = match input.event_pointer {
        Some(p) => vec![p],
        None => vec!["/event", "/type", "/notificationType"],
    };
    let name = candidates
        .iter()
        .filter_map(|p| raw.pointer(p))
        .map(|v| scalar_text(v).into_owned())
        .find(|s| !s.is_empty())
        .ok_or_else(|| NormalizeError::NoEventName(format!("no event name at {}", candidates.join(" or "))))?;
    flatten_into("", raw, fields);
    let summary = match title(fields) {
        Some(title) => format!("{}: {name}: {title}", input.source_id),
        None => format!("{}: {name}", input.source_id),
    };
    Ok(Normalized { name, summary, chatty: false })
}

/// A title or name the body carries: a top-level one, else the first nested one (`repository.name`).
fn title(fields: &Map<String, Value>) -> Option<String> {
    let usable =
        |v: &Value| matches!(v, Value::String(s) if !s.trim().is_empty()).then(|| scalar_text(v).trim().to_owned());
    let top = TITLE_KEYS
        .iter()
        .find_map(|k| fields.iter().find(|(name, _)| name.eq_ignore_ascii_case(k)).and_then(|(_, v)| usable(v)));
    top.or_else(|| {
        fields.iter().find_map(|(name, v)| {
            let last = name.rsplit('.').next().unwrap_or(name);
            TITLE_KEYS.iter().any(|k| last.eq_ignore_ascii_case(k)).then(|| usable(v)).flatten()
        })
    })
}
