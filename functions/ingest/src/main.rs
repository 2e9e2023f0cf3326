use herald_aws::settings::IngestConfig;
use herald_aws::telemetry::init_tracing;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = IngestConfig::from_env()?;
    let aws = herald_aws::Clients::new(&aws_config::load_from_env().await);
    let ingest = herald_aws::wiring::ingest(&config, &aws);
    run(service_fn(|request| herald_ingest::handler::handle(&ingest, request))).await
}
