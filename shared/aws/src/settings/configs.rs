//! Each function's settings, and the stack's resources they name: read from the environment in
//! AWS, or built from a `Resources` and a `Tuning` by herald-local.

use std::time::Duration;

use herald_domain::Secret;
use herald_domain::ladder::Ladder;
use ipnet::IpNet;

use super::*;

/// Settings of the ingest function.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    pub table: String,
    pub deliveries_queue_url: String,
    pub dedupe_window: Duration,
    pub dedupe_lease: Duration,
    pub target_cache_ttl: Duration,
    pub activity_retention: Duration,
}

/// What the deliver and retry functions share: sending, the ladder, parking and wake-ups.
#[derive(Clone, Debug)]
pub struct BackoffConfig {
    pub table: String,
    pub target_cache_ttl: Duration,
    pub allow_networks: Vec<IpNet>,
    pub proxy: Option<url::Url>,
    /// Health warnings and released deliveries go here.
    pub deliveries_queue_url: String,
    pub wakeups_queue_url: String,
    pub wakeups_queue_arn: String,
    /// Where Scheduler dead-letters a wake-up it could not send.
    pub wakeups_dlq_arn: String,
    pub schedule_group: String,
    pub scheduler_role_arn: String,
    pub ladder: Ladder,
    /// Wake-ups up to this delay are SQS message timers; longer ones Scheduler schedules.
    pub timer_max: Duration,
    pub parked_retention: Duration,
    pub wakeup_grace: Duration,
    pub activity_retention: Duration,
    pub activity_steps: bool,
}

/// Settings of the deliver function.
#[derive(Clone, Debug)]
pub struct DeliverConfig {
    pub backoff: BackoffConfig,
    pub concurrency: usize,
}

/// Settings of the retry function.
#[derive(Clone, Debug)]
pub struct RetryConfig {
    pub backoff: BackoffConfig,
    /// Sends per wake-up before the rest of a backlog continues in a fresh wake-up.
    pub max_sends: usize,
    /// No new send starts after this long into a wake-up (the function timeout is 60 s, a send up to 30 s).
    pub budget: Duration,
    /// An unordered target's backlog is sent this many at a time (`HERALD_DELIVERY_CONCURRENCY`).
    pub window: usize,
}

/// Settings of the admin function.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    pub backoff: BackoffConfig,
    pub token: AdminTokenSource,
    pub deliveries_dlq_url: String,
    pub wakeups_dlq_url: String,
}

/// The names of the stack's resources, which the template (or herald-local's setup) provides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub deliveries_queue_url: String,
    pub deliveries_dlq_url: String,
    pub wakeups_queue_url: String,
    pub wakeups_dlq_url: String,
    pub wakeups_queue_arn: String,
    pub wakeups_dlq_arn: String,
    pub schedule_group: String,
    pub scheduler_role_arn: String,
}

impl Resources {
    /// The variables a function reads them from, as `(name, value)`.
    pub fn variables(&self) -> [(&'static str, &str); 9] {
        [
            (TABLE, &self.table),
            (DELIVERIES_QUEUE_URL, &self.deliveries_queue_url),
            (DELIVERIES_DLQ_URL, &self.deliveries_dlq_url),
            (WAKEUPS_QUEUE_URL, &self.wakeups_queue_url),
            (WAKEUPS_DLQ_URL, &self.wakeups_dlq_url),
            (WAKEUPS_QUEUE_ARN, &self.wakeups_queue_arn),
            (WAKEUPS_DLQ_ARN, &self.wakeups_dlq_arn),
            (SCHEDULE_GROUP, &self.schedule_group),
            (SCHEDULER_ROLE_ARN, &self.scheduler_role_arn),
        ]
    }

    pub fn ingest(&self, tuning: &Tuning) -> IngestConfig {
        IngestConfig {
            table: self.table.clone(),
            deliveries_queue_url: self.deliveries_queue_url.clone(),
            dedupe_window: tuning.dedupe_window,
            dedupe_lease: tuning.dedupe_lease,
            target_cache_ttl: tuning.target_cache_ttl,
            activity_retention: tuning.activity_retention,
        }
    }

    pub fn backoff(&self, tuning: &Tuning) -> BackoffConfig {
        BackoffConfig {
            table: self.table.clone(),
            target_cache_ttl: tuning.target_cache_ttl,
            allow_networks: tuning.allow_networks.clone(),
            proxy: tuning.proxy.clone(),
            deliveries_queue_url: self.deliveries_queue_url.clone(),
            wakeups_queue_url: self.wakeups_queue_url.clone(),
            wakeups_queue_arn: self.wakeups_queue_arn.clone(),
            wakeups_dlq_arn: self.wakeups_dlq_arn.clone(),
            schedule_group: self.schedule_group.clone(),
            scheduler_role_arn: self.scheduler_role_arn.clone(),
            ladder: tuning.ladder.clone(),
            timer_max: tuning.timer_max,
            parked_retention: tuning.parked_retention,
            wakeup_grace: tuning.wakeup_grace,
            activity_retention: tuning.activity_retention,
            activity_steps: tuning.activity_steps,
        }
    }

    pub fn deliver(&self, tuning: &Tuning) -> DeliverConfig {
        DeliverConfig { backoff: self.backoff(tuning), concurrency: tuning.concurrency }
    }

    pub fn retry(&self, tuning: &Tuning) -> RetryConfig {
        RetryConfig {
            backoff: self.backoff(tuning),
            max_sends: tuning.retry_max_sends,
            budget: tuning.retry_budget,
            window: tuning.concurrency,
        }
    }

    pub fn admin(&self, tuning: &Tuning, token: Secret) -> AdminConfig {
        AdminConfig {
            backoff: self.backoff(tuning),
            token: AdminTokenSource::Value(token),
            deliveries_dlq_url: self.deliveries_dlq_url.clone(),
            wakeups_dlq_url: self.wakeups_dlq_url.clone(),
        }
    }
}

impl IngestConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(Env::new(&process_env))
    }

    pub fn read(env: Env<'_>) -> Result<Self, ConfigError> {
        let tuning = Tuning::read(env, Tuning::default())?;
        Ok(Self {
            table: env.required(TABLE)?,
            deliveries_queue_url: env.required(DELIVERIES_QUEUE_URL)?,
            dedupe_window: tuning.dedupe_window,
            dedupe_lease: tuning.dedupe_lease,
            target_cache_ttl: tuning.target_cache_ttl,
            activity_retention: tuning.activity_retention,
        })
    }
}

impl BackoffConfig {
    pub fn read(env: Env<'_>) -> Result<Self, ConfigError> {
        let tuning = Tuning::read(env, Tuning::default())?;
        Ok(Self {
            table: env.required(TABLE)?,
            target_cache_ttl: tuning.target_cache_ttl,
            allow_networks: tuning.allow_networks,
            proxy: tuning.proxy,
            deliveries_queue_url: env.required(DELIVERIES_QUEUE_URL)?,
            wakeups_queue_url: env.required(WAKEUPS_QUEUE_URL)?,
            wakeups_queue_arn: env.required(WAKEUPS_QUEUE_ARN)?,
            wakeups_dlq_arn: env.required(WAKEUPS_DLQ_ARN)?,
            schedule_group: env.required(SCHEDULE_GROUP)?,
            scheduler_role_arn: env.required(SCHEDULER_ROLE_ARN)?,
            ladder: tuning.ladder,
            timer_max: tuning.timer_max,
            parked_retention: tuning.parked_retention,
            wakeup_grace: tuning.wakeup_grace,
            activity_retention: tuning.activity_retention,
            activity_steps: tuning.activity_steps,
        })
    }
}

impl DeliverConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(Env::new(&process_env))
    }

    pub fn read(env: Env<'_>) -> Result<Self, ConfigError> {
        let tuning = Tuning::read(env, Tuning::default())?;
        Ok(Self { backoff: BackoffConfig::read(env)?, concurrency: tuning.concurrency })
    }
}

impl RetryConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(Env::new(&process_env))
    }

    pub fn read(env: Env<'_>) -> Result<Self, ConfigError> {
        let tuning = Tuning::read(env, Tuning::default())?;
        Ok(Self {
            backoff: BackoffConfig::read(env)?,
            max_sends: tuning.retry_max_sends,
            budget: tuning.retry_budget,
            window: tuning.concurrency,
        })
    }
}

impl AdminConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(Env::new(&process_env))
    }

    pub fn read(env: Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            token: admin_token_source(env)?,
            backoff: BackoffConfig::read(env)?,
            deliveries_dlq_url: env.required(DELIVERIES_DLQ_URL)?,
            wakeups_dlq_url: env.required(WAKEUPS_DLQ_URL)?,
        })
    }
}
