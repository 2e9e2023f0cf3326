//! Adapters from the ports to AWS (DynamoDB, SQS) and to the network (reqwest).

pub mod deadletters;
pub mod dynamodb;
pub mod http;
pub mod netguard;
pub mod sqs;
pub mod wakeups;

use std::sync::Arc;

use crate::app::backoff::Backoff;
use crate::cache::CachedTargets;
use crate::config::BackoffConfig;
use crate::ports::SystemClock;

/// Wires the backoff machinery (table, queues, Scheduler, HTTP client) once per process.
pub fn backoff(config: &BackoffConfig, aws: &aws_config::SdkConfig) -> Result<Backoff, reqwest::Error> {
    let table = Arc::new(dynamodb::Table::new(aws_sdk_dynamodb::Client::new(aws), &config.table));
    let sqs_client = aws_sdk_sqs::Client::new(aws);
    Ok(Backoff {
        targets: Arc::new(CachedTargets::new(table.clone(), config.target_cache_ttl)),
        states: table.clone(),
        parking: table,
        wakeups: Arc::new(wakeups::Wakeups {
            sqs: sqs_client.clone(),
            queue_url: config.wakeups_queue_url.clone(),
            queue_arn: config.wakeups_queue_arn.clone(),
            scheduler: aws_sdk_scheduler::Client::new(aws),
            group: config.schedule_group.clone(),
            role_arn: config.scheduler_role_arn.clone(),
            timer_max: config.timer_max,
        }),
        queue: Arc::new(sqs::SqsQueue::new(sqs_client, &config.deliveries_queue_url)),
        sender: Arc::new(http::HttpSender::new(netguard::AddressPolicy::new(config.allow_networks.clone()))?),
        clock: Arc::new(SystemClock),
        ladder: config.ladder.clone(),
        retention: config.parked_retention,
    })
}
