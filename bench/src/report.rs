//! Turns a load run into per-delivery figures and dollars, printed as Markdown for BENCHMARKS.md.

use std::fmt::Write as _;

use crate::cost::{Cost, PRICES, Usage, gb_seconds};
use crate::counting::Tally;
use crate::load::LoadRun;

/// The template's `MemorySize` for every function.
pub const MEMORY_MB: u32 = 128;

/// The delivery path: the deliver and retry functions, their event source mappings and what they
/// write. Long polls that came back empty are left out: on AWS they are a fixed cost of an idle
/// mapping, not a cost per delivery. The batching window's short polls, empty or not, are counted.
pub fn delivery_usage(run: &LoadRun) -> Usage {
    let calls = |t: &Tally| t.sqs_chunks - t.empty_long_polls;
    Usage {
        lambda_invocations: (run.deliver_invocations + run.retry_invocations) as f64,
        lambda_gb_seconds: gb_seconds(run.deliver_billed_ms + run.retry_billed_ms, MEMORY_MB),
        api_gateway_requests: 0.0,
        sqs_request_chunks: (calls(&run.deliver) + calls(&run.retry)) as f64,
        dynamodb_write_units: run.deliver.write_units + run.retry.write_units,
        dynamodb_read_units: run.deliver.read_units + run.retry.read_units,
        scheduler_invocations: (run.deliver.calls_to("Scheduler", "CreateSchedule")
            + run.retry.calls_to("Scheduler", "CreateSchedule")) as f64,
    }
}

/// The ingest path: API Gateway, the ingest function and what it reads and sends.
pub fn ingest_usage(run: &LoadRun) -> Usage {
    Usage {
        lambda_invocations: run.options.events as f64,
        lambda_gb_seconds: gb_seconds(run.ingest_billed_ms, MEMORY_MB),
        api_gateway_requests: run.options.events as f64,
        sqs_request_chunks: run.ingest.sqs_chunks as f64,
        dynamodb_write_units: run.ingest.write_units,
        dynamodb_read_units: run.ingest.read_units,
        scheduler_invocations: 0.0,
    }
}

fn per_million(cost: Cost, deliveries: usize) -> Cost {
    cost.scaled(1e6 / deliveries.max(1) as f64)
}

fn dollars(cost: &Cost) -> String {
    format!(
        "${:.3} (Lambda {:.3}, API GW {:.3}, SQS {:.3}, DynamoDB {:.3}, Scheduler {:.3})",
        cost.total(),
        cost.lambda,
        cost.api_gateway,
        cost.sqs,
        cost.dynamodb,
        cost.scheduler
    )
}

fn calls_line(tally: &Tally, per: usize) -> String {
    let mut out = String::new();
    for ((service, op), n) in &tally.calls {
        let _ = write!(out, "{service}.{op} {:.3}, ", *n as f64 / per.max(1) as f64);
    }
    let per = per.max(1) as f64;
    let _ = write!(
        out,
        "of which short polls {:.3} (counted), empty long polls {:.3} (left out)",
        tally.short_polls as f64 / per,
        tally.empty_long_polls as f64 / per
    );
    out
}

pub fn markdown(run: &LoadRun) -> String {
    let o = &run.options;
    let d = run.deliveries;
    let mut health = o.fail_every.map_or_else(|| "healthy".to_owned(), |n| format!("failing 1 in {n}"));
    if o.down_targets > 0 {
        health = format!("{health}, {} of {} targets down", o.down_targets, o.fan_out);
    }
    if o.rate > 0.0 {
        health = format!("{health}, {:.0} webhooks/s", o.rate);
    }
    if !o.receiver_latency.is_zero() {
        health =
            format!("{health}, receiver {} ± {} ms", o.receiver_latency.as_millis(), o.receiver_jitter.as_millis());
    }
    health = format!("{health}, batches of {} with a {} s window", o.batching.size, o.batching.window.as_secs());
    let delivery = delivery_usage(run);
    let ingest = ingest_usage(run);
    let mut s = String::new();
    let _ = writeln!(s, "### {} events, fan-out {}, {health}\n", o.events, o.fan_out);
    let _ = writeln!(s, "| figure | value | goal |\n|---|---|---|");
    let mut row = |k: &str, v: String, goal: &str| {
        let _ = writeln!(s, "| {k} | {v} | {goal} |");
    };
    row("deliveries (duplicates, failed attempts)", format!("{d} ({}, {})", run.duplicates, run.failed_attempts), "");
    if run.warnings > 0 {
        row("health warnings delivered to the other targets", run.warnings.to_string(), "");
    }
    row("deliveries per second", format!("{:.0}", d as f64 / run.elapsed.as_secs_f64().max(1e-9)), "");
    row(
        "webhook posted → delivered, p50 / p99",
        format!("{} ms / {} ms", run.percentile(50.0).as_millis(), run.percentile(99.0).as_millis()),
        "",
    );
    row(
        "deliver invocations per delivery (records per invocation)",
        format!(
            "{:.3} ({:.1})",
            run.deliver_invocations as f64 / d.max(1) as f64,
            d as f64 / run.deliver_invocations.max(1) as f64
        ),
        "≤ 0.1",
    );
    row("retry invocations per delivery", format!("{:.4}", run.retry_invocations as f64 / d.max(1) as f64), "");
    row("AWS calls per delivery, deliver function + its mapping", calls_line(&run.deliver, d), "");
    row("AWS calls per delivery, retry function + its mapping", calls_line(&run.retry, d), "");
    row("AWS calls per event, ingest function", calls_line(&run.ingest, o.events), "");
    row(
        "DynamoDB write / read units per delivery, delivery path",
        format!("{:.4} / {:.4}", delivery.dynamodb_write_units / d as f64, delivery.dynamodb_read_units / d as f64),
        "≤ 0.1 / ≤ 0.05",
    );
    row(
        "DynamoDB write / read units per event, ingest",
        format!(
            "{:.3} / {:.3}",
            ingest.dynamodb_write_units / o.events as f64,
            ingest.dynamodb_read_units / o.events as f64
        ),
        "",
    );
    row(
        "Lambda billed ms per delivery (deliver + retry) / per event (ingest)",
        format!(
            "{:.2} / {:.2}",
            (run.deliver_billed_ms + run.retry_billed_ms) as f64 / d as f64,
            run.ingest_billed_ms as f64 / o.events as f64
        ),
        "",
    );
    row("$ per million deliveries, delivery path", dollars(&per_million(delivery.cost(&PRICES), d)), "≤ $0.20");
    row("$ per million deliveries, ingest share", dollars(&per_million(ingest.cost(&PRICES), d)), "");
    let view = &run.page_view;
    row(
        "one Activity page view (newest 50 events): Queries, read units, $",
        format!(
            "{}, {:.1}, ${:.7}",
            view.calls_to("DynamoDB", "Query"),
            view.read_units,
            view.read_units * PRICES.dynamodb_per_read_unit
        ),
        "",
    );
    let _ = writeln!(s, "\nPrices as of {} (us-east-1 list, arm64, {MEMORY_MB} MB).", PRICES.as_of);
    s
}
