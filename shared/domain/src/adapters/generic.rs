//! Any JSON object: the name from the source's pointer or `/event`, `/type`, `/notificationType`.

use serde_json::{Map, Value};

use super::{NormalizeError, Normalized, Origin};
use crate::event::{flatten_into, scalar_text};

/// Keys that name what an event is about, top level first, for the default summary.
const TITLE_KEYS: &[&str] = &["title", "name", "subject"];

pub(super) fn normalize(
    origin: &Origin<'_>,
    raw: &Value,
    fields: &mut Map<String, Value>,
) -> Result<Normalized, NormalizeError> {
    let candidates: Vec<&str> = match origin.event_pointer {
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
        Some(title) => format!("{}: {name}: {title}", origin.source_id),
        None => format!("{}: {name}", origin.source_id),
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
