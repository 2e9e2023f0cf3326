//! `herald events …` and `herald deliveries …`: the activity log, with the API's filters.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::render::{s, table};

// Parsed once per run: the size difference between commands costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum EventsCmd {
    /// Accepted webhooks, newest first, each with what became of its deliveries.
    List(ActivityArgs),
    /// One event: where it went, and every attempt of each delivery.
    Show {
        /// The event id (as ingest answered it).
        id: String,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum DeliveriesCmd {
    /// Deliveries, newest event first.
    List(ActivityArgs),
    /// One delivery by its id (the `webhook-id` its receiver saw): every attempt, and the request
    /// as sent if it was rejected.
    Show {
        /// The delivery id.
        id: String,
    },
    /// Send a rejected delivery again with the target's current template (same delivery id).
    Replay {
        /// The delivery id.
        id: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct ActivityArgs {
    /// Only events from this source id.
    #[arg(long)]
    pub source: Option<String>,
    /// Only deliveries to this target id.
    #[arg(long)]
    pub target: Option<String>,
    /// delivered, failed (anything that did not go through), parked, rejected, throttled, skipped,
    /// dead_lettered, expired or pending.
    #[arg(long)]
    pub outcome: Option<String>,
    /// Only events with this name, e.g. RequestAvailable.
    #[arg(long)]
    pub name: Option<String>,
    /// Words in the summary or the name, any case.
    #[arg(long)]
    pub search: Option<String>,
    /// An event id, a delivery id (`webhook-id`) or the sender's own delivery id.
    #[arg(long)]
    pub id: Option<String>,
    /// From this time on (RFC 3339, e.g. 2026-12-06T10:00:00Z).
    #[arg(long)]
    pub since: Option<String>,
    /// Up to this time (RFC 3339).
    #[arg(long)]
    pub until: Option<String>,
    /// The next page: what the previous one printed as "more: --before …".
    #[arg(long)]
    pub before: Option<String>,
    /// How many events (1–200, default 50).
    #[arg(long)]
    pub limit: Option<usize>,
}

impl ActivityArgs {
    /// The query string, each value percent-encoded.
    pub fn query(&self) -> String {
        let enc = |v: &str| percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
        let limit = self.limit.map(|l| l.to_string());
        let pairs = [
            ("source", &self.source),
            ("target", &self.target),
            ("outcome", &self.outcome),
            ("name", &self.name),
            ("q", &self.search),
            ("id", &self.id),
            ("since", &self.since),
            ("until", &self.until),
            ("before", &self.before),
            ("limit", &limit),
        ];
        let set: Vec<String> =
            pairs.iter().filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", enc(v)))).collect();
        if set.is_empty() { String::new() } else { format!("?{}", set.join("&")) }
    }
}

/// `target:outcome` for each delivery, e.g. `discord:delivered ntfy:failed(503)`.
fn fan_out(event: &Value) -> String {
    let lines = event["deliveries"].as_array().cloned().unwrap_or_default();
    let parts: Vec<String> = lines
        .iter()
        .map(|d| match d["status"].as_u64() {
            Some(status) if d["outcome"] != "delivered" => {
                format!("{}:{}({status})", s(&d["target_id"]), s(&d["outcome"]))
            }
            _ => format!("{}:{}", s(&d["target_id"]), s(&d["outcome"])),
        })
        .collect();
    if parts.is_empty() { "-".into() } else { parts.join(" ") }
}

fn more(v: &Value) -> String {
    match (v["next_before"].as_str(), v["next_until"].as_str()) {
        (Some(before), _) => format!("more: --before {before}\n"),
        (None, Some(until)) => format!("older: --until {until}\n"),
        (None, None) => String::new(),
    }
}

pub fn events(v: &Value) -> String {
    let rows = v["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|e| {
                    vec![s(&e["received_at"]), s(&e["source_id"]), s(&e["summary"]), fan_out(e), s(&e["event_id"])]
                })
                .collect()
        })
        .unwrap_or_default();
    table(&["RECEIVED", "SOURCE", "SUMMARY", "DELIVERIES", "EVENT"], rows) + &more(v)
}

fn steps(out: &mut String, delivery: &Value) {
    for step in delivery["steps"].as_array().into_iter().flatten() {
        let _ = write!(out, "    {}  {}", s(&step["at"]), s(&step["outcome"]));
        if let Some(status) = step["status"].as_u64() {
            let _ = write!(out, "  HTTP {status}");
        }
        // Steps that sent nothing have no latency.
        if !matches!(step["outcome"].as_str(), Some("parked" | "skipped" | "dead_lettered" | "expired")) {
            let _ = write!(out, "  {} ms", s(&step["ms"]));
        }
        if let Some(error) = step["error"].as_str() {
            let _ = write!(out, "  {error}");
        }
        out.push('\n');
        if let Some(response) = step["response"].as_str() {
            let _ = writeln!(out, "      answered: {response}");
        }
    }
}

pub fn event(e: &Value) -> String {
    let mut out = format!("{}  {}  {}\n", s(&e["received_at"]), s(&e["source_id"]), s(&e["summary"]));
    let _ = writeln!(out, "event {} ({})", s(&e["event_id"]), s(&e["name"]));
    if let Some(sender) = e["sender_id"].as_str() {
        let _ = writeln!(out, "sender's id {sender}");
    }
    for d in e["deliveries"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "  → {}  {}  delivery {}", s(&d["target_id"]), s(&d["outcome"]), s(&d["delivery_id"]));
        steps(&mut out, d);
    }
    for n in e["not_routed"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "  ✗ {}  not sent: {}", s(&n["target_id"]), s(&n["reason"]).replace('_', " "));
    }
    out
}

pub fn deliveries(v: &Value) -> String {
    let rows = v["deliveries"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    vec![
                        s(&d["received_at"]),
                        s(&d["target_id"]),
                        s(&d["outcome"]),
                        s(&d["status"]),
                        s(&d["attempts"]),
                        s(&d["summary"]),
                        s(&d["delivery_id"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(&["RECEIVED", "TARGET", "OUTCOME", "STATUS", "ATTEMPTS", "SUMMARY", "DELIVERY"], rows) + &more(v)
}

pub fn delivery(v: &Value) -> String {
    let d = &v["delivery"];
    let mut out = format!(
        "delivery {} to {}: {}\nevent {} {}\n",
        s(&d["delivery_id"]),
        s(&d["target_id"]),
        s(&d["outcome"]),
        s(&v["event"]["event_id"]),
        s(&v["event"]["summary"])
    );
    steps(&mut out, d);
    if let Some(request) = v["request"].as_object() {
        let _ = writeln!(out, "request as sent: {} {}", s(&request["method"]), s(&request["url"]));
        for h in request["headers"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "  {}: {}", s(&h[0]), s(&h[1]));
        }
        let _ = writeln!(out, "{}", s(&request["body"]));
    }
    out
}

pub fn refused(v: &Value) -> String {
    let rows = v
        .as_array()
        .map(|rs| rs.iter().map(|r| vec![s(&r["at"]), s(&r["status"]), s(&r["reason"])]).collect())
        .unwrap_or_default();
    table(&["REFUSED AT", "STATUS", "WHY"], rows)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn filters_become_an_encoded_query() {
        let args = ActivityArgs { search: Some("Dune: Part Two".into()), limit: Some(5), ..Default::default() };
        assert_eq!(args.query(), "?q=Dune%3A%20Part%20Two&limit=5");
        assert_eq!(ActivityArgs::default().query(), "");
    }

    #[test]
    fn an_event_reads_as_its_fan_out() {
        let e = json!({"event_id": "E1", "received_at": "t", "source_id": "ombi", "name": "RequestAvailable",
            "summary": "Dune is available", "sender_id": null, "not_routed": [{"target_id": "slack", "reason": "not_subscribed"}],
            "deliveries": [{"target_id": "discord", "outcome": "delivered", "status": 204, "delivery_id": "D1",
                "steps": [{"at": "t", "outcome": "failed", "status": 503, "ms": 12, "error": "HTTP 503", "response": "down"},
                          {"at": "t2", "outcome": "delivered", "status": 204, "ms": 40}]}]});
        let text = event(&e);
        assert!(text.contains("→ discord  delivered  delivery D1"), "{text}");
        assert!(text.contains("failed  HTTP 503  12 ms  HTTP 503\n      answered: down"), "{text}");
        assert!(text.contains("✗ slack  not sent: not subscribed"), "{text}");
        assert_eq!(
            fan_out(&json!({"deliveries": [{"target_id": "t", "outcome": "rejected", "status": 400}]})),
            "t:rejected(400)"
        );
    }
}
