//! Kinescope: `{"event": "...", "data": {...}}`, fields from `data`. No public sender code: shapes
//! from docs.kinescope.com/developer-guides/webhook-types and receivers' code (`suspended`).

use serde_json::{Map, Value};

use super::{BodyForm, Chatty, DefaultAuth, EventSpec, Sender, chatty, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, text};

pub const SENDER: Sender = Sender {
    label: "Kinescope",
    selectable: true,
    events: &[
        EventSpec {
            name: "media.update.status",
            fires_when: "a video's processing status changes (ready, failed, aborted, processing…)",
            chatty: Chatty::When("status is pending, uploading, pre-processing or processing"),
        },
        event("live.created", "a live stream is created"),
        chatty("live.connected", "the streamer's encoder connects to a live stream"),
        chatty("live.disconnected", "the streamer's encoder disconnects"),
        event("live.finished", "a live stream ends (with its recording's video id when it was recorded)"),
        event("live.cancelled", "a scheduled live stream is cancelled"),
        event("live.enabled", "a live stream opens to viewers"),
    ],
    sample: DONE,
    test: None,
    auth: DefaultAuth::Token,
    // Its bodies carry no id or time, and a byte-identical repeat is a real event (a reconnect).
    dedupes: false,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[
        "Kinescope → Settings → Webhooks → Add: endpoint {url}",
        "Login: any name; password: {token} (Kinescope sends them as Basic auth).",
        "Or, with no login, the endpoint {token_url}",
    ],
    normalize,
};

pub const DONE: &str =
    r#"{"event": "media.update.status", "data": {"id": "7127f2d7-0e96-40d0-9a03-2e987c096466", "status": "done"}}"#;

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
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
