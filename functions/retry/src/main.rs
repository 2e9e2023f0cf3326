use std::sync::Arc;

use herald_aws::settings::RetryConfig;
use herald_aws::telemetry::init_tracing;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = RetryConfig::from_env()?;
    let aws = herald_aws::Clients::new(&aws_config::load_from_env().await);
    let retry = Arc::new(herald_aws::wiring::retry(&config, &aws)?);
    run(service_fn(|event| herald_retry::handler::handle(retry.clone(), event))).await
}
