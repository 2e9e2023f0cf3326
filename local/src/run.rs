//! Starts the whole system in this process: stack, ingest over HTTP, the deliveries poller.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use herald_aws::settings::{self, ConfigError, Env, Tuning};
use herald_aws::testing::faults::Faults;
use herald_aws::{Clients, wiring};
use herald_domain::Secret;
use tokio::task::JoinHandle;

use crate::batching::Batching;
use crate::poller::{Invocations, Poller};
use crate::stack::{LOOPBACK, Stack, queue_arn};

#[derive(Clone, Debug)]
pub struct Options {
    pub stack: String,
    pub listen: SocketAddr,
    /// Every setting that tunes the functions, as in AWS (see [`Options::from_env`]).
    pub tuning: Tuning,
    /// Batches of deliveries handled at once, like concurrent Lambda invocations (0: none, for
    /// tests that look at the queue and deliver by hand).
    pub pollers: usize,
    /// The deliveries poller's batch size and batching window (the template's `DeliveryBatchSize`
    /// and `DeliveryBatchingWindow`).
    pub batching: Batching,
    /// Fire schedules this long past due if the emulator has not.
    pub schedule_grace: Duration,
    /// How often the sweep message goes on the wakeups queue (the template's rate schedule).
    pub sweep_every: Duration,
    /// Fail this share of every function's AWS calls (`HERALD_LOCAL_FAULTS=seed:rate`).
    pub faults: Option<Faults>,
    /// The queues' visibility timeout when this run creates them (`HERALD_LOCAL_VISIBILITY`).
    pub queue_visibility: Option<Duration>,
    /// Hand a record a function failed back after this long instead of the queue's visibility
    /// timeout (set with `faults`, so a run with injected faults finishes in seconds).
    pub failed_visibility: Option<Duration>,
    /// `Authorization: Bearer <token>` for `/admin`.
    pub admin_token: Secret,
}

/// Where a local run's defaults differ from AWS's: targets on this machine are allowed, and a
/// target edited through the admin API is seen by ingest and deliver within a second.
pub fn local_tuning() -> Tuning {
    Tuning {
        allow_networks: LOOPBACK.iter().map(|n| n.parse().expect("valid CIDR")).collect(),
        target_cache_ttl: Duration::from_secs(1),
        ..Tuning::default()
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            stack: DEFAULT_STACK.into(),
            listen: "127.0.0.1:3000".parse().expect("valid"),
            tuning: local_tuning(),
            pollers: 2,
            batching: Batching::default(),
            schedule_grace: Duration::from_secs(15),
            sweep_every: Duration::from_secs(60),
            faults: None,
            failed_visibility: None,
            queue_visibility: None,
            admin_token: Secret::new(herald_app::admin::random_hex()),
        }
    }
}

impl Options {
    /// The defaults, with every setting of the README's table that is set in `env` applied: the
    /// stack name, the admin token, and each tuning variable.
    pub fn from_env(env: Env<'_>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let faults = env
            .get(settings::LOCAL_FAULTS)
            .map(|spec| {
                Faults::parse(&spec).map_err(|why| ConfigError::Invalid {
                    name: settings::LOCAL_FAULTS,
                    value: spec,
                    why,
                })
            })
            .transpose()?;
        Ok(Self {
            queue_visibility: env
                .get(settings::LOCAL_VISIBILITY)
                .map(|_| env.duration(settings::LOCAL_VISIBILITY, Duration::ZERO))
                .transpose()?,
            failed_visibility: faults.as_ref().map(|_| Duration::from_secs(1)),
            faults,
            stack: env.get(settings::STACK).unwrap_or(defaults.stack),
            tuning: Tuning::read(env, local_tuning())?,
            batching: Batching::read(env)?,
            admin_token: settings::admin_token(env)?.unwrap_or(defaults.admin_token),
            ..defaults
        })
    }
}

/// herald-local's stack name when `HERALD_STACK` is not set.
pub const DEFAULT_STACK: &str = "herald";

/// Everything running; dropping it stops the server and the pollers.
pub struct Running {
    pub addr: SocketAddr,
    pub stack: Stack,
    /// The use cases the handlers run, for tests that call handlers directly.
    pub ingest: Arc<herald_app::ingest::Ingest>,
    pub deliver: Arc<herald_app::deliver::Deliver>,
    pub retry: Arc<herald_app::retry::Retry>,
    pub admin: Arc<herald_app::admin::Admin>,
    pub admin_token: Secret,
    /// Handler invocations the deliveries and wake-ups pollers made.
    pub deliver_invocations: Arc<Invocations>,
    pub retry_invocations: Arc<Invocations>,
    tasks: Vec<JoinHandle<()>>,
    pollers: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops as a Ctrl-C should: the pollers finish the batch they are in (at most `within`),
    /// so what they received is handled or handed back rather than hidden for a visibility timeout.
    pub async fn shutdown(mut self, within: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let pollers = std::mem::take(&mut self.pollers);
        let _ = tokio::time::timeout(within, async {
            for poller in pollers {
                let _ = poller.await;
            }
        })
        .await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in self.tasks.iter().chain(&self.pollers) {
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
    /// The same configuration for every function; each writes down its operations when
    /// `HERALD_AWS_CALL_LOG` is set (the IAM check in `scripts/test`).
    pub fn same(aws: &aws_config::SdkConfig) -> Self {
        let clients = |function| match herald_aws::testing::calls::CallLog::from_env(function) {
            Some(log) => Clients::with_interceptor(aws, log),
            None => Clients::new(aws),
        };
        Self {
            ingest: clients("ingest"),
            deliver: clients("deliver"),
            retry: clients("retry"),
            admin: clients("admin"),
        }
    }

    /// Every function's calls (and its queue's polling) go through `faults`.
    pub fn faulty(aws: &aws_config::SdkConfig, faults: &Faults) -> Self {
        let clients = Clients::with_interceptor(aws, faults.clone());
        Self { ingest: clients.clone(), deliver: clients.clone(), retry: clients.clone(), admin: clients }
    }
}

pub async fn start(aws: &aws_config::SdkConfig, options: &Options) -> Result<Running> {
    let roles = match &options.faults {
        Some(faults) => RoleClients::faulty(aws, faults),
        None => RoleClients::same(aws),
    };
    start_with(aws, options, roles).await
}

/// The run's stack, created if need be with the options' queue visibility.
pub async fn ensure_stack(aws: &aws_config::SdkConfig, options: &Options) -> Result<Stack> {
    let visibility = options.queue_visibility.map(|v| v.as_secs().max(1) as u32);
    Stack::ensure_with(aws, &options.stack, visibility).await
}

/// As [`start`], with each function's clients given.
pub async fn start_with(aws: &aws_config::SdkConfig, options: &Options, roles: RoleClients) -> Result<Running> {
    let stack = ensure_stack(aws, options).await?;
    let (resources, tuning) = (&stack.resources, &options.tuning);
    let ingest = wiring::ingest(&resources.ingest(tuning), &roles.ingest);
    let deliver = Arc::new(wiring::deliver(&resources.deliver(tuning), &roles.deliver)?);
    let retry = Arc::new(wiring::retry(&resources.retry(tuning), &roles.retry)?);
    let admin = Arc::new(wiring::admin(&resources.admin(tuning, options.admin_token.clone()), &roles.admin)?);
    let ingest = Arc::new(ingest);
    let apps =
        crate::server::Apps { ingest: ingest.clone(), admin: admin.clone(), admin_token: options.admin_token.clone() };
    let (addr, server) = crate::server::serve(options.listen, apps).await?;
    let mut tasks = vec![server];
    let mut pollers = Vec::new();
    let stop = Arc::new(AtomicBool::new(false));
    let sqs = aws_sdk_sqs::Client::new(aws);
    let arn = queue_arn(&sqs, &stack.resources.deliveries_queue_url).await?;
    // The event source mapping is AWS's own poller, not Herald's code: injected faults spare it
    // (a receive lost after it was sent would hide its messages for the whole visibility timeout).
    let mapping = |role: &aws_sdk_sqs::Client| match options.faults {
        Some(_) => Clients::new(aws).sqs,
        None => role.clone(),
    };
    let deliveries_sqs = mapping(&roles.deliver.sqs);
    let deliver_invocations = Arc::new(Invocations::default());
    let retry_invocations = Arc::new(Invocations::default());
    let region = aws.region().map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
    for _ in 0..options.pollers {
        let poller = Poller {
            sqs: deliveries_sqs.clone(),
            queue_url: stack.resources.deliveries_queue_url.clone(),
            queue_arn: arn.clone(),
            region: region.clone(),
            batch_size: options.batching.size as i32,
            batch_window: options.batching.window,
            invocations: deliver_invocations.clone(),
            failed_visibility: options.failed_visibility,
            stop: stop.clone(),
        };
        let deliver_task = deliver.clone();
        let concurrency = tuning.concurrency;
        pollers.push(tokio::spawn(
            poller.run(move |batch| herald_deliver::handler::process(deliver_task.clone(), concurrency, None, batch)),
        ));
    }
    let wakeups = Poller {
        sqs: mapping(&roles.retry.sqs),
        queue_url: stack.resources.wakeups_queue_url.clone(),
        queue_arn: stack.resources.wakeups_queue_arn.clone(),
        region,
        batch_size: 10,
        // The wake-ups mapping has no batching window.
        batch_window: Duration::ZERO,
        invocations: retry_invocations.clone(),
        failed_visibility: options.failed_visibility,
        stop: stop.clone(),
    };
    let retry_task = retry.clone();
    pollers
        .push(tokio::spawn(wakeups.run(move |batch| herald_retry::handler::process(retry_task.clone(), None, batch))));
    let firer = crate::schedules::ScheduleFirer {
        scheduler: aws_sdk_scheduler::Client::new(aws),
        sqs,
        group: stack.resources.schedule_group.clone(),
        grace: options.schedule_grace,
    };
    tasks.push(tokio::spawn(firer.run()));
    tasks.push(tokio::spawn(sweep(
        mapping(&roles.retry.sqs),
        stack.resources.wakeups_queue_url.clone(),
        options.sweep_every,
    )));
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
        pollers,
        stop,
    })
}

/// Plays the template's sweep schedule: the sweep message on the wakeups queue, every `every`.
async fn sweep(sqs: aws_sdk_sqs::Client, queue_url: String, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let sent =
            sqs.send_message().queue_url(&queue_url).message_body(herald_domain::message::sweep_json()).send().await;
        if let Err(e) = sent {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "could not send the sweep");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn every_setting_in_the_environment_reaches_the_run() {
        let vars: HashMap<&str, &str> = HashMap::from([
            (settings::STACK, "mine"),
            (settings::ADMIN_TOKEN, "a-token-of-twenty-chars"),
            (settings::LADDER, "1s,3s"),
            (settings::TIMER_MAX, "2s"),
            (settings::PARKED_RETENTION, "1h"),
            (settings::DEDUPE_WINDOW, "5s"),
            (settings::TARGET_CACHE_TTL, "4s"),
            (settings::DELIVERY_CONCURRENCY, "4"),
            (settings::RETRY_MAX_SENDS, "9"),
            (settings::RETRY_BUDGET, "2s"),
            (settings::ALLOW_NETWORKS, "127.0.0.1"),
        ]);
        let lookup = |name: &str| vars.get(name).map(|v| (*v).to_owned());
        let o = Options::from_env(Env::new(&lookup)).unwrap();
        assert_eq!((o.stack.as_str(), o.admin_token.expose()), ("mine", "a-token-of-twenty-chars"));
        let t = &o.tuning;
        assert_eq!((t.ladder.delay(1), t.ladder.delay(2)), (Duration::from_secs(1), Duration::from_secs(3)));
        assert_eq!((t.timer_max, t.parked_retention), (Duration::from_secs(2), Duration::from_secs(3600)));
        assert_eq!((t.dedupe_window, t.target_cache_ttl), (Duration::from_secs(5), Duration::from_secs(4)));
        assert_eq!((t.concurrency, t.retry_max_sends, t.retry_budget), (4, 9, Duration::from_secs(2)));
        assert_eq!(t.allow_networks, vec!["127.0.0.1/32".parse::<ipnet::IpNet>().unwrap()]);
    }

    #[test]
    fn unset_settings_keep_the_local_defaults() {
        let none = |_: &str| None;
        let o = Options::from_env(Env::new(&none)).unwrap();
        assert_eq!(o.stack, DEFAULT_STACK);
        assert_eq!(o.tuning.target_cache_ttl, Duration::from_secs(1));
        assert_eq!(o.tuning.allow_networks.len(), 2, "loopback");
        assert_eq!(o.tuning.ladder, herald_domain::ladder::Ladder::default());
    }
}
