//! Sample bodies from each source's documentation, normalized: used to validate and preview
//! templates and as the synthetic event of a Test.

use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::adapters::{Origin, normalize};
use super::event::{Event, SourceKind};
use super::ids::SourceId;

pub const KINESCOPE_DONE: &str =
    r#"{"event": "media.update.status", "data": {"id": "7127f2d7-0e96-40d0-9a03-2e987c096466", "status": "done"}}"#;

pub const OMBI_REQUEST_AVAILABLE: &str = r#"{"requestId": "123", "requestedUser": "username", "title": "Example Movie",
 "requestedDate": "Saturday, January 1, 2024", "type": "Movie", "additionalInformation": "", "longDate": "Saturday, January 1, 2024",
 "shortDate": "1/1/2024", "longTime": "12:00:00 PM", "shortTime": "12:00 PM", "overview": "An example movie.", "year": "2024",
 "episodesList": null, "seasonsList": null, "posterImage": "https://image.tmdb.org/t/p/w300/example123.jpg", "applicationName": "Ombi",
 "applicationUrl": "https://ombi.yourdomain.com", "issueDescription": "", "issueCategory": "", "issueStatus": "", "issueSubject": "",
 "newIssueComment": "", "issueUser": "username", "userName": "username", "alias": "username", "requestedByAlias": null,
 "userPreference": null, "denyReason": null, "availableDate": "Saturday, January 1, 2024", "requestStatus": "Available",
 "providerId": "123456", "partiallyAvailableEpisodeNumbers": null, "partiallyAvailableSeasonNumber": null,
 "partiallyAvailableEpisodesList": null, "partiallyAvailableEpisodeCount": null, "notificationType": "RequestAvailable"}"#;

pub const GENERIC_IMPORTED: &str = r#"{"event": "imported", "title": "Fight Club", "year": 1999, "quality": "Bluray-1080p",
 "tmdbId": 550, "imdbId": "tt0137523", "size": "8.2 GB"}"#;

pub fn sample_body(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Kinescope => KINESCOPE_DONE,
        SourceKind::Ombi => OMBI_REQUEST_AVAILABLE,
        SourceKind::Generic | SourceKind::Herald => GENERIC_IMPORTED,
    }
}

pub fn sample_event(kind: SourceKind, id: Ulid, at: DateTime<Utc>) -> Event {
    let source_id = SourceId::parse(kind.as_str()).expect("kind names are valid ids");
    let origin = Origin { source_id: &source_id, kind, event_pointer: None };
    normalize(&origin, sample_body(kind).as_bytes(), id, at).expect("samples are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_normalizes() {
        for kind in [SourceKind::Kinescope, SourceKind::Ombi, SourceKind::Generic] {
            let e = sample_event(kind, Ulid::nil(), DateTime::UNIX_EPOCH);
            assert!(!e.name.is_empty() && e.fields.contains_key("summary"));
        }
    }
}
