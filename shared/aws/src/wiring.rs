//! The one place that wires adapters into use cases, once per process. Each use case gets only the
//! ports its function's IAM policy covers.

use herald_app::source_health::HealthThrottle;
use std::sync::Arc;

use herald_app::admin::Admin;
use herald_app::backoff::Backoff;
use herald_app::cache::{CachedSources, CachedStates, CachedTargets, HEALTHY_STATE_TTL};
use herald_app::deliver::Deliver;
use herald_app::ingest::Ingest;
use herald_app::journal::Journal;
use herald_app::retry::Retry;

use crate::Clients;
use crate::deadletters::{DeadLetterQueue, SqsDeadLetters};
use crate::dynamodb::Table;
use crate::http::HttpSender;
use crate::netguard::AddressPolicy;
use crate::settings::{AdminConfig, BackoffConfig, DeliverConfig, IngestConfig, RetryConfig};
use crate::sqs::SqsQueue;
use crate::system::{MonotonicIds, SystemClock};
use crate::wakeups::Wakeups;

/// Wires the backoff machinery (table, queues, Scheduler, HTTP client) once per process.
pub fn backoff(config: &BackoffConfig, aws: &Clients) -> Result<Backoff, reqwest::Error> {
    let table = Arc::new(Table::new(aws.dynamodb.clone(), &config.table));
    let clock = Arc::new(SystemClock);
    Ok(Backoff {
        journal: Arc::new(match config.activity_steps {
            true => Journal::new(table.clone(), clock.clone(), config.activity_retention, config.parked_retention),
            false => Journal::off(clock.clone()),
        }),
        targets: Arc::new(CachedTargets::new(table.clone(), config.target_cache_ttl)),
        states: table.clone(),
        parking: table.clone(),
        rejected: table,
        wakeups: Arc::new(wakeups(config, aws)),
        queue: Arc::new(SqsQueue::new(aws.sqs.clone(), &config.deliveries_queue_url)),
        sender: Arc::new(HttpSender::new(AddressPolicy::new(config.allow_networks.clone()), config.proxy.clone())?),
        clock,
        ids: Arc::new(MonotonicIds::default()),
        ladder: config.ladder.clone(),
        retention: config.parked_retention,
        overdue_after: config.wakeup_grace,
        recent: Default::default(),
    })
}

/// Ingest: sources and targets (cached), event records (the dedupe claims), the deliveries queue.
pub fn ingest(config: &IngestConfig, aws: &Clients) -> Ingest {
    let table = Arc::new(Table::new(aws.dynamodb.clone(), &config.table));
    Ingest {
        sources: Arc::new(CachedSources::new(table.clone(), config.target_cache_ttl)),
        targets: Arc::new(CachedTargets::new(table.clone(), config.target_cache_ttl)),
        log: table.clone(),
        queue: Arc::new(SqsQueue::new(aws.sqs.clone(), &config.deliveries_queue_url)),
        health: table,
        clock: Arc::new(SystemClock),
        ids: Arc::new(MonotonicIds::default()),
        dedupe_window: config.dedupe_window,
        dedupe_lease: config.dedupe_lease,
        retention: config.activity_retention,
        health_throttle: HealthThrottle::default(),
        refusals: Default::default(),
    }
}

/// Deliver: the backoff machinery, with healthy states shared for a second (see HEALTHY_STATE_TTL).
pub fn deliver(config: &DeliverConfig, aws: &Clients) -> Result<Deliver, reqwest::Error> {
    let mut backoff = backoff(&config.backoff, aws)?;
    backoff.states = Arc::new(CachedStates::new(backoff.states, HEALTHY_STATE_TTL));
    Ok(Deliver { backoff: Arc::new(backoff) })
}

/// Retry: the backoff machinery, uncached: it must see every epoch as it is.
pub fn retry(config: &RetryConfig, aws: &Clients) -> Result<Retry, reqwest::Error> {
    Ok(Retry {
        backoff: Arc::new(backoff(&config.backoff, aws)?),
        max_sends: config.max_sends,
        budget: config.budget,
        window: config.window,
    })
}

/// Admin: configuration (uncached, so an admin sees what it just wrote), state, wake-ups, the
/// sender for Test, and the dead-letter queues.
pub fn admin(config: &AdminConfig, aws: &Clients) -> Result<Admin, reqwest::Error> {
    let b = &config.backoff;
    let table = Arc::new(Table::new(aws.dynamodb.clone(), &b.table));
    let queue = |name: &str, dlq: &str, source: &str| DeadLetterQueue {
        name: name.to_owned(),
        dlq_url: dlq.to_owned(),
        source: SqsQueue::new(aws.sqs.clone(), source),
    };
    let dead_letters = SqsDeadLetters {
        client: aws.sqs.clone(),
        queues: vec![
            queue("deliveries", &config.deliveries_dlq_url, &b.deliveries_queue_url),
            queue("wakeups", &config.wakeups_dlq_url, &b.wakeups_queue_url),
        ],
    };
    Ok(Admin {
        config: table.clone(),
        source_health: table.clone(),
        targets: table.clone(),
        states: table.clone(),
        rejected: table.clone(),
        queue: Arc::new(SqsQueue::new(aws.sqs.clone(), &b.deliveries_queue_url)),
        wakeups: Arc::new(wakeups(b, aws)),
        sender: Arc::new(HttpSender::new(AddressPolicy::new(b.allow_networks.clone()), b.proxy.clone())?),
        dead_letters: Arc::new(dead_letters),
        activity: table.clone(),
        activity_retention: b.activity_retention,
        parked_retention: b.parked_retention,
        first_rung: chrono::Duration::from_std(b.ladder.delay(1)).unwrap_or(chrono::Duration::seconds(30)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(MonotonicIds::default()),
    })
}

fn wakeups(config: &BackoffConfig, aws: &Clients) -> Wakeups {
    Wakeups {
        sqs: aws.sqs.clone(),
        queue_url: config.wakeups_queue_url.clone(),
        queue_arn: config.wakeups_queue_arn.clone(),
        scheduler: aws.scheduler.clone(),
        group: config.schedule_group.clone(),
        role_arn: config.scheduler_role_arn.clone(),
        dead_letter_arn: config.wakeups_dlq_arn.clone(),
        timer_max: config.timer_max,
    }
}
