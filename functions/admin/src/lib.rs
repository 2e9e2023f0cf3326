//! herald-admin: `/admin/...` routes to configure sources and targets, test, preview and nudge them.

pub mod handler;

use std::sync::Arc;

use herald_core::app::admin::Admin;
use herald_core::aws::deadletters::{DeadLetterQueue, SqsDeadLetters};
use herald_core::aws::dynamodb::Table;
use herald_core::aws::sqs::SqsQueue;
use herald_core::config::AdminConfig;

/// Wires the use case once per process.
pub fn build(config: &AdminConfig, aws: &herald_core::aws::Clients) -> Result<Admin, reqwest::Error> {
    let table = Arc::new(Table::new(aws.dynamodb.clone(), &config.backoff.table));
    let sqs = aws.sqs.clone();
    let queue = |name: &str, dlq: &str, source: &str| DeadLetterQueue {
        name: name.to_owned(),
        dlq_url: dlq.to_owned(),
        source: SqsQueue::new(sqs.clone(), source),
    };
    let dead_letters = SqsDeadLetters {
        client: sqs.clone(),
        queues: vec![
            queue("deliveries", &config.deliveries_dlq_url, &config.backoff.deliveries_queue_url),
            queue("wakeups", &config.wakeups_dlq_url, &config.backoff.wakeups_queue_url),
        ],
    };
    Ok(Admin {
        config: table.clone(),
        targets: table,
        backoff: Arc::new(herald_core::aws::backoff(&config.backoff, aws)?),
        dead_letters: Arc::new(dead_letters),
    })
}
