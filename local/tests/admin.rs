//! The admin API through herald-local over real HTTP, against the emulator.

mod common;

use std::time::Duration;

use common::{WAIT, World, world};
use herald_aws::testing::Reply;
use serde_json::{Value, json};

const SECRET: &str = "whsec_c3VwZXItc2VjcmV0LXNpZ25pbmcta2V5LTEyMw==";
const HEADER_VALUE: &str = "Bearer hunter2-very-private";

/// Every log line of this test binary, to check no secret reaches one.
/// Captures what this test's runtime logs. A thread-local subscriber, not the global one: whichever
/// test of this binary starts first installs the global one, so capturing there is a race.
fn capture_logs() -> (herald_aws::telemetry::CapturedLogs, tracing::subscriber::DefaultGuard) {
    let captured = herald_aws::telemetry::CapturedLogs::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug,aws=info,hyper=info,h2=info,rustls=info")
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // #[tokio::test] runs on one thread, so every task herald-local spawns logs through it.
    (captured, tracing::subscriber::set_default(subscriber))
}

async fn admin_world() -> World {
    world(json!({"sources": [{"id": "k", "kind": "kinescope", "token": "t"}]})).await
}

async fn call(w: &World, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
    let url = w.running.url(path);
    let mut request = w.http.request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    for secret in [SECRET, HEADER_VALUE] {
        assert!(!text.contains(secret), "a secret leaked in {method} {path}: {text}");
    }
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn admin(w: &World, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    call(w, method, path, body, Some(w.running.admin_token.expose())).await
}

fn target(w: &World, id: &str, path: &str) -> Value {
    json!({"id": id, "name": format!("Target {id}"), "url": w.receiver.url(path), "events": ["kinescope:*"],
           "secret": SECRET, "headers": {"Authorization": HEADER_VALUE}})
}

#[tokio::test]
async fn every_route_needs_the_admin_token() {
    let w = admin_world().await;
    for (method, path) in [("GET", "/admin/sources"), ("POST", "/admin/targets"), ("GET", "/admin/targets/x/status")] {
        assert_eq!(call(&w, method, path, None, None).await.0, 401);
        assert_eq!(call(&w, method, path, None, Some("wrong-token-of-some-length")).await.0, 401);
    }
    assert_eq!(admin(&w, "GET", "/admin/sources", None).await.0, 200);
    assert_eq!(admin(&w, "GET", "/admin/nothing", None).await.0, 404);
}

#[tokio::test]
async fn targets_are_validated_redacted_and_keep_secrets_across_edits() {
    let (logs, _logging) = capture_logs();
    let w = admin_world().await;
    let mut broken = target(&w, "d", "/d");
    broken["body"] = json!("{\n  \"content\": \"{{summary}}\",\n}");
    let (status, err) = admin(&w, "POST", "/admin/targets", Some(broken)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("body")), "{err}");
    let message = err["error"].as_str().unwrap();
    assert!(message.contains("not valid JSON") && message.contains("line 3, column 1"), "{message}");
    // What Herald fixes at send time is saved, with warnings.
    let mut long = target(&w, "long", "/long");
    long["preset"] = json!("discord");
    long["events"] = json!(["ombi:*"]);
    long["body"] = json!("{\"content\": \"{{overview}}\", \"year\": {{year}}}");
    let (status, saved) = admin(&w, "POST", "/admin/targets", Some(long)).await;
    assert_eq!(status, 201, "{saved}");
    let warnings: Vec<&str> = saved["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(warnings.iter().any(|w| w.contains("Discord takes 2000")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("{{year}} has no value")), "{warnings:?}");
    let (status, err) = admin(&w, "POST", "/admin/targets", Some(json!({"name": "x", "url": "ftp://x"}))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("url")));
    let (status, err) =
        admin(&w, "POST", "/admin/targets", Some(json!({"name": "x", "url": "https://x.example", "evnts": []}))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("evnts")), "{err}");

    let (status, created) = admin(&w, "POST", "/admin/targets", Some(target(&w, "d", "/d"))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (created["secret"].as_str(), created["headers"]["Authorization"].as_str()),
        (Some("[redacted]"), Some("[redacted]"))
    );
    assert_eq!(created["version"], 1);
    let (_, mut read) = admin(&w, "GET", "/admin/targets/d", None).await;
    read["name"] = json!("Renamed");
    let (status, updated) = admin(&w, "PUT", "/admin/targets/d", Some(read)).await;
    assert_eq!((status, updated["version"].as_u64()), (200, Some(2)), "{updated}");
    // The secret and header survived the redacted round trip: a delivery is signed with the original.
    w.post("k", &[("access-token", "t")], json!({"event": "live.finished", "data": {"event_id": "s"}}).to_string())
        .await;
    let got = w.receiver.wait_for("/d", 1, WAIT).await;
    assert_eq!(got[0].header("authorization"), Some(HEADER_VALUE));
    assert!(got[0].is_signed_with(SECRET));
    let (_, list) = admin(&w, "GET", "/admin/targets", None).await;
    assert_eq!(list[0]["name"], "Renamed");
    assert_eq!(admin(&w, "DELETE", "/admin/targets/d", None).await.0, 204);
    assert_eq!(admin(&w, "GET", "/admin/targets/d", None).await.0, 404);
    let text = logs.text();
    assert!(text.contains("admin request"), "logs were captured");
    for secret in [SECRET, HEADER_VALUE] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
}

#[tokio::test]
async fn the_test_button_reports_status_time_and_hints() {
    let w = admin_world().await;
    admin(&w, "POST", "/admin/targets", Some(target(&w, "ok", "/ok"))).await;
    admin(&w, "POST", "/admin/targets", Some(target(&w, "denied", "/denied"))).await;
    let mut slow = target(&w, "slow", "/slow");
    slow["timeout_ms"] = json!(300);
    admin(&w, "POST", "/admin/targets", Some(slow)).await;
    w.receiver.reply_for("/denied", Reply::Status { status: 401, headers: vec![], body: "bad token".into() });
    w.receiver.reply_for("/slow", Reply::Hang);

    let (_, ok) = admin(&w, "POST", "/admin/targets/ok/test", None).await;
    assert_eq!((ok["ok"].as_bool(), ok["status"].as_u64()), (Some(true), Some(204)), "{ok}");
    assert!(ok["round_trip_ms"].as_u64().is_some());
    // A sample of what the target subscribes to (Kinescope's), not another sender's.
    assert_eq!(
        w.receiver.requests_to("/ok")[0].json()["event"],
        "media.update.status",
        "the target's own kind of event"
    );
    let (_, named) = admin(&w, "POST", "/admin/targets/ok/test", Some(json!({"kind": "ombi", "event": "Test"}))).await;
    assert_eq!(named["ok"], true, "{named}");
    assert_eq!(w.receiver.requests_to("/ok")[1].json()["event"], "Test", "the sample the preview names");
    let (_, denied) = admin(&w, "POST", "/admin/targets/denied/test", None).await;
    assert_eq!((denied["ok"].as_bool(), denied["status"].as_u64()), (Some(false), Some(401)));
    assert!(denied["hint"].as_str().unwrap().contains("Authorization header is wrong"));
    assert_eq!(denied["response_snippet"], "bad token");
    let (_, slow) = admin(&w, "POST", "/admin/targets/slow/test", None).await;
    assert_eq!(
        (slow["ok"].as_bool(), slow["status"].as_u64(), slow["error"].as_str()),
        (Some(false), None, Some("timed out after 300 ms"))
    );
}

#[tokio::test]
async fn a_successful_test_resets_the_ladder_and_releases_what_was_parked() {
    let w = admin_world().await;
    let mut strict = target(&w, "t", "/t");
    strict["ordered"] = json!(true);
    admin(&w, "POST", "/admin/targets", Some(strict)).await;
    w.receiver.reply_for("/t", Reply::status(500));
    for n in 0..3 {
        w.post(
            "k",
            &[("access-token", "t")],
            json!({"event": "live.finished", "data": {"event_id": format!("e{n}")}}).to_string(),
        )
        .await;
        if n == 0 {
            w.wait_for_state("t", WAIT, |s| s.failures == 1).await;
        }
    }
    w.wait_for_state("t", WAIT, |s| s.parked == 3).await;
    let (_, status) = admin(&w, "GET", "/admin/targets/t/status", None).await;
    assert_eq!(
        (status["failures"].as_u64(), status["parked"].as_u64(), status["last_status"].as_u64()),
        (Some(1), Some(3), Some(500))
    );
    assert!(status["next_attempt_at"].is_string());

    w.receiver.reply_for("/t", Reply::status(204));
    let (_, tested) = admin(&w, "POST", "/admin/targets/t/test", None).await;
    assert_eq!(tested["ok"], true);
    let state = w.wait_for_state("t", WAIT, |s| s.is_healthy() && s.parked == 0).await;
    assert_eq!(state.failures, 0);
    // Recovered: the failure is history, not the target's state.
    let (_, status) = admin(&w, "GET", "/admin/targets/t/status", None).await;
    assert_eq!((status["last_status"].as_u64(), status["last_error"].as_str()), (None, None), "{status}");
    assert_eq!(
        (status["last_failure"]["status"].as_u64(), status["last_failure"]["recovered"].as_bool()),
        (Some(500), Some(true))
    );
    let events: Vec<String> =
        w.receiver.requests_to("/t").iter().map(|r| r.json()["event_id"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(&events[events.len() - 3..], ["e0", "e1", "e2"], "released in order after the test");
}

#[tokio::test]
async fn preview_renders_without_sending_and_replay_releases() {
    let w = admin_world().await;
    let mut t = target(&w, "p", "/p?e={{event}}");
    t["body"] = json!("{\"text\": \"{{summary}}\"}");
    admin(&w, "POST", "/admin/targets", Some(t)).await;
    let (status, preview) = admin(&w, "POST", "/admin/targets/p/preview", None).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["method"], "POST");
    assert!(preview["url"].as_str().unwrap().ends_with("/p?e=media.update.status"));
    assert_eq!(preview["headers"]["authorization"], "[redacted]");
    assert_eq!(
        serde_json::from_str::<Value>(preview["body"].as_str().unwrap()).unwrap()["text"],
        "Video 7127f2d7-0e96-40d0-9a03-2e987c096466 is ready to watch"
    );
    let given = json!({"kind": "kinescope", "body": {"event": "live.finished", "data": {"event_id": "x1"}}});
    let (_, preview) = admin(&w, "POST", "/admin/targets/p/preview", Some(given)).await;
    assert!(preview["body"].as_str().unwrap().contains("Stream x1 finished"));
    assert!(w.receiver.requests().is_empty(), "preview sends nothing");

    // Replay: park two deliveries behind a failure, then replay once the receiver is back.
    w.receiver.reply_for("/p", Reply::status(503));
    w.post("k", &[("access-token", "t")], json!({"event": "live.finished", "data": {"event_id": "r0"}}).to_string())
        .await;
    w.wait_for_state("p", WAIT, |s| s.failures == 1 && s.parked == 1).await;
    w.receiver.reply_for("/p", Reply::status(204));
    let (_, replay) = admin(&w, "POST", "/admin/targets/p/replay", None).await;
    assert_eq!(replay["replaying"], 1);
    w.wait_for_state("p", Duration::from_secs(20), |s| s.is_healthy() && s.parked == 0).await;
}

#[tokio::test]
async fn a_put_must_name_its_version_and_secrets_never_follow_a_target_elsewhere() {
    let w = admin_world().await;
    assert_eq!(admin(&w, "POST", "/admin/targets", Some(target(&w, "v", "/v"))).await.0, 201);
    let (_, read) = admin(&w, "GET", "/admin/targets/v", None).await;

    let mut unversioned = read.clone();
    unversioned.as_object_mut().unwrap().remove("version");
    let (status, err) = admin(&w, "PUT", "/admin/targets/v", Some(unversioned.clone())).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("version")), "{err}");
    let mut renamed = read.clone();
    renamed["name"] = json!("Newer");
    assert_eq!(admin(&w, "PUT", "/admin/targets/v", Some(renamed)).await.0, 200);
    let (status, err) = admin(&w, "PUT", "/admin/targets/v", Some(read.clone())).await;
    assert_eq!(status, 409, "a stale copy does not undo the newer edit: {err}");
    assert_eq!(admin(&w, "GET", "/admin/targets/v", None).await.1["name"], "Newer");

    // If-Match names the version as well as the body does.
    let response = w
        .http
        .put(w.running.url("/admin/targets/v"))
        .bearer_auth(w.running.admin_token.expose())
        .header("if-match", "\"2\"")
        .header("content-type", "application/json")
        .body(unversioned.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (_, current) = admin(&w, "GET", "/admin/targets/v", None).await;
    let mut moved = current.clone();
    moved["url"] = json!("https://elsewhere.example/hook");
    let (status, err) = admin(&w, "PUT", "/admin/targets/v", Some(moved.clone())).await;
    assert_eq!(status, 422, "{err}");
    assert!(err["error"].as_str().unwrap().contains("re-enter"), "{err}");
    moved["secret"] = json!("whsec_bmV3LXNlY3JldC1mb3ItZWxzZXdoZXJl");
    moved["headers"] = json!({"Authorization": "Bearer for-elsewhere"});
    let (status, saved) = admin(&w, "PUT", "/admin/targets/v", Some(moved)).await;
    assert_eq!(status, 200, "re-entered, it saves: {saved}");

    let mut invented = saved.clone();
    invented["headers"] = json!({"Authorization": "Bearer for-elsewhere", "X-New": "[redacted]"});
    let (status, err) = admin(&w, "PUT", "/admin/targets/v", Some(invented)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("headers.X-New")), "{err}");

    // A URL that carries a credential is shown without it, and sending it back keeps the real one.
    let discord = json!({"id": "dc", "name": "Discord", "preset": "discord",
        "url": "https://discord.com/api/webhooks/123456789012345678/Secret-Webhook-Token-0123456789abcdef"});
    let (_, created) = admin(&w, "POST", "/admin/targets", Some(discord)).await;
    assert_eq!(created["url"], "https://discord.com/api/webhooks/[redacted]/[redacted]");
    let (status, saved) = admin(&w, "PUT", "/admin/targets/dc", Some(created)).await;
    assert_eq!(status, 200, "{saved}");
    let stored = herald_app::ports::TargetStore::list_targets(&w.table).await.unwrap();
    assert!(stored.iter().any(|t| t.url.ends_with("Secret-Webhook-Token-0123456789abcdef")), "{stored:?}");
}
