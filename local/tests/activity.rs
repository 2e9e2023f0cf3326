//! The activity log against the emulator and a recording receiver: one Ombi webhook followed to
//! each target's attempts, look-ups by the id a receiver saw and by words of the title, a recover
//! of what was rejected, retention, and a log that cannot be written losing no delivery.

mod common;

use std::time::Duration;

use common::{WAIT, World, world_with};
use herald_aws::testing::Reply;
use herald_aws::testing::faults::Faults;
use herald_domain::ladder::Ladder;
use herald_domain::sample::OMBI_REQUEST_AVAILABLE;
use serde_json::{Value, json};

const OMBI: (&str, &str) = ("access-token", "ombi-token");
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config() -> Value {
    json!({"sources": [{"id": "ombi", "kind": "ombi", "token": "ombi-token"}],
    "targets": [
        {"id": "off", "name": "Off", "url": "{receiver}/off", "events": ["ombi:NewRequest"]},
        {"id": "flaky", "name": "Flaky", "url": "{receiver}/flaky", "events": ["ombi:*"], "secret": SECRET},
        {"id": "picky", "name": "Picky", "url": "{receiver}/picky", "events": ["ombi:*"]}
    ]})
}

fn dune() -> String {
    let mut body: Value = serde_json::from_str(OMBI_REQUEST_AVAILABLE).unwrap();
    body["title"] = json!("Dune: Part Two");
    body.to_string()
}

async fn get(w: &World, path: &str) -> Value {
    let (status, body) = w.admin("GET", path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn delivery<'a>(event: &'a Value, target: &str) -> &'a Value {
    event["deliveries"].as_array().unwrap().iter().find(|d| d["target_id"] == target).unwrap()
}

/// Polls the event until `done` holds for it.
async fn event_when(w: &World, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = get(w, &format!("/admin/events/{id}")).await;
        if done(&event) {
            return event;
        }
        assert!(std::time::Instant::now() < deadline, "never reached: {event:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn one_ombi_webhook_is_followed_to_every_target_attempt_by_attempt() {
    let tweak = |o: &mut herald_local::run::Options| o.tuning.ladder = Ladder::parse("1s").unwrap();
    let w = world_with(config(), tweak).await;
    w.receiver.reply_for("/flaky", Reply::Status { status: 503, headers: vec![], body: "down for maintenance".into() });
    w.receiver.reply_for("/picky", Reply::Status { status: 400, headers: vec![], body: r#"{"error": "no"}"#.into() });
    let before = chrono::Utc::now();
    let (status, answer) = w.post("ombi", &[OMBI], dune()).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["event_id"].as_str().unwrap().to_owned();
    w.receiver.wait_for("/flaky", 1, WAIT).await;
    w.receiver.reply_for("/flaky", Reply::status(204));
    let event = event_when(&w, &id, |e| delivery(e, "flaky")["outcome"] == "delivered").await;

    assert_eq!(event["name"], "RequestAvailable");
    assert!(event["summary"].as_str().unwrap().contains("Dune: Part Two"), "{event}");
    assert_eq!(event["not_routed"], json!([{"target_id": "off", "reason": "not_subscribed"}]));
    let flaky = delivery(&event, "flaky");
    let sent: Vec<&Value> = flaky["steps"].as_array().unwrap().iter().filter(|s| s["outcome"] != "parked").collect();
    assert_eq!(sent.len(), 2, "failed, then delivered after the probe: {flaky:#}");
    assert_eq!((sent[0]["outcome"].as_str(), sent[0]["status"].as_u64()), (Some("failed"), Some(503)));
    assert_eq!(sent[0]["response"], "down for maintenance", "the receiver's answer is kept");
    assert_eq!((sent[1]["outcome"].as_str(), sent[1]["status"].as_u64()), (Some("delivered"), Some(204)));
    assert!(sent.iter().all(|s| s["ms"].is_u64()), "latency in ms: {sent:?}");
    let picky = delivery(&event, "picky");
    assert_eq!((picky["outcome"].as_str(), picky["status"].as_u64()), (Some("rejected"), Some(400)));
    assert_eq!(picky["steps"][0]["response"], r#"{"error": "no"}"#);

    // The webhook-id the receiver saw finds the delivery, and its event.
    let seen = w.receiver.requests_to("/flaky").last().unwrap().header("webhook-id").unwrap().to_owned();
    assert_eq!(seen, flaky["delivery_id"]);
    let found = get(&w, &format!("/admin/deliveries/{seen}")).await;
    assert_eq!(
        (found["event"]["event_id"].as_str(), found["delivery"]["target_id"].as_str()),
        (Some(&*id), Some("flaky"))
    );
    let by_id = get(&w, &format!("/admin/events?id={seen}")).await;
    assert_eq!(by_id["events"][0]["event_id"], id.as_str());
    // The rejected one shows the request as it was sent, and so does a failed attempt, redacted.
    let rejected = get(&w, &format!("/admin/deliveries/{}", picky["delivery_id"].as_str().unwrap())).await;
    assert_eq!(rejected["request"]["method"], "POST");
    let failed_request = &sent[0]["request"];
    assert!(failed_request["body"].as_str().unwrap().contains("Dune: Part Two"), "{failed_request}");
    let signature = failed_request["headers"].as_array().unwrap().iter().find(|h| h[0] == "webhook-signature").unwrap();
    assert_eq!(signature[1], "[redacted]");
    assert!(sent[1].get("request").is_none(), "a delivered attempt's request is not kept");

    // Words of the title find it; other words do not.
    let listed = get(&w, "/admin/events?q=dune%3A%20part").await;
    assert_eq!(listed["events"].as_array().unwrap().len(), 1);
    assert!(get(&w, "/admin/events?q=arrival").await["events"].as_array().unwrap().is_empty());
    let failed = get(&w, "/admin/deliveries?outcome=failed").await;
    let targets: Vec<&str> =
        failed["deliveries"].as_array().unwrap().iter().map(|d| d["target_id"].as_str().unwrap()).collect();
    assert_eq!(targets, ["picky"]);

    // The status knows the last success, which a healthy target's state never writes.
    let status = get(&w, "/admin/targets/flaky/status").await;
    assert_eq!(status["last_delivered"]["delivery_id"], seen.as_str());

    // Recover: exactly what failed since then goes again, as the same delivery.
    w.receiver.reply_for("/picky", Reply::status(204));
    let since = before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true).replace('+', "%2B");
    let (status, count) = w.admin("POST", &format!("/admin/targets/picky/recover?since={since}"), None).await;
    assert_eq!((status, &count), (200, &json!({"replayed": 1})));
    let again = w.receiver.wait_for("/picky", 2, WAIT).await;
    assert_eq!(again[1].status, 204);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.receiver.requests_to("/flaky").len(), 2, "nothing else was sent again");
    event_when(&w, &id, |e| delivery(e, "picky")["outcome"] == "delivered").await;
    let (status, refused) = w.admin("POST", "/admin/targets/picky/recover?since=yesterday", None).await;
    assert_eq!(status, 422, "{refused}");
}

#[tokio::test]
async fn refused_webhooks_are_listed_per_source_with_herald_s_reason() {
    let w = common::world(config()).await;
    let (status, _) = w.post("ombi", &[("access-token", "a-wrong-token")], dune()).await;
    assert_eq!(status, 401);
    let (status, _) = w.post("ombi", &[OMBI], "{not json").await;
    assert_eq!(status, 400);
    let refused = get(&w, "/admin/sources/ombi/refused").await;
    let listed: Vec<(u64, &str)> = refused
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(listed.len(), 2, "{refused}");
    assert_eq!(listed[0].0, 400, "newest first");
    assert!(listed[0].1.contains("not valid JSON"), "{refused}");
    assert_eq!(listed[1], (401, "the token sent in Access-Token does not match"));
    assert!(!refused.to_string().contains("a-wrong-token"), "never a value the sender sent");
}

#[tokio::test]
async fn records_are_gone_after_the_retention() {
    let tweak = |o: &mut herald_local::run::Options| o.tuning.activity_retention = Duration::from_secs(10);
    let w = world_with(config(), tweak).await;
    let (status, answer) = w.post("ombi", &[OMBI], dune()).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["event_id"].as_str().unwrap().to_owned();
    event_when(&w, &id, |e| delivery(e, "picky")["outcome"] == "delivered").await;
    assert_eq!(get(&w, "/admin/events").await["events"].as_array().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert!(get(&w, "/admin/events").await["events"].as_array().unwrap().is_empty());
    let (status, _) = w.admin("GET", &format!("/admin/events/{id}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_delivery_parked_past_its_retention_shows_as_expired_past_the_logs_retention() {
    let tweak = |o: &mut herald_local::run::Options| {
        (o.tuning.activity_retention, o.tuning.parked_retention) = (Duration::from_secs(6), Duration::from_secs(4));
    };
    let w = world_with(config(), tweak).await;
    w.receiver.reply_for("/picky", Reply::status(503));
    let started = std::time::Instant::now();
    let (status, answer) = w.post("ombi", &[OMBI], dune()).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["event_id"].as_str().unwrap().to_owned();
    event_when(&w, &id, |e| delivery(e, "picky")["outcome"] == "parked").await;
    let expired = event_when(&w, &id, |e| delivery(e, "picky")["outcome"] == "expired").await;
    assert!(started.elapsed() >= Duration::from_secs(4), "not before the parked retention");
    assert_eq!(delivery(&expired, "flaky")["outcome"], "delivered");
    // Past the log's retention, the event is kept for its parking's expiry to be seen.
    tokio::time::sleep(Duration::from_secs(7).saturating_sub(started.elapsed())).await;
    let listed = get(&w, "/admin/events?outcome=expired").await;
    assert_eq!(listed["events"][0]["event_id"], id.as_str(), "{listed:#}");
    // And then let go.
    tokio::time::sleep(Duration::from_secs(12).saturating_sub(started.elapsed())).await;
    assert!(get(&w, "/admin/events").await["events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_log_that_cannot_be_written_loses_no_delivery() {
    // Every PutItem fails: the event's record and the deliver function's log items.
    let tweak = |o: &mut herald_local::run::Options| {
        o.faults = Some(Faults::new(7, 1.0).only(&[("DynamoDB", "PutItem")]));
        o.failed_visibility = Some(Duration::from_secs(1));
    };
    let w = world_with(config(), tweak).await;
    for n in 0..3 {
        let mut body: Value = serde_json::from_str(&dune()).unwrap();
        body["title"] = json!(format!("Movie {n}"));
        let (status, answer) = w.post("ombi", &[OMBI], body.to_string()).await;
        assert_eq!(status, 202, "{answer}");
    }
    let got = w.receiver.wait_for("/flaky", 3, WAIT).await;
    assert_eq!(got.len(), 3);
    w.receiver.wait_for("/picky", 3, WAIT).await;
}
