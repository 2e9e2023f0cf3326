//! An SDK interceptor that counts every API call by service and operation (each attempt, as AWS
//! bills them) and the DynamoDB capacity units each call consumed, as the service reports them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// `(service, operation)`, e.g. `("SQS", "SendMessageBatch")`.
pub type Operation = (String, String);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub calls: BTreeMap<Operation, u64>,
    pub read_units: f64,
    pub write_units: f64,
    /// SQS bills each 64 KiB of a request's (or its response's) payload as one request.
    pub sqs_chunks: u64,
    /// Long polls (ReceiveMessage waiting a second or more) that came back with nothing: an idle
    /// queue's polling, a fixed cost on AWS rather than a cost per delivery.
    pub empty_long_polls: u64,
    /// ReceiveMessage calls that did not wait (the batching window's, filling a batch), empty or
    /// not: each is a billed request of the delivery path.
    pub short_polls: u64,
}

impl Tally {
    pub fn calls_to(&self, service: &str, operation: &str) -> u64 {
        self.calls.get(&(service.to_owned(), operation.to_owned())).copied().unwrap_or(0)
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Tally) -> Tally {
        let calls = self
            .calls
            .iter()
            .map(|(op, n)| (op.clone(), n - earlier.calls.get(op).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        Tally {
            calls,
            read_units: self.read_units - earlier.read_units,
            write_units: self.write_units - earlier.write_units,
            sqs_chunks: self.sqs_chunks - earlier.sqs_chunks,
            empty_long_polls: self.empty_long_polls - earlier.empty_long_polls,
            short_polls: self.short_polls - earlier.short_polls,
        }
    }
}

/// Cheap to clone; every clone adds to the same tally.
#[derive(Clone, Debug, Default)]
pub struct CallCounter {
    tally: Arc<Mutex<Tally>>,
}

impl CallCounter {
    pub fn snapshot(&self) -> Tally {
        self.tally.lock().expect("lock").clone()
    }
}

const CHUNK: usize = 64 * 1024;

/// The request's size in 64 KiB chunks, kept for the response's turn.
#[derive(Clone, Copy, Debug)]
struct RequestChunks(u64);

impl Storable for RequestChunks {
    type Storer = StoreReplace<Self>;
}

/// Whether a ReceiveMessage asked to wait for messages, kept for the response's turn.
#[derive(Clone, Copy, Debug)]
struct LongPoll(bool);

impl Storable for LongPoll {
    type Storer = StoreReplace<Self>;
}

/// A ReceiveMessage request (SQS's JSON protocol) that waits at least a second; without
/// `WaitTimeSeconds` the queue's own wait applies, which Herald's queues leave at 0.
fn waits(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| v["WaitTimeSeconds"].as_i64()).unwrap_or(0) > 0
}

fn chunks(len: usize) -> u64 {
    len.div_ceil(CHUNK).max(1) as u64
}

fn operation(cfg: &ConfigBag) -> Option<(&str, &str)> {
    cfg.load::<Metadata>().map(|m| (m.service(), m.name()))
}

fn is_read(operation: &str) -> bool {
    matches!(operation, "GetItem" | "BatchGetItem" | "Query" | "Scan" | "TransactGetItems")
}

/// `CapacityUnits` from a DynamoDB response: one object, or one per table for batch calls.
fn capacity_units(body: &[u8]) -> f64 {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else { return 0.0 };
    let units = |v: &serde_json::Value| v["CapacityUnits"].as_f64().unwrap_or(0.0);
    match &value["ConsumedCapacity"] {
        serde_json::Value::Array(items) => items.iter().map(units).sum(),
        other => units(other),
    }
}

/// How many messages a ReceiveMessage response holds.
fn received(body: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["Messages"].as_array().map(Vec::len))
        .unwrap_or(0)
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    /// Asks DynamoDB to report what each call consumed (it does not unless asked).
    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if operation(cfg).map(|(service, _)| service) != Some("DynamoDB") {
            return Ok(());
        }
        let request = context.request_mut();
        let Some(bytes) = request.body().bytes() else { return Ok(()) };
        let Ok(serde_json::Value::Object(mut body)) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return Ok(());
        };
        body.insert("ReturnConsumedCapacity".into(), "TOTAL".into());
        let bytes = serde_json::to_vec(&body)?;
        request.headers_mut().insert("content-length", bytes.len().to_string());
        *request.body_mut() = SdkBody::from(bytes);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, name) = operation(cfg).unwrap_or(("unknown", "unknown"));
        let key = (service.to_owned(), name.to_owned());
        *self.tally.lock().expect("lock").calls.entry(key).or_default() += 1;
        let request = context.request().body().bytes().unwrap_or_default();
        let long_poll = ((service, name) == ("SQS", "ReceiveMessage")).then(|| LongPoll(waits(request)));
        cfg.interceptor_state().store_put(RequestChunks(chunks(request.len())));
        if let Some(long_poll) = long_poll {
            cfg.interceptor_state().store_put(long_poll);
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response().body().bytes().unwrap_or_default();
        match operation(cfg) {
            Some(("DynamoDB", name)) => {
                let units = capacity_units(body);
                let mut tally = self.tally.lock().expect("lock");
                if is_read(name) {
                    tally.read_units += units;
                } else {
                    tally.write_units += units;
                }
            }
            Some(("SQS", name)) => {
                let request = cfg.load::<RequestChunks>().map_or(1, |c| c.0);
                let mut tally = self.tally.lock().expect("lock");
                tally.sqs_chunks += request.max(chunks(body.len()));
                if name == "ReceiveMessage" {
                    match cfg.load::<LongPoll>().is_some_and(|w| w.0) {
                        true if received(body) == 0 => tally.empty_long_polls += 1,
                        true => {}
                        false => tally.short_polls += 1,
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_units_of_single_and_batch_responses() {
        assert_eq!(capacity_units(br#"{"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}}"#), 0.5);
        assert_eq!(capacity_units(br#"{"ConsumedCapacity": [{"CapacityUnits": 1.0}, {"CapacityUnits": 2.0}]}"#), 3.0);
        assert_eq!(capacity_units(br#"{"Item": {}}"#), 0.0);
        assert_eq!(capacity_units(b"not json"), 0.0);
    }

    #[test]
    fn since_subtracts_and_drops_unchanged_operations() {
        let op = |s: &str, o: &str| (s.to_owned(), o.to_owned());
        let earlier = Tally {
            calls: [(op("SQS", "ReceiveMessage"), 2), (op("DynamoDB", "Query"), 1)].into(),
            read_units: 0.5,
            sqs_chunks: 2,
            ..Tally::default()
        };
        let later = Tally {
            calls: [(op("SQS", "ReceiveMessage"), 5), (op("DynamoDB", "Query"), 1)].into(),
            read_units: 1.5,
            write_units: 2.0,
            sqs_chunks: 6,
            empty_long_polls: 1,
            short_polls: 2,
        };
        let d = later.since(&earlier);
        assert_eq!(d.calls, [(op("SQS", "ReceiveMessage"), 3)].into());
        assert_eq!((d.read_units, d.write_units, d.sqs_chunks, d.empty_long_polls, d.short_polls), (1.0, 2.0, 4, 1, 2));
    }

    #[test]
    fn chunks_and_received_messages() {
        assert_eq!((chunks(0), chunks(CHUNK), chunks(CHUNK + 1)), (1, 1, 2));
        assert_eq!(received(br#"{"Messages": [{}, {}]}"#), 2);
        assert_eq!(received(b"{}"), 0);
    }

    #[test]
    fn only_a_receive_that_waits_is_a_long_poll() {
        assert!(waits(br#"{"QueueUrl": "q", "WaitTimeSeconds": 1}"#));
        assert!(!waits(br#"{"QueueUrl": "q", "WaitTimeSeconds": 0}"#));
        assert!(!waits(br#"{"QueueUrl": "q"}"#));
    }
}
