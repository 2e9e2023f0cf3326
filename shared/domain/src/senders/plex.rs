//! Plex Media Server: a `multipart/form-data` POST whose `payload` part is the JSON event and
//! whose `thumb` part, on some events, is a poster JPEG (never relayed). Plex is closed source:
//! the shape is from its support article ("Webhooks") and the receivers that parse it
//! (`adnanh/webhook` `docs/Hook-Examples.md` and its `webhook_test.go` Plex fixture,
//! `chrisbenincasa/tunarr` `types/src/plex/webhooks.ts`, `andrey-yantsen/plex-api.rs`
//! `crates/plex-api/src/webhook/mod.rs`, `FoxxMD/multi-scrobbler` `src/backend/sources/PlexSource.ts`).
//! Plex cannot send headers, so its token goes in the URL; it has no Test button.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, chatty, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, episode_code, fill, object, text, text_of, titled};

pub const SENDER: Sender = Sender {
    label: "Plex",
    selectable: true,
    events: &[
        event("media.play", "someone starts playing something"),
        chatty("media.pause", "playback pauses"),
        chatty("media.resume", "playback resumes"),
        event("media.stop", "playback stops"),
        event("media.scrobble", "someone watches past 90% of an item (it counts as watched)"),
        event("media.rate", "someone rates an item"),
        event("library.new", "an item is added to a library (one per item during a scan)"),
        event("library.on.deck", "an item appears in someone's On Deck"),
        chatty("playback.started", "a shared user starts playing (beside media.play; owner only)"),
        chatty("device.new", "a device reaches the server for the first time, background checks included (owner only)"),
        event("admin.database.backup", "a scheduled database backup completes (owner only)"),
        event("admin.database.corrupted", "the server finds its database corrupted (owner only)"),
    ],
    sample: PLAY,
    test: None,
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::JsonOrMultipart { part: "payload" },
    json_hint: None,
    setup: &[
        "Plex Web → your account → Settings → Webhooks → Add Webhook (needs Plex Pass).",
        "URL: {token_url}",
        "Plex has no Test button: play something for a minute, then look at this source's activity.",
    ],
    normalize,
};

/// `media.play` of an episode, as the `payload` part carries it (compact, one line).
pub const PLAY: &str = r#"{"event":"media.play","user":true,"owner":true,"Account":{"id":1,"thumb":"https://plex.tv/users/3f2a9c1b7d4e5f60/avatar?c=1735689600","title":"alice"},"Server":{"title":"HomeServer","uuid":"9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"},"Player":{"local":true,"publicAddress":"203.0.113.7","title":"Living Room TV","uuid":"k2m9x7q4w1z8c5v3b6n0p2r4"},"Metadata":{"librarySectionType":"show","ratingKey":"48213","key":"/library/metadata/48213","guid":"plex://episode/6650a1b2c3d4e5f601234567","type":"episode","title":"Hello, Ms. Cobel","librarySectionTitle":"TV Shows","grandparentTitle":"Severance","parentTitle":"Season 2","index":1,"parentIndex":2,"year":2025,"duration":3420000,"originallyAvailableAt":"2025-01-17","Guid":[{"id":"imdb://tt21286006"},{"id":"tmdb://5101301"},{"id":"tvdb://10518430"}]}}"#;

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let name = text(root, "event").to_owned();
    if name.is_empty() {
        return Err(NormalizeError::NoEventName("plex payload has no \"event\" string".into()));
    }
    flatten_map("", root, fields);
    // Plex's own `user` and `owner` are flags (why this webhook was sent): `user` is the account's name here.
    for flag in ["user", "owner"] {
        if let Some(value) = fields.shift_remove(flag) {
            fields.insert(format!("plex_{flag}"), value);
        }
    }
    let meta = object(root, "Metadata");
    let (kind, title, year) = (text(meta, "type"), text_of(meta, "title"), text_of(meta, "year"));
    let (show, season, episode) = (text_of(meta, "grandparentTitle"), text_of(meta, "parentIndex"), text_of(meta, "index"));
    let item = match kind {
        "episode" => match episode_code(&season, &episode) {
            code if code.is_empty() => titled(&show, "", &title),
            code => format!("{show} {code}").trim().to_owned(),
        },
        "track" if !show.is_empty() => format!("{title} by {show}"),
        _ => titled(&title, &year, "something"),
    };
    let user = text_of(object(root, "Account"), "title");
    let player = text_of(object(root, "Player"), "title");
    let server = text_of(object(root, "Server"), "title");
    let who = if user.is_empty() { "Someone".to_owned() } else { user.clone() };
    let on = if player.is_empty() { String::new() } else { format!(" on {player}") };
    let summary = match name.as_str() {
        "media.play" | "playback.started" => format!("{who} started {item}{on}"),
        "media.pause" => format!("{who} paused {item}{on}"),
        "media.resume" => format!("{who} resumed {item}{on}"),
        "media.stop" => format!("{who} stopped {item}{on}"),
        "media.scrobble" => format!("{who} watched {item}"),
        "media.rate" => match text_of(root, "rating") {
            rating if rating.is_empty() => format!("{who} rated {item}"),
            rating => format!("{who} rated {item} {rating}/10"),
        },
        "library.new" => match text_of(meta, "librarySectionTitle") {
            library if library.is_empty() => format!("New on Plex: {item}"),
            library => format!("New in {library}: {item}"),
        },
        "library.on.deck" => format!("{item} is on deck for {who}"),
        "device.new" if player.is_empty() => "A new device reached the Plex server".to_owned(),
        "device.new" => format!("A new device reached the Plex server: {player}"),
        "admin.database.backup" => format!("Plex database backup completed on {}", or(&server, "the server")),
        "admin.database.corrupted" => format!("Plex found its database corrupted on {}", or(&server, "the server")),
        other => format!("Plex {other}: {item}"),
    };
    let ids = guids(meta);
    let mut canonical = vec![("title", title), ("year", year), ("user", user), ("player", player)];
    if kind == "episode" {
        canonical.extend([("show", show), ("season", season), ("episode", episode)]);
    }
    canonical.extend(ids);
    fill(fields, canonical);
    let chatty = matches!(name.as_str(), "media.pause" | "media.resume" | "playback.started" | "device.new");
    Ok(Normalized { name, summary, chatty })
}

fn or(value: &str, fallback: &str) -> String {
    if value.is_empty() { fallback.to_owned() } else { value.to_owned() }
}

/// `imdb_id`, `tmdb_id`, `tvdb_id` from `Metadata.Guid` (`[{"id": "imdb://tt…"}]`).
fn guids(meta: &Map<String, Value>) -> Vec<(&'static str, String)> {
    let ids = meta.get("Guid").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut out = Vec::new();
    for (scheme, name) in [("imdb://", "imdb_id"), ("tmdb://", "tmdb_id"), ("tvdb://", "tvdb_id")] {
        if let Some(id) = ids.iter().filter_map(|g| g.get("id").and_then(Value::as_str)).find_map(|id| id.strip_prefix(scheme))
        {
            out.push((name, id.to_owned()));
        }
    }
    out
}
