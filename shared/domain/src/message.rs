//! Queue messages: versioned, tagged JSON (`{"v":1,"kind":"deliver",...}`).

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::event::Event;
use super::ids::TargetId;

pub const VERSION: u8 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    /// Stable across retries: it is the Standard Webhooks `webhook-id` receivers dedupe on.
    #[serde(with = "crate::ids::ulid_text")]
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

/// The wire shape read back: a plain struct, so serde streams it in one pass (a tagged enum behind
/// `flatten` would buffer the whole event, `raw` body included, before reading it again).
#[derive(Deserialize)]
struct Wire {
    v: u8,
    kind: Kind,
    #[serde(default, with = "crate::ids::ulid_text::option")]
    delivery_id: Option<Ulid>,
    target_id: Option<TargetId>,
    event: Option<Event>,
    epoch: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Deliver,
    Wakeup,
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
    #[error("{kind} message has no {field:?}")]
    Missing { kind: &'static str, field: &'static str },
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
        let wire = match serde_json::from_str::<Wire>(body) {
            Ok(wire) if wire.v == VERSION => wire,
            Ok(wire) => return Err(MessageError::Version(wire.v)),
            Err(e) => {
                return Err(match serde_json::from_str::<Version>(body) {
                    Ok(Version { v }) if v != VERSION => MessageError::Version(v),
                    _ => MessageError::Malformed(e),
                });
            }
        };
        let missing = |kind, field| MessageError::Missing { kind, field };
        match wire.kind {
            Kind::Deliver => Ok(Self::Deliver(Box::new(DeliveryMessage {
                delivery_id: wire.delivery_id.ok_or(missing("deliver", "delivery_id"))?,
                target_id: wire.target_id.ok_or(missing("deliver", "target_id"))?,
                event: wire.event.ok_or(missing("deliver", "event"))?,
            }))),
            Kind::Wakeup => Ok(Self::Wakeup(WakeupMessage {
                target_id: wire.target_id.ok_or(missing("wakeup", "target_id"))?,
                epoch: wire.epoch.ok_or(missing("wakeup", "epoch"))?,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn round_trip_and_version_check() {
        let m = Message::Wakeup(WakeupMessage { target_id: TargetId::parse("t").unwrap(), epoch: 3 });
        let json = m.to_json();
        assert_eq!(json, r#"{"v":1,"kind":"wakeup","target_id":"t","epoch":3}"#);
        assert_eq!(Message::from_json(&json).unwrap(), m);
        assert!(matches!(Message::from_json(&json.replace("\"v\":1", "\"v\":2")), Err(MessageError::Version(2))));
        assert!(matches!(Message::from_json("{\"v\":1,\"kind\":\"nope\"}"), Err(MessageError::Malformed(_))));
        assert!(matches!(Message::from_json("garbage"), Err(MessageError::Malformed(_))));
        let err = Message::from_json(r#"{"v":1,"kind":"wakeup","target_id":"t"}"#).unwrap_err();
        assert_eq!(err.to_string(), r#"wakeup message has no "epoch""#);
    }

    #[test]
    fn delivery_round_trip() {
        let event =
            crate::sample::sample_event(crate::event::SourceKind::Ombi, Ulid::from_parts(7, 1), DateTime::UNIX_EPOCH);
        let m = Message::Deliver(Box::new(DeliveryMessage {
            delivery_id: Ulid::from_parts(7, 2),
            target_id: TargetId::parse("t").unwrap(),
            event,
        }));
        assert_eq!(Message::from_json(&m.to_json()).unwrap(), m);
    }
}
