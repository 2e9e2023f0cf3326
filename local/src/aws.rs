//! SDK configuration for a local emulator: `AWS_ENDPOINT_URL` (default `http://127.0.0.1:4566`),
//! a region and dummy credentials unless the environment has real ones.

use aws_config::{BehaviorVersion, Region};

pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4566";

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).endpoint_url(endpoint());
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
        loader = loader.region(Region::new("us-east-1"));
    }
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() && std::env::var_os("AWS_PROFILE").is_none() {
        loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "herald-local",
        ));
    }
    loader.load().await
}
