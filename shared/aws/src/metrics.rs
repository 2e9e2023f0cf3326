//! CloudWatch metrics as Embedded Metric Format: JSON log lines that CloudWatch Logs turns into
//! metrics, so a function publishes them with no API call, no permission and no latency. A handler
//! adds up its batch and writes one line per dimension set at the end of the invocation.
//!
//! Written here (the format is one JSON object) rather than through the `metrics` facade and an EMF
//! recorder crate: a process-global recorder would need flushing around every invocation and is
//! hard to capture in a test, while a batch's numbers are all known in the handler.
//!
//! Dimensions stay low-cardinality (function, source kind, outcome): target and source names are
//! in the logs, never in a dimension, which would make a metric (and a bill line) per target.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "Herald";
/// EMF takes at most 100 values per metric in one document.
const MAX_VALUES: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    Count,
    Milliseconds,
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::None => "None",
        }
    }
}

type Dimensions = Vec<(&'static str, String)>;

/// `42`, not `42.0`: a batch's latencies are whole milliseconds, and each byte is ingested.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 { json!(value as i64) } else { json!(value) }
}

/// One invocation's metrics, by dimension set.
#[derive(Debug, Default)]
pub struct Metrics {
    documents: BTreeMap<Dimensions, BTreeMap<(&'static str, Unit), Vec<f64>>>,
}

impl Metrics {
    /// Adds 1 to `metric` under `dimensions` (besides `Function`).
    pub fn count(&mut self, metric: &'static str, dimensions: &[(&'static str, &str)]) {
        self.add(metric, dimensions, 1);
    }

    /// Adds `n` to `metric` under `dimensions`; nothing for 0.
    pub fn add(&mut self, metric: &'static str, dimensions: &[(&'static str, &str)], n: u64) {
        if n == 0 {
            return;
        }
        let values = self.values(metric, Unit::Count, dimensions);
        match values.first_mut() {
            Some(total) => *total += n as f64,
            None => values.push(n as f64),
        }
    }

    /// Records one value of `metric` (a latency, a level): CloudWatch keeps each for percentiles
    /// and maxima.
    pub fn record(&mut self, metric: &'static str, unit: Unit, dimensions: &[(&'static str, &str)], value: f64) {
        self.values(metric, unit, dimensions).push(value);
    }

    fn values(&mut self, metric: &'static str, unit: Unit, dimensions: &[(&'static str, &str)]) -> &mut Vec<f64> {
        let dims: Dimensions = dimensions.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        self.documents.entry(dims).or_default().entry((metric, unit)).or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    /// The EMF documents, one JSON line each: dimension sets that can share a document do (no key
    /// with two values, no metric twice), so a healthy batch is one line; and per 100 values of a metric.
    pub fn lines(&self, function: &str, timestamp_ms: i64) -> Vec<String> {
        let mut docs: Vec<(Map<String, Value>, Vec<Value>)> = Vec::new();
        for (dims, metrics) in &self.documents {
            let chunks = metrics.values().map(|v| v.len().div_ceil(MAX_VALUES)).max().unwrap_or(1);
            for chunk in 0..chunks {
                let mut fields = Map::new();
                let mut definitions = Vec::new();
                for ((name, unit), values) in metrics {
                    let part: Vec<f64> = values.iter().skip(chunk * MAX_VALUES).take(MAX_VALUES).copied().collect();
                    let value = match part.as_slice() {
                        [] => continue,
                        [one] => number(*one),
                        many => Value::Array(many.iter().copied().map(number).collect()),
                    };
                    definitions.push(json!({"Name": name, "Unit": unit.as_str()}));
                    fields.insert((*name).to_owned(), value);
                }
                let mut keys = vec!["Function"];
                keys.extend(dims.iter().map(|(k, _)| *k));
                fields.insert("Function".into(), json!(function));
                for (k, v) in dims {
                    fields.insert((*k).to_owned(), json!(v));
                }
                let directive = json!({"Namespace": NAMESPACE, "Dimensions": [keys], "Metrics": definitions});
                let fits = |doc: &Map<String, Value>| {
                    fields.iter().all(|(k, v)| doc.get(k).is_none_or(|old| old == v && !v.is_number() && !v.is_array()))
                };
                match docs.iter_mut().find(|(doc, _)| fits(doc)) {
                    Some((doc, directives)) => {
                        doc.extend(fields);
                        directives.push(directive);
                    }
                    None => docs.push((fields, vec![directive])),
                }
            }
        }
        docs.into_iter()
            .map(|(mut doc, directives)| {
                doc.insert("_aws".into(), json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}));
                Value::Object(doc).to_string()
            })
            .collect()
    }

    /// Writes the lines to `out` (stdout in Lambda, where CloudWatch Logs reads them).
    pub fn write(&self, function: &str, timestamp_ms: i64, out: &mut impl Write) {
        for line in self.lines(function, timestamp_ms) {
            // A metric lost to a closed stdout must not fail the invocation.
            let _ = writeln!(out, "{line}");
        }
    }

    /// In Lambda, to stdout; elsewhere (herald-local, tests) nowhere, as no CloudWatch reads them.
    pub fn emit(&self, function: &str) {
        if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
            self.write(function, chrono::Utc::now().timestamp_millis(), &mut std::io::stdout().lock());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_latencies_become_emf_documents() {
        let mut m = Metrics::default();
        m.count("Deliveries", &[("Outcome", "delivered")]);
        m.count("Deliveries", &[("Outcome", "delivered")]);
        m.count("Deliveries", &[("Outcome", "failed")]);
        for i in 0..150 {
            m.record("DeliveryLatency", Unit::Milliseconds, &[], f64::from(i));
        }
        let lines = m.lines("deliver", 1_700_000_000_000);
        let docs: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(
            docs.len(),
            2,
            "latency in two chunks of at most 100, each sharing a line with an outcome: {lines:#?}"
        );
        let delivered = docs.iter().find(|d| d["Outcome"] == "delivered").unwrap();
        assert_eq!(delivered["Deliveries"], 2.0);
        assert_eq!(delivered["Function"], "deliver");
        let spec = delivered["_aws"]["CloudWatchMetrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["Metrics"][0]["Name"] == "Deliveries")
            .unwrap();
        assert_eq!(spec["Namespace"], NAMESPACE);
        assert_eq!(spec["Dimensions"], json!([["Function", "Outcome"]]));
        assert_eq!(spec["Metrics"], json!([{"Name": "Deliveries", "Unit": "Count"}]));
        assert_eq!(delivered["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let latency: Vec<&Value> = docs.iter().filter(|d| d.get("DeliveryLatency").is_some()).collect();
        assert_eq!(latency[0]["DeliveryLatency"].as_array().unwrap().len(), 100);
        assert_eq!(latency[1]["DeliveryLatency"].as_array().unwrap().len(), 50);
        let latency_spec = |d: &Value| {
            d["_aws"]["CloudWatchMetrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Metrics"][0]["Name"] == "DeliveryLatency")
                .cloned()
        };
        assert_eq!(latency_spec(latency[0]).unwrap()["Dimensions"], json!([["Function"]]));
        // A healthy batch of ten: one line, its bytes a tenth each.
        let mut healthy = Metrics::default();
        for i in 0..10 {
            healthy.count("Deliveries", &[("Outcome", "delivered")]);
            healthy.record("DeliveryLatency", Unit::Milliseconds, &[], f64::from(40 + i));
        }
        let lines = healthy.lines("deliver", 1_700_000_000_000);
        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert!(Metrics::default().lines("deliver", 0).is_empty(), "nothing to say, no line");
    }

    /// What CloudWatch Logs ingests per invocation (`cargo test -p herald-aws --lib emf_bytes -- --nocapture`
    /// prints it): BENCHMARKS.md divides it by the batch.
    #[test]
    fn emf_bytes_of_typical_invocations() {
        let mut deliver = Metrics::default();
        for i in 0..20 {
            deliver.count("Deliveries", &[("Outcome", "delivered")]);
            deliver.record("DeliveryLatency", Unit::Milliseconds, &[], f64::from(40 + i * 7));
            deliver.count("WebhooksAccepted", &[("SourceKind", "ombi")]);
        }
        let mut ingest = Metrics::default();
        ingest.count("WebhooksAccepted", &[("SourceKind", "ombi")]);
        for (name, m) in
            [("deliver, 20 delivered, 20 webhooks counted", deliver), ("ingest, 1 accepted and routed to none", ingest)]
        {
            let lines = m.lines("deliver", 1_700_000_000_000);
            assert_eq!(lines.len(), 1, "{name}: one line per invocation");
            println!("{name}: {} bytes", lines[0].len() + 1);
        }
    }
}
