//! herald-deliver: SQS batches of delivery messages → rendered, signed HTTP requests.

pub mod handler;

use std::sync::Arc;

use herald_core::app::deliver::Deliver;
use herald_core::cache::{CachedStates, HEALTHY_STATE_TTL};
use herald_core::config::DeliverConfig;

/// Wires the use case to DynamoDB, SQS, Scheduler and the HTTP client; called once per process.
pub fn build(config: &DeliverConfig, aws: &herald_core::aws::Clients) -> Result<Deliver, reqwest::Error> {
    let mut backoff = herald_core::aws::backoff(&config.backoff, aws)?;
    // Deliveries to a healthy target share state reads; see HEALTHY_STATE_TTL for the trade.
    backoff.states = Arc::new(CachedStates::new(backoff.states, HEALTHY_STATE_TTL));
    Ok(Deliver { backoff: Arc::new(backoff) })
}
