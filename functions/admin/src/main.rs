use std::sync::Arc;

use herald_aws::settings::AdminConfig;
use herald_aws::telemetry::init_tracing;
use lambda_http::{Error, run};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = AdminConfig::from_env()?;
    let aws = herald_aws::Clients::new(&aws_config::load_from_env().await);
    let admin = Arc::new(herald_aws::wiring::admin(&config, &aws)?);
    run(herald_admin::router::router(admin, config.token)).await
}
