//! Every file in events/ deserializes and runs through its handler against the emulator, and the
//! poller honours partial batch responses as the Lambda event source mapping does.

mod common;

use std::path::Path;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use herald_domain::message::Message;
use herald_local::poller::Poller;
use herald_local::stack::queue_arn;

fn events_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../events"))
}

fn demo_config() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/demo.json")).unwrap();
    serde_json::from_str(&text.replace("http://127.0.0.1:8787", "{receiver}")).unwrap()
}

fn sqs_event(name: &str) -> SqsEvent {
    serde_json::from_str(&std::fs::read_to_string(events_dir().join(name)).unwrap()).unwrap()
}

#[tokio::test]
async fn every_ingest_event_runs_through_the_ingest_handler() {
    let w = common::world(demo_config()).await;
    let tuning = herald_aws::settings::Tuning { dedupe_window: Duration::from_secs(60), ..Default::default() };
    let ingest =
        herald_aws::wiring::ingest(&w.running.stack.resources.ingest(&tuning), &herald_aws::Clients::new(&w.aws));
    let files = herald_local::demo::ingest_events(events_dir()).unwrap();
    assert!(files.len() >= 27, "every Kinescope type, Ombi's real shapes, JellyNext and Kiosk");
    for (name, _) in &files {
        let text = std::fs::read_to_string(events_dir().join(name)).unwrap();
        let request = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let response = herald_ingest::handler::handle(&ingest, request).await.unwrap();
        assert_eq!(response.status(), 202, "{name}: {:?}", response.body());
    }
    // And over HTTP through herald-local, as the README's demo sends them: duplicates by now, but
    // for Kinescope, whose identical bodies are events of their own.
    for (name, request) in &files {
        let (status, body) = herald_local::demo::post(&w.http, &w.running.url(""), request).await.unwrap();
        let expected = if name.starts_with("ingest-kinescope-") { 202 } else { 200 };
        assert_eq!(status, expected, "{name}: {body}");
    }
}

/// The `| file | summary | shape from |` rows of events/README.md.
fn documented_summaries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(events_dir().join("README.md")).unwrap();
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").map(str::trim).collect();
            let file = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            let summary = cells.get(1)?;
            file.starts_with("ingest-").then(|| (file.to_owned(), (*summary).to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn every_event_file_is_delivered_with_the_summary_its_note_documents() {
    let sources = demo_config()["sources"].clone();
    let body = r#"{"summary": "{{summary}}", "event_id": "{{herald_event_id}}", "name": "{{event}}"}"#;
    let target =
        serde_json::json!({"id": "all", "name": "All", "url": "{receiver}/all", "events": ["*"], "body": body});
    let w = common::world(serde_json::json!({"sources": sources, "targets": [target]})).await;
    let files = herald_local::demo::ingest_events(events_dir()).unwrap();
    let documented = documented_summaries();
    let listed: Vec<&str> = documented.iter().map(|(f, _)| f.as_str()).collect();
    let on_disk: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(listed, on_disk, "events/README.md lists every file, in name order");
    let mut expected = std::collections::HashMap::new();
    for (name, request) in &files {
        let (status, answer) = herald_local::demo::post(&w.http, &w.running.url(""), request).await.unwrap();
        assert_eq!(status, 202, "{name}: {answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        let summary = &documented.iter().find(|(f, _)| f == name).unwrap().1;
        expected.insert(answer["event_id"].as_str().unwrap().to_owned(), (name.clone(), summary.clone()));
    }
    w.receiver.wait_for("/all", files.len(), common::WAIT).await;
    let mut wrong = Vec::new();
    for request in w.receiver.requests() {
        let got: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let (name, summary) = &expected[got["event_id"].as_str().unwrap()];
        if got["summary"].as_str() != Some(summary.as_str()) {
            wrong.push(format!("| `{name}` | {} |", got["summary"].as_str().unwrap_or_default()));
        }
    }
    wrong.sort();
    assert!(wrong.is_empty(), "delivered summaries differ from events/README.md:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_deliver_batch_fails_only_its_malformed_record() {
    let w = common::world(demo_config()).await;
    let deliver = w.running.deliver.clone();
    let batch = sqs_event("deliver-batch.json");
    let malformed = batch.records.last().unwrap().message_id.clone().unwrap();
    let response = herald_deliver::handler::process(deliver, 4, None, batch).await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, [malformed]);
    w.receiver.wait_for("/discord", 1, common::WAIT).await;
    w.receiver.wait_for("/generic", 1, common::WAIT).await;
}

#[test]
fn the_wakeup_batch_holds_wakeup_messages() {
    let batch = sqs_event("wakeup-batch.json");
    assert_eq!(batch.records.len(), 2);
    for record in batch.records {
        assert!(matches!(Message::from_json(record.body.as_deref().unwrap()), Ok(Message::Wakeup(_))));
    }
}

#[tokio::test]
async fn the_poller_deletes_only_what_the_handler_did_not_fail() {
    let w = common::world(demo_config()).await;
    let sqs = aws_sdk_sqs::Client::new(&w.aws);
    // Our own stack's pollers would race us: use a queue of our own, fed with the same kind of batch.
    let stack = herald_local::stack::Stack::ensure(&w.aws, &common::unique_stack()).await.unwrap();
    for record in sqs_event("deliver-batch.json").records {
        sqs.send_message()
            .queue_url(&stack.resources.deliveries_queue_url)
            .message_body(record.body.unwrap())
            .send()
            .await
            .unwrap();
    }
    let deliver = w.running.deliver.clone();
    let poller = Poller {
        sqs: sqs.clone(),
        queue_url: stack.resources.deliveries_queue_url.clone(),
        queue_arn: queue_arn(&sqs, &stack.resources.deliveries_queue_url).await.unwrap(),
        region: "us-east-1".into(),
        batch_size: 10,
        batch_window: Duration::ZERO,
        invocations: Default::default(),
        stop: Default::default(),
        failed_visibility: None,
    };
    let handler = |batch| herald_deliver::handler::process(deliver.clone(), 4, None, batch);
    let mut handled = 0;
    while handled < 3 {
        handled += poller.poll_once(&handler).await.unwrap();
    }
    assert_eq!(handled, 3);
    assert_eq!(poller.invocations.records(), 3, "every handled record is counted in an invocation");
    assert!(poller.invocations.count() >= 1 && poller.invocations.count() <= 3);
    w.receiver.wait_for("/", 2, common::WAIT).await;
    let out = sqs
        .get_queue_attributes()
        .queue_url(&stack.resources.deliveries_queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let in_flight =
        out.attributes.unwrap()[&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible].clone();
    assert_eq!(in_flight, "1", "the malformed record waits for its next receive (and, after maxReceiveCount, the DLQ)");
}
