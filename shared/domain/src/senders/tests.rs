//! Shapes each sender's code sends that the events/ fixtures do not cover.

use serde_json::{Value, json};

use super::SourceKind;
use crate::adapters::{Origin, normalize};
use crate::event::Event;
use crate::ids::SourceId;

fn run(kind: SourceKind, body: Value) -> Event {
    let id = SourceId::parse("s").unwrap();
    normalize(&Origin::of(&id, kind), body.to_string().as_bytes(), ulid::Ulid::nil(), Default::default()).unwrap()
}

fn summary(e: &Event) -> &str {
    e.fields["summary"].as_str().unwrap()
}

#[test]
fn plex_user_is_the_account_not_plex_s_flag() {
    let e = run(SourceKind::Plex, serde_json::from_str(super::plex::PLAY).unwrap());
    assert_eq!((e.fields["user"].clone(), e.fields["plex_user"].clone()), (json!("alice"), json!(true)));
}

#[test]
fn kino_watched_is_chatty_as_kino_leaves_it_off() {
    let e = run(SourceKind::Kino, json!({"event_type": "watched", "title": "Dune", "year": 2021}));
    assert!(e.chatty && summary(&e) == "Watched Dune (2021)");
}

#[test]
fn an_album_s_size_is_all_its_tracks() {
    let tracks: Vec<Value> = (0..10).map(|_| json!({"quality": "FLAC", "size": 30_000_000})).collect();
    let body = json!({"eventType": "Download", "artist": {"name": "Daft Punk"}, "album": {"title": "RAM"},
                      "trackFiles": tracks, "isUpgrade": false, "instanceName": "Lidarr"});
    let e = run(SourceKind::Servarr, body);
    assert_eq!(summary(&e), "Imported Daft Punk – RAM (FLAC, 300.0 MB)");
}

#[test]
fn a_manual_prowlarr_grab_is_no_copy_of_an_app_s_grab() {
    let body = |trigger: &str| {
        json!({"release": {"releaseTitle": "Dune.2021.1080p", "indexer": "NZBgeek"}, "trigger": trigger,
               "source": "Prowlarr", "eventType": "Grab", "instanceName": "Prowlarr"})
    };
    let manual = run(SourceKind::Servarr, body("manual"));
    assert!(
        !manual.chatty && summary(&manual) == "Manually grabbed Dune.2021.1080p from NZBgeek",
        "{}",
        summary(&manual)
    );
    assert!(run(SourceKind::Servarr, body("api")).chatty);
}

#[test]
fn overseerr_event_is_the_type_and_a_comment_is_the_message() {
    let body = json!({"notification_type": "ISSUE_COMMENT", "event": "New Comment on Audio Issue",
        "subject": "Dune (2021)", "message": "Sound is off", "media": {"media_type": "movie", "tmdbId": "438631"},
        "request": null, "issue": {"issue_type": "AUDIO", "reportedBy_username": "alice"},
        "comment": {"comment_message": "Fixed, try again", "commentedBy_username": "bob"}, "extra": []});
    let e = run(SourceKind::Overseerr, body);
    assert_eq!(e.fields["event"], json!("ISSUE_COMMENT"));
    assert_eq!(e.fields["headline"], json!("New Comment on Audio Issue"));
    assert_eq!((e.fields["message"].clone(), e.fields["user"].clone()), (json!("Fixed, try again"), json!("bob")));
    assert_eq!(summary(&e), "bob commented on the issue on Dune (2021): Fixed, try again");
}

#[test]
fn a_failed_jellyfin_task_is_news() {
    let body = |status: &str| {
        json!({"NotificationType": "TaskCompleted", "TaskName": "Scan Media Library", "ResultStatus": status,
               "ResultErrorMessage": "disk gone"})
    };
    let failed = run(SourceKind::Jellyfin, body("Failed"));
    assert!(
        !failed.chatty && summary(&failed) == "Jellyfin task Scan Media Library failed: disk gone",
        "{}",
        summary(&failed)
    );
    assert!(run(SourceKind::Jellyfin, body("Completed")).chatty);
    let plugin = run(SourceKind::Jellyfin, json!({"NotificationType": "PluginInstalled"}));
    assert_eq!(summary(&plugin), "A Jellyfin plugin was installed");
}

#[test]
fn a_tautulli_episode_s_title_is_the_episode_s() {
    let body: Value = serde_json::from_str(super::tautulli::PLAY).unwrap();
    let e = run(SourceKind::Tautulli, body);
    assert_eq!((e.fields["title"].clone(), e.fields["show"].clone()), (json!("Hello, Ms. Cobel"), json!("Severance")));
}

#[test]
fn sonarr_s_test_series_has_no_year() {
    let e = run(SourceKind::Servarr, serde_json::from_str(super::servarr::SONARR_TEST).unwrap());
    assert!(e.fields.get("year").is_none_or(|y| y.as_i64() == Some(0) || y == ""), "{:?}", e.fields.get("year"));
}
