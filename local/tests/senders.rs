//! The senders as their own code sends (the files in events/, see events/README.md): JellyNext's
//! bodiless GET and default POST, a German Ombi server, Kinescope's legitimate repeats, a Standard
//! Webhooks redelivery, and Kiosk's secrets, which must appear nowhere downstream.

mod common;

use std::time::Duration;

use common::{WAIT, basic, demo_sources, event_file, send, world, world_with};
use herald_aws::testing::Reply;
use herald_domain::signature::StandardKey;
use herald_local::poller::Poller;
use herald_local::stack::queue_arn;
use serde_json::{Value, json};

#[tokio::test]
async fn jellynext_default_post_and_a_get_with_query_placeholders_are_delivered() {
    let target = json!({"id": "arr", "name": "Downloader", "url": "{receiver}/arr", "events": ["jellynext:*"],
        "body": r#"{"event": "{{event}}", "tmdb": "{tmdbId}", "title": "{{title}}", "season": {{season}}}"#});
    let w = world(json!({"sources": demo_sources(), "targets": [target]})).await;
    for file in ["ingest-jellynext-movie.json", "ingest-jellynext-get.json", "ingest-jellynext-show.json"] {
        let (status, answer) = send(&w, file).await;
        assert_eq!((status, answer["deliveries"].as_u64()), (202, Some(1)), "{file}: {answer}");
    }
    let got = w.receiver.wait_for("/arr", 3, WAIT).await;
    let bodies: Vec<Value> = got.iter().map(|r| r.json()).collect();
    assert!(bodies.contains(&json!({"event": "download.movie", "tmdb": "438631", "title": "Dune", "season": null})));
    assert!(bodies.contains(&json!({"event": "download.show", "tmdb": "1396", "title": "Breaking Bad", "season": 2})));
    assert_eq!(bodies.iter().filter(|b| b["event"] == "download.movie").count(), 2, "the GET and the POST");
    for r in &got {
        assert!(!r.text().contains("jellynext-demo-token"), "the URL's token is no field");
    }

    // A title with a quote breaks JellyNext's body: 400, with where and why.
    let broken = "{\n  \"tmdbId\": \"1\",\n  \"title\": \"Say \"Hi\"\",\n  \"year\": \"2020\"\n}";
    let url = w.running.url("/hooks/jellynext?token=jellynext-demo-token");
    let response = w.http.post(url).body(broken).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let error = error["error"].as_str().unwrap().to_owned();
    assert!(error.contains("line 3 column") && error.contains("without JSON escaping"), "{error}");
}

#[tokio::test]
async fn a_german_ombi_servers_request_available_still_gives_movie_id() {
    let target = json!({"id": "t", "name": "T", "url": "{receiver}/t", "events": ["ombi:*"],
        "body": r#"{"movie": "{{movie_id}}", "summary": "{{summary}}"}"#});
    let w = world(json!({"sources": demo_sources(), "targets": [target]})).await;
    let file = event_file("ingest-ombi-localized-request-available.json");
    let body: Value = serde_json::from_str(file.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["type"], "Film", "the file is a German server's");
    assert_eq!(send(&w, "ingest-ombi-localized-request-available.json").await.0, 202);
    let got = w.receiver.wait_for("/t", 1, WAIT).await;
    assert_eq!(got[0].json(), json!({"movie": "438631", "summary": "Dune (2021) is now available"}));
}

#[tokio::test]
async fn two_identical_kinescope_live_connected_bodies_are_both_delivered() {
    let target = json!({"id": "live", "name": "Live", "url": "{receiver}/live", "events": ["kinescope:live.*"]});
    let w = world(json!({"sources": demo_sources(), "targets": [target]})).await;
    let (first, a) = send(&w, "ingest-kinescope-live-connected.json").await;
    let (second, b) = send(&w, "ingest-kinescope-live-connected.json").await;
    assert_eq!((first, second), (202, 202), "{a} {b}");
    assert_ne!(a["event_id"], b["event_id"]);
    let got = w.receiver.wait_for("/live", 2, WAIT).await;
    let ids: std::collections::BTreeSet<_> = got.iter().map(|r| r.json()["herald_event_id"].to_string()).collect();
    assert_eq!(ids.len(), 2, "two events");
}

#[tokio::test]
async fn a_standard_webhooks_redelivery_with_the_same_webhook_id_is_a_duplicate() {
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let config = json!({"sources": [{"id": "svc", "kind": "generic", "standard_webhooks_secret": SECRET}],
        "targets": [{"id": "t", "name": "T", "url": "{receiver}/t"}]});
    let w = world(config).await;
    let key = StandardKey::parse(SECRET).unwrap();
    let body = r#"{"type": "invoice.paid", "data": {"id": "in_1"}}"#;
    let mut answers = Vec::new();
    for (id, delay) in [("msg_1", 0), ("msg_1", 1), ("msg_2", 0)] {
        // The sender's retry re-signs with a new timestamp; the id stays.
        let ts = chrono::Utc::now().timestamp() + delay;
        let sig = key.sign(id, ts, body.as_bytes());
        let ts = ts.to_string();
        let headers = [("webhook-id", id), ("webhook-timestamp", ts.as_str()), ("webhook-signature", sig.as_str())];
        answers.push(w.post_again("svc", &headers, body).await);
        // The redelivery comes once the first one was handled, as a sender's retry would.
        w.receiver.wait_for("/t", 1, WAIT).await;
    }
    assert_eq!(answers.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [202, 200, 202]);
    assert_eq!(answers[1].1["duplicate"], true);
    assert_eq!(answers[1].1["event_id"], answers[0].1["event_id"]);
    w.receiver.wait_for("/t", 2, WAIT).await;
}

const TARGET_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Secrets the Kiosk files carry in their `config` (events/ingest-kiosk-*.json).
const KIOSK_SECRETS: &[&str] = &["kiosk-demo-secret", "abc123secret", "owm-0123456789abcdef", "hunter2"];

fn assert_clean(place: &str, text: &str) {
    for secret in KIOSK_SECRETS {
        assert!(!text.contains(secret), "{secret} found in {place}: {text}");
    }
}

#[tokio::test]
async fn a_kiosk_bodys_secrets_appear_in_no_queue_message_parked_item_delivery_log_or_admin_answer() {
    let logs = herald_aws::telemetry::CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        // The most a deployment may log: everything, within the clamps the functions apply.
        .with_env_filter(herald_aws::telemetry::log_filter("trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // This test's runtime is single-threaded, so every task of herald-local logs through it.
    let _logging = tracing::subscriber::set_default(subscriber);

    let targets = json!([
        {"id": "everything", "name": "Default payload", "url": "{receiver}/ok", "events": ["kiosk:*"]},
        {"id": "raw", "name": "Raw body", "url": "{receiver}/raw", "events": ["kiosk:*"], "body": "{{raw}}"},
        {"id": "down", "name": "Down", "url": "{receiver}/down", "events": ["kiosk:*"]},
        {"id": "refusing", "name": "Refusing", "url": "{receiver}/refusing", "events": ["kiosk:*"]},
        {"id": "signed", "name": "Signed", "url": "{receiver}/signed", "events": ["kiosk:*"], "secret": TARGET_SECRET,
         "headers": {"Authorization": "Bearer target-header-secret-123"}}
    ]);
    let w = world_with(json!({"sources": demo_sources(), "targets": targets}), |o| o.pollers = 0).await;
    w.receiver.reply_for("/down", Reply::status(503));
    w.receiver.reply_for("/refusing", Reply::status(422));
    let files = ["ingest-kiosk-asset-new.json", "ingest-kiosk-like.json", "ingest-kiosk-cache-flush.json"];
    for file in files {
        let body = event_file(file).body.unwrap();
        assert!(KIOSK_SECRETS.iter().any(|s| body.contains(s)), "{file} carries Kiosk's secrets");
        let (status, answer) = send(&w, file).await;
        assert_eq!(status, 202, "{file}: {answer}");
    }

    // The queue, before anything consumes it.
    let sqs = aws_sdk_sqs::Client::new(&w.aws);
    let queue = &w.running.stack.resources.deliveries_queue_url;
    let mut seen = std::collections::HashSet::new();
    let deadline = std::time::Instant::now() + WAIT;
    while seen.len() < files.len() * 5 {
        assert!(std::time::Instant::now() < deadline, "only {} of {} deliveries queued", seen.len(), files.len() * 5);
        // Hidden for a moment, so the next receive returns the others.
        let got = sqs.receive_message().queue_url(queue).max_number_of_messages(10).visibility_timeout(2).send().await;
        for m in got.unwrap().messages.unwrap_or_default() {
            assert_clean("a queued delivery", m.body.as_deref().unwrap_or_default());
            seen.insert(m.message_id.unwrap_or_default());
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Deliver them as the Lambda mapping would.
    let poller = Poller {
        sqs: sqs.clone(),
        queue_url: queue.clone(),
        queue_arn: queue_arn(&sqs, queue).await.unwrap(),
        region: "us-east-1".into(),
        batch_size: 10,
        batch_window: Duration::ZERO,
        invocations: Default::default(),
        stop: Default::default(),
        failed_visibility: None,
    };
    let deliver = w.running.deliver.clone();
    let handler = |batch| herald_deliver::handler::process(deliver.clone(), 4, None, batch);
    let mut handled = 0;
    while handled < files.len() * 5 {
        assert!(std::time::Instant::now() < deadline + WAIT, "only {handled} deliveries handled");
        handled += poller.poll_once(&handler).await.unwrap();
    }
    for path in ["/ok", "/raw"] {
        for r in w.receiver.wait_for(path, files.len(), WAIT).await {
            assert_clean("a delivery", &format!("{} {:?} {}", r.uri, r.headers, r.text()));
        }
    }
    let raw = w.receiver.requests_to("/raw");
    assert!(
        raw.iter().all(|r| r.text().contains("immich-kiosk") && !r.text().contains("webhooks")),
        "{{{{raw}}}} is the body, less its config"
    );

    // What the table holds: parked deliveries of the target that is down, rejected ones, state, health.
    let items = aws_sdk_dynamodb::Client::new(&w.aws)
        .scan()
        .table_name(&w.running.stack.resources.table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    // The source's own item keeps its HMAC key (verifying needs it); nothing else may.
    let items: Vec<_> = items.into_iter().filter(|i| i["PK"].as_s().is_ok_and(|pk| pk != "SOURCES")).collect();
    let stored = format!("{items:?}");
    assert!(stored.contains("PARKED#") && stored.contains("REJECTED#"), "the failures were stored: {stored}");
    assert_clean("the table", &stored);

    for path in [
        "/admin/sources",
        "/admin/sources/kiosk",
        "/admin/targets",
        "/admin/targets/down/status",
        "/admin/targets/refusing/rejected",
    ] {
        let (status, answer) = w.admin("GET", path, None).await;
        assert_eq!(status, 200, "{path}");
        assert_clean(path, &answer.to_string());
    }

    let logged = logs.text();
    assert!(logged.contains("event accepted") && logged.contains("kiosk"), "the capture saw the pipeline: {logged}");
    assert_clean("the logs", &logged);
    for secret in [TARGET_SECRET, "target-header-secret-123", w.running.admin_token.expose()] {
        assert!(!logged.contains(secret), "a target's or the admin's secret in the logs");
    }
}

#[tokio::test]
async fn source_health_shows_what_herald_last_accepted_and_refused() {
    let w = world(json!({"sources": demo_sources(), "targets": []})).await;
    assert_eq!(send(&w, "ingest-ombi-test.json").await.0, 202);
    let wrong = w.post("ombi", &[("access-token", "a-guess")], "{}").await;
    assert_eq!(wrong.0, 401);
    let kinescope =
        w.post("kinescope", &[("authorization", &basic("kinescope", "kinescope-demo-token"))], "not json").await;
    assert_eq!(kinescope.0, 400);
    let (_, listed) = w.admin("GET", "/admin/sources", None).await;
    let health = |id: &str| listed.as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["health"].clone();
    let ombi = health("ombi");
    assert_eq!(ombi["last_accepted"]["event"], "Test");
    assert_eq!(ombi["last_refused"]["status"], 401);
    assert_eq!(ombi["last_refused"]["reason"], "the token sent in Access-Token does not match");
    assert!(!ombi.to_string().contains("a-guess"), "no value the sender sent");
    let kinescope = health("kinescope");
    assert_eq!(kinescope["last_refused"]["status"], 400);
    assert!(kinescope["last_refused"]["reason"].as_str().unwrap().contains("not valid JSON"), "{kinescope}");
    assert!(kinescope.get("last_accepted").is_none(), "{kinescope}");
    assert_eq!(health("kiosk"), json!({}), "nothing yet");
}
