//! Emby Server's webhooks (4.7.9+; closed source): `{Title, Description, Date, Event, User, Item,
//! Server, Session, PlaybackInfo}`, posted as JSON or, by default since 4.9, as
//! `multipart/form-data` whose `data` part is that JSON. The shape is from the receivers that parse
//! it (`jxxghp/MoviePilot` `app/modules/emby/emby.py` with two captured Emby 4.7.13 bodies,
//! `McCloudS/subgen` `subgen.py`, `arabcoders/watchstate` `src/Backends/Emby/Action/ParseWebhook.php`
//! and `InspectRequest.php`). `Title` is a sentence in the server's language, used when nothing
//! better is known.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, chatty, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, episode_code, fill, object, text, text_of, titled, with_detail};

pub const SENDER: Sender = Sender {
    label: "Emby",
    selectable: true,
    events: &[
        event("library.new", "an item is added to a library"),
        event("library.deleted", "an item is removed from a library"),
        event("playback.start", "someone starts playing something"),
        chatty("playback.pause", "playback pauses"),
        chatty("playback.unpause", "playback resumes"),
        event("playback.stop", "playback stops"),
        event("item.markplayed", "someone marks an item played"),
        event("item.markunplayed", "someone marks an item unplayed"),
        event("item.rate", "someone rates or favourites an item"),
        chatty("user.authenticated", "someone signs in"),
        event("user.authenticationfailed", "a sign-in fails"),
        event("user.lockedout", "a user is locked out"),
        event("user.passwordchanged", "a user's password changes"),
        event("system.updateavailable", "a server update is available"),
        event("system.serverrestartrequired", "the server needs a restart"),
        event("plugins.plugininstalled", "a plugin is installed"),
        event("plugins.pluginuninstalled", "a plugin is removed"),
        event("system.notificationtest", "the Send Test button of the webhook is pressed"),
    ],
    sample: PLAYBACK_START,
    test: Some(TEST),
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::JsonOrMultipart { part: "data" },
    json_hint: None,
    setup: &[
        "Emby → Settings → Notifications → Add Notification → Webhooks.",
        "URL: {token_url}; Request content type: application/json (multipart/form-data works too).",
        "Pick the events, Save, then press Send Test Notification.",
    ],
    normalize,
};

/// `playback.start` of an episode (Emby 4.8), its `Item` trimmed.
pub const PLAYBACK_START: &str = r#"{"Title":"alice is playing Breaking Bad - S5, Ep14 - Ozymandias on Living Room TV","Description":"Sunday, May 10, 2026 9:40 PM","Date":"2026-05-10T19:40:02.1183391Z","Event":"playback.start","User":{"Name":"alice","Id":"e6a9dd89fd954d689870e7e0e3e72947"},"Item":{"Name":"Ozymandias","ServerId":"f40a5bd0c6b64051bdbed00580fa1118","Id":"240252","PremiereDate":"2013-09-15T00:00:00.0000000Z","RunTimeTicks":28200000000,"Size":2707122056,"ProductionYear":2013,"IndexNumber":14,"ParentIndexNumber":5,"ProviderIds":{"Tvdb":"4634389","Imdb":"tt2301451"},"Type":"Episode","SeriesName":"Breaking Bad","SeriesId":"240202","SeasonName":"Season 5"},"Server":{"Name":"Media Box","Id":"f40a5bd0c6b64051bdbed00580fa1118","Version":"4.8.11.0"},"Session":{"RemoteEndPoint":"192.168.1.50","Client":"Emby for Android","DeviceName":"Living Room TV","DeviceId":"30239450-1748-4855-9799-de3544fc2744","ApplicationVersion":"3.4.20","Id":"c336b028b893558b333d1a49238b7db1"},"PlaybackInfo":{"PositionTicks":0,"PlaylistIndex":0,"PlaylistLength":1}}"#;

/// The Send Test Notification button.
pub const TEST: &str = r#"{"Title":"Test Notification","Description":"Test Notification Description","Date":"2026-05-10T22:20:00.0000000Z","Event":"system.notificationtest","Severity":"Info","Server":{"Name":"Media Box","Id":"f40a5bd0c6b64051bdbed00580fa1118","Version":"4.8.11.0"}}"#;

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let name = text(root, "Event").to_owned();
    if name.is_empty() {
        return Err(NormalizeError::NoEventName("emby body has no \"Event\" string".into()));
    }
    flatten_map("", root, fields);
    let item = object(root, "Item");
    let (title, series, year) = (text_of(item, "Name"), text_of(item, "SeriesName"), text_of(item, "ProductionYear"));
    let (season, episode) = (text_of(item, "ParentIndexNumber"), text_of(item, "IndexNumber"));
    let shown = match text(item, "Type") {
        "Episode" if !series.is_empty() => format!("{series} {}", episode_code(&season, &episode)).trim().to_owned(),
        "Audio" if !text(item, "AlbumArtist").is_empty() => format!("{title} by {}", text_of(item, "AlbumArtist")),
        _ => titled(&title, &year, "an item"),
    };
    let user = text_of(object(root, "User"), "Name");
    let who = if user.is_empty() { "Someone".to_owned() } else { user.clone() };
    let device = text_of(object(root, "Session"), "DeviceName");
    let on = if device.is_empty() { String::new() } else { format!(" on {device}") };
    let server = match text_of(object(root, "Server"), "Name") {
        s if s.is_empty() => "Emby".to_owned(),
        s => s,
    };
    let own_title = text_of(root, "Title");
    let finished = object(root, "PlaybackInfo").get("PlayedToCompletion").and_then(Value::as_bool) == Some(true);
    let summary = match name.as_str() {
        "library.new" => format!("New on {server}: {shown}"),
        "library.deleted" => format!("Removed from {server}: {shown}"),
        "playback.start" => format!("{who} started {shown}{on}"),
        "playback.pause" => format!("{who} paused {shown}{on}"),
        "playback.unpause" => format!("{who} resumed {shown}{on}"),
        "playback.stop" if finished => format!("{who} finished {shown}{on}"),
        "playback.stop" => format!("{who} stopped {shown}{on}"),
        "item.markplayed" => format!("{who} marked {shown} played"),
        "item.markunplayed" => format!("{who} marked {shown} unplayed"),
        "item.rate" => format!("{who} rated {shown}"),
        "system.notificationtest" => format!("Test notification from {server}"),
        _ if !own_title.is_empty() => own_title.clone(),
        other => with_detail(format!("Emby {other}"), &shown),
    };
    let ids = object(item, "ProviderIds");
    let mut canonical = vec![
        ("title", title),
        ("year", year),
        ("user", user),
        ("player", device),
        ("message", text_of(item, "Overview")),
        ("tmdb_id", text_of(ids, "Tmdb")),
        ("imdb_id", text_of(ids, "Imdb")),
        ("tvdb_id", text_of(ids, "Tvdb")),
    ];
    if !series.is_empty() {
        canonical.extend([("show", series), ("season", season), ("episode", episode)]);
    } else if text(item, "Type") == "Movie" {
        canonical.push(("movie_id", text_of(ids, "Tmdb")));
    }
    fill(fields, canonical);
    let chatty = matches!(name.as_str(), "playback.pause" | "playback.unpause" | "user.authenticated");
    Ok(Normalized { name, summary, chatty })
}
