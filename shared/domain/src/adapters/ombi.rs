//! Ombi v4: a flat object of strings or nulls, the kind of notification in `notificationType`
//! (`src/Ombi.Notifications/Agents/WebhookNotification.cs`, keys from `NotificationMessageCurlys.cs`, v4.59.3).

use serde_json::{Map, Value};

use super::{NormalizeError, Normalized, fill, text};
use crate::event::flatten_map;

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
pub(super) fn normalize(
    root: &Map<String, Value>,
    fields: &mut Map<String, Value>,
) -> Result<Normalized, NormalizeError> {
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
