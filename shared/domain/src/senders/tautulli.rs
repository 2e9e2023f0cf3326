//! Tautulli's Webhook notification agent (`Tautulli/Tautulli` v2.17.2, `plexpy/notifiers.py`
//! `WEBHOOK`, `plexpy/notification_handler.py`): it has no default body, so its setup pastes
//! [`TEMPLATE`] into each action's JSON Data. Every value arrives as a string; a parameter an
//! action does not have arrives as its own literal text (`"{update_version}"`), read here as
//! absent; movies carry season and episode "0". The Test tab sends the text as typed, with no
//! parameter filled in.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, chatty, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, episode_code, fill, titled, with_detail};

/// The body each Tautulli action sends. `plot` is Tautulli's `{summary}`: a `summary` key would take
/// the place of Herald's own.
pub const TEMPLATE: &str = r#"{"action": "{action}", "media_type": "{media_type}", "title": "{title}", "year": "{year}", "show_name": "{show_name}", "episode_name": "{episode_name}", "season_num": "{season_num}", "episode_num": "{episode_num}", "library_name": "{library_name}", "user": "{user}", "player": "{player}", "quality_profile": "{quality_profile}", "video_full_resolution": "{video_full_resolution}", "transcode_decision": "{transcode_decision}", "progress_percent": "{progress_percent}", "imdb_id": "{imdb_id}", "themoviedb_id": "{themoviedb_id}", "thetvdb_id": "{thetvdb_id}", "plot": "{summary}", "server_name": "{server_name}", "update_version": "{update_version}", "remote_access_reason": "{remote_access_reason}"}"#;

pub const SENDER: Sender = Sender {
    label: "Tautulli",
    selectable: true,
    events: &[
        event("play", "a stream starts"),
        event("stop", "a stream stops"),
        chatty("pause", "a stream pauses"),
        chatty("resume", "a stream resumes"),
        event("error", "a stream fails"),
        chatty("buffer", "a stream keeps buffering"),
        chatty("change", "a stream's transcode decision changes"),
        chatty("intro", "playback reaches an intro marker"),
        chatty("commercial", "playback reaches a commercial marker"),
        chatty("credits", "playback reaches the credits"),
        event("watched", "someone watches past the watched percentage (85% by default)"),
        event("concurrent", "a user has several streams at once"),
        event("newdevice", "a user plays from a device never seen before"),
        event("created", "an item is added to Plex (grouped by season or show)"),
        event("intdown", "the Plex server stops answering Tautulli"),
        event("intup", "the Plex server answers again"),
        event("extdown", "Plex remote access goes down"),
        event("extup", "Plex remote access is back"),
        event("pmsupdate", "a Plex Media Server update is available"),
        event("plexpyupdate", "a Tautulli update is available"),
        event("plexpydbcorrupt", "Tautulli finds its database corrupted"),
        event("tokenexpired", "Tautulli's Plex token expired"),
        event("test", "the Test Notifications tab sends the pasted template"),
    ],
    sample: PLAY,
    test: Some(TEMPLATE),
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: Some("paste the JSON Data template from Herald's setup steps into each Tautulli action you enable"),
    setup: &[
        "Tautulli → Settings → Notification Agents → Add a new notification agent → Webhook.",
        "Webhook URL: {token_url}; Webhook Method: POST.",
        "Triggers: tick the actions you want. Data: paste this into the JSON Data of each of them:",
        TEMPLATE,
        "Test Notifications: paste the same text into JSON Data and send it.",
    ],
    normalize,
};

/// `play` of an episode, with [`TEMPLATE`].
pub const PLAY: &str = r#"{"action": "play", "media_type": "episode", "title": "Severance - Hello, Ms. Cobel", "year": "2025", "show_name": "Severance", "episode_name": "Hello, Ms. Cobel", "season_num": "2", "episode_num": "1", "library_name": "TV Shows", "user": "Alice", "player": "Living Room TV", "quality_profile": "Original", "video_full_resolution": "4k", "transcode_decision": "Direct Play", "progress_percent": "0", "imdb_id": "tt11280740", "themoviedb_id": "95396", "thetvdb_id": "371980", "plot": "Mark makes a bold move that changes everything.", "server_name": "HomePlex", "update_version": "{update_version}", "remote_access_reason": "{remote_access_reason}"}"#;

/// A value Tautulli filled in: not its own `{parameter}` text, not a movie's "0" season.
fn value(root: &Map<String, Value>, key: &str) -> String {
    let v = crate::normalized::text_of(root, key);
    if unfilled(&v) { String::new() } else { v }
}

/// Tautulli's own `{parameter}` text, sent for a parameter the action does not have.
fn unfilled(v: &str) -> bool {
    v.len() > 2
        && v.starts_with('{')
        && v.ends_with('}')
        && v[1..v.len() - 1].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let action = value(root, "action");
    if action.is_empty() && !root.contains_key("action") {
        return Err(NormalizeError::NoEventName(
            "tautulli body has no \"action\": paste the JSON Data template from Herald's setup steps".into(),
        ));
    }
    // The Test tab sends the template as typed: `{action}` is not filled in.
    let name = if action.is_empty() { "test".to_owned() } else { action };
    flatten_map("", root, fields);
    // A template with Tautulli's own `summary` name: it is the plot, and Herald's summary stays Herald's.
    if let Some(plot) = fields.shift_remove("summary") {
        fields.entry("plot").or_insert(plot);
    }
    for (_, v) in fields.iter_mut() {
        if let Value::String(s) = v
            && unfilled(s)
        {
            s.clear();
        }
    }
    let get = |k: &str| value(root, k);
    let episode_kind = matches!(get("media_type").as_str(), "episode" | "season" | "show");
    let (show, season, episode) = (get("show_name"), get("season_num"), get("episode_num"));
    let movie_title = get("title");
    let item = match (episode_kind && !show.is_empty(), get("media_type").as_str()) {
        (true, "season") => format!("{show} season {season}"),
        (true, "show") => show.clone(),
        (true, _) => format!("{show} {}", episode_code(&season, &episode)).trim().to_owned(),
        (false, _) => titled(&movie_title, &get("year"), "something"),
    };
    let user = get("user");
    let who = if user.is_empty() { "Someone".to_owned() } else { user.clone() };
    let player = get("player");
    let on = if player.is_empty() { String::new() } else { format!(" on {player}") };
    let server = match get("server_name") {
        s if s.is_empty() => "the Plex server".to_owned(),
        s => s,
    };
    let summary = match name.as_str() {
        "test" => "Test notification from Tautulli".to_owned(),
        "play" => format!("{who} started {item}{on}"),
        "stop" => format!("{who} stopped {item}{on}"),
        "pause" => format!("{who} paused {item}{on}"),
        "resume" => format!("{who} resumed {item}{on}"),
        "error" => format!("{who}'s stream of {item} failed{on}"),
        "buffer" => format!("{who} keeps buffering {item}{on}"),
        "change" => with_detail(format!("{who}'s stream of {item} changed"), &get("transcode_decision")),
        "intro" | "commercial" | "credits" => format!("{who} reached the {name} of {item}"),
        "watched" => format!("{who} watched {item}"),
        "concurrent" => format!("{who} has several streams at once"),
        "newdevice" => format!("{who} played from a new device{on}"),
        "created" => match get("library_name") {
            l if l.is_empty() => format!("New on Plex: {item}"),
            l => format!("New in {l}: {item}"),
        },
        "intdown" => format!("{server} is not answering Tautulli"),
        "intup" => format!("{server} is answering Tautulli again"),
        "extdown" => with_detail(format!("Remote access to {server} is down"), &get("remote_access_reason")),
        "extup" => format!("Remote access to {server} is back"),
        "pmsupdate" => with_detail("A Plex Media Server update is available".into(), &get("update_version")),
        "plexpyupdate" => "A Tautulli update is available".to_owned(),
        "plexpydbcorrupt" => "Tautulli found its database corrupted".to_owned(),
        "tokenexpired" => "Tautulli's Plex token expired: sign in to Plex in Tautulli again".to_owned(),
        other => format!("Tautulli {other}: {item}"),
    };
    let mut canonical = vec![
        ("year", get("year")),
        ("user", user),
        ("player", player),
        ("quality", get("quality_profile")),
        ("message", if get("plot").is_empty() { get("summary") } else { get("plot") }),
        ("imdb_id", get("imdb_id")),
        ("tmdb_id", get("themoviedb_id")),
        ("tvdb_id", get("thetvdb_id")),
    ];
    if episode_kind {
        // The template's `title` is "Show - Episode": the episode's own title is `title` here.
        if !get("episode_name").is_empty() {
            fields.insert("title".into(), Value::String(get("episode_name")));
        }
        canonical.extend([("show", show), ("season", season), ("episode", episode)]);
    }
    fill(fields, canonical);
    let chatty = matches!(name.as_str(), "pause" | "resume" | "buffer" | "change" | "intro" | "commercial" | "credits");
    Ok(Normalized { name, summary, chatty })
}
