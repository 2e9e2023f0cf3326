//! JellyNext (Jellyfin plugin, luall0/jellynext): the user's own payload template, by default
//! `{"tmdbId","imdbId","title","year","jellyfinUserId"}` for a movie and the same plus `tvdbId`,
//! `seasonNumber`, `isAnime` for a show (`Configuration/PluginConfiguration.cs`), sent when a user
//! plays a not-yet-downloaded item (`Services/DownloadProviders/WebhookDownloadProvider.cs`). No
//! event name anywhere: it is decided from the body. Placeholders keep JellyNext's own names.

use serde_json::{Map, Value};

use super::{Normalized, fill};
use crate::event::{flatten_map, scalar_text};

/// Keys only JellyNext's show payload has.
const SHOW_KEYS: &[&str] = &["tvdbId", "seasonNumber", "isAnime"];

pub(super) fn normalize(root: &Map<String, Value>, fields: &mut Map<String, Value>) -> Normalized {
    flatten_map("", root, fields);
    // JellyNext matches placeholders case-insensitively, so a user's template may spell keys any way.
    let get = |key: &str| {
        root.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| scalar_text(v).trim().to_owned())
            .unwrap_or_default()
    };
    let show = SHOW_KEYS.iter().any(|k| root.keys().any(|key| key.eq_ignore_ascii_case(k)));
    let name = match get("event") {
        own if !own.is_empty() => own,
        _ if show => "download.show".to_owned(),
        _ => "download.movie".to_owned(),
    };
    let (title, year, season) = (get("title"), get("year"), get("seasonNumber"));
    let what = match (title.as_str(), year.as_str()) {
        ("", _) => if show { "A show" } else { "A movie" }.to_owned(),
        (title, "") => title.to_owned(),
        (title, year) => format!("{title} ({year})"),
    };
    let summary = match season.as_str() {
        _ if !show => format!("{what} was requested for download"),
        "" => format!("{what} was requested for download"),
        season => format!("{what} season {season} was requested for download"),
    };
    let mut canonical = vec![("title", title.clone()), ("year", year)];
    if show {
        canonical.push(("show", title));
        canonical.push(("season", season));
    } else {
        canonical.push(("movie_id", get("tmdbId")));
    }
    fill(fields, canonical);
    Normalized { name, summary, chatty: false }
}
