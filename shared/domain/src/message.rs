//! Queue messages: versioned, tagged JSON (`{"v":1,"kind":"deliver",...}`).

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use serde_json::Map;

use super::adapters::{NormalizeError, Origin, normalize};
use super::event::{Event, SourceKind};
use super::ids::TargetId;
use super::target::Target;

pub const VERSION: u8 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    /// Stable across retries: it is the Standard Webhooks `webhook-id` receivers dedupe on.
    #[serde(with = "crate::ids::ulid_text")]
    pub delivery_id: Ulid,
    pub target_id: TargetId,
    /// Which life of the target this is for: a target deleted and created again under the same id
    /// is another incarnation, and never gets what was meant for the old one.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::ids::ulid_text::option")]
    pub incarnation: Option<Ulid>,
    pub event: Event,
    /// Set by ingest on one delivery of each webhook it accepts: the deliver function counts the
    /// webhook when it has handled that delivery, in the metrics line its batch shares, where a
    /// line of ingest's own would cost more than the webhook's whole delivery path. Only ingest's
    /// encoder ([`new_wires`]) writes it, so a parked or re-queued copy never counts the webhook again.
    #[serde(default, skip_serializing)]
    pub counts_webhook: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeupMessage {
    pub target_id: TargetId,
    pub epoch: u64,
    /// Which life of the target this is for: a target deleted and created again under the same id
    /// is another incarnation, and never gets what was meant for the old one.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::ids::ulid_text::option")]
    pub incarnation: Option<Ulid>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Deliver(Box<DeliveryMessage>),
    Wakeup(WakeupMessage),
    /// The periodic sweep: wake every holding target whose wake-up is overdue.
    Sweep,
}

/// SQS's message size limit (also the emulators'): a queued delivery must fit in it.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Above this size a delivery travels without its `fields`, which are rebuilt from `raw` on
/// arrival: a large body is then carried once instead of twice.
pub const SLIM_ABOVE: usize = 64 * 1024;

/// The wire shape read back: a plain struct, so serde streams it in one pass (a tagged enum behind
/// `flatten` would buffer the whole event, `raw` body included, before reading it again).
#[derive(Deserialize)]
struct Wire {
    v: u8,
    kind: Kind,
    #[serde(default, with = "crate::ids::ulid_text::option")]
    delivery_id: Option<Ulid>,
    target_id: Option<TargetId>,
    #[serde(default, with = "crate::ids::ulid_text::option")]
    incarnation: Option<Ulid>,
    event: Option<Event>,
    epoch: Option<u64>,
    #[serde(default)]
    counts_webhook: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Deliver,
    Wakeup,
    Sweep,
}

/// Serializes without cloning the event.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum MessageRef<'a> {
    Deliver(&'a DeliveryMessage),
    Wakeup(&'a WakeupMessage),
    Sweep,
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
    /// A delivery of `event` to this incarnation of `target`.
    pub fn to(target: &Target, delivery_id: Ulid, event: Event) -> Self {
        Self {
            delivery_id,
            target_id: target.id.clone(),
            incarnation: target.incarnation,
            event,
            counts_webhook: false,
        }
    }

    /// Whether this delivery belongs to this incarnation of its target: made for it, or for an
    /// older copy of the target list (ingest caches it for seconds) but of an event that arrived
    /// after this incarnation was created. What arrived before belongs to a deleted target.
    pub fn is_for(&self, target: &Target) -> bool {
        if self.incarnation == target.incarnation {
            return true;
        }
        target.incarnation.is_some_and(|current| {
            u64::try_from(self.event.received_at.timestamp_millis()).is_ok_and(|at| at >= current.timestamp_ms())
        })
    }

    /// Made for a later incarnation than `target` (ids sort by creation): the copy of the target
    /// at hand is older than the message, not the other way round.
    pub fn is_newer_than(&self, target: &Target) -> bool {
        self.incarnation > target.incarnation
    }

    pub fn to_json(&self) -> String {
        envelope_json(MessageRef::Deliver(self))
    }

    /// What goes on a queue or into the table: the full message, or above [`SLIM_ABOVE`] the
    /// message without its `fields` (Herald's own events are small and never slimmed).
    pub fn to_wire(&self) -> String {
        let full = self.to_json();
        if full.len() <= SLIM_ABOVE || self.event.source_kind == SourceKind::Herald {
            return full;
        }
        let mut slim = self.clone();
        slim.event.fields = Map::new();
        slim.to_json()
    }
}

/// One delivery on the wire with its event already encoded: the shape [`DeliveryMessage::to_json`] writes.
#[derive(Serialize)]
struct Encoded<'a> {
    v: u8,
    kind: &'static str,
    #[serde(with = "crate::ids::ulid_text")]
    delivery_id: Ulid,
    target_id: &'a TargetId,
    #[serde(skip_serializing_if = "Option::is_none", with = "crate::ids::ulid_text::option")]
    incarnation: Option<Ulid>,
    event: &'a serde_json::value::RawValue,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    counts_webhook: bool,
}

/// What goes on the queue for `deliveries`, as [`DeliveryMessage::to_wire`] would write each, but
/// with each event encoded once for all of its deliveries (ingest's fan-out shares one event). A
/// delivery sent again (re-queued by deliver or retry) never carries its webhook's count.
pub fn wires(deliveries: &[DeliveryMessage]) -> Vec<String> {
    encode_all(deliveries, false)
}

/// [`wires`] for a webhook's first sending, by ingest: the delivery that counts the webhook says so.
pub fn new_wires(deliveries: &[DeliveryMessage]) -> Vec<String> {
    encode_all(deliveries, true)
}

fn encode_all(deliveries: &[DeliveryMessage], with_count: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(deliveries.len());
    let longest_id = deliveries.iter().map(|d| d.target_id.as_str().len()).max().unwrap_or(0);
    let mut encoded: Option<(&Event, Box<serde_json::value::RawValue>)> = None;
    for d in deliveries {
        // The id first: only the same event is compared whole.
        let reuse = encoded.as_ref().is_some_and(|(e, _)| e.id == d.event.id && **e == d.event);
        if !reuse {
            encoded = Some((&d.event, encode_event(&d.event, longest_id)));
        }
        let event = &encoded.as_ref().expect("set above").1;
        let message = Encoded {
            v: VERSION,
            kind: "deliver",
            delivery_id: d.delivery_id,
            target_id: &d.target_id,
            incarnation: d.incarnation,
            event,
            counts_webhook: with_count && d.counts_webhook,
        };
        out.push(serde_json::to_string(&message).expect("messages always serialize"));
    }
    out
}

/// The event as it travels: whole, or slim (without `fields`) when its message would pass [`SLIM_ABOVE`].
fn encode_event(event: &Event, longest_target_id: usize) -> Box<serde_json::value::RawValue> {
    // The envelope around the event: version, kind, two ULIDs (delivery, incarnation) and the
    // target id, with their keys.
    const ENVELOPE: usize = 160;
    let full = serde_json::value::to_raw_value(event).expect("events always serialize");
    if full.get().len() + ENVELOPE + longest_target_id <= SLIM_ABOVE || event.source_kind == SourceKind::Herald {
        return full;
    }
    let slim = Event { fields: Map::new(), ..event.clone() };
    serde_json::value::to_raw_value(&slim).expect("events always serialize")
}

/// A slim event's fields, normalized again from its raw body exactly as ingest did.
fn with_fields(mut event: Event) -> Result<Event, MessageError> {
    if !event.fields.is_empty() || event.source_kind == SourceKind::Herald {
        return Ok(event);
    }
    let origin = Origin {
        source_id: &event.source_id,
        kind: event.source_kind,
        event_pointer: event.event_pointer.as_deref(),
        summary: event.summary_template.as_deref(),
    };
    let rebuilt =
        normalize(&origin, event.raw.get().as_bytes(), event.id, event.received_at).map_err(MessageError::Rebuild)?;
    event.fields = rebuilt.fields;
    Ok(event)
}

/// The sweep message the rate schedule puts on the wakeups queue.
pub fn sweep_json() -> String {
    envelope_json(MessageRef::Sweep)
}

impl WakeupMessage {
    pub fn of(target: &Target, epoch: u64) -> Self {
        Self { target_id: target.id.clone(), epoch, incarnation: target.incarnation }
    }

    /// Only for the incarnation it was scheduled for (one from before incarnations existed, only
    /// for a target that has none either).
    pub fn is_for(&self, target: &Target) -> bool {
        self.incarnation == target.incarnation
    }

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
    #[error("a slim delivery's body no longer normalizes: {0}")]
    Rebuild(#[source] NormalizeError),
}

impl Message {
    pub fn to_json(&self) -> String {
        match self {
            Self::Deliver(d) => d.to_json(),
            Self::Wakeup(w) => w.to_json(),
            Self::Sweep => sweep_json(),
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
                incarnation: wire.incarnation,
                event: with_fields(wire.event.ok_or(missing("deliver", "event"))?)?,
                counts_webhook: wire.counts_webhook,
            }))),
            Kind::Sweep => Ok(Self::Sweep),
            Kind::Wakeup => Ok(Self::Wakeup(WakeupMessage {
                target_id: wire.target_id.ok_or(missing("wakeup", "target_id"))?,
                epoch: wire.epoch.ok_or(missing("wakeup", "epoch"))?,
                incarnation: wire.incarnation,
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
        let m =
            Message::Wakeup(WakeupMessage { target_id: TargetId::parse("t").unwrap(), epoch: 3, incarnation: None });
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
            incarnation: None,
            event,
            counts_webhook: false,
        }));
        assert_eq!(Message::from_json(&m.to_json()).unwrap(), m);
    }

    /// The webhook's count goes to the deliver function once: on the wire ingest writes, never in a
    /// copy made from the message afterwards (parked in the table, or put back on the queue).
    #[test]
    fn only_ingests_encoder_carries_the_webhooks_count() {
        let event =
            crate::sample::sample_event(crate::event::SourceKind::Ombi, Ulid::from_parts(7, 1), DateTime::UNIX_EPOCH);
        let first = DeliveryMessage {
            delivery_id: Ulid::from_parts(7, 2),
            target_id: TargetId::parse("t").unwrap(),
            incarnation: None,
            event,
            counts_webhook: true,
        };
        let second = DeliveryMessage { delivery_id: Ulid::from_parts(7, 3), counts_webhook: false, ..first.clone() };
        let queued = new_wires(&[first.clone(), second.clone()]);
        let read: Vec<DeliveryMessage> = queued
            .iter()
            .map(|w| match Message::from_json(w).unwrap() {
                Message::Deliver(d) => *d,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(read, [first.clone(), second], "the flag travels on ingest's wire, on its delivery only");
        // Parked (the table keeps `to_wire`), or sent again by deliver or retry (`wires`).
        for copy in [read[0].to_wire(), read[0].to_json(), wires(&read[..1]).remove(0)] {
            assert!(!copy.contains("counts_webhook"), "{copy}");
            let Message::Deliver(again) = Message::from_json(&copy).unwrap() else { panic!() };
            assert!(!again.counts_webhook);
        }
        assert!(!new_wires(&[DeliveryMessage { counts_webhook: false, ..first }])[0].contains("counts_webhook"));
    }

    #[test]
    fn a_large_delivery_travels_slim_and_arrives_whole() {
        let origin = Origin {
            source_id: &crate::SourceId::parse("g").unwrap(),
            kind: SourceKind::Generic,
            event_pointer: Some("/what"),
            summary: Some("{{what}} from {{source}}"),
        };
        let body = serde_json::json!({"what": "big", "blob": "x".repeat(200 * 1024), "n": {"deep": 1}}).to_string();
        let event = normalize(&origin, body.as_bytes(), Ulid::from_parts(9, 9), DateTime::UNIX_EPOCH).unwrap();
        let m = DeliveryMessage {
            delivery_id: Ulid::from_parts(9, 10),
            target_id: TargetId::parse("t").unwrap(),
            incarnation: None,
            event,
            counts_webhook: false,
        };
        let wire = m.to_wire();
        assert!(wire.len() < body.len() + 1024, "one copy of the body: {} bytes", wire.len());
        assert!(wire.len() <= MAX_MESSAGE_BYTES);
        assert!(m.to_json().len() > 2 * 200 * 1024, "the full form carries it twice");
        assert_eq!(Message::from_json(&wire).unwrap(), Message::Deliver(Box::new(m.clone())));
        let small = crate::sample::sample_event(SourceKind::Ombi, Ulid::nil(), DateTime::UNIX_EPOCH);
        let small = DeliveryMessage {
            delivery_id: Ulid::nil(),
            target_id: TargetId::parse("t").unwrap(),
            incarnation: None,
            event: small,
            counts_webhook: false,
        };
        assert_eq!(small.to_wire(), small.to_json());
        assert_eq!(Message::from_json(&sweep_json()).unwrap(), Message::Sweep);

        // Fanned out: each event is encoded once, and every wire reads back as its delivery.
        for event in [m.event.clone(), small.event.clone()] {
            let fanned: Vec<DeliveryMessage> = ["a", "bb", "ccc"]
                .iter()
                .enumerate()
                .map(|(i, t)| DeliveryMessage {
                    delivery_id: Ulid::from_parts(1, i as u128),
                    target_id: TargetId::parse(*t).unwrap(),
                    incarnation: None,
                    event: event.clone(),
                    counts_webhook: false,
                })
                .collect();
            let encoded = wires(&fanned);
            for (wire, d) in encoded.iter().zip(&fanned) {
                assert_eq!(Message::from_json(wire).unwrap(), Message::Deliver(Box::new(d.clone())));
                assert!(wire.len() <= MAX_MESSAGE_BYTES);
            }
            assert_eq!(encoded[0], fanned[0].to_wire(), "the same bytes as one at a time");
        }
    }
}
