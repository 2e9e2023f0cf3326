//! Ombi v4: a flat object of strings or nulls, the kind of notification in `notificationType`
//! (`src/Ombi.Notifications/Agents/WebhookNotification.cs`, keys from `NotificationMessageCurlys.cs`, v4.59.3).

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, fill, text};

pub const SENDER: Sender = Sender {
    label: "Ombi",
    selectable: true,
    events: &[
        event("NewRequest", "a user requests a movie, show or album"),
        event("RequestApproved", "a request is approved"),
        event("RequestAvailable", "a requested item is available in the library"),
        event("PartiallyAvailable", "some requested episodes are available"),
        event("RequestDeclined", "a request is declined (with the reason)"),
        event("RequestDeleted", "a request is deleted"),
        event("ItemAddedToFaultQueue", "a request could not be sent to the downloader and waits in the fault queue"),
        event("Issue", "a user reports an issue"),
        event("IssueComment", "someone comments on an issue"),
        event("IssueInProgress", "an issue is marked in progress"),
        event("IssueResolved", "an issue is resolved"),
        event("IssueDeleted", "an issue is deleted"),
        event("Test", "the Test button in Ombi's webhook settings is pressed"),
    ],
    sample: REQUEST_AVAILABLE,
    test: Some(TEST),
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[
        "Ombi → Settings → Notifications → Webhook: enable it.",
        "Webhook URL: {url}",
        "Application Token: {token} (Ombi sends it as Access-Token).",
        "Press Test, then look at this source's activity: Ombi reports success whatever Herald answered.",
    ],
    normalize,
};

pub const REQUEST_AVAILABLE: &str = r#"{"requestId": "123", "requestedUser": "username", "title": "Example Movie",
 "requestedDate": "Saturday, January 1, 2024", "type": "Movie", "additionalInformation": "", "longDate": "Saturday, January 1, 2024",
 "shortDate": "1/1/2024", "longTime": "12:00:00 PM", "shortTime": "12:00 PM", "overview": "An example movie.", "year": "2024",
 "episodesList": null, "seasonsList": null, "posterImage": "https://image.tmdb.org/t/p/w300/example123.jpg", "applicationName": "Ombi",
 "applicationUrl": "https://ombi.yourdomain.com", "issueDescription": "", "issueCategory": "", "issueStatus": "", "issueSubject": "",
 "newIssueComment": "", "issueUser": "username", "userName": "username", "alias": "username", "requestedByAlias": null,
 "userPreference": null, "denyReason": null, "availableDate": "Saturday, January 1, 2024", "requestStatus": "Available",
 "providerId": "123456", "partiallyAvailableEpisodeNumbers": null, "partiallyAvailableSeasonNumber": null,
 "partiallyAvailableEpisodesList": null, "partiallyAvailableEpisodeCount": null, "notificationType": "RequestAvailable"}"#;

/// Ombi's Test button, as its code sends it (Ombi v4.59.3 `WebhookNotification.cs` with the
/// `NotificationMessageCurlys` of a Test: every field null but the dates and `notificationType`).
pub const TEST: &str = r#"{"requestId": null, "requestedUser": null, "title": null, "requestedDate": null, "type": null,
 "additionalInformation": null, "longDate": "Saturday, January 1, 2024", "shortDate": "1/1/2024", "longTime": "12:00:00 PM",
 "shortTime": "12:00 PM", "overview": null, "year": null, "episodesList": null, "seasonsList": null, "posterImage": null,
 "applicationName": null, "applicationUrl": null, "issueDescription": null, "issueCategory": null, "issueStatus": null,
 "issueSubject": null, "newIssueComment": null, "issueUser": null, "userName": null, "alias": null, "requestedByAlias": null,
 "userPreference": null, "denyReason": null, "availableDate": null, "requestStatus": null, "providerId": null,
 "partiallyAvailableEpisodeNumbers": null, "partiallyAvailableSeasonNumber": null, "partiallyAvailableEpisodesList": null,
 "partiallyAvailableEpisodeCount": null, "notificationType": "Test"}"#;

/// An Ombi issue raised without a request: no year, an empty provider id (Ombi v4.59.3
/// `NotificationMessageCurlys.cs`, `Setup` for an issue whose request is not loaded).
pub const ISSUE_WITHOUT_REQUEST: &str = r#"{"requestId": null, "requestedUser": null, "title": "Example Show",
 "requestedDate": null, "type": "TV Show", "additionalInformation": null, "longDate": "Saturday, January 1, 2024",
 "shortDate": "1/1/2024", "longTime": "12:00:00 PM", "shortTime": "12:00 PM", "overview": null, "year": null,
 "episodesList": "", "seasonsList": "", "posterImage": "", "applicationName": "Ombi", "applicationUrl": "",
 "issueDescription": "Audio is out of sync\nfrom minute 12 on.", "issueCategory": "Audio", "issueStatus": "Pending",
 "issueSubject": "Audio out of sync", "newIssueComment": "", "issueUser": "username", "userName": "username",
 "alias": "username", "requestedByAlias": null, "userPreference": null, "denyReason": null, "availableDate": "",
 "requestStatus": "", "providerId": "", "partiallyAvailableEpisodeNumbers": null, "partiallyAvailableSeasonNumber": null,
 "partiallyAvailableEpisodesList": null, "partiallyAvailableEpisodeCount": null, "notificationType": "Issue"}"#;

/// Ombi's `type`, localized in the server's language since v4.13 (`HumanizeReturnType` in
/// `NotificationMessageCurlys.cs`, values from `src/Ombi.I18n/Resources/Texts.*.resx`, v4.59.3).
const OMBI_TV: &[&str] = &[
    "TV Show",
    "Sèries de TV",
    "TV Pořad",
    "TV-Serier",
    "TV-Serie",
    "Serie TV",
    "Série",
    "Sorozat",
    "TV-serie",
    "Serial",
    "Séries",
    "Seriál",
    "电视节目",
];
const OMBI_MOVIE: &[&str] = &["Movie", "Pel·lícula", "Film", "Película", "Filmes", "电影"];
const OMBI_ALBUM: &[&str] = &["Album", "Àlbum", "Álbum", "专辑"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OmbiMedia {
    Tv,
    Movie,
    Album,
    Unknown,
}

/// Decided from which fields Ombi filled, not from the localized `type` alone: only TV
/// notifications carry `seasonsList`/`episodesList` (or the partially-available fields), an
/// album's `providerId` is a MusicBrainz UUID, a movie's a TMDb number.
fn ombi_media(root: &Map<String, Value>) -> OmbiMedia {
    let present = |k: &str| root.get(k).is_some_and(|v| !v.is_null());
    let kind = text(root, "type");
    let provider = text(root, "providerId");
    let is_uuid = provider.len() == 36 && provider.chars().filter(|c| *c == '-').count() == 4;
    if ["seasonsList", "episodesList", "partiallyAvailableSeasonNumber"].iter().any(|k| present(k))
        || OMBI_TV.contains(&kind)
    {
        OmbiMedia::Tv
    } else if OMBI_ALBUM.contains(&kind) || is_uuid {
        OmbiMedia::Album
    } else if OMBI_MOVIE.contains(&kind) || (!provider.is_empty() && provider.bytes().all(|b| b.is_ascii_digit())) {
        OmbiMedia::Movie
    } else {
        OmbiMedia::Unknown
    }
}

/// Ombi: a flat object of strings (or nulls), the kind of notification in `notificationType`.
fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let name = text(root, "notificationType").to_owned();
    if name.is_empty() {
        return Err(NormalizeError::NoEventName("ombi body has no \"notificationType\" string".into()));
    }
    flatten_map("", root, fields);
    let (title, year) = (text(root, "title"), text(root, "year"));
    let what = match (title, year) {
        ("", _) => "a request".to_owned(),
        (title, "") => title.to_owned(),
        (title, year) => format!("{title} ({year})"),
    };
    let first_of = |keys: &[&str]| keys.iter().map(|k| text(root, k)).find(|v| !v.is_empty()).unwrap_or("").to_owned();
    // `denyReason` stays set after a declined request is approved: it is the message of a decline only.
    let message = if name == "RequestDeclined" {
        first_of(&["denyReason"])
    } else {
        first_of(&["newIssueComment", "issueDescription", "additionalInformation"])
    };
    let mut canonical = vec![("message", message.clone())];
    match ombi_media(root) {
        OmbiMedia::Tv => {
            canonical.push(("show", title.to_owned()));
            canonical.push(("season", first_of(&["partiallyAvailableSeasonNumber", "seasonsList"])));
            canonical.push(("episode", first_of(&["partiallyAvailableEpisodeNumbers", "episodesList"])));
        }
        OmbiMedia::Movie => canonical.push(("movie_id", text(root, "providerId").to_owned())),
        OmbiMedia::Album | OmbiMedia::Unknown => {}
    }
    fill(fields, canonical);
    let user = first_of(&["requestedByAlias", "requestedUser", "userName"]);
    let with = |base: String, detail: &str| if detail.is_empty() { base } else { format!("{base}: {detail}") };
    let summary = match name.as_str() {
        "NewRequest" if user.is_empty() => format!("{what} was requested"),
        "NewRequest" => format!("{user} requested {what}"),
        "RequestApproved" => format!("{what} was approved"),
        "RequestAvailable" => format!("{what} is now available"),
        "RequestDeclined" => with(format!("{what} was declined"), &message),
        "RequestDeleted" => format!("The request for {what} was deleted"),
        "PartiallyAvailable" => match text(root, "partiallyAvailableEpisodesList") {
            "" => format!("{what}: new episodes are available"),
            list => format!("{what}: new episodes are available ({list})"),
        },
        "ItemAddedToFaultQueue" => {
            format!("{what} could not be sent to the downloader and waits in Ombi's fault queue")
        }
        "Issue" => with(format!("New issue on {what}"), text(root, "issueSubject")),
        "IssueComment" => with(format!("New comment on {what}"), &message),
        "IssueResolved" => format!("The issue on {what} was resolved"),
        "IssueInProgress" => format!("The issue on {what} is in progress"),
        "IssueDeleted" => format!("The issue on {what} was deleted"),
        "Test" => match text(root, "applicationName") {
            "" => "Test notification from Ombi".to_owned(),
            app => format!("Test notification from {app}"),
        },
        other if title.is_empty() => format!("Ombi: {other}"),
        other => format!("Ombi {other}: {what}"),
    };
    Ok(Normalized { name, summary, chatty: false })
}
