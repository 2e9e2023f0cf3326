//! What a rejected delivery costs on the delivery path, counted by the SDK interceptor against the
//! emulator: one conditional put of the rejection and one counter update, nothing scheduled, nothing
//! parked. `cargo test -p herald-bench --test rejection_cost -- --nocapture` prints the figures.

use std::time::Duration;

use herald_aws::Clients;
use herald_aws::dynamodb::Table;
use herald_aws::testing::{Receiver, Reply};
use herald_bench::counting::CallCounter;
use herald_local::config_file::LocalConfig;
use herald_local::run::{Options, RoleClients, start_with};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_costs_one_put_and_one_update() {
    const EVENTS: usize = 20;
    let aws = herald_local::aws::sdk_config().await;
    let receiver = Receiver::start().await;
    receiver.reply_with(Reply::Status { status: 400, headers: vec![], body: r#"{"error": "no"}"#.into() });
    let deliver = CallCounter::default();
    let roles = RoleClients {
        ingest: Clients::new(&aws),
        deliver: Clients::with_interceptor(&aws, deliver.clone()),
        retry: Clients::new(&aws),
        admin: Clients::new(&aws),
    };
    let options = Options {
        stack: format!("cost-{}", ulid::Ulid::new().to_string().to_lowercase()),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Options::default()
    };
    let running = start_with(&aws, &options, roles).await.unwrap();
    let config = json!({"sources": [{"id": "g", "kind": "generic", "token": "g-token"}],
                        "targets": [{"id": "r", "name": "R", "url": receiver.url("/r"), "preset": "discord"}]});
    let table = Table::new(aws_sdk_dynamodb::Client::new(&aws), &running.stack.resources.table);
    LocalConfig::parse(&config.to_string()).unwrap().apply(&table).await.unwrap();
    let before = deliver.snapshot();
    let http = reqwest::Client::new();
    for n in 0..EVENTS {
        let body = json!({"event": "imported", "title": format!("Movie {n}"), "year": 2024}).to_string();
        let answer =
            http.post(running.url("/hooks/g")).header("access-token", "g-token").body(body).send().await.unwrap();
        assert_eq!(answer.status(), 202);
    }
    receiver.wait_for("/r", EVENTS, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = deliver.snapshot().since(&before);
    let per = |service: &str, op: &str| used.calls_to(service, op) as f64 / EVENTS as f64;
    eprintln!(
        "per rejected delivery: PutItem {:.2}, UpdateItem {:.2}, GetItem {:.2}, Query {:.2}, write units {:.2}, \
         Scheduler {:.2}, SQS SendMessage {:.2}",
        per("DynamoDB", "PutItem"),
        per("DynamoDB", "UpdateItem"),
        per("DynamoDB", "GetItem"),
        per("DynamoDB", "Query"),
        used.write_units / EVENTS as f64,
        per("Scheduler", "CreateSchedule"),
        per("SQS", "SendMessage") + per("SQS", "SendMessageBatch"),
    );
    // One rejection item each, and the activity log's item per deliver invocation.
    let log_items = used.calls_to("DynamoDB", "PutItem") - EVENTS as u64;
    assert!((1..=EVENTS as u64).contains(&log_items), "{log_items} activity log items");
    // One streak update each, and the health warning's reads at the fifth.
    assert_eq!(used.calls_to("DynamoDB", "UpdateItem"), EVENTS as u64);
    assert_eq!(used.calls_to("Scheduler", "CreateSchedule"), 0, "the target is never held");
    assert_eq!(used.calls_to("SQS", "SendMessage"), 0, "no wake-up");
    assert!(used.write_units >= 2.0 * EVENTS as f64, "a put and an update each: {}", used.write_units);
}
