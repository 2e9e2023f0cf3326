//! The `herald` CLI driving herald-local end to end.

mod common;

use clap::Parser;
use common::{WAIT, World, world};
use herald_aws::testing::Reply;
use serde_json::{Value, json};

async fn herald(w: &World, args: &[&str]) -> anyhow::Result<String> {
    Ok(herald_output(w, args).await?.text)
}

async fn herald_output(w: &World, args: &[&str]) -> anyhow::Result<herald_cli::Output> {
    let url = w.running.url("");
    let mut full = vec!["herald", "--api", &url, "--token", w.running.admin_token.expose()];
    full.extend_from_slice(args);
    herald_cli::run(herald_cli::Cli::try_parse_from(full)?).await
}

#[tokio::test]
async fn sources_and_targets_from_the_command_line() {
    let w = world(json!({})).await;
    let created = herald(&w, &["sources", "add", "kino", "--kind", "kinescope"]).await.unwrap();
    assert!(created.contains("source kino (kinescope) created"), "{created}");
    let token =
        created.lines().find_map(|l| l.strip_prefix("token:")).unwrap().split_whitespace().next().unwrap().to_owned();
    let listed = herald(&w, &["sources", "list"]).await.unwrap();
    assert!(listed.contains("kino  kinescope  token") && !listed.contains(&token), "{listed}");

    let url = w.receiver.url("/cli");
    let added = herald(
        &w,
        &[
            "--json",
            "targets",
            "add",
            "--id",
            "c",
            "--name",
            "CLI",
            "--url",
            &url,
            "--preset",
            "discord",
            "--event",
            "kinescope:*",
            "--when",
            "status=done,error",
            "--header",
            "X-Extra=yes",
        ],
    )
    .await
    .unwrap();
    let added: Value = serde_json::from_str(&added).unwrap();
    assert_eq!(
        (added["when"]["status"].clone(), added["headers"]["X-Extra"].clone()),
        (json!(["done", "error"]), json!("[redacted]"))
    );
    let table = herald(&w, &["targets", "list"]).await.unwrap();
    assert!(table.lines().nth(1).unwrap().starts_with("c   CLI   discord  POST    kinescope:*  yes"), "{table}");
    herald(&w, &["targets", "edit", "c", "--name", "Renamed", "--timeout-ms", "2000"]).await.unwrap();
    let shown = herald(&w, &["targets", "show", "c"]).await.unwrap();
    assert!(shown.contains("name              Renamed") && shown.contains("timeout_ms        2000"), "{shown}");

    let passed = herald_output(&w, &["targets", "test", "c"]).await.unwrap();
    assert_eq!((passed.text.split(" in ").next(), passed.failed), (Some("HTTP 204"), false));
    w.receiver.reply_for("/cli", Reply::status(401));
    let failed = herald_output(&w, &["targets", "test", "c"]).await.unwrap();
    assert!(failed.failed, "a failing Test makes the command fail (exit 1)");
    let failed = failed.text;
    assert!(failed.starts_with("HTTP 401 in ") && failed.contains(": your Authorization header is wrong"), "{failed}");
    let preview = herald(&w, &["targets", "preview", "c"]).await.unwrap();
    assert!(
        preview.starts_with("POST http://127.0.0.1") && preview.contains(r#""allowed_mentions": {"parse": []}"#),
        "{preview}"
    );

    // An event through the new source, a failure, status and replay.
    let body = json!({"event": "media.update.status", "data": {"id": "v", "status": "done"}}).to_string();
    assert_eq!(w.post("kino", &[("authorization", &format!("Bearer {token}"))], body).await.0, 202);
    w.wait_for_state("c", WAIT, |s| s.failures == 1 && s.parked == 1).await;
    let status = herald(&w, &["targets", "status", "c"]).await.unwrap();
    assert!(status.contains("failures         1") && status.contains("parked           1"), "{status}");
    w.receiver.reply_for("/cli", Reply::status(204));
    assert_eq!(herald(&w, &["targets", "replay", "c"]).await.unwrap(), "replaying 1 parked deliveries\n");
    w.wait_for_state("c", WAIT, |s| s.is_healthy() && s.parked == 0).await;

    assert_eq!(herald(&w, &["targets", "remove", "c"]).await.unwrap(), "done\n");
    let err = herald(&w, &["targets", "show", "c"]).await.unwrap_err();
    assert_eq!(err.to_string(), "HTTP 404: target c not found");
    let err = herald(&w, &["targets", "add", "--name", "x", "--url", "ftp://x"]).await.unwrap_err();
    assert_eq!(err.to_string(), "HTTP 422: url: must start with https:// or http://");
    assert_eq!(herald(&w, &["sources", "remove", "kino"]).await.unwrap(), "done\n");
}

#[tokio::test]
async fn dead_letters_are_listed_and_redriven() {
    let w = world(json!({})).await;
    let sqs = aws_sdk_sqs::Client::new(&w.aws);
    let dlq = &w.running.stack.resources.wakeups_dlq_url;
    sqs.send_message()
        .queue_url(dlq)
        .message_body(r#"{"v":1,"kind":"wakeup","target_id":"gone","epoch":4}"#)
        .send()
        .await
        .unwrap();
    let listed = herald(&w, &["dead-letters", "list"]).await.unwrap();
    assert!(listed.contains("wakeups") && listed.contains("wake gone at epoch 4"), "{listed}");
    assert!(listed.ends_with("0 in the deliveries DLQ, 1 in the wakeups DLQ\n"), "{listed}");
    assert_eq!(herald(&w, &["dead-letters", "redrive"]).await.unwrap(), "moved 1 messages back to their queues\n");
    let json: Value = serde_json::from_str(&herald(&w, &["--json", "dead-letters", "list"]).await.unwrap()).unwrap();
    assert_eq!(json["wakeups"], 0);
}

#[tokio::test]
async fn a_missing_token_is_a_clear_error() {
    let cli = herald_cli::Cli::try_parse_from(["herald", "--api", "http://127.0.0.1:9", "sources", "list"]).unwrap();
    let err = herald_cli::run(cli).await.unwrap_err();
    assert!(err.to_string().starts_with("no admin token"), "{err}");
}

#[tokio::test]
async fn rejected_deliveries_are_listed_replayed_and_discarded() {
    let w = world(json!({"sources": [{"id": "g", "kind": "generic", "token": "g-token"}],
                         "targets": [{"id": "r", "name": "R", "url": "{receiver}/r", "events": ["g:*"]}]}))
    .await;
    w.receiver.then(Reply::Status { status: 422, headers: vec![], body: "bad field".into() }).then(Reply::status(400));
    for event in ["first", "second"] {
        let (status, _) = w.post("g", &[("access-token", "g-token")], json!({"event": event}).to_string()).await;
        assert_eq!(status, 202);
    }
    w.receiver.wait_for("/r", 2, WAIT).await;
    let listed: Value =
        serde_json::from_str(&herald(&w, &["--json", "targets", "rejected", "r"]).await.unwrap()).unwrap();
    let listed = listed.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let first = listed.iter().find(|r| r["event"] == "first").unwrap();
    assert_eq!((first["status"].as_u64(), first["response"].as_str()), (Some(422), Some("bad field")));
    let human = herald(&w, &["targets", "rejected", "r"]).await.unwrap();
    assert!(human.contains("HTTP 422 Unprocessable Entity bad field"), "{human}");
    let status = herald(&w, &["targets", "status", "r"]).await.unwrap();
    assert!(status.lines().any(|l| l.starts_with("rejected") && l.ends_with(" 2")), "{status}");

    let one = first["delivery_id"].as_str().unwrap();
    let replayed = herald(&w, &["targets", "rejected", "r", "--replay", "--delivery", one]).await.unwrap();
    assert_eq!(replayed, "replayed 1 rejected deliveries\n");
    let again = w.receiver.wait_for("/r", 3, WAIT).await;
    assert_eq!((again[2].json()["event"].as_str(), again[2].status), (Some("first"), 204));
    let discarded = herald(&w, &["targets", "rejected", "r", "--discard"]).await.unwrap();
    assert_eq!(discarded, "discarded 1 rejected deliveries\n");
    let empty: Value =
        serde_json::from_str(&herald(&w, &["--json", "targets", "rejected", "r"]).await.unwrap()).unwrap();
    assert_eq!(empty, json!([]));
    let err = herald(&w, &["targets", "rejected", "r", "--delivery", one]).await.unwrap_err();
    assert!(err.to_string().contains("--replay or --discard"), "{err}");
    let missing = herald(&w, &["targets", "rejected", "r", "--replay", "--delivery", one]).await.unwrap_err();
    assert!(format!("{missing:#}").contains("404") || format!("{missing:#}").contains("not found"), "{missing:#}");
}

#[tokio::test]
async fn a_target_secret_comes_from_a_file_and_signs_deliveries() {
    let w = world(json!({"sources": [{"id": "k", "kind": "kinescope", "token": "kt"}]})).await;
    let secret = "whsec_ZmlsZS1zZWNyZXQtZm9yLXRoZS1jbGktdGVzdA==";
    let file = std::env::temp_dir().join(format!("herald-secret-{}", ulid::Ulid::new()));
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let url = w.receiver.url("/signed");
    let path = file.to_string_lossy().into_owned();
    let args = ["targets", "add", "--id", "s", "--name", "S", "--url", &url, "--secret-file", &path, "--event", "k:*"];
    let added = herald(&w, &args).await.unwrap();
    assert!(!added.contains(secret), "{added}");
    std::fs::remove_file(&file).unwrap();
    let body = json!({"event": "live.finished", "data": {"event_id": "s1"}}).to_string();
    w.post("k", &[("access-token", "kt")], body).await;
    let got = w.receiver.wait_for("/signed", 1, WAIT).await;
    assert!(got[0].is_signed_with(secret));
    let empty = std::env::temp_dir().join(format!("herald-empty-{}", ulid::Ulid::new()));
    std::fs::write(&empty, "\n").unwrap();
    let err = herald(&w, &["targets", "edit", "s", "--secret-file", &empty.to_string_lossy()]).await.unwrap_err();
    assert!(format!("{err:#}").contains("is empty"), "{err:#}");
    std::fs::remove_file(&empty).unwrap();
}

#[tokio::test]
async fn the_activity_log_from_the_command_line_and_no_escape_byte_from_a_receiver() {
    let config = json!({"sources": [{"id": "g", "kind": "generic", "token": "g-token"}],
        "targets": [{"id": "r", "name": "R", "url": "{receiver}/r", "events": ["g:*"]}]});
    let w = world(config).await;
    // A receiver that answers with terminal escapes: a window title, a clear screen, colour.
    let hostile = "no\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m";
    w.receiver.reply_for("/r", Reply::Status { status: 400, headers: vec![], body: hostile.into() });
    let body = json!({"event": "deploy", "title": "Dune: Part Two \u{1b}[5m"}).to_string();
    let (status, answer) = w.post("g", &[("access-token", "g-token")], body).await;
    assert_eq!(status, 202, "{answer}");
    w.receiver.wait_for("/r", 1, WAIT).await;
    w.wait_for_state("r", WAIT, |s| s.rejections_in_row == 1).await;
    let event_id = answer["event_id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    let listed = loop {
        let listed = herald(&w, &["deliveries", "list", "--target", "r", "--outcome", "rejected"]).await.unwrap();
        if listed.contains("rejected") || std::time::Instant::now() > deadline {
            break listed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(listed.lines().nth(1).is_some_and(|l| l.contains("rejected") && l.contains("400")), "{listed}");
    let events = herald(&w, &["events", "list", "--search", "dune"]).await.unwrap();
    assert!(events.contains(event_id) && events.contains("r:rejected(400)"), "{events}");
    let shown = herald(&w, &["events", "show", event_id]).await.unwrap();
    let rejected = herald(&w, &["targets", "rejected", "r"]).await.unwrap();
    let json = herald(&w, &["--json", "targets", "rejected", "r"]).await.unwrap();
    for out in [&listed, &events, &shown, &rejected, &json] {
        assert!(!out.contains('\u{1b}') && !out.contains('\u{9b}') && !out.contains('\u{7}'), "{out:?}");
    }
    // Stored without the escape at all (the CLI would show one escaped, not obey it).
    assert!(rejected.contains(" ]0;owned"), "kept as text, the escape a space: {rejected}");
}

#[tokio::test]
async fn the_token_goes_only_to_an_address_that_answers_as_herald() {
    let w = world(json!({})).await;
    // A receiver given as the API (the mistake `--url` used to invite): it answers 2xx to anything.
    let receiver = w.receiver.url("/hook");
    let cli = herald_cli::Cli::try_parse_from([
        "herald",
        "--api",
        &receiver,
        "--token",
        "the-admin-token-1234",
        "targets",
        "list",
    ])
    .unwrap();
    let err = herald_cli::run(cli).await.unwrap_err().to_string();
    assert!(err.contains("does not answer as Herald's admin API") && err.contains("not sent"), "{err}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for r in w.receiver.requests_to("/") {
        assert!(r.header("authorization").is_none(), "the token reached {}", r.uri);
    }
    // The catalog reads as a table: each kind's events and when they fire.
    let catalog = herald(&w, &["catalog"]).await.unwrap();
    assert!(
        catalog.contains("servarr (Sonarr / Radarr / Lidarr / Prowlarr)") && catalog.contains("media.pause"),
        "{catalog}"
    );
    assert!(catalog.contains("chatty") && !catalog.trim_start().starts_with('{'), "{catalog}");
}

#[tokio::test]
async fn every_rejected_delivery_is_listed_past_the_apis_page_of_a_hundred() {
    use herald_app::ports::RejectedStore as _;
    let w = world(json!({"sources": [{"id": "g", "kind": "generic", "token": "g-token"}],
                         "targets": [{"id": "r", "name": "R", "url": "{receiver}/r", "events": ["g:*"]}]}))
    .await;
    w.receiver.reply_with(Reply::status(400));
    let (status, _) = w.post("g", &[("access-token", "g-token")], json!({"event": "first"}).to_string()).await;
    assert_eq!(status, 202);
    w.receiver.wait_for("/r", 1, WAIT).await;
    let target = herald_domain::TargetId::parse("r").unwrap();
    let now = chrono::Utc::now();
    let kept = loop {
        if let Some(kept) = w.table.rejected(&target, now, 1).await.unwrap().pop() {
            break kept;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    // 150 more, as if the receiver had refused that many: two pages and a half.
    for i in 1..=150u64 {
        let mut more = kept.clone();
        more.delivery.delivery_id = ulid::Ulid::from_parts(kept.delivery.delivery_id.timestamp_ms() + i, i.into());
        w.table.set_aside(&more, now + chrono::Duration::days(1)).await.unwrap();
    }
    let listed: Value =
        serde_json::from_str(&herald(&w, &["--json", "targets", "rejected", "r"]).await.unwrap()).unwrap();
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["delivery_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 151);
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "oldest first, none twice");
}
