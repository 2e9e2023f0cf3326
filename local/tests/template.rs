//! template.yaml's timeouts fit what the code may take: checked against the code's own constants,
//! so changing one without the other fails here, not in AWS.

use std::time::Duration;

use herald_app::admin::TEST_TIMEOUT;
use herald_aws::clients::OPERATION_TIMEOUT;
use herald_aws::settings::{DEFAULT_DEDUPE_LEASE, DEFAULT_RETRY_BUDGET};
use herald_domain::target::MAX_TIMEOUT_MS;

fn template() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap()
}

/// The first `key: <number>` inside the resource `resource` (its lines up to the next resource).
fn number(template: &str, resource: &str, key: &str) -> u64 {
    let header = format!("  {resource}:");
    let mut lines = template.lines().skip_while(|l| *l != header);
    assert!(lines.next().is_some(), "no {resource} in template.yaml");
    let prefix = format!("{key}: ");
    lines
        .take_while(|l| l.is_empty() || l.starts_with("   "))
        .find_map(|l| l.trim().strip_prefix(prefix.as_str()).and_then(|v| v.parse().ok()))
        .unwrap_or_else(|| panic!("no numeric {key} in {resource}"))
}

#[test]
fn the_http_apis_access_log_is_kept_for_a_while_and_never_holds_a_query_string() {
    let t = template();
    let format = t.lines().find_map(|l| l.trim().strip_prefix("Format: ")).expect("the HTTP API's access log format");
    let variables: Vec<&str> = format
        .split("$context.")
        .skip(1)
        .map(|v| v.split(|c: char| !c.is_ascii_alphanumeric() && c != '.').next().unwrap())
        .collect();
    assert!(!variables.is_empty());
    // What a request's line may say: none of these carries its query string, headers or body.
    let allowed = [
        "requestTimeEpoch",
        "identity.sourceIp",
        "httpMethod",
        "routeKey",
        "path",
        "status",
        "responseLength",
        "integrationLatency",
        "requestId",
    ];
    for v in &variables {
        assert!(allowed.contains(v), "$context.{v} may carry what a sender put in the URL or headers");
    }
    assert!(t.contains("DestinationArn: !GetAtt HttpApiAccessLogs.Arn"));
    let group: Vec<&str> =
        t.lines().skip_while(|l| *l != "  HttpApiAccessLogs:").skip(1).take_while(|l| l.starts_with("   ")).collect();
    assert!(
        group.iter().any(|l| l.trim() == "RetentionInDays: !Ref LogRetentionDays"),
        "kept as long as the functions' logs: {group:?}"
    );
}

#[test]
fn the_queues_dead_letter_after_the_receives_the_deliver_function_counts() {
    // At its last receive, a delivery the deliver function cannot finish is logged as dead-lettered.
    let t = template();
    for queue in ["DeliveriesQueue", "WakeupsQueue"] {
        assert_eq!(number(&t, queue, "maxReceiveCount"), u64::from(herald_aws::lambda::MAX_RECEIVES), "{queue}");
    }
}

#[test]
fn the_retry_function_finishes_its_worst_wake_up_inside_its_timeout() {
    let t = template();
    let timeout = Duration::from_secs(number(&t, "RetryFunction", "Timeout"));
    assert_eq!(
        number(&t, "RetryFunction", "BatchSize") as usize,
        herald_retry::handler::CONCURRENCY,
        "every wake-up of a batch runs at once, so a batch takes as long as its slowest wake-up"
    );
    // No send starts after the budget; the last one may take the longest target timeout; then a
    // few table writes and a schedule, given 10 s.
    let worst = DEFAULT_RETRY_BUDGET + Duration::from_millis(MAX_TIMEOUT_MS) + Duration::from_secs(10);
    assert!(worst <= timeout, "worst case {worst:?} against a {timeout:?} timeout");
    let visibility = number(&t, "WakeupsQueue", "VisibilityTimeout");
    assert!(visibility >= 6 * timeout.as_secs(), "visibility {visibility} s");
}

#[test]
fn the_admin_function_answers_inside_api_gateways_30_seconds() {
    let t = template();
    let timeout = Duration::from_secs(number(&t, "AdminFunction", "Timeout"));
    assert!(timeout < Duration::from_secs(30), "{timeout:?}");
    assert!(TEST_TIMEOUT + Duration::from_secs(5) <= timeout, "Test's send and its table writes fit");
    let deliver = number(&t, "DeliverFunction", "Timeout");
    assert!(Duration::from_secs(deliver) >= Duration::from_millis(MAX_TIMEOUT_MS) + Duration::from_secs(5));
    assert!(number(&t, "DeliveriesQueue", "VisibilityTimeout") >= 6 * deliver);
}

#[test]
fn an_ingest_invocation_ends_before_its_dedupe_lease_and_every_call_fits_its_function() {
    let t = template();
    let ingest = Duration::from_secs(number(&t, "IngestFunction", "Timeout"));
    assert!(ingest < Duration::from_secs(30), "API Gateway cuts at 30 s");
    assert!(DEFAULT_DEDUPE_LEASE > ingest, "a killed invocation's claim is free again only after it is surely dead");
    for function in ["IngestFunction", "DeliverFunction", "RetryFunction", "AdminFunction"] {
        let timeout = Duration::from_secs(number(&t, function, "Timeout"));
        assert!(OPERATION_TIMEOUT * 3 < timeout, "{function}: a few bounded calls fit in {timeout:?}");
    }
}

/// The `KEY: value` lines of the `Variables:` block under `section` (`Globals` or a resource).
fn variables(template: &str, section: &str) -> Vec<(String, String)> {
    let (header, depth) = if section == "Globals" { ("Globals:".to_owned(), 0) } else { (format!("  {section}:"), 2) };
    // The section ends at the next line indented no deeper than its header.
    let body: Vec<&str> = template
        .lines()
        .skip_while(|l| *l != header)
        .skip(1)
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > depth)
        .collect();
    let Some(start) = body.iter().position(|l| l.trim() == "Variables:") else { return Vec::new() };
    let indent = body[start].len() - body[start].trim_start().len();
    body[start + 1..]
        .iter()
        .take_while(|l| l.len() - l.trim_start().len() > indent)
        .filter_map(|l| l.trim().split_once(':').map(|(k, v)| (k.to_owned(), v.trim().to_owned())))
        .collect()
}

/// A value each variable may take, so reading the template's set succeeds.
fn sample(name: &str) -> String {
    match name {
        "HERALD_TARGET_CACHE_TTL" | "HERALD_DEDUPE_WINDOW" => "30s".into(),
        "HERALD_LADDER" => "30s,15m,1h,4h,24h".into(),
        "HERALD_PARKED_RETENTION" | "HERALD_ACTIVITY_RETENTION" => "7d".into(),
        "HERALD_DELIVERY_CONCURRENCY" => "10".into(),
        "HERALD_ADMIN_TOKEN" => "a-token-long-enough-for-admin".into(),
        "HERALD_ADMIN_TOKEN_PARAMETER" => "/herald/admin-token".into(),
        "HERALD_WAKEUPS_QUEUE_ARN" | "HERALD_WAKEUPS_DLQ_ARN" | "HERALD_SCHEDULER_ROLE_ARN" => {
            "arn:aws:sqs:eu-west-1:123456789012:x".into()
        }
        "RUST_LOG" => "info".into(),
        _ => "https://sqs.eu-west-1.amazonaws.com/123456789012/x".into(),
    }
}

#[test]
fn every_variable_a_function_reads_is_in_the_template_and_every_one_it_sets_is_read() {
    use herald_aws::settings::{AdminConfig, ConfigError, DeliverConfig, Env, IngestConfig, RetryConfig};
    let t = template();
    let globals = variables(&t, "Globals");
    assert!(globals.iter().any(|(k, _)| k == "HERALD_TABLE"), "{globals:?}");
    type Reader = fn(Env<'_>) -> Result<(), ConfigError>;
    let functions: [(&str, Reader); 4] = [
        ("IngestFunction", |env| IngestConfig::read(env).map(drop)),
        ("DeliverFunction", |env| DeliverConfig::read(env).map(drop)),
        ("RetryFunction", |env| RetryConfig::read(env).map(drop)),
        ("AdminFunction", |env| AdminConfig::read(env).map(drop)),
    ];
    for (function, read) in functions {
        let own = variables(&t, function);
        // `!If` ones are alternatives (the admin token or its SSM parameter): one at a time.
        let (conditional, fixed): (Vec<_>, Vec<_>) = own.iter().partition(|(_, v)| v.starts_with("!If"));
        let base: Vec<String> =
            globals.iter().map(|(k, _)| k.clone()).chain(fixed.iter().map(|(k, _)| k.clone())).collect();
        let variants: Vec<Vec<String>> = if conditional.is_empty() {
            vec![base.clone()]
        } else {
            conditional.iter().map(|(k, _)| base.iter().cloned().chain([k.clone()]).collect()).collect()
        };
        let mut asked_any = Vec::new();
        for set in &variants {
            let asked = std::cell::RefCell::new(Vec::new());
            let lookup = |name: &str| {
                asked.borrow_mut().push(name.to_owned());
                set.iter().any(|s| s == name).then(|| sample(name))
            };
            if let Err(e) = read(Env::new(&lookup)) {
                panic!("{function} fails to start with the template's variables {set:?}: {e}");
            }
            asked_any.extend(asked.into_inner());
            // And a variable it requires, taken away, stops it: the check above is not vacuous.
            if let Some(required) = set.iter().find(|n| n.starts_with("HERALD_") && n.ends_with("_URL")) {
                let without = |name: &str| (name != required && set.iter().any(|s| s == name)).then(|| sample(name));
                assert!(read(Env::new(&without)).is_err(), "{function} starts without {required}");
            }
        }
        for (name, _) in &own {
            assert!(asked_any.contains(name), "{function} sets {name}, which its code never reads");
        }
    }
}

#[test]
fn herald_local_batches_deliveries_as_the_templates_defaults_and_limits_say() {
    use herald_local::batching::{DEFAULT_BATCH_SIZE, DEFAULT_WINDOW, MAX_BATCH_SIZE, MAX_WINDOW};
    let t = template();
    assert_eq!(number(&t, "DeliveryBatchSize", "Default"), DEFAULT_BATCH_SIZE as u64);
    assert_eq!(number(&t, "DeliveryBatchSize", "MaxValue"), MAX_BATCH_SIZE as u64);
    assert_eq!(number(&t, "DeliveryBatchingWindow", "Default"), DEFAULT_WINDOW.as_secs());
    assert_eq!(number(&t, "DeliveryBatchingWindow", "MaxValue"), MAX_WINDOW.as_secs());
    // A default batch goes out in one wave.
    let concurrency = number(&t, "DeliveryConcurrency", "Default");
    assert_eq!(concurrency, herald_aws::settings::DEFAULT_DELIVERY_CONCURRENCY as u64);
    assert!(concurrency >= DEFAULT_BATCH_SIZE as u64);
    let mapping: Vec<&str> =
        t.lines().skip_while(|l| l.trim() != "Deliveries:").take_while(|l| !l.contains("ScalingConfig")).collect();
    assert!(mapping.iter().any(|l| l.trim() == "BatchSize: !Ref DeliveryBatchSize"), "{mapping:?}");
    assert!(mapping.iter().any(|l| l.trim() == "MaximumBatchingWindowInSeconds: !Ref DeliveryBatchingWindow"));
}
