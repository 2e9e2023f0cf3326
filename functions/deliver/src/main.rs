use std::sync::Arc;

use herald_aws::settings::DeliverConfig;
use herald_aws::telemetry::init_tracing;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = DeliverConfig::from_env()?;
    let aws = herald_aws::Clients::new(&aws_config::load_from_env().await);
    let deliver = Arc::new(herald_aws::wiring::deliver(&config, &aws)?);
    run(service_fn(|event| herald_deliver::handler::handle(deliver.clone(), config.concurrency, event))).await
}
