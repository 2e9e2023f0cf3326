//! herald-retry: wake-ups from the wakeups queue → probe, recover and release, or the next rung.

pub mod handler;

use std::sync::Arc;

use herald_core::app::retry::Retry;
use herald_core::config::RetryConfig;

/// Wires the use case to DynamoDB, SQS, Scheduler and the HTTP client; called once per process.
pub fn build(config: &RetryConfig, aws: &herald_core::aws::Clients) -> Result<Retry, reqwest::Error> {
    Ok(Retry {
        backoff: Arc::new(herald_core::aws::backoff(&config.backoff, aws)?),
        max_sends: config.max_sends,
        budget: config.budget,
    })
}
