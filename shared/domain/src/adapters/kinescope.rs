//! Kinescope: `{"event": "...", "data": {...}}`, fields from `data`. No public sender code: shapes
//! from docs.kinescope.com/developer-guides/webhook-types and receivers' code (`suspended`).

use serde_json::{Map, Value};

use super::{NormalizeError, Normalized, text};
use crate::event::flatten_map;

pub(super) fn normalize(
    root: &Map<String, Value>,
    fields: &mut Map<String, Value>,
) -> Result<Normalized, NormalizeError> {
    let name = root
        .get("event")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| NormalizeError::NoEventName("kinescope body has no \"event\" string".into()))?
        .to_owned();
    let empty = Map::new();
    let data = root.get("data").and_then(Value::as_object).unwrap_or(&empty);
    flatten_map("", data, fields);
    let status = text(data, "status");
    let video = match text(data, "id") {
        "" => "A video".to_owned(),
        id => format!("Video {id}"),
    };
    let stream = match text(data, "event_id") {
        "" => "the stream".to_owned(),
        id => format!("stream {id}"),
    };
    let summary = match name.as_str() {
        "media.update.status" => match (status, text(data, "message")) {
            ("done", _) => format!("{video} is ready to watch"),
            ("error", "") => format!("{video} failed"),
            ("error", message) => format!("{video} failed: {message}"),
            ("aborted", _) => format!("{video}: processing was aborted"),
            ("", _) => format!("{video} changed status"),
            (other, _) => format!("{video} is {other}"),
        },
        "live.created" => format!("{} was created", capital(&stream)),
        "live.connected" => format!("Streamer connected to {stream}"),
        "live.disconnected" => format!("Streamer disconnected from {stream}"),
        "live.finished" => match text(data, "video_id") {
            "" => format!("{} finished", capital(&stream)),
            video => format!("{} finished; recording: {video}", capital(&stream)),
        },
        "live.cancelled" => format!("{} was cancelled", capital(&stream)),
        "live.enabled" => format!("{} is open to viewers", capital(&stream)),
        other => format!("Kinescope: {other}"),
    };
    let chatty = matches!(name.as_str(), "live.connected" | "live.disconnected")
        || (name == "media.update.status"
            && matches!(status, "pending" | "uploading" | "pre-processing" | "processing"));
    Ok(Normalized { name, summary, chatty })
}

fn capital(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
