//! End to end: real HTTP into herald-local, DynamoDB and SQS on the emulator, real deliveries to
//! a recording receiver.

mod common;

use std::time::Duration;

use common::{WAIT, basic, world, world_with};
use herald_aws::testing::{Reply, closed_port_url};
use herald_domain::signature::StandardKey;
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config() -> Value {
    json!({
        "sources": [
            {"id": "kinescope", "kind": "kinescope", "token": "kt"},
            {"id": "kinescope-once", "kind": "kinescope", "token": "kt", "dedupe_window_secs": 600},
            {"id": "ombi", "kind": "ombi", "token": "ot"},
            {"id": "jelly", "kind": "generic", "token": "jt"}
        ],
        "targets": [
            {"id": "discord", "name": "Discord", "url": "{receiver}/discord", "preset": "discord",
             "when": {"status": ["done", "error"]}},
            {"id": "generic", "name": "Script", "url": "{receiver}/generic", "secret": SECRET,
             "events": ["kinescope:*"], "when": {"status": ["done", "error"]}},
            {"id": "ntfy", "name": "ntfy", "url": "{receiver}/ntfy/media", "preset": "ntfy",
             "events": ["ombi:RequestAvailable"]},
            {"id": "get", "name": "Downloader", "method": "GET", "events": ["jelly:*"],
             "url": "{receiver}/download?tmdb={tmdbId}&title={title}",
             "headers": {"X-Imdb": "{imdbId}", "Authorization": "Bearer {{title}}"}}
        ]
    })
}

fn kinescope(event: &str, data: Value) -> String {
    json!({"event": event, "data": data}).to_string()
}

fn ombi(title: &str, kind: &str) -> String {
    let mut body: Value = serde_json::from_str(herald_domain::sample::OMBI_REQUEST_AVAILABLE).unwrap();
    body["title"] = json!(title);
    body["type"] = json!(kind);
    body.to_string()
}

#[tokio::test]
async fn kinescope_events_reach_discord_and_a_signed_generic_target() {
    let w = world(config()).await;
    let auth = basic("kinescope", "kt");
    let bodies = [
        kinescope("media.update.status", json!({"id": "v-done", "status": "done"})),
        kinescope("media.update.status", json!({"id": "v-err", "status": "error", "message": "http_code=404"})),
        kinescope("live.finished", json!({"event_id": "s1", "video_id": "rec1"})),
    ];
    for body in &bodies {
        let (status, answer) = w.post("kinescope", &[("authorization", &auth)], body.clone()).await;
        assert_eq!(status, 202, "{answer}");
        assert_eq!(answer["deliveries"], 2);
    }
    let discord = w.receiver.wait_for("/discord", 3, WAIT).await;
    let mut contents: Vec<String> = discord.iter().map(|r| r.json()["content"].as_str().unwrap().to_owned()).collect();
    contents.sort();
    assert_eq!(
        contents,
        ["Stream s1 finished; recording: rec1", "Video v-done is ready to watch", "Video v-err failed: http_code=404"]
    );
    assert!(discord.iter().all(|r| r.json()["allowed_mentions"] == json!({"parse": []})));

    let generic = w.receiver.wait_for("/generic", 3, WAIT).await;
    let key = StandardKey::parse(SECRET).unwrap();
    for r in &generic {
        let (id, ts, sig) = (
            r.header("webhook-id").unwrap(),
            r.header("webhook-timestamp").unwrap(),
            r.header("webhook-signature").unwrap(),
        );
        let ts: i64 = ts.parse().unwrap();
        assert!(key.verify(id, ts, chrono::Utc::now().timestamp(), &r.body, sig), "signature verifies");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.json()["source"], "kinescope", "default payload carries every field");
    }
    let errored = generic.iter().find(|r| r.json()["status"] == "error").expect("the error status arrives");
    assert_eq!(errored.json()["message"], "http_code=404");
}

#[tokio::test]
async fn ombi_request_available_with_access_token_reaches_ntfy() {
    let w = world(config()).await;
    let (status, answer) = w.post("ombi", &[("access-token", "ot")], ombi("Dune: Part Two", "Movie")).await;
    assert_eq!((status, answer["deliveries"].as_u64()), (202, Some(2)), "ntfy and discord");
    let ntfy = w.receiver.wait_for("/ntfy/media", 1, WAIT).await;
    assert_eq!(ntfy[0].text(), "Dune: Part Two (2024) is now available");
    assert_eq!(ntfy[0].header("title"), Some("RequestAvailable"));
    assert!(ntfy[0].header("content-type").unwrap().starts_with("text/plain"));
}

#[tokio::test]
async fn hostile_titles_stay_valid_json_and_ping_nobody() {
    let w = world(config()).await;
    let title = "He said \"run\" \\o/ C:\\films\nline two 🎬🍿 @everyone @here <@&123>";
    let (status, _) = w.post("ombi", &[("access-token", "ot")], ombi(title, "Movie")).await;
    assert_eq!(status, 202);
    let discord = w.receiver.wait_for("/discord", 1, WAIT).await;
    let body = discord[0].json();
    assert_eq!(body["content"], json!(format!("{title} (2024) is now available")));
    assert_eq!(body["allowed_mentions"], json!({"parse": []}));
}

#[tokio::test]
async fn jellynext_placeholders_fill_url_and_headers_of_a_get() {
    let w = world(config()).await;
    let body = json!({"event": "movie.requested", "title": "Fight Club & Co", "tmdbId": 550, "imdbId": "tt0137523"});
    let (status, _) = w.post("jelly", &[], format!("{body}")).await;
    assert_eq!(status, 401, "no token");
    let (status, _) = w.post("jelly?token=jt", &[], body.to_string()).await;
    assert_eq!(status, 202);
    let got = w.receiver.wait_for("/download", 1, WAIT).await;
    assert_eq!(got[0].method, "GET");
    assert!(got[0].body.is_empty());
    assert_eq!(got[0].uri.query(), Some("tmdb=550&title=Fight%20Club%20%26%20Co"));
    assert_eq!(got[0].header("x-imdb"), Some("tt0137523"));
    assert_eq!(got[0].header("authorization"), Some("Bearer Fight Club & Co"));
}

#[tokio::test]
async fn when_keeps_processing_status_out() {
    let w = world(config()).await;
    let auth = basic("k", "kt");
    let processing = kinescope("media.update.status", json!({"id": "v1", "status": "processing"}));
    let (status, answer) = w.post("kinescope", &[("authorization", &auth)], processing).await;
    assert_eq!((status, answer["deliveries"].as_u64()), (202, Some(0)));
    // A later event that does pass shows the queue is flowing, so the first one really went nowhere.
    let done = kinescope("media.update.status", json!({"id": "v2", "status": "done"}));
    w.post("kinescope", &[("authorization", &auth)], done).await;
    let discord = w.receiver.wait_for("/discord", 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.receiver.requests_to("/discord").len(), 1);
    assert!(discord[0].json()["content"].as_str().unwrap().contains("v2"));
}

#[tokio::test]
async fn a_duplicate_inside_the_window_enqueues_nothing() {
    let w = world(config()).await;
    let body = kinescope("live.finished", json!({"event_id": "dup"}));
    let auth = basic("k", "kt");
    // Kinescope dedupes nothing by default: this source sets a window.
    let (first, a) = w.post("kinescope-once", &[("authorization", &auth)], body.clone()).await;
    w.receiver.wait_for("/", 2, WAIT).await;
    let (second, b) = w.post_again("kinescope-once", &[("authorization", &auth)], &body).await;
    assert_eq!((first, second), (202, 200));
    assert_eq!(b["duplicate"], true);
    assert_eq!(b["deliveries"], 0);
    assert_eq!(a["deliveries"], 2);
    w.receiver.wait_for("/", 2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.receiver.requests().len(), 2, "one per target, once");
}

#[tokio::test]
async fn every_bad_input_gets_its_status_and_enqueues_nothing() {
    let w = world(config()).await;
    let auth = basic("k", "kt");
    let ok = kinescope("live.finished", json!({"event_id": "x"}));
    let huge = kinescope("live.finished", json!({"pad": "x".repeat(300 * 1024)}));
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, String, u16, &'a str);
    let cases: Vec<Case> = vec![
        // An unknown source is answered as a wrong credential: no enumeration, no echo of the id.
        ("nope", vec![("authorization", &auth)], ok.clone(), 401, "missing or wrong credential for this source"),
        ("nope", vec![], huge.clone(), 401, "missing or wrong credential for this source"),
        ("kinescope", vec![], huge.clone(), 401, "credential"),
        ("kinescope", vec![], ok.clone(), 401, "credential"),
        ("kinescope", vec![("authorization", "Bearer wrong")], ok.clone(), 401, "credential"),
        ("kinescope", vec![("authorization", &auth)], "{not json".into(), 400, "not valid JSON"),
        ("kinescope", vec![("authorization", &auth)], "{\"data\": {}}".into(), 400, "\"event\""),
        ("kinescope", vec![("authorization", &auth)], huge, 413, "limit"),
    ];
    for (source, headers, body, status, says) in cases {
        let (got, answer) = w.post(source, &headers, body).await;
        assert_eq!(got, status, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{answer}");
        assert!(!answer.to_string().contains("nope"), "{answer}");
    }
    assert_eq!(w.queued().await, 0);
    assert!(w.receiver.requests().is_empty());
}

#[tokio::test]
async fn a_failing_target_is_recorded_and_its_message_acknowledged() {
    let w = world(config()).await;
    w.receiver.reply_with(Reply::Status { status: 503, headers: vec![], body: "down for maintenance".into() });
    let auth = basic("k", "kt");
    w.post("kinescope", &[("authorization", &auth)], kinescope("live.finished", json!({"event_id": "f"}))).await;
    let state = w.wait_for_state("discord", WAIT, |s| s.failures == 1).await;
    assert_eq!(state.last_status, Some(503));
    assert_eq!(state.last_error.as_deref(), Some("HTTP 503 Service Unavailable: down for maintenance"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.queued().await, 0, "a target's failure is not a batch-item failure");
}

#[tokio::test]
async fn hanging_and_refusing_targets_fail_with_clear_errors() {
    let config = json!({
        "sources": [{"id": "k", "kind": "kinescope", "token": "t"}],
        "targets": [
            {"id": "slow", "name": "Slow", "url": "{receiver}/slow", "timeout_ms": 300},
            {"id": "closed", "name": "Closed", "url": closed_port_url()}
        ]
    });
    let w = world(config).await;
    w.receiver.reply_with(Reply::Hang);
    w.post("k", &[("access-token", "t")], kinescope("live.finished", json!({"event_id": "h"}))).await;
    let slow = w.wait_for_state("slow", WAIT, |s| s.failures == 1).await;
    assert_eq!(slow.last_error.as_deref(), Some("timed out after 300 ms"));
    let closed = w.wait_for_state("closed", WAIT, |s| s.failures == 1).await;
    assert!(closed.last_error.as_deref().unwrap().starts_with("could not connect to http://127.0.0.1/…"), "{closed:?}");
}

#[tokio::test]
async fn loopback_targets_are_refused_unless_allow_listed() {
    let w = world_with(config(), |o| o.tuning.allow_networks.clear()).await;
    let auth = basic("k", "kt");
    w.post("kinescope", &[("authorization", &auth)], kinescope("live.finished", json!({"event_id": "s"}))).await;
    let state = w.wait_for_state("discord", WAIT, |s| s.failures == 1).await;
    let error = state.last_error.unwrap();
    assert!(error.contains("127.0.0.1 is Loopback, not globally reachable"), "{error}");
    assert!(w.receiver.requests().is_empty());
}

#[tokio::test]
async fn localhost_by_name_is_refused_by_the_resolver_too() {
    let config = json!({
        "sources": [{"id": "k", "kind": "kinescope", "token": "t"}],
        "targets": [{"id": "named", "name": "Named", "url": "http://localhost:9/x"}]
    });
    let w = world_with(config, |o| o.tuning.allow_networks.clear()).await;
    w.post("k", &[("access-token", "t")], kinescope("live.finished", json!({"event_id": "n"}))).await;
    let state = w.wait_for_state("named", WAIT, |s| s.failures == 1).await;
    assert!(state.last_error.as_deref().unwrap().contains("is Loopback, not globally reachable"), "{state:?}");
}

#[tokio::test]
async fn a_rotated_secret_signs_with_both_during_its_overlap_so_either_verifies() {
    let w = world(config()).await;
    let (status, rotated) = w.admin("POST", "/admin/targets/generic/secret", Some(json!({"overlap_hours": 1}))).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert!(new_secret.starts_with("whsec_") && new_secret != SECRET);
    assert!(rotated["previous_until"].is_string(), "{rotated}");
    // Neither secret is ever read back; the overlap is.
    let (_, shown) = w.admin("GET", "/admin/targets/generic", None).await;
    assert!(!shown.to_string().contains(SECRET) && !shown.to_string().contains(&new_secret), "{shown}");
    assert_eq!(shown["previous_secret"]["until"], rotated["previous_until"]);

    let auth = basic("kinescope", "kt");
    let body = kinescope("media.update.status", json!({"id": "v-rot", "status": "done"}));
    assert_eq!(w.post("kinescope", &[("authorization", &auth)], body).await.0, 202);
    let r = &w.receiver.wait_for("/generic", 1, WAIT).await[0];
    let (id, ts, sig) = (
        r.header("webhook-id").unwrap(),
        r.header("webhook-timestamp").unwrap(),
        r.header("webhook-signature").unwrap(),
    );
    let first = id.to_owned();
    let ts: i64 = ts.parse().unwrap();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
    let now = chrono::Utc::now().timestamp();
    // A receiver that still has the old secret verifies it, and so does one given the new secret.
    for secret in [SECRET, new_secret.as_str()] {
        assert!(StandardKey::parse(secret).unwrap().verify(id, ts, now, &r.body, sig), "{secret} verifies");
    }

    // Rotated again with no overlap (a leaked secret): only the newest signs.
    let (status, leaked) = w.admin("POST", "/admin/targets/generic/secret", Some(json!({"overlap_hours": 0}))).await;
    assert_eq!((status, leaked["previous_until"].is_null()), (200, true), "{leaked}");
    let body = kinescope("media.update.status", json!({"id": "v-rot-2", "status": "done"}));
    assert_eq!(w.post("kinescope", &[("authorization", &auth)], body).await.0, 202);
    let got = w.receiver.wait_for("/generic", 2, WAIT).await;
    let r = got.iter().find(|r| r.header("webhook-id") != Some(first.as_str())).expect("the second delivery");
    let (id, ts, sig) = (
        r.header("webhook-id").unwrap(),
        r.header("webhook-timestamp").unwrap(),
        r.header("webhook-signature").unwrap(),
    );
    let ts: i64 = ts.parse().unwrap();
    assert_eq!(sig.split(' ').count(), 1, "{sig}");
    let newest = StandardKey::parse(leaked["secret"].as_str().unwrap()).unwrap();
    assert!(newest.verify(id, ts, now, &r.body, sig));
    assert!(!StandardKey::parse(&new_secret).unwrap().verify(id, ts, now, &r.body, sig), "the replaced one no longer");
}
