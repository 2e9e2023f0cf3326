//! What the admin use cases answer, as types: the router serializes them, the page and the CLI
//! read them. None of them can carry a secret: credentials appear once, in [`CreatedSource`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use herald_domain::request::RequestView;
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
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The latest delivery the receiver took, from the activity log.
    pub last_delivered: Option<LastDelivered>,
    pub holding: bool,
    pub enabled: bool,
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
