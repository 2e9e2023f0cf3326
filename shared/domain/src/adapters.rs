//! Source adapters: a webhook body in, a normalized [`Event`] out.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use ulid::Ulid;

use super::event::{Event, RawBody, SourceKind, flatten_into, flatten_map, rfc3339, scalar_text};
use super::ids::SourceId;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NormalizeError {
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    #[error("body must be a JSON object")]
    NotObject,
    #[error("{0}")]
    NoEventName(String),
}

/// Gives a normalized event its final id and arrival time (ingest learns them from the dedupe
/// claim, after the body was checked): the canonical `event_id`, `herald_event_id` and `timestamp`
/// fields follow, unless the source had fields of those names.
pub fn restamp(event: &mut Event, id: Ulid, received_at: DateTime<Utc>) {
    let (old_id, old_time) = (Value::String(event.id.to_string()), Value::String(rfc3339(event.received_at)));
    for (name, old, new) in [
        ("event_id", &old_id, id.to_string()),
        ("herald_event_id", &old_id, id.to_string()),
        ("timestamp", &old_time, rfc3339(received_at)),
    ] {
        if let Some(value) = event.fields.get_mut(name)
            && value == old
        {
            *value = Value::String(new);
        }
    }
    event.id = id;
    event.received_at = received_at;
}

/// What the adapter needs to know about the source besides the body.
pub struct Origin<'a> {
    pub source_id: &'a SourceId,
    pub kind: SourceKind,
    /// JSON pointer to the event name, for generic sources whose name lives elsewhere.
    pub event_pointer: Option<&'a str>,
}

pub fn normalize(
    origin: &Origin<'_>,
    body: &[u8],
    id: Ulid,
    received_at: DateTime<Utc>,
) -> Result<Event, NormalizeError> {
    let raw: Value = serde_json::from_slice(body).map_err(|e| NormalizeError::NotJson(e.to_string()))?;
    let Value::Object(root) = &raw else {
        return Err(NormalizeError::NotObject);
    };
    let mut fields = Map::new();
    let (name, summary, chatty) = match origin.kind {
        SourceKind::Kinescope => kinescope(root, &mut fields)?,
        SourceKind::Ombi => ombi(root, &mut fields)?,
        SourceKind::Generic | SourceKind::Herald => generic(&raw, origin.event_pointer, &mut fields)?,
    };
    // Canonical names fill in only where the source has no field of that name: Kinescope's own
    // `event_id` (a stream id) must stay what Kinescope meant.
    let canonical = [
        ("event", Value::String(name.clone())),
        ("summary", Value::String(summary)),
        ("source", Value::String(origin.source_id.to_string())),
        ("source_kind", Value::String(origin.kind.as_str().into())),
        ("event_id", Value::String(id.to_string())),
        ("herald_event_id", Value::String(id.to_string())),
        ("timestamp", Value::String(rfc3339(received_at))),
    ];
    for (k, v) in canonical {
        fields.entry(k).or_insert(v);
    }
    Ok(Event {
        id,
        source_id: origin.source_id.clone(),
        source_kind: origin.kind,
        name,
        received_at,
        chatty,
        fields,
        event_pointer: origin.event_pointer.map(str::to_owned),
        // Valid UTF-8 and JSON: it parsed above.
        raw: RawBody::from_json(String::from_utf8_lossy(body).into_owned())
            .map_err(|e| NormalizeError::NotJson(e.to_string()))?,
    })
}

type Normalized = (String, String, bool);

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Kinescope: `{"event": "...", "data": {...}}`; fields come from `data`.
fn kinescope(root: &Map<String, Value>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let name = root
        .get("event")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| NormalizeError::NoEventName("kinescope body has no \"event\" string".into()))?
        .to_owned();
    let empty = Map::new();
    let data = root.get("data").and_then(Value::as_object).unwrap_or(&empty);
    flatten_map("", data, fields);
    let (id, status, stream) = (text(data, "id"), text(data, "status"), text(data, "event_id"));
    let summary = match name.as_str() {
        "media.update.status" => match status {
            "done" => format!("Video {id} is ready to watch"),
            "error" => format!("Video {id} failed: {}", text(data, "message")),
            "aborted" => format!("Video {id}: processing was aborted"),
            other => format!("Video {id} is {other}"),
        },
        "live.created" => format!("Stream {stream} was created"),
        "live.connected" => format!("Streamer connected to {stream}"),
        "live.disconnected" => format!("Streamer disconnected from {stream}"),
        "live.finished" => match text(data, "video_id") {
            "" => format!("Stream {stream} finished"),
            video => format!("Stream {stream} finished; recording: {video}"),
        },
        "live.cancelled" => format!("Stream {stream} was cancelled"),
        "live.enabled" => format!("Stream {stream} is open to viewers"),
        other => format!("Kinescope: {other}"),
    };
    let chatty = matches!(name.as_str(), "live.connected" | "live.disconnected")
        || (name == "media.update.status"
            && matches!(status, "pending" | "uploading" | "pre-processing" | "processing"));
    Ok((name, summary, chatty))
}

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
fn ombi(root: &Map<String, Value>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
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
    for (k, v) in canonical {
        if !v.is_empty() && fields.get(k).is_none_or(|f| f.is_null()) {
            fields.insert(k.into(), Value::String(v));
        }
    }
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
    Ok((name, summary, false))
}

/// Any JSON object: the name from the configured pointer or `/event`, `/type`, `/notificationType`.
fn generic(raw: &Value, pointer: Option<&str>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let candidates: Vec<&str> = match pointer {
        Some(p) => vec![p],
        None => vec!["/event", "/type", "/notificationType"],
    };
    let name = candidates
        .iter()
        .filter_map(|p| raw.pointer(p))
        .map(|v| scalar_text(v).into_owned())
        .find(|s| !s.is_empty())
        .ok_or_else(|| NormalizeError::NoEventName(format!("no event name at {}", candidates.join(" or "))))?;
    flatten_into("", raw, fields);
    Ok((name.clone(), name, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(kind: SourceKind, body: Value) -> Result<Event, NormalizeError> {
        let id = SourceId::parse("src").unwrap();
        let origin = Origin { source_id: &id, kind, event_pointer: None };
        normalize(&origin, body.to_string().as_bytes(), Ulid::nil(), DateTime::UNIX_EPOCH)
    }

    #[test]
    fn restamping_moves_only_herald_s_own_canonical_fields() {
        let at = DateTime::UNIX_EPOCH + chrono::Duration::seconds(1_700_000_000);
        let id = Ulid::from_parts(7, 7);
        let mut generic = run(SourceKind::Generic, json!({"event": "x"})).unwrap();
        restamp(&mut generic, id, at);
        assert_eq!((generic.id, generic.received_at), (id, at));
        assert_eq!(generic.fields["event_id"], json!(id.to_string()));
        assert_eq!(generic.fields["herald_event_id"], json!(id.to_string()));
        assert_eq!(generic.fields["timestamp"], json!(rfc3339(at)));
        let mut own =
            run(SourceKind::Generic, json!({"event": "x", "event_id": "theirs", "timestamp": "then"})).unwrap();
        restamp(&mut own, id, at);
        assert_eq!((own.fields["event_id"].clone(), own.fields["timestamp"].clone()), (json!("theirs"), json!("then")));
        assert_eq!(own.fields["herald_event_id"], json!(id.to_string()));
    }

    fn ombi(body: &str) -> Event {
        run(SourceKind::Ombi, serde_json::from_str(body).unwrap()).unwrap()
    }

    #[test]
    fn a_german_ombi_server_still_gives_movie_id_and_tv_fields() {
        let mut body: Value = serde_json::from_str(crate::sample::OMBI_REQUEST_AVAILABLE).unwrap();
        body["type"] = json!("Film");
        let movie = ombi(&body.to_string());
        assert_eq!(movie.fields["movie_id"], json!("123456"));
        let mut tv = body.clone();
        tv["type"] = json!("TV-Serie");
        tv["seasonsList"] = json!("1,2");
        tv["episodesList"] = json!("1,2,3");
        tv["providerId"] = json!("95396");
        let tv = ombi(&tv.to_string());
        assert_eq!((tv.fields["show"].clone(), tv.fields["season"].clone()), (json!("Example Movie"), json!("1,2")));
        assert_eq!(tv.fields["episode"], json!("1,2,3"));
        assert!(!tv.fields.contains_key("movie_id"), "a TV id is not a movie id");
        let mut album = body.clone();
        album["type"] = json!("Álbum");
        album["providerId"] = json!("0383dadf-2a4e-4d10-a46a-e9e041da8eb3");
        assert!(!ombi(&album.to_string()).fields.contains_key("movie_id"));
        // Whatever the language, the fields decide: a list means TV even with an unknown `type`.
        let mut unknown = tv_partially();
        unknown["type"] = json!("Série télé");
        let e = ombi(&unknown.to_string());
        assert_eq!((e.fields["season"].clone(), e.fields["episode"].clone()), (json!("2"), json!("1, 2")));
    }

    fn tv_partially() -> Value {
        json!({"notificationType": "PartiallyAvailable", "title": "Severance", "year": "2022", "type": "TV Show",
               "seasonsList": "2", "episodesList": "1,2", "partiallyAvailableSeasonNumber": "2",
               "partiallyAvailableEpisodeNumbers": "1, 2", "partiallyAvailableEpisodesList": "2x1, 2x2"})
    }

    #[test]
    fn real_ombi_shapes_read_well() {
        let cases = [
            (crate::sample::OMBI_TEST.to_owned(), "Test notification from Ombi"),
            (crate::sample::OMBI_ISSUE_WITHOUT_REQUEST.to_owned(), "New issue on Example Show: Audio out of sync"),
            (
                json!({"notificationType": "RequestDeleted", "title": "Dune", "type": "Film", "year": null,
                       "userName": null, "requestedUser": null, "alias": null})
                .to_string(),
                "The request for Dune was deleted",
            ),
            (json!({"notificationType": "NewRequest", "title": "Dune", "year": ""}).to_string(), "Dune was requested"),
            (tv_partially().to_string(), "Severance (2022): new episodes are available (2x1, 2x2)"),
            (
                json!({"notificationType": "RequestApproved", "title": "Dune", "year": "2021", "denyReason": "old"})
                    .to_string(),
                "Dune (2021) was approved",
            ),
            (
                json!({"notificationType": "RequestDeclined", "title": "Dune", "year": "2021", "denyReason": null})
                    .to_string(),
                "Dune (2021) was declined",
            ),
            (
                json!({"notificationType": "IssueInProgress", "title": "Dune"}).to_string(),
                "The issue on Dune is in progress",
            ),
            (json!({"notificationType": "IssueDeleted", "title": "Dune"}).to_string(), "The issue on Dune was deleted"),
            (
                json!({"notificationType": "ItemAddedToFaultQueue", "title": "Dune"}).to_string(),
                "Dune could not be sent to the downloader and waits in Ombi's fault queue",
            ),
        ];
        for (body, summary) in cases {
            let e = ombi(&body);
            assert_eq!(e.fields["summary"], json!(summary), "{body}");
            let text = e.fields["summary"].as_str().unwrap();
            assert!(!text.contains("null") && !text.contains("()") && !text.ends_with(": "), "{text}");
        }
        let approved =
            ombi(&json!({"notificationType": "RequestApproved", "title": "D", "denyReason": "old"}).to_string());
        assert!(!approved.fields.contains_key("message"), "a stale denyReason is no message");
    }

    #[test]
    fn kinescope_error_status_carries_message_and_summary() {
        let e = run(
            SourceKind::Kinescope,
            json!({"event": "media.update.status", "data": {"id": "v1", "status": "error", "message": "http_code=404"}}),
        )
        .unwrap();
        assert_eq!(e.name, "media.update.status");
        assert_eq!(e.fields["status"], json!("error"));
        assert_eq!(e.fields["message"], json!("http_code=404"));
        assert_eq!(e.fields["summary"], json!("Video v1 failed: http_code=404"));
        assert_eq!(e.fields["source"], json!("src"));
        assert!(!e.chatty);
    }

    #[test]
    fn kinescope_keeps_its_own_event_id_and_marks_chatty_events() {
        let e = run(SourceKind::Kinescope, json!({"event": "live.connected", "data": {"event_id": "abc"}})).unwrap();
        assert_eq!(e.fields["event_id"], json!("abc"));
        assert_eq!(e.fields["herald_event_id"], json!(Ulid::nil().to_string()));
        assert!(e.chatty);
        let processing =
            run(SourceKind::Kinescope, json!({"event": "media.update.status", "data": {"status": "processing"}}));
        assert!(processing.unwrap().chatty);
    }

    #[test]
    fn ombi_tv_request_sets_show_and_keeps_every_field() {
        let e = run(
            SourceKind::Ombi,
            json!({"notificationType": "NewRequest", "title": "Severance", "year": "2022", "type": "TV Show",
                   "requestedUser": "ana", "denyReason": null, "providerId": "95396"}),
        )
        .unwrap();
        assert_eq!(e.name, "NewRequest");
        assert_eq!(e.fields["show"], json!("Severance"));
        assert_eq!(e.fields["providerId"], json!("95396"));
        assert_eq!(e.fields["denyReason"], Value::Null);
        assert_eq!(e.fields["summary"], json!("ana requested Severance (2022)"));
        assert!(!e.fields.contains_key("movie_id"));
    }

    #[test]
    fn generic_finds_the_name_and_flattens() {
        let e = run(SourceKind::Generic, json!({"type": "asset.new", "assets": [{"id": "a"}]})).unwrap();
        assert_eq!(e.name, "asset.new");
        assert_eq!(e.fields["assets.0.id"], json!("a"));
        let id = SourceId::parse("g").unwrap();
        let origin = Origin { source_id: &id, kind: SourceKind::Generic, event_pointer: Some("/meta/kind") };
        let e = normalize(&origin, br#"{"meta": {"kind": "k1"}}"#, Ulid::nil(), DateTime::UNIX_EPOCH).unwrap();
        assert_eq!(e.name, "k1");
    }

    #[test]
    fn bad_bodies_get_specific_errors() {
        let id = SourceId::parse("s").unwrap();
        let origin = Origin { source_id: &id, kind: SourceKind::Ombi, event_pointer: None };
        let at = DateTime::UNIX_EPOCH;
        assert!(matches!(normalize(&origin, b"{nope", Ulid::nil(), at), Err(NormalizeError::NotJson(_))));
        assert_eq!(normalize(&origin, b"[1]", Ulid::nil(), at), Err(NormalizeError::NotObject));
        let err = normalize(&origin, b"{}", Ulid::nil(), at).unwrap_err();
        assert_eq!(err.to_string(), "ombi body has no \"notificationType\" string");
        assert!(run(SourceKind::Kinescope, json!({"data": {}})).is_err());
        assert!(run(SourceKind::Generic, json!({"x": 1})).unwrap_err().to_string().contains("/event or /type"));
    }
}
