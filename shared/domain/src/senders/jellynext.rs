//! JellyNext (Jellyfin plugin, luall0/jellynext): the user's own payload template, by default
//! `{"tmdbId","imdbId","title","year","jellyfinUserId"}` for a movie and the same plus `tvdbId`,
//! `seasonNumber`, `isAnime` for a show (`Configuration/PluginConfiguration.cs`), sent when a user
//! plays a not-yet-downloaded item (`Services/DownloadProviders/WebhookDownloadProvider.cs`). No
//! event name anywhere: it is decided from the body. Placeholders keep JellyNext's own names.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, event};
use crate::event::{flatten_map, scalar_text};
use crate::normalized::{Input, NormalizeError, Normalized, fill};

pub const SENDER: Sender = Sender {
    label: "JellyNext",
    selectable: true,
    events: &[
        event("download.movie", "a user plays a movie that is not downloaded yet (JellyNext asks for it)"),
        event("download.show", "a user plays a season that is not downloaded yet"),
    ],
    sample: SHOW,
    test: None,
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: true,
    body: BodyForm::Json,
    json_hint: Some(
        "JellyNext puts values into its payload without JSON escaping, so a title with a \" or \\ \
         breaks the body, and an unquoted placeholder with no value (\"year\": {year}) leaves nothing there; \
         quote every placeholder in JellyNext's payload template",
    ),
    setup: &[
        "Jellyfin Dashboard → Plugins → JellyNext → Downloads → Webhook.",
        "Movie URL and Show URL: {token_url}",
        "Keep every placeholder in the payload quoted: JellyNext does not escape values.",
    ],
    normalize,
};

/// JellyNext's default show payload as it sends it (`Configuration/PluginConfiguration.cs`).
pub const SHOW: &str = "{\n  \"tvdbId\": \"73739\",\n  \"tmdbId\": \"1396\",\n  \"imdbId\": \"tt0903747\",\n  \"title\": \"Breaking Bad\",\n  \"year\": \"2008\",\n  \"seasonNumber\": 2,\n  \"isAnime\": false,\n  \"jellyfinUserId\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890\"\n}";

/// Keys only JellyNext's show payload has.
const SHOW_KEYS: &[&str] = &["tvdbId", "seasonNumber", "isAnime"];

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
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
    Ok(Normalized { name, summary, chatty: false })
}
