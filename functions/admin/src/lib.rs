//! herald-admin: `/admin/...` routes to configure sources and targets, test, preview and nudge them.

pub mod handler;

use std::sync::Arc;

use herald_core::app::admin::Admin;
use herald_core::aws::dynamodb::Table;
use herald_core::config::AdminConfig;

/// Wires the use case once per process.
pub fn build(config: &AdminConfig, aws: &aws_config::SdkConfig) -> Result<Admin, reqwest::Error> {
    let table = Arc::new(Table::new(aws_sdk_dynamodb::Client::new(aws), &config.backoff.table));
    Ok(Admin {
        config: table.clone(),
        targets: table,
        backoff: Arc::new(herald_core::aws::backoff(&config.backoff, aws)?),
    })
}
