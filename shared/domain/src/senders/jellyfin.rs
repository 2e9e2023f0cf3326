//! The Jellyfin webhook plugin (`jellyfin/jellyfin-plugin-webhook` v21) with its Generic
//! destination and "Send All Properties" ticked: the plugin's whole data dictionary as one flat JSON
//! object (`Destinations/Generic/GenericClient.cs`, keys from `Helpers/DataObjectHelpers.cs` and
//! `Notifiers/`, names from `Destinations/NotificationType.cs`). It posts as `text/plain` unless a
//! Content-Type header is added, puts a `\` before every `"` in names and overviews, and has no Test
//! button (a failed sign-in is the quickest real event).

use serde_json::{Map, Value};

use super::{BodyForm, Chatty, DefaultAuth, EventSpec, Sender, chatty, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, episode_code, fill, text, text_of, titled, with_detail};

pub const SENDER: Sender = Sender {
    label: "Jellyfin (webhook plugin)",
    selectable: true,
    events: &[
        event("ItemAdded", "an item is added to a library (sent up to 30 s later, once it has ids)"),
        event("ItemDeleted", "an item is removed from a library"),
        event("PlaybackStart", "someone starts playing something"),
        chatty("PlaybackProgress", "a player reports its position (every few seconds while playing)"),
        event("PlaybackStop", "playback stops (PlayedToCompletion says whether it was finished)"),
        event("SubtitleDownloadFailure", "a subtitle download fails"),
        event("AuthenticationFailure", "a sign-in fails"),
        chatty("AuthenticationSuccess", "someone signs in"),
        chatty("SessionStart", "a client connects"),
        event("PendingRestart", "the server needs a restart"),
        EventSpec {
            name: "TaskCompleted",
            fires_when: "a scheduled task ends (the plugin's own run every 30 s)",
            chatty: Chatty::When("the task completed; a failed task is not chatty"),
        },
        event("PluginInstallationCancelled", "a plugin installation is cancelled"),
        event("PluginInstallationFailed", "a plugin fails to install"),
        event("PluginInstalled", "a plugin is installed"),
        event("PluginInstalling", "a plugin starts installing"),
        event("PluginUninstalled", "a plugin is removed"),
        event("PluginUpdated", "a plugin is updated"),
        event("UserCreated", "a user is created"),
        event("UserDeleted", "a user is deleted"),
        event("UserLockedOut", "a user is locked out after failed sign-ins"),
        event("UserPasswordChanged", "a user's password changes"),
        event("UserUpdated", "a user's settings change"),
        chatty("UserDataSaved", "playback progress, a played mark, a favourite or a rating is saved"),
    ],
    sample: ITEM_ADDED,
    test: None,
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: Some(
        "tick \"Send All Properties (ignores template)\" in the webhook plugin's destination: \
         a hand-written template breaks JSON on quotes and new lines",
    ),
    setup: &[
        "Jellyfin → Dashboard → Plugins → Catalog: install Webhook, restart, then open it and Add Generic Destination.",
        "Webhook URL: {token_url}",
        "Tick \"Send All Properties (ignores template)\", the notification types you want, and Movies and Episodes under item types.",
        "Headers: add Content-Type: application/json. Save.",
        "The plugin has no Test button: a wrong password at sign-in sends AuthenticationFailure if it is ticked.",
    ],
    normalize,
};

/// `ItemAdded` for a movie with Send All Properties, trimmed of its stream keys.
pub const ITEM_ADDED: &str = r#"{"ServerId":"5a3b9c1e2d4f4a6b8c7d9e0f1a2b3c4d","ServerName":"Media Box","ServerVersion":"10.11.8","ServerUrl":"https://jellyfin.example.com","NotificationType":"ItemAdded","Timestamp":"2026-05-10T21:03:11.5206143+02:00","UtcTimestamp":"2026-05-10T19:03:11.5206188Z","Name":"Inception","Overview":"Cobb, a skilled thief who commits corporate espionage by infiltrating the subconscious of his targets.","Tagline":"Your mind is the scene of the crime.","ItemId":"9f3c2a715b8e4d0ab6c42e7f1a9d3c55","ItemType":"Movie","RunTimeTicks":88800000000,"RunTime":"02:28:00","Year":2010,"PremiereDate":"2010-07-15","Genres":"Action, Science Fiction, Adventure","Provider_tmdb":"27205","Provider_imdb":"tt1375666","Video_0_Title":"1080p H264 SDR"}"#;

/// A string value with the plugin's `\"` undone.
fn clean(root: &Map<String, Value>, key: &str) -> String {
    text_of(root, key).replace("\\\"", "\"")
}

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let name = text(root, "NotificationType").to_owned();
    if name.is_empty() {
        return Err(NormalizeError::NoEventName(
            "jellyfin body has no \"NotificationType\": tick \"Send All Properties\" in the plugin".into(),
        ));
    }
    flatten_map("", root, fields);
    let (title, series, year) = (clean(root, "Name"), clean(root, "SeriesName"), text_of(root, "Year"));
    let (season, episode) = (text_of(root, "SeasonNumber"), text_of(root, "EpisodeNumber"));
    let item = match text(root, "ItemType") {
        "Episode" if !series.is_empty() => format!("{series} {}", episode_code(&season, &episode)).trim().to_owned(),
        "Season" if !series.is_empty() => format!("{series} {}", episode_code(&season, "")).trim().to_owned(),
        "Audio" if !text(root, "Artist").is_empty() => format!("{title} by {}", clean(root, "Artist")),
        _ => titled(&title, &year, "an item"),
    };
    let user = match clean(root, "NotificationUsername") {
        u if u.is_empty() => clean(root, "Username"),
        u => u,
    };
    let who = if user.is_empty() { "Someone".to_owned() } else { user.clone() };
    let device = clean(root, "DeviceName");
    let on = if device.is_empty() { String::new() } else { format!(" on {device}") };
    let server = clean(root, "ServerName");
    let plugin = match clean(root, "PluginName") {
        p if p.is_empty() => "A Jellyfin plugin".to_owned(),
        p => format!("Jellyfin plugin {p}"),
    };
    let failed_task = !matches!(text(root, "ResultStatus"), "" | "Completed");
    let summary = match name.as_str() {
        "ItemAdded" => format!("New on Jellyfin: {item}"),
        "ItemDeleted" => format!("Removed from Jellyfin: {item}"),
        "PlaybackStart" => format!("{who} started {item}{on}"),
        "PlaybackProgress" => format!("{who} is playing {item}{on}"),
        "PlaybackStop" if root.get("PlayedToCompletion").is_some_and(|v| v == true || v == "True") => {
            format!("{who} finished {item}{on}")
        }
        "PlaybackStop" => format!("{who} stopped {item}{on}"),
        "SubtitleDownloadFailure" => format!("No subtitles could be downloaded for {item}"),
        "AuthenticationFailure" => match clean(root, "RemoteEndPoint") {
            from if from.is_empty() => format!("Failed Jellyfin sign-in as {who}"),
            from => format!("Failed Jellyfin sign-in as {who} from {from}"),
        },
        "AuthenticationSuccess" => format!("{who} signed in to Jellyfin"),
        "SessionStart" => format!("{who} connected{on}"),
        "PendingRestart" => format!("{} needs a restart", if server.is_empty() { "Jellyfin" } else { &server }),
        "TaskCompleted" if failed_task => {
            let task = match clean(root, "TaskName") {
                name if name.is_empty() => "Jellyfin task".to_owned(),
                name => format!("Jellyfin task {name}"),
            };
            with_detail(format!("{task} failed"), &clean(root, "ResultErrorMessage"))
        }
        "TaskCompleted" => with_detail("Jellyfin task completed".into(), &clean(root, "TaskName")),
        "PluginInstallationFailed" => with_detail(format!("{plugin} failed to install"), &clean(root, "ExceptionMessage")),
        "PluginInstalled" => format!("{plugin} was installed"),
        "PluginUninstalled" => format!("{plugin} was removed"),
        "PluginUpdated" => format!("{plugin} was updated"),
        "PluginInstalling" => format!("{plugin} is being installed"),
        "PluginInstallationCancelled" => format!("The installation of {plugin} was cancelled"),
        "UserCreated" => format!("Jellyfin user {who} was created"),
        "UserDeleted" => format!("Jellyfin user {who} was deleted"),
        "UserLockedOut" => format!("Jellyfin user {who} is locked out"),
        "UserPasswordChanged" => format!("{who} changed their Jellyfin password"),
        "UserUpdated" => format!("Jellyfin user {who} was updated"),
        "UserDataSaved" => with_detail(format!("{who} updated {item}"), &clean(root, "SaveReason")),
        other => format!("Jellyfin {other}: {item}"),
    };
    let mut canonical = vec![
        ("title", title.clone()),
        ("year", year),
        ("user", user),
        ("player", device),
        ("message", clean(root, "Overview")),
        ("tmdb_id", text_of(root, "Provider_tmdb")),
        ("imdb_id", text_of(root, "Provider_imdb")),
        ("tvdb_id", text_of(root, "Provider_tvdb")),
        ("quality", text_of(root, "Video_0_Title")),
    ];
    if !series.is_empty() {
        canonical.extend([("show", series), ("season", season), ("episode", episode)]);
    } else if text(root, "ItemType") == "Movie" {
        canonical.push(("movie_id", text_of(root, "Provider_tmdb")));
    }
    fill(fields, canonical);
    let chatty = matches!(name.as_str(), "PlaybackProgress" | "AuthenticationSuccess" | "SessionStart" | "UserDataSaved")
        || (name == "TaskCompleted" && !failed_task);
    Ok(Normalized { name, summary, chatty })
}
