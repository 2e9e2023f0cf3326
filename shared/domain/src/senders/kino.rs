//! Kino (`kinostack-app/kino`): with no body template, the `notification::Event` struct as compact
//! JSON, always its 12 keys with `null` for what is missing; the name is in `event_type`
//! (`backend/crates/kino/src/notification/mod.rs`, `notification/webhook.rs`,
//! `events/listeners.rs`, v0.3.2). Only these seven names are ever sent (`should_fire`). Movie grab,
//! download and import events carry the release name as `title`; Kino sends no user or player.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, chatty, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, episode_code, fill, text, text_of, titled, with_detail};

pub const SENDER: Sender = Sender {
    label: "Kino",
    selectable: true,
    events: &[
        event("release_grabbed", "Kino picks a release from your indexers"),
        event("download_complete", "a download finishes (before import)"),
        event("imported", "a new file is added to the library (also what Kino's Test sends)"),
        event("upgraded", "a file is replaced with a higher-quality release"),
        event("download_failed", "a download fails, stalls or cannot be imported"),
        chatty("watched", "an item is marked watched (Kino leaves it off by default)"),
        event("health_warning", "disk space runs low, a task keeps failing, or one of Kino's webhooks gives up"),
    ],
    sample: IMPORTED_EPISODE,
    test: Some(TEST),
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[
        "Kino → Settings → Integrations → Webhooks → Add webhook.",
        "URL: {url}; Method: POST; Body template: leave it blank (Kino's default JSON).",
        "Headers: {\"Authorization\": \"Bearer {token}\"}",
        "Pick the events, Save, then press Test: Herald answers 202 and the test appears in this source's activity.",
    ],
    normalize,
};

/// `imported` for an episode, as Kino sends it with no body template.
pub const IMPORTED_EPISODE: &str = r#"{"event_type":"imported","movie_id":null,"episode_id":311,"title":"Severance · S02E01 · Hello, Ms. Cobel","show":"Severance","season":2,"episode":1,"quality":"webdl-2160p","year":2022,"size":null,"indexer":null,"message":null}"#;

/// Kino's Test button: a synthetic `imported` (`test_webhook` in `notification/webhook.rs`).
pub const TEST: &str = r#"{"event_type":"imported","movie_id":null,"episode_id":null,"title":"kino test — The Matrix","show":null,"season":null,"episode":null,"quality":"Bluray-1080p","year":1999,"size":null,"indexer":"kino","message":"This is a test notification from kino."}"#;

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    // `event` when a user's own body template names it so (its placeholder is `{{event}}`).
    let name = [text(root, "event_type"), text(root, "event")].into_iter().find(|n| !n.is_empty()).unwrap_or("");
    if name.is_empty() {
        return Err(NormalizeError::NoEventName("kino body has no \"event_type\" string".into()));
    }
    let name = name.to_owned();
    flatten_map("", root, fields);
    let get = |k: &str| text_of(root, k);
    let (title, show, year, quality) = (get("title"), get("show"), get("year"), get("quality"));
    let code = episode_code(&get("season"), &get("episode"));
    // A movie's grab, download and import carry the release name, which has its year already.
    let release_name = !title.contains(' ') && title.contains('.');
    let item = match (show.as_str(), code.as_str()) {
        ("", _) if release_name => title.clone(),
        ("", _) => titled(&title, &year, "an item"),
        (show, "") => show.to_owned(),
        (show, code) => format!("{show} {code}"),
    };
    let details: Vec<String> = [quality.clone(), get("size")].into_iter().filter(|d| !d.is_empty()).collect();
    let bracket = if details.is_empty() { String::new() } else { format!(" ({})", details.join(", ")) };
    let message = get("message");
    let summary = if title.starts_with("kino test") {
        format!("Test notification from Kino: {}", titled(title.trim_start_matches("kino test — "), &year, "a test"))
    } else {
        match name.as_str() {
            "release_grabbed" => match get("indexer") {
                indexer if indexer.is_empty() => format!("Grabbed {item}{bracket}"),
                indexer => format!("Grabbed {item}{bracket} from {indexer}"),
            },
            "download_complete" => format!("Downloaded {item}{bracket}"),
            "imported" => format!("Imported {item}{bracket}"),
            "upgraded" if !message.is_empty() => format!("Upgraded {item}: {message}"),
            "upgraded" => format!("Upgraded {item}{bracket}"),
            "download_failed" => with_detail(format!("Download failed: {item}"), &message),
            "watched" => format!("Watched {item}"),
            "health_warning" => with_detail("Kino health warning".into(), &message),
            other => with_detail(format!("Kino {other}: {item}"), &message),
        }
    };
    fill(fields, vec![("event", name.clone())]);
    // Kino leaves `watched` off by default: a default subscription leaves it out too.
    let chatty = name == "watched";
    Ok(Normalized { name, summary, chatty })
}
