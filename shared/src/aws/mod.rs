//! Adapters from the ports to AWS (DynamoDB, SQS) and to the network (reqwest).

pub mod clients;
pub mod deadletters;
pub mod dynamodb;
pub mod http;
pub mod netguard;
pub mod sqs;
pub mod wakeups;

use std::sync::Arc;

pub use clients::Clients;

use crate::app::backoff::Backoff;
use crate::cache::CachedTargets;
use crate::config::BackoffConfig;
use crate::ports::SystemClock;

/// Wires the backoff machinery (table, queues, Scheduler, HTTP client) once per process.
pub fn backoff(config: &BackoffConfig, aws: &Clients) -> Result<Backoff, reqwest::Error> {
    let table = Arc::new(dynamodb::Table::new(aws.dynamodb.clone(), &config.table));
    let sqs_client = aws.sqs.clone();
    Ok(Backoff {
        targets: Arc::new(CachedTargets::new(table.clone(), config.target_cache_ttl)),
        states: table.clone(),
        parking: table,
        wakeups: Arc::new(wakeups::Wakeups {
            sqs: sqs_client.clone(),
            queue_url: config.wakeups_queue_url.clone(),
            queue_arn: config.wakeups_queue_arn.clone(),
            scheduler: aws.scheduler.clone(),
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
