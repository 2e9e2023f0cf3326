//! The `health_warning` event Herald raises itself when a target has failed five times in a row.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use ulid::Ulid;

use super::event::{Event, RawBody, SourceKind, rfc3339};
use super::ids::SourceId;
use super::state::TargetState;
use super::target::Target;

pub const HEALTH_WARNING: &str = "health_warning";
/// The consecutive failure that raises the warning, once per outage (Kino's give-up rung).
pub const WARN_AT_FAILURE: u32 = 5;

/// `id` is the new event's id; the caller owns ids and time, so the domain needs neither a clock nor randomness.
pub fn health_warning(failing: &Target, state: &TargetState, id: Ulid, at: DateTime<Utc>) -> Event {
    let cause = state.last_error.clone().unwrap_or_else(|| "unknown error".into());
    let message = format!("Webhook '{}' has failed {} times in a row: {cause}", failing.name, state.failures);
    warning(failing, &message, state.failures, state.last_status, &cause, state.next_attempt_at, id, at)
}

/// The warning for a target that refused [`WARN_AT_FAILURE`] deliveries in a row for their content.
pub fn rejection_warning(
    target: &Target,
    in_row: u32,
    status: Option<u16>,
    cause: &str,
    id: Ulid,
    at: DateTime<Utc>,
) -> Event {
    let message = format!("Webhook '{}' rejected {in_row} deliveries in a row: {cause}", target.name);
    warning(target, &message, in_row, status, cause, None, id, at)
}

#[allow(clippy::too_many_arguments)]
fn warning(
    target: &Target,
    message: &str,
    count: u32,
    status: Option<u16>,
    cause: &str,
    next_attempt_at: Option<DateTime<Utc>>,
    id: Ulid,
    at: DateTime<Utc>,
) -> Event {
    let fields: Map<String, Value> = [
        ("event", json!(HEALTH_WARNING)),
        ("title", json!(format!("Webhook '{}' is failing", target.name))),
        ("message", json!(message)),
        ("summary", json!(message)),
        ("target", json!(target.name)),
        ("target_id", json!(target.id.as_str())),
        ("failures", json!(count)),
        ("last_status", json!(status)),
        ("last_error", json!(cause)),
        ("next_attempt_at", json!(next_attempt_at.map(rfc3339))),
        ("source", json!("herald")),
        ("source_kind", json!("herald")),
        ("event_id", json!(id.to_string())),
        ("herald_event_id", json!(id.to_string())),
        ("timestamp", json!(rfc3339(at))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Event {
        id,
        source_id: SourceId::parse("herald").expect("valid id"),
        source_kind: SourceKind::Herald,
        name: HEALTH_WARNING.into(),
        received_at: at,
        chatty: false,
        event_pointer: None,
        summary_template: None,
        raw: RawBody::from_value(&Value::Object(fields.clone())),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warning_names_the_target_and_the_cause() {
        let target: Target =
            serde_json::from_value(json!({"id": "d", "name": "Discord", "url": "https://d.example"})).unwrap();
        let state = TargetState {
            failures: 5,
            last_status: Some(503),
            last_error: Some("HTTP 503 Service Unavailable".into()),
            ..TargetState::default()
        };
        let e = health_warning(&target, &state, Ulid::from_parts(1, 2), DateTime::UNIX_EPOCH);
        assert_eq!(e.name, "health_warning");
        assert_eq!(
            e.fields["message"],
            json!("Webhook 'Discord' has failed 5 times in a row: HTTP 503 Service Unavailable")
        );
        assert_eq!(e.fields["target"], json!("Discord"));
        assert!(!e.chatty, "default subscriptions get it");
        let r = rejection_warning(
            &target,
            5,
            Some(400),
            "HTTP 400 Bad Request {\"content\": [\"too long\"]}",
            Ulid::nil(),
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(
            r.fields["message"],
            json!(
                "Webhook 'Discord' rejected 5 deliveries in a row: HTTP 400 Bad Request {\"content\": [\"too long\"]}"
            )
        );
        assert_eq!(r.name, HEALTH_WARNING);
    }
}
