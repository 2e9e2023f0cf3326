//! Settings from the environment, parsed once at start-up with errors that name the variable.

use std::time::Duration;

use ipnet::IpNet;

use crate::aws::wakeups::MAX_TIMER;
use crate::domain::ladder::Ladder;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name}={value:?} is not valid: {why}")]
    Invalid { name: &'static str, value: String, why: String },
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Missing(name))
}

fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A duration like `30s`, `15m`, `1h 30m`.
pub fn duration(name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    match optional(name) {
        None => Ok(default),
        Some(value) => humantime::parse_duration(value.trim()).map_err(|e| ConfigError::Invalid {
            name,
            value,
            why: format!("{e} (use e.g. 30s, 15m, 1h)"),
        }),
    }
}

pub fn number(
    name: &'static str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ConfigError> {
    let Some(value) = optional(name) else { return Ok(default) };
    match value.trim().parse::<usize>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError::Invalid {
            name,
            value,
            why: format!("expected a whole number from {} to {}", range.start(), range.end()),
        }),
    }
}

/// Comma-separated CIDRs or addresses (`127.0.0.0/8, ::1`).
pub fn networks(name: &'static str) -> Result<Vec<IpNet>, ConfigError> {
    let Some(value) = optional(name) else { return Ok(Vec::new()) };
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<IpNet>().or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from)).map_err(|_| {
                ConfigError::Invalid { name, value: value.clone(), why: format!("{item:?} is not an address or CIDR") }
            })
        })
        .collect()
}

/// Settings of the ingest function.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    pub table: String,
    pub deliveries_queue_url: String,
    pub dedupe_window: Duration,
    pub target_cache_ttl: Duration,
}

/// What the deliver and retry functions share: sending, the ladder, parking and wake-ups.
#[derive(Clone, Debug)]
pub struct BackoffConfig {
    pub table: String,
    pub target_cache_ttl: Duration,
    pub allow_networks: Vec<IpNet>,
    /// Health warnings and released deliveries go here.
    pub deliveries_queue_url: String,
    pub wakeups_queue_url: String,
    pub wakeups_queue_arn: String,
    pub schedule_group: String,
    pub scheduler_role_arn: String,
    pub ladder: Ladder,
    /// Wake-ups up to this delay are SQS message timers; longer ones Scheduler schedules.
    pub timer_max: Duration,
    pub parked_retention: Duration,
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
    /// No new send starts after this long into a wake-up (the function timeout is 40 s, a send up to 30 s).
    pub budget: Duration,
}

pub const TABLE: &str = "HERALD_TABLE";
pub const DELIVERIES_QUEUE_URL: &str = "HERALD_DELIVERIES_QUEUE_URL";
pub const DEDUPE_WINDOW: &str = "HERALD_DEDUPE_WINDOW";
pub const TARGET_CACHE_TTL: &str = "HERALD_TARGET_CACHE_TTL";
pub const ALLOW_NETWORKS: &str = "HERALD_ALLOW_NETWORKS";
pub const DELIVERY_CONCURRENCY: &str = "HERALD_DELIVERY_CONCURRENCY";
pub const WAKEUPS_QUEUE_URL: &str = "HERALD_WAKEUPS_QUEUE_URL";
pub const WAKEUPS_QUEUE_ARN: &str = "HERALD_WAKEUPS_QUEUE_ARN";
pub const SCHEDULE_GROUP: &str = "HERALD_SCHEDULE_GROUP";
pub const SCHEDULER_ROLE_ARN: &str = "HERALD_SCHEDULER_ROLE_ARN";
pub const LADDER: &str = "HERALD_LADDER";
pub const TIMER_MAX: &str = "HERALD_TIMER_MAX";
pub const PARKED_RETENTION: &str = "HERALD_PARKED_RETENTION";
pub const RETRY_MAX_SENDS: &str = "HERALD_RETRY_MAX_SENDS";
pub const RETRY_BUDGET: &str = "HERALD_RETRY_BUDGET";

impl IngestConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required(TABLE)?,
            deliveries_queue_url: required(DELIVERIES_QUEUE_URL)?,
            dedupe_window: duration(DEDUPE_WINDOW, Duration::from_secs(600))?,
            target_cache_ttl: duration(TARGET_CACHE_TTL, Duration::from_secs(30))?,
        })
    }
}

impl BackoffConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let ladder = match optional(LADDER) {
            None => Ladder::default(),
            Some(value) => {
                Ladder::parse(&value).map_err(|e| ConfigError::Invalid { name: LADDER, value, why: e.to_string() })?
            }
        };
        let timer_max = duration(TIMER_MAX, MAX_TIMER)?;
        if timer_max > MAX_TIMER {
            return Err(ConfigError::Invalid {
                name: TIMER_MAX,
                value: format!("{timer_max:?}"),
                why: "SQS timers go up to 15m".into(),
            });
        }
        Ok(Self {
            table: required(TABLE)?,
            target_cache_ttl: duration(TARGET_CACHE_TTL, Duration::from_secs(30))?,
            allow_networks: networks(ALLOW_NETWORKS)?,
            deliveries_queue_url: required(DELIVERIES_QUEUE_URL)?,
            wakeups_queue_url: required(WAKEUPS_QUEUE_URL)?,
            wakeups_queue_arn: required(WAKEUPS_QUEUE_ARN)?,
            schedule_group: required(SCHEDULE_GROUP)?,
            scheduler_role_arn: required(SCHEDULER_ROLE_ARN)?,
            ladder,
            timer_max,
            parked_retention: duration(PARKED_RETENTION, Duration::from_secs(7 * 86_400))?,
        })
    }
}

impl DeliverConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self { backoff: BackoffConfig::from_env()?, concurrency: number(DELIVERY_CONCURRENCY, 10, 1..=100)? })
    }
}

impl RetryConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            backoff: BackoffConfig::from_env()?,
            max_sends: number(RETRY_MAX_SENDS, 200, 1..=10_000)?,
            budget: duration(RETRY_BUDGET, Duration::from_secs(8))?,
        })
    }
}

/// JSON logs for CloudWatch; `RUST_LOG` (default `info`) filters.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).without_time().try_init();
}

pub const ADMIN_TOKEN: &str = "HERALD_ADMIN_TOKEN";
pub const DELIVERIES_DLQ_URL: &str = "HERALD_DELIVERIES_DLQ_URL";
pub const WAKEUPS_DLQ_URL: &str = "HERALD_WAKEUPS_DLQ_URL";

/// Settings of the admin function.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    pub backoff: BackoffConfig,
    pub token: crate::domain::Secret,
    pub deliveries_dlq_url: String,
    pub wakeups_dlq_url: String,
}

impl AdminConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let token = required(ADMIN_TOKEN)?;
        if token.trim().len() < 16 {
            return Err(ConfigError::Invalid {
                name: ADMIN_TOKEN,
                value: "[redacted]".into(),
                why: "use at least 16 characters".into(),
            });
        }
        Ok(Self {
            backoff: BackoffConfig::from_env()?,
            token: crate::domain::Secret::new(token.trim()),
            deliveries_dlq_url: required(DELIVERIES_DLQ_URL)?,
            wakeups_dlq_url: required(WAKEUPS_DLQ_URL)?,
        })
    }
}
