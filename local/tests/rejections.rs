//! No single event holds a target hostage, against the emulator and a recording receiver: payloads
//! as real senders send them, receivers that refuse one payload, receivers' size limits, a lost
//! wake-up, and a body at the documented limit.

mod common;

use std::time::Duration;

use common::{WAIT, World, world, world_with};
use herald_app::ports::{RejectedStore, StateStore};
use herald_aws::testing::Reply;
use herald_domain::TargetId;
use herald_domain::ladder::Ladder;
use herald_domain::sample::{OMBI_ISSUE_WITHOUT_REQUEST, OMBI_TEST};
use serde_json::{Value, json};

const OMBI: (&str, &str) = ("access-token", "ombi-token");
const GENERIC: (&str, &str) = ("access-token", "g-token");

fn config(targets: Value) -> Value {
    json!({"sources": [{"id": "ombi", "kind": "ombi", "token": "ombi-token"},
                       {"id": "g", "kind": "generic", "token": "g-token"}],
           "targets": targets})
}

fn id(s: &str) -> TargetId {
    TargetId::parse(s).unwrap()
}

/// An Ombi comment of `chars` characters on several lines.
fn ombi_comment(chars: usize) -> String {
    let mut body: Value = serde_json::from_str(OMBI_ISSUE_WITHOUT_REQUEST).unwrap();
    let line = "The audio drifts again after the intro,\n";
    let comment: String = line.repeat(chars / line.len() + 1).chars().take(chars).collect();
    body["notificationType"] = json!("IssueComment");
    body["newIssueComment"] = json!(comment);
    body.to_string()
}

async fn post_generic(w: &World, event: &str) {
    let (status, answer) = w.post("g", &[GENERIC], json!({"event": event}).to_string()).await;
    assert_eq!(status, 202, "{answer}");
}

#[tokio::test]
async fn ombis_all_null_test_renders_bare_placeholders_as_nulls() {
    let body = r#"{"title": {{title}}, "year": {{year}}, "kind": {{type}}, "what": "{{notificationType}}", "id": {{requestId}}}"#;
    let w = world(config(json!([{"id": "custom", "name": "Custom", "url": "{receiver}/custom", "body": body,
                                  "events": ["ombi:*"]}])))
    .await;
    let (status, answer) = w.post("ombi", &[OMBI], OMBI_TEST).await;
    assert_eq!(status, 202, "{answer}");
    let got = w.receiver.wait_for("/custom", 1, WAIT).await;
    assert_eq!(got[0].json(), json!({"title": null, "year": null, "kind": null, "what": "Test", "id": null}));
}

#[tokio::test]
async fn a_3000_character_ombi_comment_reaches_discord_as_2000() {
    let w = world(config(json!([{"id": "discord", "name": "Discord", "url": "{receiver}/discord",
                                  "preset": "discord", "events": ["ombi:*"]}])))
    .await;
    let (status, answer) = w.post("ombi", &[OMBI], ombi_comment(3000)).await;
    assert_eq!(status, 202, "{answer}");
    let got = w.receiver.wait_for("/discord", 1, WAIT).await;
    let content = got[0].json()["content"].as_str().unwrap().to_owned();
    assert_eq!(content.chars().count(), 2000);
    assert!(content.ends_with('…') && content.starts_with("New comment on Example Show"), "{content:.80}");
    assert_eq!(got[0].json()["allowed_mentions"], json!({"parse": []}));
}

#[tokio::test]
async fn a_multi_line_message_in_a_header_arrives_folded() {
    let w = world(config(json!([{"id": "h", "name": "H", "url": "{receiver}/h", "events": ["ombi:*"],
                                  "headers": {"X-Msg": "{{message}}"}}])))
    .await;
    let (status, _) = w.post("ombi", &[OMBI], ombi_comment(120)).await;
    assert_eq!(status, 202);
    let got = w.receiver.wait_for("/h", 1, WAIT).await;
    let header = got[0].header("x-msg").unwrap();
    assert!(header.starts_with("The audio drifts again after the intro, The audio"), "{header}");
    assert!(!header.contains(['\r', '\n']));
}

#[tokio::test]
async fn a_payload_the_receiver_refuses_is_set_aside_and_the_others_go_on_in_order() {
    let w = world(config(json!([{"id": "r", "name": "R", "url": "{receiver}/r/{{event}}", "events": ["g:*"]}]))).await;
    let refusal = r#"{"content": ["Must be 2000 or fewer in length."]}"#;
    w.receiver.reply_for("/r/bad", Reply::Status { status: 400, headers: vec![], body: refusal.into() });
    let names: Vec<String> = (0..21).map(|i| if i == 10 { "bad".to_owned() } else { format!("e{i:02}") }).collect();
    for (i, name) in names.iter().enumerate() {
        post_generic(&w, name).await;
        // Each one is sent at once, the refused one included: nothing waits behind it.
        w.receiver.wait_for("/r/", i + 1, WAIT).await;
        assert!(!w.table.get_state(&id("r")).await.unwrap().is_holding(), "held after {name}");
    }
    let paths: Vec<String> = w.receiver.requests_to("/r/").iter().map(|r| r.uri.path().to_owned()).collect();
    let expected: Vec<String> = names.iter().map(|n| format!("/r/{n}")).collect();
    assert_eq!(paths, expected);
    let rejected = w.table.rejected(&id("r"), chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].delivery.event.name, "bad");
    assert_eq!((rejected[0].note.status, rejected[0].note.response.as_deref()), (Some(400), Some(refusal)));
    let state = w.table.get_state(&id("r")).await.unwrap();
    assert!(state.is_healthy() && state.parked == 0 && state.rejections_in_row == 0, "{state:?}");
}

#[tokio::test]
async fn five_rejections_in_a_row_warn_the_other_targets_once() {
    let w = world(config(json!([
        {"id": "picky", "name": "Picky", "url": "{receiver}/picky", "events": ["g:*"]},
        {"id": "ops", "name": "Ops", "url": "{receiver}/ops"}
    ])))
    .await;
    let refusal = r#"{"content": ["Must be 2000 or fewer in length."]}"#;
    w.receiver.reply_for("/picky", Reply::Status { status: 400, headers: vec![], body: refusal.into() });
    for i in 0..6 {
        post_generic(&w, &format!("e{i}")).await;
        w.receiver.wait_for("/picky", i + 1, WAIT).await;
    }
    w.receiver.wait_for("/ops", 7, WAIT).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let warnings: Vec<Value> =
        w.receiver.requests_to("/ops").iter().map(|r| r.json()).filter(|b| b["event"] == "health_warning").collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0]["message"],
        json!("Webhook 'Picky' rejected 5 deliveries in a row: HTTP 400 Bad Request"),
        "the receiver's own words ({refusal}) stay in the rejected list"
    );
    let state = w.table.get_state(&id("picky")).await.unwrap();
    assert!(!state.is_holding() && state.rejections_in_row == 6, "{state:?}");
    assert_eq!(w.table.rejected(&id("picky"), chrono::Utc::now(), 10).await.unwrap().len(), 6);
}

#[tokio::test]
async fn a_rejected_probe_is_set_aside_and_the_next_parked_delivery_recovers_the_target() {
    let tweak = |o: &mut herald_local::run::Options| o.tuning.ladder = Ladder::parse("2s").unwrap();
    let w = world_with(
        config(json!([{"id": "f", "name": "F", "url": "{receiver}/f/{{event}}", "events": ["g:*"]}])),
        tweak,
    )
    .await;
    w.receiver.then(Reply::status(503)).then(Reply::status(400));
    post_generic(&w, "e0").await;
    w.wait_for_state("f", WAIT, |s| s.is_holding()).await;
    post_generic(&w, "e1").await;
    post_generic(&w, "e2").await;
    w.wait_for_state("f", WAIT, |s| s.parked == 3).await;
    let got = w.receiver.wait_for("/f/", 4, WAIT).await;
    let paths: Vec<&str> = got.iter().map(|r| r.uri.path()).collect();
    assert_eq!(paths, ["/f/e0", "/f/e0", "/f/e1", "/f/e2"], "the probe, refused, then the next at once");
    assert_eq!(got.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 400, 204, 204]);
    let state = w.wait_for_state("f", WAIT, |s| s.is_healthy()).await;
    assert_eq!(state.parked, 0);
    let rejected = w.table.rejected(&id("f"), chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(rejected.iter().map(|r| r.delivery.event.name.as_str()).collect::<Vec<_>>(), ["e0"]);
}

#[tokio::test]
async fn a_lost_wake_up_is_recovered_by_the_sweep() {
    let tweak = |o: &mut herald_local::run::Options| {
        // A long rung, so only the sweep can wake the target within the test.
        o.tuning.ladder = Ladder::parse("1h").unwrap();
        o.tuning.wakeup_grace = Duration::from_secs(1);
        o.sweep_every = Duration::from_secs(1);
    };
    let w =
        world_with(config(json!([{"id": "s", "name": "S", "url": "{receiver}/s", "events": ["g:*"]}])), tweak).await;
    w.receiver.then(Reply::status(503));
    post_generic(&w, "e0").await;
    let held = w.wait_for_state("s", WAIT, |s| s.is_holding()).await;
    // The wake-up is lost: the state says it was due a minute ago, and no message will come for it.
    let mut lost = held.clone();
    lost.epoch += 1;
    lost.next_attempt_at = Some(chrono::Utc::now() - chrono::Duration::seconds(60));
    w.table.put_state(&id("s"), held.epoch, &lost).await.unwrap();
    let got = w.receiver.wait_for("/s", 2, WAIT).await;
    assert_eq!(got[1].status, 204);
    let state = w.wait_for_state("s", WAIT, |s| s.is_healthy()).await;
    assert_eq!(state.parked, 0);
}

#[tokio::test]
async fn a_250_kib_webhook_is_accepted_and_delivered() {
    let w = world(config(json!([{"id": "big", "name": "Big", "url": "{receiver}/big", "events": ["g:*"]}]))).await;
    let blob = "x".repeat(250 * 1024 - 64);
    let body = json!({"event": "big", "blob": blob, "n": {"deep": 1}}).to_string();
    assert!(body.len() <= 250 * 1024);
    let (status, answer) = w.post("g", &[GENERIC], body).await;
    assert_eq!(status, 202, "{answer}");
    let got = w.receiver.wait_for("/big", 1, WAIT).await;
    let delivered = got[0].json();
    assert_eq!(delivered["blob"].as_str().map(str::len), Some(blob.len()));
    assert_eq!(delivered["n.deep"], json!(1), "fields rebuilt from the one copy of the body");
    let too_big = json!({"event": "big", "blob": "x".repeat(256 * 1024)}).to_string();
    let (status, answer) = w.post("g", &[GENERIC], too_big).await;
    assert_eq!(status, 413, "{answer}");
}

/// A clean event after a payload-dependent failure is delivered at once, the target never held.
async fn then_a_clean_event_is_delivered(w: &World, path: &str, before: usize) {
    post_generic(w, "clean").await;
    let got = w.receiver.wait_for(path, before + 1, WAIT).await;
    assert_eq!(got[before].status, 204);
    let state = w.table.get_state(&id("t")).await.unwrap();
    assert!(state.is_healthy() && state.parked == 0, "{state:?}");
}

#[tokio::test]
async fn a_value_too_long_for_the_url_is_set_aside_and_the_target_stays_healthy() {
    let w =
        world(config(json!([{"id": "t", "name": "T", "url": "{receiver}/u?t={{title}}", "events": ["g:*"]}]))).await;
    let body = json!({"event": "long", "title": "x".repeat(70_000)}).to_string();
    let (status, answer) = w.post("g", &[GENERIC], body).await;
    assert_eq!(status, 202, "{answer}");
    w.wait_for_state("t", WAIT, |s| s.rejections_in_row == 1).await;
    let rejected = w.table.rejected(&id("t"), chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(rejected[0].delivery.event.name, "long");
    assert!(rejected[0].note.reason.contains("the URL is 70"), "{}", rejected[0].note.reason);
    assert!(w.receiver.requests_to("/u").is_empty(), "nothing that long was sent");
    then_a_clean_event_is_delivered(&w, "/u", 0).await;
}

#[tokio::test]
async fn a_414_or_431_rejects_that_delivery_and_holds_nothing() {
    for status in [414, 431] {
        let w =
            world(config(json!([{"id": "t", "name": "T", "url": "{receiver}/s/{{event}}", "events": ["g:*"]}]))).await;
        w.receiver.reply_for("/s/big", Reply::status(status));
        post_generic(&w, "big").await;
        let got = w.receiver.wait_for("/s/", 1, WAIT).await;
        assert_eq!(got[0].status, status);
        w.wait_for_state("t", WAIT, |s| s.rejections_in_row == 1).await;
        then_a_clean_event_is_delivered(&w, "/s/", 1).await;
        let rejected = w.table.rejected(&id("t"), chrono::Utc::now(), 10).await.unwrap();
        assert_eq!((rejected.len(), rejected[0].note.status), (1, Some(status)));
    }
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_as_the_probe_is_set_aside_for_the_next_one() {
    let tweak = |o: &mut herald_local::run::Options| o.tuning.ladder = Ladder::parse("1s").unwrap();
    for ordered in [false, true] {
        let w = world_with(
            config(json!([{"id": "t", "name": "T", "url": "{receiver}/p/{{event}}", "events": ["g:*"],
                           "ordered": ordered}])),
            tweak,
        )
        .await;
        // A receiver that answers 500 to this one payload, whatever the cause: only the content differs.
        w.receiver.reply_for("/p/poison", Reply::status(500));
        post_generic(&w, "poison").await;
        w.wait_for_state("t", WAIT, |s| s.is_holding()).await;
        post_generic(&w, "e1").await;
        post_generic(&w, "e2").await;
        let got = w.receiver.wait_for("/p/e2", 1, Duration::from_secs(60)).await;
        assert_eq!(got[0].status, 204);
        let state = w.wait_for_state("t", WAIT, |s| s.is_healthy()).await;
        assert_eq!((state.parked, state.probe), (0, None), "ordered: {ordered}");
        let paths: Vec<String> = w.receiver.requests_to("/p/").iter().map(|r| r.uri.path().to_owned()).collect();
        assert_eq!(
            paths,
            ["/p/poison", "/p/poison", "/p/poison", "/p/e1", "/p/e2"],
            "sent once, probed twice, then the next went through (ordered: {ordered})"
        );
        let rejected = w.table.rejected(&id("t"), chrono::Utc::now(), 10).await.unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].delivery.event.name, "poison");
        assert!(
            rejected[0].note.reason.contains("failed as the probe 2 times in a row"),
            "{}",
            rejected[0].note.reason
        );
    }
}

#[tokio::test]
async fn a_target_that_is_down_keeps_its_probe_when_the_next_one_fails_too() {
    let tweak = |o: &mut herald_local::run::Options| o.tuning.ladder = Ladder::parse("1s").unwrap();
    let w = world_with(
        config(json!([{"id": "t", "name": "T", "url": "{receiver}/d/{{event}}", "events": ["g:*"]}])),
        tweak,
    )
    .await;
    w.receiver.reply_for("/d/", Reply::status(503));
    post_generic(&w, "first").await;
    w.wait_for_state("t", WAIT, |s| s.is_holding()).await;
    post_generic(&w, "second").await;
    // Sent, probed, probed with the next beside it (both fail), probed again.
    w.receiver.wait_for("/d/", 6, Duration::from_secs(60)).await;
    assert!(w.table.rejected(&id("t"), chrono::Utc::now(), 10).await.unwrap().is_empty(), "nothing set aside");
    w.receiver.reply_for("/d/", Reply::status(204));
    let state = w.wait_for_state("t", Duration::from_secs(60), |s| s.is_healthy()).await;
    assert_eq!(state.parked, 0);
    let paths: Vec<String> = w.receiver.requests_to("/d/").iter().map(|r| r.uri.path().to_owned()).collect();
    let delivered: Vec<&String> =
        w.receiver.requests_to("/d/").iter().zip(&paths).filter(|(r, _)| r.status == 204).map(|(_, p)| p).collect();
    assert_eq!(delivered, ["/d/first", "/d/second"], "in order, nothing lost: {paths:?}");
}

#[tokio::test]
async fn a_rejected_list_pages_and_one_rejection_is_read_by_its_key() {
    let w =
        world(config(json!([{"id": "picky", "name": "Picky", "url": "{receiver}/picky", "events": ["g:*"]}]))).await;
    w.receiver.reply_for("/picky", Reply::status(400));
    for i in 0..3 {
        post_generic(&w, &format!("e{i}")).await;
        w.receiver.wait_for("/picky", i + 1, WAIT).await;
    }
    let deadline = std::time::Instant::now() + WAIT;
    while w.table.rejected(&id("picky"), chrono::Utc::now(), 10).await.unwrap().len() < 3 {
        assert!(std::time::Instant::now() < deadline, "three set aside");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ids = |page: &Value| -> Vec<String> {
        page.as_array().unwrap().iter().map(|r| r["delivery_id"].as_str().unwrap().to_owned()).collect()
    };
    let (status, first) = w.admin("GET", "/admin/targets/picky/rejected?limit=2", None).await;
    assert_eq!(status, 200, "{first}");
    let first = ids(&first);
    assert_eq!(first.len(), 2);
    let (_, rest) = w.admin("GET", &format!("/admin/targets/picky/rejected?after={}", first[1]), None).await;
    let rest = ids(&rest);
    assert_eq!(rest.len(), 1, "the page after the second holds the third");
    assert!(!first.contains(&rest[0]));
    let (status, bad) = w.admin("GET", "/admin/targets/picky/rejected?limit=1000", None).await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("limit")), "{bad}");
    // One, by its key, whatever the list's length: the last one replayed (to a receiver that takes
    // it now), the first one discarded.
    w.receiver.reply_for("/picky", Reply::status(204));
    let (status, replayed) = w.admin("POST", &format!("/admin/targets/picky/rejected/{}/replay", rest[0]), None).await;
    assert_eq!((status, replayed["replayed"].as_u64()), (200, Some(1)), "{replayed}");
    let (status, _) = w.admin("DELETE", &format!("/admin/targets/picky/rejected/{}", first[0]), None).await;
    assert_eq!(status, 200);
    let (status, _) = w.admin("DELETE", &format!("/admin/targets/picky/rejected/{}", first[0]), None).await;
    assert_eq!(status, 404, "gone once discarded");
    let (_, left) = w.admin("GET", "/admin/targets/picky/rejected", None).await;
    assert_eq!(ids(&left), [first[1].clone()]);
    w.receiver.wait_for("/picky", 4, WAIT).await;
}
