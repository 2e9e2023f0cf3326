//! SDK configuration: for the local emulator, `AWS_ENDPOINT_URL` (default `http://127.0.0.1:4566`),
//! a region and dummy credentials unless the environment has real ones; for a deployed stack
//! (`--aws`), the SDK's own chain (profile, environment, SSO) and AWS's endpoints, or `--endpoint`.

use aws_config::{BehaviorVersion, Region};

pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4566";

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    emulator_config(&endpoint()).await
}

async fn emulator_config(url: &str) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).endpoint_url(url);
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

/// Where `herald-local setup` and `status` send their calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Account {
    /// The emulator at this URL: resources are created as needed.
    Emulator(String),
    /// A deployed stack (`--aws`): nothing is created, credentials and region come from the SDK's
    /// chain; `endpoint` overrides AWS's own (a VPC endpoint, or an emulator to try it against).
    Aws { endpoint: Option<String> },
}

impl Account {
    /// `--aws` and `--endpoint`. With `--aws`, an `AWS_ENDPOINT_URL` left in the environment (from the
    /// emulator) is refused rather than silently followed by the SDK.
    pub fn choose(aws: bool, endpoint: Option<String>, env_endpoint: Option<String>) -> Result<Self, String> {
        let env_endpoint = env_endpoint.filter(|v| !v.is_empty());
        match (aws, endpoint) {
            (true, Some(url)) => Ok(Self::Aws { endpoint: Some(url) }),
            (true, None) if env_endpoint.is_some() => Err(format!(
                "--aws, but AWS_ENDPOINT_URL is set ({}): unset it, or pass --endpoint to mean it",
                env_endpoint.unwrap_or_default()
            )),
            (true, None) => Ok(Self::Aws { endpoint: None }),
            (false, Some(url)) => Ok(Self::Emulator(url)),
            (false, None) => Ok(Self::Emulator(env_endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()))),
        }
    }

    pub fn is_aws(&self) -> bool {
        matches!(self, Self::Aws { .. })
    }

    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        match self {
            Self::Emulator(url) => emulator_config(url).await,
            Self::Aws { endpoint } => {
                let loader = aws_config::defaults(BehaviorVersion::latest());
                match endpoint {
                    Some(url) => loader.endpoint_url(url).load().await,
                    None => loader.load().await,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_means_aws_and_a_leftover_emulator_endpoint_is_refused() {
        let emulator = Some("http://127.0.0.1:4566".to_owned());
        assert_eq!(Account::choose(true, None, None), Ok(Account::Aws { endpoint: None }));
        assert!(Account::choose(true, None, emulator.clone()).unwrap_err().contains("AWS_ENDPOINT_URL is set"));
        assert_eq!(
            Account::choose(true, emulator.clone(), emulator.clone()),
            Ok(Account::Aws { endpoint: emulator.clone() }),
            "an explicit endpoint is meant"
        );
        assert_eq!(Account::choose(false, None, None), Ok(Account::Emulator(DEFAULT_ENDPOINT.to_owned())));
        assert_eq!(
            Account::choose(false, None, Some(String::new())),
            Ok(Account::Emulator(DEFAULT_ENDPOINT.to_owned()))
        );
        assert_eq!(
            Account::choose(false, Some("http://e:1".into()), emulator),
            Ok(Account::Emulator("http://e:1".into()))
        );
    }
}
