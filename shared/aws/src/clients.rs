//! The AWS SDK clients a process builds once. An interceptor can be attached to all of them (the
//! load bench counts API calls by operation that way); `SdkConfig` itself cannot carry one.

use aws_sdk_dynamodb::config::Intercept;

#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub scheduler: aws_sdk_scheduler::Client,
}

impl Clients {
    pub fn new(aws: &aws_config::SdkConfig) -> Self {
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
