//! What the admin use cases answer, as types: the router serializes them, the page and the CLI
//! read them. None of them can carry a secret: credentials appear once, in [`CreatedSource`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use herald_domain::activity::Attempt;
use herald_domain::request::RequestView;
use herald_domain::senders::SetupValues;
use herald_domain::source_health::SourceHealth;
use herald_domain::{SourceKind, Target};

/// A source as the API shows it: its settings and health, never its credential.
#[derive(Debug, Serialize)]
pub struct SourceView {
    pub id: String,
    pub kind: SourceKind,
    pub auth: AuthView,
    /// `/hooks/{id}`: the ingest URL's path.
    pub path: String,
    pub event_pointer: Option<String>,
    pub summary: Option<String>,
    pub drop: Vec<String>,
    pub drop_names: Vec<String>,
    pub dedupe_window_secs: Option<u64>,
    pub delivery_id_header: Option<String>,
    /// Until when the credential a rotation replaced is still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_until: Option<DateTime<Utc>>,
    /// What `If-Match` names to change this source and nothing written since.
    pub version: u64,
    pub health: SourceHealth,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuthView {
    Token,
    HmacHex { header: String },
    StandardWebhooks,
}

/// A new source, with its credential: the only answer that ever shows one.
#[derive(Debug, Serialize)]
pub struct CreatedSource {
    #[serde(flatten)]
    pub source: SourceView,
    /// The full ingest URL, when the request said which host it came to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub credential: Credential,
    pub note: &'static str,
    /// Where to click in the sender, with this source's URL and credential.
    pub setup: Vec<String>,
}

impl CreatedSource {
    /// Sets the full ingest URL and the setup steps that name it.
    pub fn at_url(&mut self, url: String) {
        self.setup = setup_steps(self.source.kind, &url, &self.credential);
        self.url = Some(url);
    }
}

pub fn setup_steps(kind: SourceKind, url: &str, credential: &Credential) -> Vec<String> {
    let (token, secret, header) = match credential {
        Credential::Token { token } => (Some(token.as_str()), None, None),
        Credential::HmacHex { secret, header } => (None, Some(secret.as_str()), Some(header.as_str())),
        Credential::StandardWebhooks { secret } => (None, Some(secret.as_str()), None),
    };
    kind.sender().setup_steps(&SetupValues { url, token, secret, header })
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Credential {
    Token { token: String },
    HmacHex { secret: String, header: String },
    StandardWebhooks { secret: String },
}

/// A target with its URL's secrets, its secret and its header values replaced by `[redacted]`;
/// `warnings` after a save (what Herald will fix at send time for real shapes).
#[derive(Debug, Serialize)]
pub struct TargetView {
    #[serde(flatten)]
    pub target: Target,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

/// Where a target stands on its ladder, and what it keeps aside.
#[derive(Debug, Serialize)]
pub struct StatusView {
    pub failures: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub parked: i64,
    pub parked_expired: u64,
    pub rejected: usize,
    pub rejections_in_row: u32,
    /// The current failure's status and words: only while the target is failing.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// The latest failure, current or past (a recovered target's is history, not its state).
    pub last_failure: Option<LastFailure>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The latest delivery the receiver took, from the activity log.
    pub last_delivered: Option<LastDelivered>,
    pub holding: bool,
    pub enabled: bool,
    /// Paused by a person: deliveries park until it is resumed.
    pub paused: bool,
}

#[derive(Debug, Serialize)]
pub struct LastFailure {
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// A success came after it.
    pub recovered: bool,
}

#[derive(Debug, Serialize)]
pub struct LastDelivered {
    pub at: DateTime<Utc>,
    pub delivery_id: String,
    pub event_id: String,
    pub status: Option<u16>,
}

/// The request Herald would send (URL secrets and secret headers redacted), and for a draft, what
/// validation warns of.
#[derive(Debug, Serialize)]
pub struct PreviewView {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub event: String,
    pub kind: SourceKind,
    pub warnings: Vec<String>,
}

/// Kino's Test button's answer: "HTTP 204 in 143 ms", or why not, with a hint.
#[derive(Debug, Serialize)]
pub struct TestReport {
    pub ok: bool,
    pub status: Option<u16>,
    pub round_trip_ms: u64,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub response_snippet: Option<String>,
}

/// A rejected delivery: what was sent (secrets redacted), why, and what came back.
#[derive(Debug, Serialize)]
pub struct RejectedView {
    pub delivery_id: String,
    pub event: String,
    pub event_id: String,
    pub summary: Option<Value>,
    pub rejected_at: DateTime<Utc>,
    pub status: Option<u16>,
    pub reason: String,
    pub response: Option<String>,
    pub request: Option<RequestView>,
}

#[derive(Debug, Serialize)]
pub struct DeadLettersView {
    pub messages: Vec<crate::ports::DeadLetter>,
    /// Queue name → messages waiting there.
    #[serde(flatten)]
    pub counts: BTreeMap<String, u64>,
}

/// How many deliveries an action moved: `{"replaying": n}`, `{"replayed": n}`, …
#[derive(Debug, Serialize)]
pub enum Count {
    #[serde(rename = "replaying")]
    Replaying(i64),
    #[serde(rename = "replayed")]
    Replayed(usize),
    #[serde(rename = "discarded")]
    Discarded(usize),
    #[serde(rename = "redriven")]
    Redriven(usize),
}

// The activity log's views (`activity.rs` reads them).

/// What a list is narrowed to; every field optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityFilter {
    pub source: Option<String>,
    pub target: Option<String>,
    /// `delivered`, `failed` (failed, throttled or rejected), `parked`, `rejected` or `pending`.
    pub outcome: Option<String>,
    /// The event's name, exactly.
    pub name: Option<String>,
    /// Words in the summary or the name, any case.
    pub q: Option<String>,
    /// An event id, a delivery id (the `webhook-id` a receiver saw) or the sender's own id.
    pub id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The next page: events older than this event id.
    pub before: Option<String>,
    pub limit: Option<usize>,
}

/// What became of one delivery, as of its latest step.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryLine {
    pub delivery_id: String,
    pub target_id: String,
    /// The latest step's outcome, or `pending` while nothing was logged for it yet.
    pub outcome: String,
    pub status: Option<u16>,
    pub last_at: Option<DateTime<Utc>>,
    pub attempts: usize,
    /// Every step, oldest first (in a single event's or delivery's view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Attempt>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NotRoutedView {
    pub target_id: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub event_id: String,
    pub received_at: DateTime<Utc>,
    pub source_id: String,
    pub source_kind: SourceKind,
    pub name: String,
    pub summary: String,
    pub sender_id: Option<String>,
    /// For a health warning: the target it is about.
    pub about: Option<String>,
    pub deliveries: Vec<DeliveryLine>,
    pub not_routed: Vec<NotRoutedView>,
}

#[derive(Debug, Serialize)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// Pass as `before` for the next page; absent on the last one.
    pub next_before: Option<String>,
    /// The page stopped after a day of the log without filling up: pass as `until` to go on.
    pub next_until: Option<DateTime<Utc>>,
}

/// One delivery, with its event and the request as it was sent when an attempt did not go through.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    pub event: EventView,
    pub delivery: DeliveryLine,
    /// Waits in the target's rejected list (and so can be sent again).
    pub in_rejected_list: bool,
    pub request: Option<RequestView>,
}

/// A list of deliveries across events, newest event first.
#[derive(Debug, Serialize)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryItem>,
    pub next_before: Option<String>,
    pub next_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct DeliveryItem {
    #[serde(flatten)]
    pub line: DeliveryLine,
    pub event_id: String,
    pub received_at: DateTime<Utc>,
    pub name: String,
    pub summary: String,
}
