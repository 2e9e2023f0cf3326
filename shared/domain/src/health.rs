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
    let cause = herald_cause(state.last_status, state.last_error.as_deref());
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
    let cause = herald_cause(status, Some(cause));
    let message = format!("Webhook '{}' rejected {in_row} deliveries in a row: {cause}", target.name);
    warning(target, &message, in_row, status, &cause, None, id, at)
}

/// What the other targets are told of a failure: the status line, or Herald's own words for a
/// failure without one (a timeout, a refused connection), never the receiver's body, which is
/// an untrusted stranger's text (it stays in the target's status for its owner).
fn herald_cause(status: Option<u16>, error: Option<&str>) -> String {
    const LONGEST: usize = 200;
    match status {
        Some(code) => match http::StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()) {
            Some(reason) => format!("HTTP {code} {reason}"),
            None => format!("HTTP {code}"),
        },
        None => {
            let error = error.filter(|e| !e.trim().is_empty()).unwrap_or("unknown error");
            match error.char_indices().nth(LONGEST) {
                Some((cut, _)) => format!("{}…", &error[..cut]),
                None => error.to_owned(),
            }
        }
    }
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
            json!("Webhook 'Discord' rejected 5 deliveries in a row: HTTP 400 Bad Request"),
            "the receiver's body stays in the target's rejected list"
        );
        assert_eq!(r.name, HEALTH_WARNING);
    }

    #[test]
    fn warnings_carry_the_status_line_not_the_receivers_body() {
        let target: Target =
            serde_json::from_value(json!({"id": "t", "name": "T", "url": "https://t.example"})).unwrap();
        let state = TargetState {
            failures: 5,
            last_status: Some(503),
            last_error: Some("HTTP 503 Service Unavailable: <html>@everyone click https://evil.example</html>".into()),
            ..TargetState::default()
        };
        let e = health_warning(&target, &state, Ulid::nil(), DateTime::UNIX_EPOCH);
        let text = serde_json::to_string(&e.fields).unwrap();
        assert!(!text.contains("evil") && !text.contains("@everyone"), "{text}");
        assert_eq!(e.fields["last_error"], json!("HTTP 503 Service Unavailable"));
        let timeout = TargetState { last_status: None, last_error: Some("timed out after 10000 ms".into()), ..state };
        let e = health_warning(&target, &timeout, Ulid::nil(), DateTime::UNIX_EPOCH);
        assert_eq!(e.fields["message"], json!("Webhook 'T' has failed 5 times in a row: timed out after 10000 ms"));
        let r =
            rejection_warning(&target, 5, Some(422), "{\"error\": \"evil body\"}", Ulid::nil(), DateTime::UNIX_EPOCH);
        assert!(!serde_json::to_string(&r.fields).unwrap().contains("evil"));
    }
}
