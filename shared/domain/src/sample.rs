//! Each sender's sample bodies (kept in its file in `senders/`), normalized: used to validate and
//! preview templates and as the synthetic event of a Test.

use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::adapters::{Origin, normalize};
use super::event::{Event, SourceKind};
use super::ids::SourceId;

pub use super::senders::generic::IMPORTED as GENERIC_IMPORTED;
pub use super::senders::jellynext::SHOW as JELLYNEXT_SHOW;
pub use super::senders::kinescope::DONE as KINESCOPE_DONE;
pub use super::senders::kiosk::ASSET_NEW as KIOSK_ASSET_NEW;
pub use super::senders::ombi::{
    ISSUE_WITHOUT_REQUEST as OMBI_ISSUE_WITHOUT_REQUEST, REQUEST_AVAILABLE as OMBI_REQUEST_AVAILABLE, TEST as OMBI_TEST,
};

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

pub fn sample_event(kind: SourceKind, id: Ulid, at: DateTime<Utc>) -> Event {
    sample_of(kind, kind.sender().sample, id, at)
}

/// The event the sender's own Test button sends, or its typical event when it has no Test.
pub fn test_event(kind: SourceKind, id: Ulid, at: DateTime<Utc>) -> Event {
    let sender = kind.sender();
    sample_of(kind, sender.test.unwrap_or(sender.sample), id, at)
}

fn sample_of(kind: SourceKind, body: &str, id: Ulid, at: DateTime<Utc>) -> Event {
    let source_id = SourceId::parse(kind.as_str()).expect("kind names are valid ids");
    let origin = Origin::of(&source_id, kind);
    normalize(&origin, body.as_bytes(), id, at).expect("samples are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_normalizes() {
        for kind in SourceKind::ALL.iter().copied() {
            let e = sample_event(kind, Ulid::nil(), DateTime::UNIX_EPOCH);
            assert!(!e.name.is_empty() && e.fields.contains_key("summary"));
        }
        let awkward = awkward_samples(Ulid::nil(), DateTime::UNIX_EPOCH);
        assert_eq!(awkward.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Test", "Issue", "IssueComment"]);
        assert!(awkward[0].fields["title"].is_null() && awkward[1].fields["year"].is_null());
        assert!(awkward[2].fields["message"].as_str().unwrap().chars().count() > 4096);
    }
}
