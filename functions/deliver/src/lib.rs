//! herald-deliver: SQS batches of delivery messages → rendered, signed HTTP requests.

pub mod handler;

use std::sync::Arc;

use herald_core::app::deliver::Deliver;
use herald_core::aws::dynamodb::Table;
use herald_core::aws::http::HttpSender;
use herald_core::aws::netguard::AddressPolicy;
use herald_core::cache::CachedTargets;
use herald_core::config::DeliverConfig;
use herald_core::ports::SystemClock;

/// Wires the use case to DynamoDB and the HTTP client; called once per process.
pub fn build(config: &DeliverConfig, aws: &aws_config::SdkConfig) -> Result<Deliver, reqwest::Error> {
    let table = Arc::new(Table::new(aws_sdk_dynamodb::Client::new(aws), &config.table));
    Ok(Deliver {
        targets: Arc::new(CachedTargets::new(table.clone(), config.target_cache_ttl)),
        states: table,
        sender: Arc::new(HttpSender::new(AddressPolicy::new(config.allow_networks.clone()))?),
        clock: Arc::new(SystemClock),
    })
}
