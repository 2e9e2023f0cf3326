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

/// Ombi's Test button, as its code sends it (Ombi v4.59.3 `WebhookNotification.cs` with the
/// `NotificationMessageCurlys` of a Test: every field null but the dates and `notificationType`).
/// JellyNext's default show payload as it sends it (`Configuration/PluginConfiguration.cs`).
pub const JELLYNEXT_SHOW: &str = "{\n  \"tvdbId\": \"73739\",\n  \"tmdbId\": \"1396\",\n  \"imdbId\": \"tt0903747\",\n  \"title\": \"Breaking Bad\",\n  \"year\": \"2008\",\n  \"seasonNumber\": 2,\n  \"isAnime\": false,\n  \"jellyfinUserId\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890\"\n}";

/// An immich-kiosk `asset.new` (`internal/webhooks/webhooks.go`), its `config` trimmed (ingest removes it).
pub const KIOSK_ASSET_NEW: &str = r#"{"meta": {"source": "immich-kiosk", "version": "0.39.3"}, "event": "asset.new",
 "timestamp": "2026-06-08T15:20:11+01:00", "deviceID": "ed08beb1-6de7-4592-9827-078c3ad91ae4", "clientName": "dining-room-pi",
 "assets": [{"id": "0c7a1d0e-7f3b-4c52-9e61-2b8f1f3c9a10", "type": "IMAGE", "originalFileName": "IMG_0042.jpg",
 "originalMimeType": "image/jpeg", "isFavorite": false, "exifInfo": {"city": "Lisbon"}}], "assetCount": 1}"#;

pub const OMBI_TEST: &str = r#"{"requestId": null, "requestedUser": null, "title": null, "requestedDate": null, "type": null,
 "additionalInformation": null, "longDate": "Saturday, January 1, 2024", "shortDate": "1/1/2024", "longTime": "12:00:00 PM",
 "shortTime": "12:00 PM", "overview": null, "year": null, "episodesList": null, "seasonsList": null, "posterImage": null,
 "applicationName": null, "applicationUrl": null, "issueDescription": null, "issueCategory": null, "issueStatus": null,
 "issueSubject": null, "newIssueComment": null, "issueUser": null, "userName": null, "alias": null, "requestedByAlias": null,
 "userPreference": null, "denyReason": null, "availableDate": null, "requestStatus": null, "providerId": null,
 "partiallyAvailableEpisodeNumbers": null, "partiallyAvailableSeasonNumber": null, "partiallyAvailableEpisodesList": null,
 "partiallyAvailableEpisodeCount": null, "notificationType": "Test"}"#;

/// An Ombi issue raised without a request: no year, an empty provider id (Ombi v4.59.3
/// `NotificationMessageCurlys.cs`, `Setup` for an issue whose request is not loaded).
pub const OMBI_ISSUE_WITHOUT_REQUEST: &str = r#"{"requestId": null, "requestedUser": null, "title": "Example Show",
 "requestedDate": null, "type": "TV Show", "additionalInformation": null, "longDate": "Saturday, January 1, 2024",
 "shortDate": "1/1/2024", "longTime": "12:00:00 PM", "shortTime": "12:00 PM", "overview": null, "year": null,
 "episodesList": "", "seasonsList": "", "posterImage": "", "applicationName": "Ombi", "applicationUrl": "",
 "issueDescription": "Audio is out of sync\nfrom minute 12 on.", "issueCategory": "Audio", "issueStatus": "Pending",
 "issueSubject": "Audio out of sync", "newIssueComment": "", "issueUser": "username", "userName": "username",
 "alias": "username", "requestedByAlias": null, "userPreference": null, "denyReason": null, "availableDate": "",
 "requestStatus": "", "providerId": "", "partiallyAvailableEpisodeNumbers": null, "partiallyAvailableSeasonNumber": null,
 "partiallyAvailableEpisodesList": null, "partiallyAvailableEpisodeCount": null, "notificationType": "Issue"}"#;

/// The shapes real senders send that the documentation examples hide: every field null, a missing
/// year, and very long multi-line text. Validation renders them too, to warn about what Herald will
/// fix at send time.
pub fn awkward_samples(id: Ulid, at: DateTime<Utc>) -> Vec<Event> {
    let ombi = SourceId::parse(SourceKind::Ombi.as_str()).expect("kind names are valid ids");
    let origin = Origin::of(&ombi, SourceKind::Ombi);
    let mut long: serde_json::Value = serde_json::from_str(OMBI_ISSUE_WITHOUT_REQUEST).expect("valid sample");
    let paragraph = "A comment long enough to pass every receiver's limit, over several lines.\n";
    long["notificationType"] = "IssueComment".into();
    long["newIssueComment"] = paragraph.repeat(60).into();
    long["overview"] = paragraph.repeat(60).into();
    long["title"] = "A title that goes on ".repeat(20).into();
    let long = long.to_string();
    [OMBI_TEST, OMBI_ISSUE_WITHOUT_REQUEST, long.as_str()]
        .into_iter()
        .map(|body| normalize(&origin, body.as_bytes(), id, at).expect("samples are valid"))
        .collect()
}

pub fn sample_body(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Kinescope => KINESCOPE_DONE,
        SourceKind::Ombi => OMBI_REQUEST_AVAILABLE,
        SourceKind::Jellynext => JELLYNEXT_SHOW,
        SourceKind::Kiosk => KIOSK_ASSET_NEW,
        SourceKind::Generic | SourceKind::Herald => GENERIC_IMPORTED,
    }
}

pub fn sample_event(kind: SourceKind, id: Ulid, at: DateTime<Utc>) -> Event {
    let source_id = SourceId::parse(kind.as_str()).expect("kind names are valid ids");
    let origin = Origin::of(&source_id, kind);
    normalize(&origin, sample_body(kind).as_bytes(), id, at).expect("samples are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_normalizes() {
        for kind in
            [SourceKind::Kinescope, SourceKind::Ombi, SourceKind::Jellynext, SourceKind::Kiosk, SourceKind::Generic]
        {
            let e = sample_event(kind, Ulid::nil(), DateTime::UNIX_EPOCH);
            assert!(!e.name.is_empty() && e.fields.contains_key("summary"));
        }
        let awkward = awkward_samples(Ulid::nil(), DateTime::UNIX_EPOCH);
        assert_eq!(awkward.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Test", "Issue", "IssueComment"]);
        assert!(awkward[0].fields["title"].is_null() && awkward[1].fields["year"].is_null());
        assert!(awkward[2].fields["message"].as_str().unwrap().chars().count() > 4096);
    }
}
