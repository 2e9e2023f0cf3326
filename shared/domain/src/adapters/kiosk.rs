//! immich-kiosk: `{meta, event, timestamp, deviceID, clientName, assets, config, assetCount}`
//! (`internal/webhooks/webhooks.go`). `config` is Kiosk's whole configuration, webhook secrets and
//! weather API keys included (`internal/config/config.go`): ingest removes it before anything is
//! queued or stored (see [`super::DropRules::for_source`]), and it is never flattened here.

use serde_json::{Map, Value};

use super::{NormalizeError, Normalized, fill, text};
use crate::event::flatten_into;

/// The subtree ingest always removes from a Kiosk body.
pub(super) const CONFIG_POINTER: &str = "/config";

pub(super) fn normalize(
    root: &Map<String, Value>,
    fields: &mut Map<String, Value>,
) -> Result<Normalized, NormalizeError> {
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
