//! The activity log: what became of every event (its record, with its fan-out) and every delivery
//! (each attempt, parked or skipped step), kept for a retention period so that "what happened to
//! my notification?" has an answer without CloudWatch.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::event::{Event, SourceKind};
use crate::ids::{SourceId, TargetId, ulid_text};
use crate::outcome::DeliveryOutcome;
use crate::preset::truncate_bytes;
use crate::request::{OutboundRequest, RequestView};

/// How much of a summary, an event name or a sender's id a record keeps: an event record must stay
/// within one DynamoDB write unit (1 KB).
pub const SUMMARY_BYTES: usize = 200;
pub const NAME_BYTES: usize = 80;
pub const SENDER_ID_BYTES: usize = 80;
/// How much of a failing answer an attempt keeps.
pub const RESPONSE_BYTES: usize = 1024;
/// How much of Herald's own error text an attempt keeps.
pub const ERROR_BYTES: usize = 300;
/// How much of a failed request's body an attempt keeps.
pub const REQUEST_BODY_BYTES: usize = 2048;

/// What one step of a delivery came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered,
    /// A target failure: the target climbs its ladder and the delivery is parked.
    Failed,
    /// A 429: parked until the receiver's wait is over.
    Throttled,
    /// The receiver refused this payload (or it could not be built): set aside in the rejected list.
    Rejected,
    /// Held in the parking lot while the target backs off, without an attempt.
    Parked,
    /// Not sent: the target was deleted (or re-created) after the event was routed.
    Skipped,
    /// Its message failed every receive SQS allows and waits in the deliveries' dead-letter queue
    /// (a redrive sends it on).
    DeadLettered,
    /// Parked longer than parked deliveries are kept, and gone unsent. Never written: a reader
    /// derives it from a parked delivery's age (nothing runs when a parked item's TTL passes).
    Expired,
}

impl Outcome {
    pub const ALL: [Self; 8] = [
        Self::Delivered,
        Self::Failed,
        Self::Throttled,
        Self::Rejected,
        Self::Parked,
        Self::Skipped,
        Self::DeadLettered,
        Self::Expired,
    ];

    /// One letter in the stored line.
    pub fn code(self) -> char {
        match self {
            Self::Delivered => 'd',
            Self::Failed => 'f',
            Self::Throttled => 't',
            Self::Rejected => 'r',
            Self::Parked => 'p',
            Self::Skipped => 's',
            Self::DeadLettered => 'x',
            Self::Expired => 'e',
        }
    }

    pub fn from_code(code: char) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Throttled => "throttled",
            Self::Rejected => "rejected",
            Self::Parked => "parked",
            Self::Skipped => "skipped",
            Self::DeadLettered => "dead_lettered",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Did not go through (what "failed" means in a filter).
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::Throttled | Self::Rejected | Self::DeadLettered | Self::Expired)
    }

    /// The delivery waits in the target's parking lot after this step.
    pub fn leaves_parked(self) -> bool {
        matches!(self, Self::Failed | Self::Throttled | Self::Parked)
    }

    /// A step that sent nothing (no status, no latency).
    pub fn sent_nothing(self) -> bool {
        matches!(self, Self::Parked | Self::Skipped | Self::DeadLettered | Self::Expired)
    }
}

/// Why an attempt that got no 2xx failed, in a few words a filter can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The receiver answered with a status.
    Http,
    Timeout,
    Connect,
    Dns,
    /// The address guard refused the resolved address.
    Guard,
    /// The request could not be built from this event.
    Build,
    Other,
}

impl ErrorClass {
    pub fn code(self) -> char {
        match self {
            Self::Http => 'h',
            Self::Timeout => 't',
            Self::Connect => 'c',
            Self::Dns => 'n',
            Self::Guard => 'g',
            Self::Build => 'b',
            Self::Other => 'o',
        }
    }

    pub fn from_code(code: char) -> Option<Self> {
        [Self::Http, Self::Timeout, Self::Connect, Self::Dns, Self::Guard, Self::Build, Self::Other]
            .into_iter()
            .find(|c| c.code() == code)
    }

    /// From a status and Herald's own error text (the sender's words, see `herald_aws::http`).
    pub fn of(status: Option<u16>, error: &str) -> Self {
        if status.is_some() {
            Self::Http
        } else if error.starts_with("could not build") {
            Self::Build
        } else if error.starts_with("timed out") {
            Self::Timeout
        } else if error.contains("not globally reachable") {
            Self::Guard
        } else if error.contains("did not resolve") || error.contains("dns error") {
            Self::Dns
        } else if error.starts_with("could not connect") {
            Self::Connect
        } else {
            Self::Other
        }
    }
}

/// One step of one delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    #[serde(with = "ulid_text")]
    pub delivery_id: Ulid,
    #[serde(with = "ulid_text")]
    pub event_id: Ulid,
    pub target_id: TargetId,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ErrorClass>,
    /// How long the receiver took (0 for a step that sent nothing).
    pub ms: u64,
    /// Herald's words for a failure or rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Up to [`RESPONSE_BYTES`] of what a receiver answered, for anything but a 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// The request as it was sent (secrets redacted, [`REQUEST_BODY_BYTES`] of the body), for an
    /// attempt that did not go through; a healthy one's is not kept (it would cost a write unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestView>,
}

impl Attempt {
    /// A step that sent nothing (parked, skipped).
    pub fn step(at: DateTime<Utc>, delivery_id: Ulid, event_id: Ulid, target_id: &TargetId, outcome: Outcome) -> Self {
        Self {
            at: to_millis(at),
            delivery_id,
            event_id,
            target_id: target_id.clone(),
            outcome,
            status: None,
            class: None,
            ms: 0,
            error: None,
            response: None,
            request: None,
        }
    }

    /// What a send came to, and the request sent (if it could be built).
    pub fn sent(
        at: DateTime<Utc>,
        delivery_id: Ulid,
        event_id: Ulid,
        target_id: &TargetId,
        sent: &DeliveryOutcome,
        request: Option<&OutboundRequest>,
    ) -> Self {
        let ms = sent.elapsed().as_millis() as u64;
        let (outcome, error, response) = match sent {
            DeliveryOutcome::Delivered { .. } => (Outcome::Delivered, None, None),
            DeliveryOutcome::Throttled { .. } => (Outcome::Throttled, None, None),
            DeliveryOutcome::Failed { error, response, .. } => {
                // The error ends with the answer already; the answer is kept on its own.
                let error = match response {
                    Some(r) => {
                        error.strip_suffix(r.as_str()).map_or(error.as_str(), |e| e.trim_end_matches([':', ' ']))
                    }
                    None => error.as_str(),
                };
                (Outcome::Failed, Some(error), response.as_deref())
            }
            DeliveryOutcome::Rejected { error, response, .. } => {
                (Outcome::Rejected, Some(error.as_str()), response.as_deref())
            }
        };
        let status = sent.status();
        Self {
            status,
            class: error.map(|e| ErrorClass::of(status, e)),
            ms,
            error: error.map(|e| cut(e, ERROR_BYTES)),
            response: response.map(|r| cut(r, RESPONSE_BYTES)),
            request: (outcome != Outcome::Delivered)
                .then_some(request)
                .flatten()
                .map(|r| RequestView::of(r, REQUEST_BODY_BYTES)),
            ..Self::step(at, delivery_id, event_id, target_id, outcome)
        }
    }
}

/// Why a target was not sent an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotRouted {
    /// Its event list does not take this event (or it is chatty and the target takes the defaults).
    NotSubscribed,
    /// Its `when` conditions are false for this event.
    When,
    /// The target is disabled.
    Disabled,
}

impl NotRouted {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSubscribed => "not_subscribed",
            Self::When => "when",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::NotSubscribed, Self::When, Self::Disabled].into_iter().find(|r| r.as_str() == text)
    }
}

/// An accepted webhook: what it was and where it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    #[serde(with = "ulid_text")]
    pub event_id: Ulid,
    pub received_at: DateTime<Utc>,
    pub source_id: SourceId,
    pub source_kind: SourceKind,
    pub name: String,
    pub summary: String,
    /// The sender's own delivery id, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
    /// Each target it was routed to, with its delivery id.
    pub routed: Vec<Routed>,
    /// Each target it was not routed to, and why.
    pub not_routed: Vec<(TargetId, NotRouted)>,
    /// For a health warning: the target it warns about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<TargetId>,
    /// Kept (and shown) past the log's retention until then, because one of its deliveries was
    /// parked: its expiry, when parked deliveries are kept that long, is shown too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_until: Option<DateTime<Utc>>,
}

/// A webhook a source's URL refused (a wrong credential, a body that is not JSON, too large), as
/// source health words it: never a value the sender sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub at: DateTime<Utc>,
    pub source_id: SourceId,
    pub status: u16,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routed {
    pub target_id: TargetId,
    #[serde(with = "ulid_text")]
    pub delivery_id: Ulid,
}

impl EventRecord {
    /// The record of `event`, kept small: name, summary and sender id are cut to their limits.
    pub fn of(
        event: &Event,
        sender_id: Option<&str>,
        routed: Vec<Routed>,
        not_routed: Vec<(TargetId, NotRouted)>,
    ) -> Self {
        Self {
            event_id: event.id,
            received_at: event.received_at,
            source_id: event.source_id.clone(),
            source_kind: event.source_kind,
            name: cut(&event.name, NAME_BYTES),
            summary: cut(&summary_of(event), SUMMARY_BYTES),
            sender_id: sender_id.map(|s| cut(s, SENDER_ID_BYTES)),
            routed,
            not_routed,
            about: event.fields.get("target_id").and_then(|v| v.as_str()).and_then(|t| TargetId::parse(t).ok()),
            kept_until: None,
        }
    }
}

/// Steps are kept to the millisecond.
fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

fn summary_of(event: &Event) -> String {
    match event.fields.get("summary") {
        Some(serde_json::Value::String(text)) => text.clone(),
        _ => event.name.clone(),
    }
}

/// Text from a stranger (a receiver's answer, a sender's body) as Herald keeps it: every control
/// character (C0, DEL, C1: a terminal's escapes, a carriage return that hides a line) and every
/// bidirectional override (which reorders what a reader sees) becomes a space; lines and tabs stay.
pub fn without_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    match text.contains(unsafe_char) {
        true => text.chars().map(|c| if unsafe_char(c) { ' ' } else { c }).collect::<String>().into(),
        false => text.into(),
    }
}

/// `text` cut to `bytes` at a character boundary (with … when cut), on one line and with control
/// characters (a stranger's terminal escapes) replaced, since records are printed by the CLI.
pub fn cut(text: &str, bytes: usize) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    truncate_bytes(&clean, bytes).unwrap_or(clean)
}

/// The start of the hour that contains `at`: the activity log is stored and read an hour at a time.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::DurationRound as _;
    at.duration_trunc(chrono::Duration::hours(1)).unwrap_or(at)
}

/// The delivery id of `event` for `target`: the same for every attempt at the same event, so
/// receivers can dedupe on `webhook-id`, and computable from the event id alone.
pub fn delivery_id(event_id: Ulid, received_at: DateTime<Utc>, target: &TargetId) -> Ulid {
    crate::ids::derived_id(received_at, &[event_id.to_string().as_bytes(), target.as_str().as_bytes()])
}

#[cfg(test)]
#[path = "activity_tests.rs"]
mod tests;
