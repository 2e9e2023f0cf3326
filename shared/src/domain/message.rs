//! Queue messages: versioned, tagged JSON (`{"v":1,"kind":"deliver",...}`).

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::event::Event;
use super::ids::TargetId;

pub const VERSION: u8 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    /// Stable across retries: it is the Standard Webhooks `webhook-id` receivers dedupe on.
    pub delivery_id: Ulid,
    pub target_id: TargetId,
    pub event: Event,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeupMessage {
    pub target_id: TargetId,
    pub epoch: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Deliver(Box<DeliveryMessage>),
    Wakeup(WakeupMessage),
}

#[derive(Deserialize)]
struct Envelope {
    v: u8,
    #[serde(flatten)]
    message: Message,
}

/// Serializes without cloning the event.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum MessageRef<'a> {
    Deliver(&'a DeliveryMessage),
    Wakeup(&'a WakeupMessage),
}

#[derive(Serialize)]
struct EnvelopeRef<'a> {
    v: u8,
    #[serde(flatten)]
    message: MessageRef<'a>,
}

fn envelope_json(message: MessageRef<'_>) -> String {
    serde_json::to_string(&EnvelopeRef { v: VERSION, message }).expect("messages always serialize")
}

impl DeliveryMessage {
    pub fn to_json(&self) -> String {
        envelope_json(MessageRef::Deliver(self))
    }
}

impl WakeupMessage {
    pub fn to_json(&self) -> String {
        envelope_json(MessageRef::Wakeup(self))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("message is not valid JSON or not a known kind: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("message version {0} is not supported (this build reads version {VERSION})")]
    Version(u8),
}

impl Message {
    pub fn to_json(&self) -> String {
        match self {
            Self::Deliver(d) => d.to_json(),
            Self::Wakeup(w) => w.to_json(),
        }
    }

    pub fn from_json(body: &str) -> Result<Self, MessageError> {
        #[derive(Deserialize)]
        struct Version {
            v: u8,
        }
        // One parse on the hot path; a second look only to explain a failure.
        match serde_json::from_str::<Envelope>(body) {
            Ok(Envelope { v: VERSION, message }) => Ok(message),
            Ok(Envelope { v, .. }) => Err(MessageError::Version(v)),
            Err(e) => match serde_json::from_str::<Version>(body) {
                Ok(Version { v }) if v != VERSION => Err(MessageError::Version(v)),
                _ => Err(MessageError::Malformed(e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_version_check() {
        let m = Message::Wakeup(WakeupMessage { target_id: TargetId::parse("t").unwrap(), epoch: 3 });
        let json = m.to_json();
        assert_eq!(json, r#"{"v":1,"kind":"wakeup","target_id":"t","epoch":3}"#);
        assert_eq!(Message::from_json(&json).unwrap(), m);
        assert!(matches!(Message::from_json(&json.replace("\"v\":1", "\"v\":2")), Err(MessageError::Version(2))));
        assert!(matches!(Message::from_json("{\"v\":1,\"kind\":\"nope\"}"), Err(MessageError::Malformed(_))));
        assert!(matches!(Message::from_json("garbage"), Err(MessageError::Malformed(_))));
    }
}
