//! What one webhook costs end to end, front door to receiver, with the logs it writes: the figure a
//! user pays, beside the delivery path's. Metrics written as EMF log lines have no per-webhook
//! price of their own (their lines are in the logs; each metric series is a monthly fixed cost).

use std::fmt::Write as _;

use herald_aws::metrics::{Metrics, Unit};

use crate::cost::{Cost, PRICES};
use crate::load::LoadRun;
use crate::report::{delivery_usage, ingest_usage};

/// CloudWatch Logs, per GB ingested (us-east-1, standard class, as of the price table's date).
pub const LOGS_PER_GB: f64 = 0.50;

/// One HTTP API access log line as the template's format writes it, with typical values (a
/// 26-character source id, an IPv4 sender): its length is what each webhook adds through that
/// front door. The Function URL writes none.
pub const ACCESS_LOG_SAMPLE: &str = r#"{"t":"1795000000","ip":"192.168.100.200","req":"POST /hooks/01kbz9x6q4m2r8t5v7w9y1a3c5","status":"202","ms":"24"}"#;

/// Bytes of the deliver function's one EMF line for an invocation of `records` healthy deliveries
/// that carry the counts of `webhooks` accepted webhooks (of one source kind), by the code that
/// writes it. An accepted webhook that has a delivery writes no line in ingest.
pub fn deliver_log_bytes(records: usize, webhooks: usize) -> usize {
    let mut m = Metrics::default();
    for i in 0..records {
        m.count("Deliveries", &[("Outcome", "delivered")]);
        m.record("DeliveryLatency", Unit::Milliseconds, &[], (40 + i * 7) as f64);
    }
    m.add("WebhooksAccepted", &[("SourceKind", "ombi")], webhooks as u64);
    m.lines("deliver", 1_795_000_000_000).iter().map(|l| l.len() + 1).sum()
}

/// Log bytes per webhook: the front door's (HTTP API only) and the deliver invocations' share.
/// Healthy runs only: failures add lines of their own (they are meant to be read).
pub fn log_bytes_per_webhook(run: &LoadRun, http_api: bool) -> f64 {
    let events = run.options.events.max(1) as f64;
    let invocations = run.deliver_invocations.max(1) as f64;
    let records = (run.deliveries as f64 / invocations).round() as usize;
    let webhooks = (events / invocations).round() as usize;
    let deliver = deliver_log_bytes(records.max(1), webhooks.max(1)) as f64 * invocations / events;
    let front_door = if http_api { ACCESS_LOG_SAMPLE.len() as f64 + 1.0 } else { 0.0 };
    front_door + deliver
}

/// The end-to-end table: $ per million webhooks for each front door, by part.
pub fn markdown(run: &LoadRun) -> String {
    let per_million_webhooks = 1e6 / run.options.events.max(1) as f64;
    let ingest = ingest_usage(run).cost(&PRICES).scaled(per_million_webhooks);
    let delivery = delivery_usage(run).cost(&PRICES).scaled(per_million_webhooks);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n| $ per million webhooks, end to end (fan-out {}) | front door | ingest | delivery path | logs (bytes per webhook) | metrics | total |\n|---|---|---|---|---|---|---|",
        run.options.fan_out
    );
    for (name, http_api) in [("HTTP API", true), ("Function URL", false)] {
        let front_door = if http_api { ingest.api_gateway } else { 0.0 };
        let ingest_rest = Cost { api_gateway: 0.0, ..ingest }.total();
        let bytes = log_bytes_per_webhook(run, http_api);
        let logs = bytes * 1e6 / 1e9 * LOGS_PER_GB;
        let total = front_door + ingest_rest + delivery.total() + logs;
        let _ = writeln!(
            s,
            "| {name} | ${front_door:.3} | ${ingest_rest:.3} | ${:.3} | ${logs:.3} ({bytes:.0}) | $0 (fixed) | **${total:.3}** |",
            delivery.total()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_measured_from_the_code_that_writes_them() {
        let (one, ten, twenty) = (deliver_log_bytes(1, 1), deliver_log_bytes(10, 10), deliver_log_bytes(20, 20));
        // One line per invocation, growing only by the latency values.
        assert!(one < ten && ten < twenty && twenty < 2 * ten, "{one} {ten} {twenty}");
        assert!(deliver_log_bytes(20, 4) < twenty, "the webhooks' count is one number");
        // The goals at the default batch of 20, fan-out 1: a healthy delivery's share of its line
        // at most 40 bytes, and a webhook's bytes through the HTTP API (its access line and its
        // delivery's share; ingest writes none) at most 150.
        let per_delivery = twenty.div_ceil(20);
        assert!(per_delivery <= 40, "{per_delivery} bytes per delivery");
        assert!(
            ACCESS_LOG_SAMPLE.len() + 1 + per_delivery <= 150,
            "{} bytes per webhook",
            ACCESS_LOG_SAMPLE.len() + 1 + per_delivery
        );
        // The sample is the template's format with values filled in.
        let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
        let format = template.lines().find_map(|l| l.trim().strip_prefix("Format: '")).unwrap().trim_end_matches('\'');
        let keys = |line: &str| -> Vec<String> {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line).unwrap().keys().cloned().collect()
        };
        assert_eq!(keys(format), keys(ACCESS_LOG_SAMPLE));
    }
}
