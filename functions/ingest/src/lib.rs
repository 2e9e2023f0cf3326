//! herald-ingest: `POST /hooks/{source_id}` → deliveries on the queue.

pub mod handler;

use std::sync::Arc;

use herald_core::app::ingest::Ingest;
use herald_core::aws::dynamodb::Table;
use herald_core::aws::sqs::SqsQueue;
use herald_core::cache::CachedTargets;
use herald_core::config::IngestConfig;
use herald_core::ports::SystemClock;

/// Wires the use case to DynamoDB and SQS; called once per process.
pub fn build(config: &IngestConfig, aws: &herald_core::aws::Clients) -> Ingest {
    let table = Arc::new(Table::new(aws.dynamodb.clone(), &config.table));
    Ingest {
        sources: table.clone(),
        targets: Arc::new(CachedTargets::new(table.clone(), config.target_cache_ttl)),
        dedupe: table,
        queue: Arc::new(SqsQueue::new(aws.sqs.clone(), &config.deliveries_queue_url)),
        clock: Arc::new(SystemClock),
        dedupe_window: config.dedupe_window,
    }
}
