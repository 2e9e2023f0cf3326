//! What one delivery costs in CPU, each figure beside a reference in the same run so the ratio
//! holds on a noisy machine: our renderer vs MiniJinja on the same template, Standard Webhooks
//! signing vs raw SHA-256 of the same bytes, normalizing vs parsing the same body as `Value`.
//!
//! `cargo bench -p herald-domain --bench pipeline` (ratios are printed at the end).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use criterion::Criterion;
use herald_domain::adapters::{Origin, normalize};
use herald_domain::event::{Event, SourceKind};
use herald_domain::message::{DeliveryMessage, Message};
use herald_domain::request::build;
use herald_domain::sample::{KINESCOPE_DONE, OMBI_REQUEST_AVAILABLE};
use herald_domain::signature::StandardKey;
use herald_domain::template::{Context, Template};
use herald_domain::{SourceId, Target, TargetId};
use sha2::{Digest, Sha256};

const DISCORD_OURS: &str = r#"{"username": "Herald", "content": "{{summary}}", "allowed_mentions": {"parse": []}}"#;
const DISCORD_JINJA: &str =
    r#"{"username": "Herald", "content": {{ summary|tojson }}, "allowed_mentions": {"parse": []}}"#;

/// A custom body using twenty fields of an Ombi event.
fn large_templates() -> (String, String) {
    let fields = [
        "requestId",
        "requestedUser",
        "title",
        "requestedDate",
        "type",
        "longDate",
        "shortDate",
        "longTime",
        "shortTime",
        "overview",
        "year",
        "posterImage",
        "applicationName",
        "applicationUrl",
        "issueUser",
        "userName",
        "alias",
        "availableDate",
        "requestStatus",
        "providerId",
    ];
    let ours: Vec<String> = fields.iter().map(|f| format!(r#""{f}": "{{{{{f}}}}}""#)).collect();
    let jinja: Vec<String> = fields.iter().map(|f| format!(r#""{f}": {{{{ {f}|tojson }}}}"#)).collect();
    (format!("{{{}}}", ours.join(", ")), format!("{{{}}}", jinja.join(", ")))
}

fn event(kind: SourceKind, body: &str) -> Event {
    let id = SourceId::parse(kind.as_str()).unwrap();
    normalize(
        &Origin::of(&id, kind),
        body.as_bytes(),
        ulid::Ulid::from_parts(1_700_000_000_000, 42),
        DateTime::UNIX_EPOCH,
    )
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let ombi = event(SourceKind::Ombi, OMBI_REQUEST_AVAILABLE);
    let context = minijinja::Value::from(minijinja::value::Serde(&ombi.fields));
    let (large_ours, large_jinja) = large_templates();
    let mut env = minijinja::Environment::new();
    env.add_template("discord", DISCORD_JINJA).unwrap();
    env.add_template("large", &large_jinja).unwrap();

    for (name, ours, jinja) in [("discord", DISCORD_OURS, "discord"), ("large", large_ours.as_str(), "large")] {
        let template = Template::parse(ours);
        let compiled = env.get_template(jinja).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&template.render(&ombi, Context::Json)).unwrap(),
            serde_json::from_str::<serde_json::Value>(&compiled.render(context.clone()).unwrap()).unwrap(),
            "both renderers produce the same JSON"
        );
        let mut group = c.benchmark_group(format!("render_{name}"));
        group.bench_function("herald", |b| b.iter(|| template.render(black_box(&ombi), Context::Json)));
        group.bench_function("minijinja", |b| b.iter(|| compiled.render(black_box(context.clone())).unwrap()));
        group.finish();
    }

    let body = vec![b'x'; 1024];
    let key = StandardKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let mut group = c.benchmark_group("sign_1kib");
    group.bench_function("standard_webhooks", |b| {
        b.iter(|| key.sign("01JDZ3M00000000000000000D1", 1_700_000_000, black_box(&body)))
    });
    group.bench_function("sha256_floor", |b| b.iter(|| Sha256::digest(black_box(&body))));
    group.finish();

    for (name, kind, body) in
        [("kinescope", SourceKind::Kinescope, KINESCOPE_DONE), ("ombi", SourceKind::Ombi, OMBI_REQUEST_AVAILABLE)]
    {
        let id = SourceId::parse(kind.as_str()).unwrap();
        let origin = Origin::of(&id, kind);
        let mut group = c.benchmark_group(format!("normalize_{name}"));
        group.bench_function("herald", |b| {
            b.iter(|| normalize(&origin, black_box(body.as_bytes()), ulid::Ulid::nil(), DateTime::UNIX_EPOCH).unwrap())
        });
        group.bench_function("serde_json_value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body.as_bytes())).unwrap())
        });
        group.finish();
    }

    // The whole CPU path of one delivery in the deliver function: parse the queue message (which
    // carries the normalized event), render the target's templates, sign. The goal is 10 µs.
    let target: Target = serde_json::from_value(serde_json::json!({"id": "d", "name": "Discord", "preset": "discord",
        "url": "https://discord.com/api/webhooks/1/token", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))
    .unwrap();
    let message = DeliveryMessage {
        delivery_id: ulid::Ulid::from_parts(1_700_000_000_000, 42),
        target_id: TargetId::parse("d").unwrap(),
        incarnation: None,
        event: ombi.clone(),
        counts_webhook: false,
    }
    .to_json();
    let id = SourceId::parse("ombi").unwrap();
    let origin = Origin::of(&id, SourceKind::Ombi);
    let mut group = c.benchmark_group("delivery");
    group.bench_function("parse_render_sign", |b| {
        b.iter(|| {
            let Ok(Message::Deliver(m)) = Message::from_json(black_box(&message)) else { unreachable!() };
            build(&target, &m.event, "01JDZ3M00000000000000000D1", 1_700_000_000).unwrap()
        })
    });
    // The two halves, to see where the time goes, and the floor for the first: the same message
    // parsed as a plain `Value` tree.
    group.bench_function("parse_message", |b| b.iter(|| Message::from_json(black_box(&message)).unwrap()));
    group.bench_function("parse_message_as_value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&message)).unwrap())
    });
    group.bench_function("render_sign", |b| {
        b.iter(|| build(&target, black_box(&ombi), "01JDZ3M00000000000000000D1", 1_700_000_000).unwrap())
    });
    // Once per event in the ingest function, whatever the fan-out: normalize, write the message.
    group.bench_function("ingest_normalize_serialize", |b| {
        b.iter(|| {
            let event = normalize(
                &origin,
                black_box(OMBI_REQUEST_AVAILABLE.as_bytes()),
                ulid::Ulid::nil(),
                DateTime::UNIX_EPOCH,
            )
            .unwrap();
            DeliveryMessage {
                delivery_id: ulid::Ulid::nil(),
                target_id: TargetId::parse("d").unwrap(),
                incarnation: None,
                event,
                counts_webhook: false,
            }
            .to_json()
        })
    });
    group.finish();
}

/// Mean time of one benchmark, from criterion's estimates.
fn mean_ns(dir: &Path, group: &str, function: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join(group).join(function).join("new/estimates.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?["mean"]["point_estimate"].as_f64()
}

fn criterion_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("criterion");
    }
    // Benches run from the package folder; the workspace target is one level up.
    let here = std::env::current_dir().unwrap();
    here.ancestors()
        .map(|d| d.join("target/criterion"))
        .find(|d| d.exists())
        .unwrap_or_else(|| here.join("target/criterion"))
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    let dir = criterion_dir();
    println!("\nratios (same run, same machine):");
    let pairs = [
        ("render_discord", "minijinja", "herald", "MiniJinja / Herald, Discord preset (goal ≥ 5×)"),
        ("render_large", "minijinja", "herald", "MiniJinja / Herald, 20-field template (goal ≥ 5×)"),
        ("sign_1kib", "standard_webhooks", "sha256_floor", "Standard Webhooks signing / raw SHA-256, 1 KiB"),
        ("normalize_kinescope", "herald", "serde_json_value", "normalize / serde_json Value, Kinescope"),
        ("normalize_ombi", "herald", "serde_json_value", "normalize / serde_json Value, Ombi"),
        ("delivery", "parse_message", "parse_message_as_value", "parse delivery message / same bytes as Value"),
    ];
    for (group, a, b, label) in pairs {
        if let (Some(x), Some(y)) = (mean_ns(&dir, group, a), mean_ns(&dir, group, b)) {
            println!("  {label:<52} {:>6.2}×  ({x:.0} ns vs {y:.0} ns)", x / y);
        }
    }
    if let Some(ns) = mean_ns(&dir, "delivery", "parse_render_sign") {
        println!("  {:<52} {:>6.2} µs  (goal ≤ 10 µs)", "deliver: parse message + render + sign", ns / 1000.0);
    }
    for (function, label) in
        [("parse_message", "  of which parse the message"), ("render_sign", "  of which render + sign")]
    {
        if let Some(ns) = mean_ns(&dir, "delivery", function) {
            println!("  {label:<52} {:>6.2} µs", ns / 1000.0);
        }
    }
    if let Some(ns) = mean_ns(&dir, "delivery", "ingest_normalize_serialize") {
        println!("  {:<52} {:>6.2} µs", "ingest: normalize + write one message", ns / 1000.0);
    }
}
