//! The *arr apps' "Webhook" connection: Sonarr v4, Radarr v5, Lidarr v2 and Prowlarr v1 share one
//! envelope (`eventType`, `instanceName`, `applicationUrl`), transport and serializer
//! (`src/NzbDrone.Core/Notifications/Webhook/WebhookBase.cs`, `WebhookProxy.cs`, `Webhook*Payload.cs`
//! in `Sonarr/Sonarr` v4.0.19.2979, `Radarr/Radarr` v5.28.0.10274, `Lidarr/Lidarr` v2.14.5.4836,
//! `Prowlarr/Prowlarr` v1.37.0.5076): Newtonsoft JSON, camelCase, nulls left out, 2-space indents.
//! One kind tells the four apart: `instanceName` always contains the app's name
//! (`ConfigFileProvider.InstanceName`), and each app's media object is its own. Credentials come as
//! `Authorization: Basic` (Username/Password in the connection).

use serde_json::{Map, Value};

use super::{BodyForm, Chatty, DefaultAuth, EventSpec, Sender, chatty, event};
use crate::event::flatten_map;
use crate::normalized::{
    Input, NormalizeError, Normalized, episode_code, fill, human_size, object, text, text_of, titled, with_detail,
};

pub const SENDER: Sender = Sender {
    label: "Sonarr / Radarr / Lidarr / Prowlarr",
    selectable: true,
    events: &[
        EventSpec {
            name: "Grab",
            fires_when: "a release is sent to the download client (Prowlarr: an app fetched a release through it)",
            chatty: Chatty::When("sent by Prowlarr for an app's grab, which the app reports itself"),
        },
        event("Download", "a download is imported (isUpgrade: it replaced a file; Sonarr's Import Complete too)"),
        event("ManualInteractionRequired", "a finished download needs a manual import"),
        event("DownloadFailure", "Lidarr: the download client reports a failed download"),
        event("ImportFailure", "Lidarr: an album could not be fully imported"),
        event("Rename", "files of a series, movie or artist were renamed"),
        chatty("Retag", "Lidarr: a track file's tags were rewritten (one per track)"),
        event("SeriesAdd", "Sonarr: a series is added"),
        event("SeriesDelete", "Sonarr: a series is deleted"),
        EventSpec {
            name: "EpisodeFileDelete",
            fires_when: "Sonarr: an episode file is deleted",
            chatty: Chatty::When("deleteReason is upgrade (the old file of an upgrade)"),
        },
        event("MovieAdded", "Radarr: a movie is added (one per movie from lists)"),
        event("MovieDelete", "Radarr: a movie is deleted"),
        EventSpec {
            name: "MovieFileDelete",
            fires_when: "Radarr: a movie file is deleted",
            chatty: Chatty::When("deleteReason is upgrade (the old file of an upgrade)"),
        },
        event("ArtistAdd", "Lidarr: an artist is added"),
        event("ArtistDelete", "Lidarr: an artist is deleted"),
        event("AlbumDelete", "Lidarr: an album is deleted"),
        event("Health", "a health check starts failing (an indexer or download client unavailable, disk space…)"),
        event("HealthRestored", "a failing health check passes again"),
        event("ApplicationUpdate", "the app updated itself"),
        event("Test", "the Test button of the webhook connection is pressed"),
    ],
    sample: SONARR_GRAB,
    test: Some(SONARR_TEST),
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[
        "Sonarr, Radarr, Lidarr or Prowlarr → Settings → Connect → + → Webhook.",
        "URL: {url}; Method: POST.",
        "Username: herald; Password: {token} (sent as Basic auth).",
        "Pick the triggers (On Grab, On Import, On Upgrade, On Health Issue…), press Test, then Save.",
    ],
    normalize,
};

/// Sonarr's Grab of one episode (`BuildOnGrabPayload`), trimmed of images and languages.
pub const SONARR_GRAB: &str = r#"{
  "series": {
    "id": 42,
    "title": "Severance",
    "titleSlug": "severance",
    "path": "/tv/Severance",
    "tvdbId": 371980,
    "tvMazeId": 44933,
    "tmdbId": 95396,
    "imdbId": "tt11280740",
    "type": "standard",
    "year": 2022
  },
  "episodes": [
    {
      "id": 1337,
      "episodeNumber": 1,
      "seasonNumber": 2,
      "title": "Hello, Ms. Cobel",
      "airDate": "2025-01-17",
      "airDateUtc": "2025-01-17T02:00:00Z",
      "seriesId": 42,
      "tvdbId": 10501588
    }
  ],
  "release": {
    "quality": "WEBDL-1080p",
    "qualityVersion": 1,
    "releaseGroup": "FLUX",
    "releaseTitle": "Severance.S02E01.Hello.Ms.Cobel.1080p.ATVP.WEB-DL.DDP5.1.Atmos.H.264-FLUX",
    "indexer": "NZBgeek (Prowlarr)",
    "size": 3876543210,
    "customFormatScore": 100
  },
  "downloadClient": "SABnzbd",
  "downloadClientType": "SABnzbd",
  "downloadId": "SABnzbd_nzo_kq3v8x1c",
  "eventType": "Grab",
  "instanceName": "Sonarr",
  "applicationUrl": ""
}"#;

/// Sonarr's Test button, exactly as `BuildTestPayload` makes it.
pub const SONARR_TEST: &str = r#"{
  "series": {
    "id": 1,
    "title": "Test Title",
    "path": "C:\\testpath",
    "tvdbId": 1234,
    "tvMazeId": 0,
    "tmdbId": 0,
    "type": "standard",
    "year": 0,
    "tags": [
      "test-tag"
    ]
  },
  "episodes": [
    {
      "id": 123,
      "episodeNumber": 1,
      "seasonNumber": 1,
      "title": "Test title",
      "seriesId": 0,
      "tvdbId": 0
    }
  ],
  "eventType": "Test",
  "instanceName": "Sonarr",
  "applicationUrl": ""
}"#;

const APPS: [&str; 4] = ["Sonarr", "Radarr", "Lidarr", "Prowlarr"];

/// Which app sent it: its instance name, else its media object.
fn app(root: &Map<String, Value>) -> &'static str {
    let instance = text(root, "instanceName").to_lowercase();
    let by_keys = || {
        if root.contains_key("series") {
            "Sonarr"
        } else if root.contains_key("movie") || root.contains_key("remoteMovie") {
            "Radarr"
        } else if ["artist", "album", "albums", "trackFiles"].iter().any(|k| root.contains_key(*k)) {
            "Lidarr"
        } else if root.contains_key("trigger") {
            "Prowlarr"
        } else {
            "The *arr app"
        }
    };
    APPS.into_iter().find(|a| instance.contains(&a.to_lowercase())).unwrap_or_else(by_keys)
}

/// What the event is about, and its canonical fields.
struct Item {
    shown: String,
    canonical: Vec<(&'static str, String)>,
}

fn item(root: &Map<String, Value>) -> Item {
    let series = object(root, "series");
    if !series.is_empty() {
        let show = text_of(series, "title");
        let year = nonzero(text_of(series, "year"));
        let episodes = root.get("episodes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let first = episodes.first().and_then(Value::as_object);
        let (season, episode) = first.map_or((String::new(), String::new()), |e| {
            (text_of(e, "seasonNumber"), text_of(e, "episodeNumber"))
        });
        let code = match (episode_code(&season, &episode), episodes.len()) {
            (code, 0 | 1) => code,
            (code, n) => format!("{code} and {} more", n - 1),
        };
        let shown = if code.is_empty() { titled(&show, "", "a series") } else { format!("{show} {code}") };
        let mut canonical = vec![("title", show.clone()), ("show", show), ("year", year), ("season", season)];
        canonical.push(("episode", episode));
        for (name, key) in [("tvdb_id", "tvdbId"), ("tmdb_id", "tmdbId"), ("imdb_id", "imdbId")] {
            canonical.push((name, nonzero(text_of(series, key))));
        }
        return Item { shown, canonical };
    }
    let movie = match object(root, "movie") {
        m if m.is_empty() => object(root, "remoteMovie"),
        m => m,
    };
    if !movie.is_empty() {
        let (title, year) = (text_of(movie, "title"), nonzero(text_of(movie, "year")));
        let tmdb = nonzero(text_of(movie, "tmdbId"));
        return Item {
            shown: titled(&title, &year, "a movie"),
            canonical: vec![
                ("title", title),
                ("year", year),
                ("movie_id", tmdb.clone()),
                ("tmdb_id", tmdb),
                ("imdb_id", text_of(movie, "imdbId")),
            ],
        };
    }
    let artist = text_of(object(root, "artist"), "name");
    let album = match object(root, "album") {
        a if a.is_empty() => {
            root.get("albums").and_then(Value::as_array).and_then(|a| a.first()).and_then(Value::as_object)
        }
        a => Some(a),
    };
    let album_title = album.map(|a| text_of(a, "title")).unwrap_or_default();
    let year = album.map(|a| text_of(a, "releaseDate").chars().take(4).collect::<String>()).unwrap_or_default();
    let shown = match (artist.as_str(), album_title.as_str()) {
        ("", "") => text_of(object(root, "release"), "releaseTitle"),
        (artist, "") => artist.to_owned(),
        ("", album) => album.to_owned(),
        (artist, album) => format!("{artist} – {album}"),
    };
    let shown = if shown.is_empty() { text_of(root, "releaseTitle") } else { shown };
    let title = if album_title.is_empty() { shown.clone() } else { album_title };
    Item { shown: if shown.is_empty() { "a release".into() } else { shown }, canonical: vec![("title", title), ("year", year)] }
}

/// Sonarr's test series has year 0 and ids 0: no value.
fn nonzero(value: String) -> String {
    if value == "0" { String::new() } else { value }
}

/// The sum of `size` over Lidarr's `trackFiles` or Sonarr's Import Complete `episodeFiles`.
fn total_size(root: &Map<String, Value>) -> Option<u64> {
    ["trackFiles", "episodeFiles"].iter().find_map(|key| {
        let files = root.get(*key)?.as_array().filter(|f| !f.is_empty())?;
        Some(files.iter().filter_map(|f| f.get("size").and_then(Value::as_u64)).sum())
    })
}

/// The first of these objects (or first element of these arrays) that has `key`.
fn first_with(root: &Map<String, Value>, containers: &[&str], key: &str) -> String {
    containers
        .iter()
        .filter_map(|c| match root.get(*c) {
            Some(Value::Object(o)) => Some(text_of(o, key)),
            Some(Value::Array(a)) => a.first().and_then(Value::as_object).map(|o| text_of(o, key)),
            _ => None,
        })
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let name = text(root, "eventType").to_owned();
    if name.is_empty() {
        return Err(NormalizeError::NoEventName("servarr body has no \"eventType\" string".into()));
    }
    flatten_map("", root, fields);
    let app = app(root);
    let Item { shown, mut canonical } = item(root);
    let files = ["episodeFile", "movieFile", "episodeFiles", "trackFiles", "trackFile", "release"];
    let quality = match text_of(object(root, "release"), "quality") {
        q if q.is_empty() || name != "Grab" => first_with(root, &files, "quality"),
        q => q,
    };
    let size = match name.as_str() {
        "Grab" => first_with(root, &["release"], "size").parse::<u64>().ok(),
        // An album's or a whole download's files: their total.
        _ => total_size(root).or_else(|| first_with(root, &files, "size").parse::<u64>().ok()),
    };
    let size = size.filter(|s| *s > 0).map(human_size).unwrap_or_default();
    let indexer = text_of(object(root, "release"), "indexer");
    let message = text_of(root, "message");
    let details: Vec<&str> = [quality.as_str(), size.as_str()].into_iter().filter(|d| !d.is_empty()).collect();
    let bracket = if details.is_empty() { String::new() } else { format!(" ({})", details.join(", ")) };
    let from = if indexer.is_empty() { String::new() } else { format!(" from {indexer}") };
    let reason = text_of(root, "deleteReason");
    let summary = match name.as_str() {
        "Test" => format!("Test notification from {app}"),
        "Grab" if app == "Prowlarr" && text(root, "trigger") == "manual" => format!("Manually grabbed {shown}{from}"),
        "Grab" if app == "Prowlarr" => match text_of(root, "source") {
            by if by.is_empty() => format!("Prowlarr: {shown} was grabbed{from}"),
            by => format!("Prowlarr: {by} grabbed {shown}{from}"),
        },
        "Grab" => format!("Grabbed {shown}{bracket}{from}"),
        "Download" if root.get("isUpgrade").and_then(Value::as_bool) == Some(true) => {
            match first_with(root, &["deletedFiles"], "quality") {
                old if old.is_empty() || quality.is_empty() => format!("Upgraded {shown}{bracket}"),
                old => format!("Upgraded {shown} from {old} to {quality}"),
            }
        }
        "Download" => match text_of(root, "fileCount") {
            n if n.is_empty() || n == "1" => format!("Imported {shown}{bracket}"),
            n => format!("Imported {shown} ({n} files)"),
        },
        "ManualInteractionRequired" => format!("{shown} needs a manual import in {app}"),
        "DownloadFailure" => with_detail(format!("Download failed: {shown}"), &message),
        "ImportFailure" => with_detail(format!("{app} could not import {shown}"), &message),
        "Rename" => format!("{app} renamed the files of {shown}"),
        "Retag" => format!("{app} retagged {shown}"),
        "SeriesAdd" | "MovieAdded" | "ArtistAdd" => format!("{shown} was added to {app}"),
        "SeriesDelete" | "MovieDelete" | "ArtistDelete" | "AlbumDelete" => format!("{shown} was deleted from {app}"),
        "EpisodeFileDelete" | "MovieFileDelete" => with_detail(format!("A file of {shown} was deleted"), &reason),
        "Health" => match text_of(root, "level") {
            level if level.is_empty() => with_detail(format!("{app} health issue"), &message),
            level => with_detail(format!("{app} health {level}"), &message),
        },
        "HealthRestored" => with_detail(format!("{app} health check passes again"), &message),
        "ApplicationUpdate" if !message.is_empty() => message.clone(),
        "ApplicationUpdate" => with_detail(format!("{app} was updated"), &text_of(root, "newVersion")),
        other => format!("{app} {other}: {shown}"),
    };
    canonical.extend([
        ("app", app.to_owned()),
        ("quality", quality),
        ("size", size),
        ("indexer", indexer),
        ("message", if message.is_empty() { reason.clone() } else { message }),
    ]);
    fill(fields, canonical);
    let chatty =
        name == "Retag" || reason == "upgrade" || (app == "Prowlarr" && name == "Grab" && text(root, "trigger") != "manual");
    Ok(Normalized { name, summary, chatty })
}
