//! The home media stack's senders as their code sends (events/): Plex's multipart body and its
//! poster, the *arr apps' Basic credential, and each sender's chatty events left out of a default
//! subscription.

mod common;

use std::path::Path;

use base64::Engine as _;
use common::{WAIT, demo_sources, event_file, send, world};
use serde_json::{Value, json};

fn events_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../events"))
}

/// The senders added beside Ombi, Kinescope, JellyNext and Kiosk.
const MEDIA_KINDS: [&str; 7] = ["servarr", "overseerr", "jellyfin", "plex", "emby", "tautulli", "kino"];

fn media_files() -> Vec<String> {
    herald_local::demo::ingest_events(events_dir())
        .unwrap()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| MEDIA_KINDS.iter().any(|k| name.starts_with(&format!("ingest-{k}-"))))
        .collect()
}

#[tokio::test]
async fn a_plex_webhook_is_delivered_without_its_poster_and_bad_multipart_is_refused() {
    let raw = json!({"id": "raw", "name": "Raw", "url": "{receiver}/raw", "events": ["plex:*"],
        "body": r#"{"payload": {{raw}}}"#});
    let full = json!({"id": "full", "name": "Full", "url": "{receiver}/full", "events": ["plex:*"]});
    let w = world(json!({"sources": demo_sources(), "targets": [raw, full]})).await;
    let file = event_file("ingest-plex-media-play.json");
    let sent = base64::engine::general_purpose::STANDARD.decode(file.body.as_deref().unwrap()).unwrap();
    let jpeg_start = sent.windows(4).position(|w| w == [0xff, 0xd8, 0xff, 0xe0]).expect("the fixture has a JPEG");
    let (status, answer) = send(&w, "ingest-plex-media-play.json").await;
    assert_eq!((status, answer["deliveries"].as_u64()), (202, Some(2)), "{answer}");

    let got = [w.receiver.wait_for("/raw", 1, WAIT).await, w.receiver.wait_for("/full", 1, WAIT).await].concat();
    for r in &got {
        assert!(!r.body.windows(4).any(|b| b == &sent[jpeg_start..jpeg_start + 4]), "no JPEG bytes downstream");
        assert!(!r.text().contains("thumb.jpg") && !r.text().contains("form-data"), "{}", r.text());
        assert!(!r.text().contains("plex-demo-token"), "the URL's token is no field");
    }
    // `{{raw}}` is the body as a JSON string: the payload part's text.
    let forwarded: Value = serde_json::from_str(got[0].json()["payload"].as_str().unwrap()).unwrap();
    assert_eq!(forwarded["Metadata"]["grandparentTitle"], "Severance", "{{raw}} is the payload part");
    assert_eq!(got[1].json()["summary"], "alice started Severance S02E01 on Living Room TV");
    assert_eq!((got[1].json()["season"].clone(), got[1].json()["episode"].clone()), (json!("2"), json!("1")));

    // Both deliveries are done; once the queue is empty, refusals must leave it so.
    let deadline = std::time::Instant::now() + WAIT;
    while w.queued().await > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let queued = w.queued().await;
    let url = w.running.url("/hooks/plex?token=plex-demo-token");
    let cases = [
        (
            "multipart/form-data; boundary=X",
            b"--X\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n{}".to_vec(),
            "ends before",
        ),
        ("multipart/form-data", b"--X\r\n\r\n--X--\r\n".to_vec(), "no boundary"),
        (
            "multipart/form-data; boundary=X",
            b"--X\r\nContent-Disposition: form-data; name=\"thumb\"\r\n\r\nxx\r\n--X--\r\n".to_vec(),
            "no part named",
        ),
    ];
    for (content_type, body, expected) in cases {
        let response = w.http.post(&url).header("content-type", content_type).body(body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{expected}");
        let error = response.text().await.unwrap();
        assert!(error.contains(expected), "{expected}: {error}");
    }
    // A sender that posts JSON only is told so, not "not JSON".
    let response = w
        .http
        .post(w.running.url("/hooks/kino"))
        .bearer_auth("kino-demo-token")
        .header("content-type", "multipart/form-data; boundary=X")
        .body("--X\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n{}\r\n--X--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("a kino source takes a JSON body, not multipart/form-data"));
    assert_eq!(w.queued().await, queued, "refused bodies queue nothing");
}

#[tokio::test]
async fn a_sonarr_credential_reaches_no_receiver() {
    let raw = json!({"id": "raw", "name": "Raw", "url": "{receiver}/raw", "events": ["servarr:*"],
        "body": r#"{"payload": {{raw}}}"#});
    let full = json!({"id": "full", "name": "Full", "url": "{receiver}/full", "events": ["servarr:*"]});
    let w = world(json!({"sources": demo_sources(), "targets": [raw, full]})).await;
    let mut with_echo = event_file("ingest-servarr-sonarr-grab.json");
    // A sender that echoes its own credential in the body: the password and the Basic blob both go.
    let blob = base64::engine::general_purpose::STANDARD.encode("herald:servarr-demo-token");
    let body: Value = serde_json::from_str(with_echo.body.as_deref().unwrap()).unwrap();
    let mut body = body.as_object().unwrap().clone();
    body.insert("note".into(), json!(format!("sent with Basic {blob}")));
    body.insert("password".into(), json!("servarr-demo-token"));
    with_echo.body = Some(Value::Object(body).to_string());
    for request in [event_file("ingest-servarr-sonarr-test.json"), with_echo] {
        let (status, answer) = herald_local::demo::post(&w.http, &w.running.url(""), &request).await.unwrap();
        assert_eq!(status, 202, "{answer}");
    }
    let got = [w.receiver.wait_for("/raw", 2, WAIT).await, w.receiver.wait_for("/full", 2, WAIT).await].concat();
    for r in &got {
        let text = r.text();
        assert!(!text.contains("servarr-demo-token") && !text.contains(&blob), "{text}");
        assert!(r.header("authorization").is_none(), "the sender's Authorization is not forwarded");
        assert!(!text.to_lowercase().contains("authorization"), "{text}");
    }
    let summaries: Vec<Value> =
        got.iter().filter(|r| r.uri.path() == "/full").map(|r| r.json()["summary"].clone()).collect();
    assert!(summaries.contains(&json!("Test notification from Sonarr")), "{summaries:?}");
    assert!(summaries.contains(&json!("Grabbed Severance S02E01 (WEBDL-1080p, 3.9 GB) from NZBgeek (Prowlarr)")));
}

#[tokio::test]
async fn a_target_with_no_event_list_gets_no_chatty_event_of_any_sender() {
    let all = json!({"id": "all", "name": "All", "url": "{receiver}/all"});
    let w = world(json!({"sources": demo_sources(), "targets": [all]})).await;
    // Pauses, progress reports and Prowlarr's copy of every grab; the catalog must call them chatty too.
    let chatty = [
        ("ingest-plex-media-pause.json", "plex", "media.pause"),
        ("ingest-jellyfin-playback-progress.json", "jellyfin", "PlaybackProgress"),
        ("ingest-tautulli-pause.json", "tautulli", "pause"),
        ("ingest-servarr-prowlarr-grab-api.json", "servarr", "Grab"),
        ("ingest-kino-watched.json", "kino", "watched"),
    ];
    let (_, catalog) = w.admin("GET", "/admin/catalog", None).await;
    for (_, kind, name) in chatty {
        let entry = catalog["sources"].as_array().unwrap().iter().find(|k| k["kind"] == kind).unwrap();
        let event = entry["events"].as_array().unwrap().iter().find(|e| e["name"] == name).unwrap();
        assert!(event["chatty"] == true || event.get("chatty_when").is_some(), "{kind}:{name}: {event}");
    }
    let files = media_files();
    assert!(files.len() >= 40, "every new sender's fixtures: {}", files.len());
    let mut expected = 0;
    for file in &files {
        let (status, answer) = send(&w, file).await;
        assert_eq!(status, 202, "{file}: {answer}");
        let is_chatty = chatty.iter().any(|(f, _, _)| f == file);
        assert_eq!(answer["deliveries"].as_u64(), Some(u64::from(!is_chatty)), "{file}: {answer}");
        expected += usize::from(!is_chatty);
    }
    assert_eq!(w.receiver.wait_for("/all", expected, WAIT).await.len(), expected);
}
