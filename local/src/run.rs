//! Starts the whole system in this process: stack, ingest over HTTP, the deliveries poller.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use herald_core::aws::Clients;
use herald_core::aws::wakeups::MAX_TIMER;
use herald_core::config::{AdminConfig, BackoffConfig, DeliverConfig, IngestConfig, RetryConfig};
use herald_core::domain::Secret;
use herald_core::domain::ladder::Ladder;
use ipnet::IpNet;
use tokio::task::JoinHandle;

use crate::poller::{Invocations, Poller};
use crate::stack::{Stack, queue_arn};

#[derive(Clone, Debug)]
pub struct Options {
    pub stack: String,
    pub listen: SocketAddr,
    pub allow_networks: Vec<IpNet>,
    pub dedupe_window: Duration,
    pub target_cache_ttl: Duration,
    pub concurrency: usize,
    /// Batches of deliveries handled at once, like concurrent Lambda invocations.
    pub pollers: usize,
    /// How long the deliveries poller waits to fill a batch (the template's
    /// `MaximumBatchingWindowInSeconds`).
    pub batch_window: Duration,
    pub ladder: Ladder,
    /// Wake-ups up to this delay go as SQS timers, longer ones through Scheduler.
    pub timer_max: Duration,
    pub parked_retention: Duration,
    /// Fire schedules this long past due if the emulator has not.
    pub schedule_grace: Duration,
    /// `Authorization: Bearer <token>` for `/admin`.
    pub admin_token: Secret,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            stack: "herald".into(),
            listen: "127.0.0.1:3000".parse().expect("valid"),
            allow_networks: vec!["127.0.0.0/8".parse().expect("valid"), "::1/128".parse().expect("valid")],
            dedupe_window: Duration::from_secs(600),
            target_cache_ttl: Duration::from_secs(1),
            concurrency: 10,
            pollers: 2,
            batch_window: Duration::from_secs(1),
            ladder: Ladder::default(),
            timer_max: MAX_TIMER,
            parked_retention: Duration::from_secs(7 * 86_400),
            schedule_grace: Duration::from_secs(15),
            admin_token: Secret::new(herald_core::app::admin::random_hex()),
        }
    }
}

/// Everything running; dropping it stops the server and the pollers.
pub struct Running {
    pub addr: SocketAddr,
    pub stack: Stack,
    /// The use cases the handlers run, for tests that call handlers directly.
    pub ingest: Arc<herald_core::app::ingest::Ingest>,
    pub deliver: Arc<herald_core::app::deliver::Deliver>,
    pub retry: Arc<herald_core::app::retry::Retry>,
    pub admin: Arc<herald_core::app::admin::Admin>,
    pub admin_token: Secret,
    /// Handler invocations the deliveries and wake-ups pollers made.
    pub deliver_invocations: Arc<Invocations>,
    pub retry_invocations: Arc<Invocations>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The clients each function uses; the load bench gives each its own counting interceptor.
#[derive(Clone, Debug)]
pub struct RoleClients {
    pub ingest: Clients,
    /// The deliver function, and the event source mapping that polls its queue.
    pub deliver: Clients,
    /// The retry function, and the event source mapping that polls the wake-ups queue.
    pub retry: Clients,
    pub admin: Clients,
}

impl RoleClients {
    pub fn same(aws: &aws_config::SdkConfig) -> Self {
        let clients = Clients::new(aws);
        Self { ingest: clients.clone(), deliver: clients.clone(), retry: clients.clone(), admin: clients }
    }
}

pub async fn start(aws: &aws_config::SdkConfig, options: &Options) -> Result<Running> {
    start_with(aws, options, RoleClients::same(aws)).await
}

/// As [`start`], with each function's clients given.
pub async fn start_with(aws: &aws_config::SdkConfig, options: &Options, roles: RoleClients) -> Result<Running> {
    let stack = Stack::ensure(aws, &options.stack).await?;
    let ingest = herald_ingest::build(
        &IngestConfig {
            table: stack.table.clone(),
            deliveries_queue_url: stack.deliveries_url.clone(),
            dedupe_window: options.dedupe_window,
            target_cache_ttl: options.target_cache_ttl,
        },
        &roles.ingest,
    );
    let backoff = BackoffConfig {
        table: stack.table.clone(),
        target_cache_ttl: options.target_cache_ttl,
        allow_networks: options.allow_networks.clone(),
        deliveries_queue_url: stack.deliveries_url.clone(),
        wakeups_queue_url: stack.wakeups_url.clone(),
        wakeups_queue_arn: stack.wakeups_arn.clone(),
        schedule_group: stack.schedule_group.clone(),
        scheduler_role_arn: stack.scheduler_role_arn.clone(),
        ladder: options.ladder.clone(),
        timer_max: options.timer_max,
        parked_retention: options.parked_retention,
    };
    let deliver = Arc::new(herald_deliver::build(
        &DeliverConfig { backoff: backoff.clone(), concurrency: options.concurrency },
        &roles.deliver,
    )?);
    let retry = Arc::new(herald_retry::build(
        &RetryConfig { backoff: backoff.clone(), max_sends: 200, budget: Duration::from_secs(8) },
        &roles.retry,
    )?);
    let admin = Arc::new(herald_admin::build(
        &AdminConfig {
            backoff,
            token: options.admin_token.clone(),
            deliveries_dlq_url: stack.deliveries_dlq_url.clone(),
            wakeups_dlq_url: stack.wakeups_dlq_url.clone(),
        },
        &roles.admin,
    )?);
    let ingest = Arc::new(ingest);
    let apps =
        crate::server::Apps { ingest: ingest.clone(), admin: admin.clone(), admin_token: options.admin_token.clone() };
    let (addr, server) = crate::server::serve(options.listen, apps).await?;
    let mut tasks = vec![server];
    let sqs = aws_sdk_sqs::Client::new(aws);
    let arn = queue_arn(&sqs, &stack.deliveries_url).await?;
    let deliveries_sqs = roles.deliver.sqs.clone();
    let deliver_invocations = Arc::new(Invocations::default());
    let retry_invocations = Arc::new(Invocations::default());
    let region = aws.region().map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
    for _ in 0..options.pollers.max(1) {
        let poller = Poller {
            sqs: deliveries_sqs.clone(),
            queue_url: stack.deliveries_url.clone(),
            queue_arn: arn.clone(),
            region: region.clone(),
            batch_size: 10,
            batch_window: options.batch_window,
            invocations: deliver_invocations.clone(),
        };
        let deliver_task = deliver.clone();
        let concurrency = options.concurrency;
        tasks.push(tokio::spawn(
            poller.run(move |batch| herald_deliver::handler::process(deliver_task.clone(), concurrency, batch)),
        ));
    }
    let wakeups = Poller {
        sqs: roles.retry.sqs.clone(),
        queue_url: stack.wakeups_url.clone(),
        queue_arn: stack.wakeups_arn.clone(),
        region,
        batch_size: 10,
        // The wake-ups mapping has no batching window.
        batch_window: Duration::ZERO,
        invocations: retry_invocations.clone(),
    };
    let retry_task = retry.clone();
    tasks.push(tokio::spawn(wakeups.run(move |batch| herald_retry::handler::process(retry_task.clone(), batch))));
    let firer = crate::schedules::ScheduleFirer {
        scheduler: aws_sdk_scheduler::Client::new(aws),
        sqs,
        group: stack.schedule_group.clone(),
        grace: options.schedule_grace,
    };
    tasks.push(tokio::spawn(firer.run()));
    Ok(Running {
        addr,
        stack,
        ingest,
        deliver,
        retry,
        admin,
        admin_token: options.admin_token.clone(),
        deliver_invocations,
        retry_invocations,
        tasks,
    })
}
