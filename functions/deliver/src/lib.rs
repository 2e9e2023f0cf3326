//! herald-deliver: SQS batches of delivery messages → rendered, signed HTTP requests.

pub mod handler;

use std::sync::Arc;

use herald_core::app::deliver::Deliver;
use herald_core::config::DeliverConfig;

/// Wires the use case to DynamoDB, SQS, Scheduler and the HTTP client; called once per process.
pub fn build(config: &DeliverConfig, aws: &aws_config::SdkConfig) -> Result<Deliver, reqwest::Error> {
    Ok(Deliver { backoff: Arc::new(herald_core::aws::backoff(&config.backoff, aws)?) })
}
