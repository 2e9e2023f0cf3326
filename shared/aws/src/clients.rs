//! The AWS SDK clients a process builds once. An interceptor can be attached to all of them (the
//! load bench counts API calls by operation that way); `SdkConfig` itself cannot carry one.

use aws_sdk_dynamodb::config::Intercept;

#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub scheduler: aws_sdk_scheduler::Client,
}

/// Each attempt of an AWS call may take this long, and each call (with its retries) this long in
/// all: well inside every function's timeout (ingest 25 s, deliver 40 s, retry 60 s, admin 29 s),
/// so a hung connection fails one call instead of the invocation.
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
pub const OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Attempts per call (the SDK's standard retry mode: throttling and 5xx are retried with backoff).
pub const MAX_ATTEMPTS: u32 = 3;

/// The SDK configuration with Herald's timeouts and retry budget.
pub fn bounded(aws: &aws_config::SdkConfig) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    aws.to_builder()
        .timeout_config(timeouts)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .build()
}

impl Clients {
    pub fn new(aws: &aws_config::SdkConfig) -> Self {
        let aws = &bounded(aws);
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(aws),
            sqs: aws_sdk_sqs::Client::new(aws),
            scheduler: aws_sdk_scheduler::Client::new(aws),
        }
    }

    /// Every client runs `interceptor` on every call.
    pub fn with_interceptor<I>(aws: &aws_config::SdkConfig, interceptor: I) -> Self
    where
        I: Intercept + Clone + 'static,
    {
        let aws = &bounded(aws);
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(aws).interceptor(interceptor.clone()).build();
        let sqs = aws_sdk_sqs::config::Builder::from(aws).interceptor(interceptor.clone()).build();
        let scheduler = aws_sdk_scheduler::config::Builder::from(aws).interceptor(interceptor).build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
            scheduler: aws_sdk_scheduler::Client::from_conf(scheduler),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_has_an_operation_timeout_and_a_retry_budget() {
        let aws = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
        let clients = Clients::new(&aws);
        let config = clients.dynamodb.config();
        let timeouts = config.timeout_config().unwrap();
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(config.retry_config().unwrap().max_attempts(), MAX_ATTEMPTS);
        assert_eq!(clients.sqs.config().timeout_config().unwrap().operation_timeout(), Some(OPERATION_TIMEOUT));
        assert_eq!(clients.scheduler.config().retry_config().unwrap().max_attempts(), MAX_ATTEMPTS);
    }
}
