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
