//! Shared set-up for tests against the AWS emulator (AWS_ENDPOINT_URL, default 127.0.0.1:4566)
//! and a real local receiver. Each test gets its own stack (table, queues, group), so tests run
//! in parallel without seeing each other's items.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use herald_aws::dynamodb::Table;
use herald_aws::testing::Receiver;
use herald_local::config_file::LocalConfig;
use herald_local::run::{Options, Running, start};

pub struct World {
    pub aws: aws_config::SdkConfig,
    pub running: Running,
    pub receiver: Receiver,
    pub table: Table,
    pub http: reqwest::Client,
}

pub fn unique_stack() -> String {
    format!("herald-test-{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub async fn aws() -> aws_config::SdkConfig {
    // Logs show in a failing test's captured output.
    let _ = tracing_subscriber::fmt().with_test_writer().with_ansi(false).with_env_filter("info").try_init();
    let aws = herald_local::aws::sdk_config().await;
    let probe = aws_sdk_dynamodb::Client::new(&aws).list_tables().limit(1).send();
    match tokio::time::timeout(Duration::from_secs(5), probe).await {
        Ok(Ok(_)) => aws,
        other => panic!(
            "no AWS emulator answers at {} ({other:?}); run the tests with scripts/test, which starts one",
            herald_local::aws::endpoint()
        ),
    }
}

/// Starts herald-local on its own stack with `config` loaded; `{receiver}` in the config is the receiver's base URL.
pub async fn world(config: serde_json::Value) -> World {
    world_with(config, |_| {}).await
}

pub async fn world_with(config: serde_json::Value, tweak: impl FnOnce(&mut Options)) -> World {
    let aws = aws().await;
    let receiver = Receiver::start().await;
    let mut options =
        Options { stack: unique_stack(), listen: "127.0.0.1:0".parse().unwrap(), pollers: 1, ..Options::default() };
    tweak(&mut options);
    let running = start(&aws, &options).await.expect("herald-local starts");
    let text = config.to_string().replace("{receiver}", &receiver.url(""));
    let table = Table::new(aws_sdk_dynamodb::Client::new(&aws), &running.stack.resources.table);
    LocalConfig::parse(&text).expect("valid test config").apply(&table).await.expect("config loads");
    World { aws, running, receiver, table, http: reqwest::Client::new() }
}

impl World {
    /// POSTs `body` to /hooks/{source}; returns status and the JSON answer.
    pub async fn post(
        &self,
        source: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.http.post(self.running.url(&format!("/hooks/{source}"))).body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("herald-local answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(!text.contains('\n'), "answers are one line: {text}");
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("answer is not JSON ({e}): {text}")))
    }

    /// The same webhook again, as a sender retries it: while the first attempt's deliveries are not
    /// handled yet Herald answers 503 (retry later), so this retries until it answers otherwise.
    pub async fn post_again(&self, source: &str, headers: &[(&str, &str)], body: &str) -> (u16, serde_json::Value) {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let answer = self.post(source, headers, body.to_owned()).await;
            if answer.0 != 503 || std::time::Instant::now() > deadline {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Calls the admin API with the admin token; returns status and the JSON answer (`Null` when empty).
    pub async fn admin(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .request(method.parse().unwrap(), self.running.url(path))
            .bearer_auth(self.running.admin_token.expose());
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.expect("herald-local answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    /// Messages still on the deliveries queue (visible and in flight).
    pub async fn queued(&self) -> u64 {
        let out = aws_sdk_sqs::Client::new(&self.aws)
            .get_queue_attributes()
            .queue_url(&self.running.stack.resources.deliveries_queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        let attrs = out.attributes.unwrap_or_default();
        [QueueAttributeName::ApproximateNumberOfMessages, QueueAttributeName::ApproximateNumberOfMessagesNotVisible]
            .iter()
            .map(|k| attrs.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0))
            .sum()
    }

    /// Waits until `check` holds on the target's state, or panics after `within`.
    pub async fn wait_for_state(
        &self,
        target: &str,
        within: Duration,
        check: impl Fn(&herald_domain::state::TargetState) -> bool,
    ) -> herald_domain::state::TargetState {
        use herald_app::ports::StateStore;
        let id = herald_domain::TargetId::parse(target).unwrap();
        let deadline = std::time::Instant::now() + within;
        loop {
            let state = self.table.get_state(&id).await.unwrap();
            if check(&state) {
                return state;
            }
            assert!(std::time::Instant::now() < deadline, "state of {target} never matched: {state:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub const WAIT: Duration = Duration::from_secs(15);

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// What a receiver got of numbered events (bodies carrying `"n"`), by `(target, n)` where the
/// target is the path's first segment: the pairs that arrived with a 2xx, the `webhook-id`s every
/// copy carried (failed ones too: a retry must carry the id of the attempt it repeats), and how
/// many 2xx copies came in all.
pub struct Tally {
    pub delivered: BTreeSet<(String, u64)>,
    pub ids: BTreeMap<(String, u64), BTreeSet<String>>,
    pub copies: usize,
}

pub fn tally(receiver: &Receiver) -> Tally {
    let mut t = Tally { delivered: BTreeSet::new(), ids: BTreeMap::new(), copies: 0 };
    for r in receiver.requests() {
        let Some(n) = serde_json::from_slice::<serde_json::Value>(&r.body).ok().and_then(|b| b.get("n")?.as_u64())
        else {
            continue;
        };
        let key = (r.uri.path().trim_start_matches('/').to_owned(), n);
        t.ids.entry(key.clone()).or_default().extend(r.header("webhook-id").map(str::to_owned));
        if r.status < 300 {
            t.delivered.insert(key);
            t.copies += 1;
        }
    }
    t
}

/// An API Gateway request from `events/`, as its sender sends it.
pub fn event_file(name: &str) -> aws_lambda_events::event::apigw::ApiGatewayV2httpRequest {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../events")).join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The demo's sources, with the fixed credentials the files in `events/` carry.
pub fn demo_sources() -> serde_json::Value {
    let demo: serde_json::Value = serde_json::from_str(include_str!("../../demo.json")).unwrap();
    demo["sources"].clone()
}

/// Posts a file from `events/` to herald-local as its sender would; status and the JSON answer.
pub async fn send(w: &World, file: &str) -> (u16, serde_json::Value) {
    let (status, body) = herald_local::demo::post(&w.http, &w.running.url(""), &event_file(file)).await.unwrap();
    (status, serde_json::from_str(&body).unwrap())
}
