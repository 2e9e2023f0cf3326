use super::*;
use serde_json::json;

fn run(kind: SourceKind, body: Value) -> Result<Event, NormalizeError> {
    let id = SourceId::parse("src").unwrap();
    let origin = Origin::of(&id, kind);
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
    let mut own = run(SourceKind::Generic, json!({"event": "x", "event_id": "theirs", "timestamp": "then"})).unwrap();
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
    let approved = ombi(&json!({"notificationType": "RequestApproved", "title": "D", "denyReason": "old"}).to_string());
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
    let origin = Origin { event_pointer: Some("/meta/kind"), ..Origin::of(&id, SourceKind::Generic) };
    let e = normalize(&origin, br#"{"meta": {"kind": "k1"}}"#, Ulid::nil(), DateTime::UNIX_EPOCH).unwrap();
    assert_eq!(e.name, "k1");
}

#[test]
fn bad_bodies_get_specific_errors() {
    let id = SourceId::parse("s").unwrap();
    let origin = Origin::of(&id, SourceKind::Ombi);
    let at = DateTime::UNIX_EPOCH;
    assert!(matches!(normalize(&origin, b"{nope", Ulid::nil(), at), Err(NormalizeError::NotJson(_))));
    assert_eq!(normalize(&origin, b"[1]", Ulid::nil(), at), Err(NormalizeError::NotObject));
    let err = normalize(&origin, b"{}", Ulid::nil(), at).unwrap_err();
    assert_eq!(err.to_string(), "ombi body has no \"notificationType\" string");
    assert!(run(SourceKind::Kinescope, json!({"data": {}})).is_err());
    assert!(run(SourceKind::Generic, json!({"x": 1})).unwrap_err().to_string().contains("/event or /type"));
}

#[test]
fn jellynext_default_bodies_get_a_name_and_canonical_fields() {
    let movie = br#"{
  "tmdbId": "438631",
  "imdbId": "tt1160419",
  "title": "Dune",
  "year": "2021",
  "jellyfinUserId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
}"#;
    let id = SourceId::parse("jn").unwrap();
    let e = normalize(&Origin::of(&id, SourceKind::Jellynext), movie, Ulid::nil(), DateTime::UNIX_EPOCH).unwrap();
    assert_eq!(e.name, "download.movie");
    assert_eq!(e.fields["movie_id"], json!("438631"));
    assert_eq!(e.fields["summary"], json!("Dune (2021) was requested for download"));
    assert!(e.knows("TMDBID"), "JellyNext's own names, any case");
    let show = run(SourceKind::Jellynext, serde_json::from_str(crate::sample::JELLYNEXT_SHOW).unwrap()).unwrap();
    assert_eq!(show.name, "download.show");
    assert_eq!((show.fields["show"].clone(), show.fields["season"].clone()), (json!("Breaking Bad"), json!("2")));
    assert_eq!(show.fields["summary"], json!("Breaking Bad (2008) season 2 was requested for download"));
    assert!(!show.fields.contains_key("movie_id"));
    let own = run(SourceKind::Jellynext, json!({"event": "grab", "title": "X"})).unwrap();
    assert_eq!(own.name, "grab");
}

#[test]
fn a_jellynext_body_broken_by_a_quote_says_where_and_why() {
    let body = br#"{"tmdbId": "1", "title": "Say "Hi"", "year": "2020"}"#;
    let err = parse_body(SourceKind::Jellynext, body).unwrap_err().to_string();
    assert!(err.contains("line 1 column 32"), "{err}");
    assert!(err.contains("without JSON escaping"), "{err}");
    let other = parse_body(SourceKind::Generic, body).unwrap_err().to_string();
    assert!(!other.contains("JellyNext"), "{other}");
    assert_eq!(parse_body(SourceKind::Ombi, b"  "), Err(NormalizeError::Empty));
}

#[test]
fn kiosk_summaries_read_well_and_config_is_never_a_field() {
    let mut body: Value = serde_json::from_str(crate::sample::KIOSK_ASSET_NEW).unwrap();
    body["config"] = json!({"webhooks": [{"secret": "s"}]});
    let cases = [
        ("asset.new", "Kiosk dining-room-pi is showing IMG_0042.jpg", true),
        ("asset.history.previous", "Kiosk dining-room-pi went back to IMG_0042.jpg", true),
        ("asset.offline.new", "Kiosk dining-room-pi is showing IMG_0042.jpg (offline)", true),
        ("user.like.info_overlay", "Kiosk dining-room-pi: IMG_0042.jpg was liked", false),
        (
            "user.webhook.trigger.info_overlay",
            "Kiosk dining-room-pi: the webhook button was pressed on IMG_0042.jpg",
            false,
        ),
        ("cache.flush", "Kiosk dining-room-pi flushed its cache", false),
    ];
    for (name, summary, chatty) in cases {
        body["event"] = json!(name);
        let e = run(SourceKind::Kiosk, body.clone()).unwrap();
        assert_eq!((e.fields["summary"].clone(), e.chatty), (json!(summary), chatty), "{name}");
        assert!(e.fields.keys().all(|k| !k.starts_with("config")), "{:?}", e.fields.keys());
        assert_eq!(e.fields["assets.0.exifInfo.city"], json!("Lisbon"));
    }
    body["clientName"] = json!("");
    body["assets"] = json!([]);
    body["event"] = json!("cache.flush");
    assert_eq!(run(SourceKind::Kiosk, body).unwrap().fields["summary"], json!("Kiosk flushed its cache"));
}

#[test]
fn generic_summaries_name_source_event_and_title_or_follow_the_source_template() {
    let e = run(SourceKind::Generic, json!({"event": "imported", "title": "Fight Club"})).unwrap();
    assert_eq!(e.fields["summary"], json!("src: imported: Fight Club"));
    let e =
        run(SourceKind::Generic, json!({"action": "push", "type": "push", "repository": {"name": "herald"}})).unwrap();
    assert_eq!(e.fields["summary"], json!("src: push: herald"));
    assert_eq!(run(SourceKind::Generic, json!({"event": "x"})).unwrap().fields["summary"], json!("src: x"));
    let id = SourceId::parse("kiosk").unwrap();
    let origin = Origin { summary: Some("Kiosk: {{event}} {{assets.0.id}}"), ..Origin::of(&id, SourceKind::Generic) };
    let body = br#"{"event": "asset.new", "assets": [{"id": "a1"}]}"#;
    let e = normalize(&origin, body, Ulid::nil(), DateTime::UNIX_EPOCH).unwrap();
    assert_eq!(e.fields["summary"], json!("Kiosk: asset.new a1"));
    assert_eq!(e.summary_template.as_deref(), origin.summary, "carried for a slim message's rebuild");
    let with_id = Origin { summary: Some("{{event}} {{event_id}}"), ..Origin::of(&id, SourceKind::Generic) };
    let mut e = normalize(&with_id, body, Ulid::nil(), DateTime::UNIX_EPOCH).unwrap();
    let id = Ulid::from_parts(5, 5);
    restamp(&mut e, id, DateTime::UNIX_EPOCH);
    assert_eq!(e.fields["summary"], json!(format!("asset.new {id}")), "the final id, not the placeholder one");
}

#[test]
fn kinescope_shapes_without_ids_read_well() {
    let finished = run(SourceKind::Kinescope, json!({"event": "live.finished", "data": {"event_id": "s1"}})).unwrap();
    assert_eq!(finished.fields["summary"], json!("Stream s1 finished"));
    let suspended =
        run(SourceKind::Kinescope, json!({"event": "media.update.status", "data": {"id": "v", "status": "suspended"}}));
    assert_eq!(suspended.unwrap().fields["summary"], json!("Video v is suspended"));
    let bare = run(SourceKind::Kinescope, json!({"event": "live.created", "data": {}})).unwrap();
    assert_eq!(bare.fields["summary"], json!("The stream was created"));
}

#[test]
fn a_body_rewritten_by_pruning_keeps_every_number_exact() {
    // Found by the `adapters` fuzz target: without serde_json's `float_roundtrip`, a large number
    // parsed and written again came back 1 ulp off, so a pruned body changed a value it kept.
    let body = format!(r#"{{"event":"e","token":"t","n":{}25}}"#, "6".repeat(100));
    let mut value: Value = serde_json::from_str(&body).unwrap();
    let source = crate::Source::new(SourceId::parse("g").unwrap(), SourceKind::Generic, crate::SourceAuth::token("x"));
    assert_eq!(prune(&mut value, &DropRules::for_source(&source, vec![])), 1);
    let again: Value = serde_json::from_str(&value.to_string()).unwrap();
    assert_eq!(again["n"], value["n"]);
    let original: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(again["n"], original["n"], "the number survives the rewrite bit for bit");
}

#[test]
fn a_summary_repeating_the_whole_body_is_cut_to_one_line_s_worth() {
    let id = SourceId::parse("big").unwrap();
    let template = "{{raw}} ".repeat(70);
    let origin = Origin { summary: Some(&template), ..Origin::of(&id, SourceKind::Generic) };
    let body = json!({"event": "x", "blob": "y".repeat(250_000)}).to_string();
    let e = normalize(&origin, body.as_bytes(), Ulid::nil(), DateTime::UNIX_EPOCH).unwrap();
    let summary = e.fields["summary"].as_str().unwrap();
    assert!(summary.len() <= MAX_SUMMARY_BYTES && summary.ends_with('…'), "{} bytes", summary.len());
}
