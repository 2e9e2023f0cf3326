//! Logging: JSON lines for CloudWatch.

/// JSON logs for CloudWatch; `RUST_LOG` (default `info`) filters.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).without_time().try_init();
}
