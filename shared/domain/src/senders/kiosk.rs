//! immich-kiosk: `{meta, event, timestamp, deviceID, clientName, assets, config, assetCount}`
//! (`internal/webhooks/webhooks.go`). `config` is Kiosk's whole configuration, webhook secrets and
//! weather API keys included (`internal/config/config.go`): ingest removes it before anything is
//! queued or stored (see [`super::DropRules::for_source`]), and it is never flattened here.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, chatty, event};
use crate::event::flatten_into;
use crate::normalized::{Input, NormalizeError, Normalized, fill, text};

/// immich-kiosk signs with this header and cannot send any other (`internal/webhooks/webhooks.go`).
pub const HMAC_HEADER: &str = "X-Kiosk-Signature-256";

pub const SENDER: Sender = Sender {
    label: "immich-kiosk",
    selectable: true,
    events: &[
        chatty("asset.new", "a screen shows a new picture (about once a minute per screen)"),
        chatty("asset.history.next", "someone steps forward through the screen's history"),
        chatty("asset.history.previous", "someone steps back through the screen's history"),
        chatty("asset.prefetch", "a screen fetches its next picture ahead of time"),
        chatty("asset.offline.new", "an offline screen shows a new picture"),
        chatty("asset.offline.history.next", "someone steps forward on an offline screen"),
        chatty("asset.offline.history.previous", "someone steps back on an offline screen"),
        event("cache.flush", "a screen's cache is flushed"),
        event("user.like.info_overlay", "someone likes the picture shown"),
        event("user.unlike.info_overlay", "someone unlikes the picture shown"),
        event("user.hide.info_overlay", "someone hides the picture shown"),
        event("user.unhide.info_overlay", "someone unhides the picture shown"),
        event("user.webhook.trigger.info_overlay", "someone presses the webhook button on a picture"),
        event("user.navigation.custom", "someone uses a custom navigation button"),
    ],
    sample: ASSET_NEW,
    test: None,
    auth: DefaultAuth::HmacHex(HMAC_HEADER),
    dedupes: true,
    // Kiosk's whole configuration, webhook secrets and weather API keys included.
    drop_pointers: &["/config"],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[
        "In Kiosk's config.yaml, under webhooks: one entry per event you want,",
        "url: {url}",
        "secret: {secret} (Kiosk signs with it in {header}).",
    ],
    normalize,
};

/// An immich-kiosk `asset.new` (`internal/webhooks/webhooks.go`), its `config` trimmed (ingest removes it).
pub const ASSET_NEW: &str = r#"{"meta": {"source": "immich-kiosk", "version": "0.39.3"}, "event": "asset.new",
 "timestamp": "2026-06-08T15:20:11+01:00", "deviceID": "ed08beb1-6de7-4592-9827-078c3ad91ae4", "clientName": "dining-room-pi",
 "assets": [{"id": "0c7a1d0e-7f3b-4c52-9e61-2b8f1f3c9a10", "type": "IMAGE", "originalFileName": "IMG_0042.jpg",
 "originalMimeType": "image/jpeg", "isFavorite": false, "exifInfo": {"city": "Lisbon"}}], "assetCount": 1}"#;

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let name = text(root, "event").to_owned();
    if name.is_empty() {
        return Err(NormalizeError::NoEventName("kiosk body has no \"event\" string".into()));
    }
    for (k, v) in root.iter().filter(|(k, _)| k.as_str() != "config") {
        flatten_into(k, v, fields);
    }
    let kiosk = match text(root, "clientName").trim() {
        "" => "Kiosk".to_owned(),
        client => format!("Kiosk {client}"),
    };
    let assets = root.get("assets").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let file = assets
        .first()
        .and_then(Value::as_object)
        .map(|a| match text(a, "originalFileName") {
            "" => text(a, "id"),
            name => name,
        })
        .filter(|f| !f.is_empty());
    let shown = match (file, assets.len()) {
        (None, _) => "a new picture".to_owned(),
        (Some(file), 0 | 1) => file.to_owned(),
        (Some(file), n) => format!("{file} and {} more", n - 1),
    };
    let on = |what: &str| match file {
        Some(file) => format!("{kiosk}: {file} was {what}"),
        None => format!("{kiosk}: a picture was {what}"),
    };
    let offline = if name.starts_with("asset.offline.") { " (offline)" } else { "" };
    let summary = match name.trim_start_matches("asset.offline.").trim_start_matches("asset.") {
        _ if !name.starts_with("asset.") => match name.as_str() {
            "cache.flush" | "cache.flushed" => format!("{kiosk} flushed its cache"),
            "user.like.info_overlay" => on("liked"),
            "user.unlike.info_overlay" => on("unliked"),
            "user.hide.info_overlay" => on("hidden"),
            "user.unhide.info_overlay" => on("unhidden"),
            "user.webhook.trigger.info_overlay" => match file {
                Some(file) => format!("{kiosk}: the webhook button was pressed on {file}"),
                None => format!("{kiosk}: the webhook button was pressed"),
            },
            "user.navigation.custom" => format!("{kiosk}: custom navigation"),
            other => format!("{kiosk}: {other}"),
        },
        "new" => format!("{kiosk} is showing {shown}{offline}"),
        "history.next" => format!("{kiosk} went forward to {shown}{offline}"),
        "history.previous" => format!("{kiosk} went back to {shown}{offline}"),
        "prefetch" => format!("{kiosk} prefetched {shown}"),
        other => format!("{kiosk}: asset {other}{offline}"),
    };
    fill(fields, vec![("title", file.unwrap_or_default().to_owned())]);
    // A kiosk fires these for every picture it shows, about once a minute per screen.
    let chatty = name.starts_with("asset.");
    Ok(Normalized { name, summary, chatty })
}
