//! Logging: JSON lines for CloudWatch, each with its span's fields (a delivery's `event_id`,
//! `delivery_id` and target), so one webhook can be followed to every receiver.

/// Crates whose debug and trace output carries what Herald must never log: the AWS SDK's request and
/// response bodies (DynamoDB items hold signing keys and source secrets), HTTP clients' and servers'
/// headers (`Authorization`, signatures). Clamped to `info` whatever the level asks.
const CLAMPED: &[&str] = &[
    "aws_config",
    "aws_credential_types",
    "aws_runtime",
    "aws_sdk_dynamodb",
    "aws_sdk_scheduler",
    "aws_sdk_sqs",
    "aws_sigv4",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_types",
    "h2",
    "hyper",
    "hyper_util",
    "lambda_http",
    "lambda_runtime",
    "reqwest",
    "rustls",
    "tower",
    "tower_http",
];

const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// The filter for a `RUST_LOG`-style spec: the spec, less its directives for [`CLAMPED`] crates,
/// plus each of those at `info` (or the spec's own level, when that is quieter).
pub fn log_filter(spec: &str) -> String {
    let clamped = |target: &str| CLAMPED.iter().any(|c| target == *c || target.starts_with(&format!("{c}::")));
    let mut kept = Vec::new();
    let mut general = "info";
    for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let target = directive.split(['=', '[']).next().unwrap_or_default();
        if let Some(level) = LEVELS.iter().find(|l| l.eq_ignore_ascii_case(directive)) {
            general = level;
            kept.push(directive.to_owned());
        } else if directive.contains('[') {
            // A span filter (`[invoke]=trace`) enables every target inside the span, the SDK's
            // too: not allowed.
            continue;
        } else if !clamped(target) {
            kept.push(directive.to_owned());
        }
    }
    let rank = |l: &str| LEVELS.iter().position(|x| *x == l).unwrap_or(3);
    let ceiling = if rank(general) < rank("info") { general } else { "info" };
    kept.extend(CLAMPED.iter().map(|c| format!("{c}={ceiling}")));
    kept.join(",")
}

/// JSON logs for CloudWatch; `RUST_LOG` (default `info`) filters, within [`log_filter`]'s clamps.
pub fn init_tracing() {
    use tracing_subscriber::util::SubscriberInitExt as _;
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let _ = json_subscriber(&spec, std::io::stdout).try_init();
}

/// The functions' subscriber: JSON lines to `writer`, `spec` filtered within [`log_filter`]'s clamps.
pub fn json_subscriber<W>(spec: &str, writer: W) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = tracing_subscriber::EnvFilter::try_new(log_filter(spec))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(log_filter("info")));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_writer(writer)
        .finish()
}

/// What a function logs at `spec`, as CloudWatch would receive it, captured on this thread while
/// the guard lives: for tests that count log bytes.
#[cfg(feature = "test-util")]
pub fn capture_logs(spec: &str) -> (CapturedLogs, tracing::subscriber::DefaultGuard) {
    let captured = CapturedLogs::default();
    let sink = captured.clone();
    let guard = tracing::subscriber::set_default(json_subscriber(spec, move || sink.clone()));
    (captured, guard)
}

/// Log lines captured by [`capture_logs`].
#[cfg(feature = "test-util")]
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(feature = "test-util")]
impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }

    pub fn bytes(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}

#[cfg(feature = "test-util")]
impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_and_http_crates_never_log_below_info() {
        let filter = log_filter("trace,aws_smithy_runtime=trace,herald_app=debug,hyper::proto=trace");
        assert!(filter.starts_with("trace,herald_app=debug,"), "{filter}");
        assert!(filter.contains("aws_smithy_runtime=info") && filter.contains("hyper=info"), "{filter}");
        assert!(!filter.contains("=trace") && !filter.contains("hyper::proto"), "{filter}");
        assert!(log_filter("warn").contains("reqwest=warn"), "a quieter level stays quieter");
        assert!(!log_filter("info,[delivery]=trace,herald_app[x]=debug").contains('['), "no span filters");
        assert!(tracing_subscriber::EnvFilter::try_new(log_filter("trace")).is_ok());
        assert!(tracing_subscriber::EnvFilter::try_new(log_filter("")).is_ok());
    }
}
