use std::sync::Arc;

use herald_aws::settings::AdminConfig;
use herald_aws::telemetry::init_tracing;
use lambda_http::{Error, run};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = AdminConfig::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let ssm = herald_aws::ssm::client(&sdk);
    let token = herald_aws::ssm::AdminToken::load(&config.token, &ssm, herald_aws::ssm::TOKEN_TTL).await?;
    let admin = Arc::new(herald_aws::wiring::admin(&config, &herald_aws::Clients::new(&sdk))?);
    run(herald_admin::router::router(admin, token)).await
}
