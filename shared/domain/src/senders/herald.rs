//! Herald's own events: the warning it sends to healthy targets when another keeps failing
//! (`crate::health`). Its body is the event's own fields, read as a generic sender's are.

use super::{BodyForm, DefaultAuth, Sender, event};

pub const SENDER: Sender = Sender {
    label: "Herald",
    selectable: false,
    events: &[event(
        "health_warning",
        "a target fails 5 times in a row, or rejects 5 deliveries in a row (sent to the other targets)",
    )],
    sample: r#"{"event": "health_warning", "title": "Webhook 'Discord' is failing",
 "message": "Webhook 'Discord' has failed 5 times in a row: HTTP 503 Service Unavailable",
 "summary": "Webhook 'Discord' has failed 5 times in a row: HTTP 503 Service Unavailable", "target": "Discord",
 "target_id": "discord", "failures": 5, "last_status": 503, "last_error": "HTTP 503 Service Unavailable"}"#,
    test: None,
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[],
    normalize: super::generic::normalize,
};
