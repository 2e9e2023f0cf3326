//! Settings from the environment, parsed once at start-up with errors that name the variable.
//! Every variable's name and default is spelled here and nowhere else: the functions, herald-local
//! (its stack setup and its runner) and the benches all read them through this module.

use std::time::Duration;

use herald_domain::Secret;
use herald_domain::ladder::Ladder;
use ipnet::IpNet;

use crate::wakeups::MAX_TIMER;

mod configs;

pub use configs::{AdminConfig, BackoffConfig, DeliverConfig, IngestConfig, Resources, RetryConfig};

pub const TABLE: &str = "HERALD_TABLE";
pub const DELIVERIES_QUEUE_URL: &str = "HERALD_DELIVERIES_QUEUE_URL";
pub const WAKEUPS_QUEUE_URL: &str = "HERALD_WAKEUPS_QUEUE_URL";
pub const WAKEUPS_QUEUE_ARN: &str = "HERALD_WAKEUPS_QUEUE_ARN";
pub const SCHEDULE_GROUP: &str = "HERALD_SCHEDULE_GROUP";
pub const SCHEDULER_ROLE_ARN: &str = "HERALD_SCHEDULER_ROLE_ARN";
pub const DELIVERIES_DLQ_URL: &str = "HERALD_DELIVERIES_DLQ_URL";
pub const WAKEUPS_DLQ_URL: &str = "HERALD_WAKEUPS_DLQ_URL";
pub const WAKEUPS_DLQ_ARN: &str = "HERALD_WAKEUPS_DLQ_ARN";
pub const DEDUPE_WINDOW: &str = "HERALD_DEDUPE_WINDOW";
pub const DEDUPE_LEASE: &str = "HERALD_DEDUPE_LEASE";
pub const TARGET_CACHE_TTL: &str = "HERALD_TARGET_CACHE_TTL";
pub const ALLOW_NETWORKS: &str = "HERALD_ALLOW_NETWORKS";
/// An HTTP(S) proxy for deliveries. Unset, no proxy is used: `HTTP_PROXY` and friends are ignored.
pub const PROXY: &str = "HERALD_PROXY";
pub const DELIVERY_CONCURRENCY: &str = "HERALD_DELIVERY_CONCURRENCY";
pub const LADDER: &str = "HERALD_LADDER";
pub const TIMER_MAX: &str = "HERALD_TIMER_MAX";
pub const PARKED_RETENTION: &str = "HERALD_PARKED_RETENTION";
/// How long the activity log keeps event records and delivery steps.
pub const ACTIVITY_RETENTION: &str = "HERALD_ACTIVITY_RETENTION";
/// `off`: the deliver and retry functions write no delivery steps to the activity log.
pub const ACTIVITY_STEPS: &str = "HERALD_ACTIVITY_STEPS";
pub const RETRY_MAX_SENDS: &str = "HERALD_RETRY_MAX_SENDS";
pub const RETRY_BUDGET: &str = "HERALD_RETRY_BUDGET";
pub const WAKEUP_GRACE: &str = "HERALD_WAKEUP_GRACE";
pub const ADMIN_TOKEN: &str = "HERALD_ADMIN_TOKEN";
/// Instead of [`ADMIN_TOKEN`]: the name of an SSM SecureString parameter holding it, read at init
/// and again once a minute old.
pub const ADMIN_TOKEN_PARAMETER: &str = "HERALD_ADMIN_TOKEN_PARAMETER";
/// herald-local only: `seed:rate` makes that share of its AWS calls fail (see `testing::faults`).
pub const LOCAL_FAULTS: &str = "HERALD_LOCAL_FAULTS";
/// herald-local only: the queues' visibility timeout when it creates them (default: the template's).
pub const LOCAL_VISIBILITY: &str = "HERALD_LOCAL_VISIBILITY";
/// herald-local only: the deliveries mapping's batch size and batching window (the template's
/// `DeliveryBatchSize` and `DeliveryBatchingWindow`).
pub const LOCAL_BATCH_SIZE: &str = "HERALD_LOCAL_BATCH_SIZE";
pub const LOCAL_BATCHING_WINDOW: &str = "HERALD_LOCAL_BATCHING_WINDOW";
/// herald-local's stack name (the table is `<stack>`, the queues `<stack>-deliveries`, …).
pub const STACK: &str = "HERALD_STACK";

pub const DEFAULT_DEDUPE_WINDOW: Duration = Duration::from_secs(600);
/// Longer than the ingest function's timeout (25 s), so a live attempt is never taken over.
pub const DEFAULT_DEDUPE_LEASE: Duration = Duration::from_secs(60);
pub const DEFAULT_TARGET_CACHE_TTL: Duration = Duration::from_secs(30);
/// As many as the deliveries mapping's default batch (`DeliveryBatchSize`), so a batch goes out in one wave.
pub const DEFAULT_DELIVERY_CONCURRENCY: usize = 20;
pub const DEFAULT_PARKED_RETENTION: Duration = Duration::from_secs(7 * 86_400);
pub const DEFAULT_ACTIVITY_RETENTION: Duration = Duration::from_secs(7 * 86_400);
pub const DEFAULT_RETRY_MAX_SENDS: usize = 1000;
/// The retry function's timeout is 60 s and one send may take 30 s (local/tests/template.rs checks the sum).
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(8);
/// How late a wake-up may be before a parked delivery or the sweep wakes its target: past
/// Scheduler's minute of precision and the emulators' lateness.
pub const DEFAULT_WAKEUP_GRACE: Duration = Duration::from_secs(5 * 60);
/// The admin token's minimum length.
pub const MIN_ADMIN_TOKEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name}={value:?} is not valid: {why}")]
    Invalid { name: &'static str, value: String, why: String },
}

/// Where settings are read from: the process environment, or a map in tests (changing the
/// process environment is `unsafe` since Rust 2024).
#[derive(Clone, Copy)]
pub struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self(lookup)
    }

    /// A set, non-blank variable.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    /// A duration like `30s`, `15m`, `1h 30m`.
    pub fn duration(&self, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => humantime::parse_duration(value.trim()).map_err(|e| ConfigError::Invalid {
                name,
                value,
                why: format!("{e} (use e.g. 30s, 15m, 1h)"),
            }),
        }
    }

    pub fn number(
        &self,
        name: &'static str,
        default: usize,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, ConfigError> {
        let Some(value) = self.get(name) else { return Ok(default) };
        match value.trim().parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError::Invalid {
                name,
                value,
                why: format!("expected a whole number from {} to {}", range.start(), range.end()),
            }),
        }
    }

    /// An `http://` or `https://` proxy URL; `None` when unset.
    pub fn proxy(&self, name: &'static str) -> Result<Option<url::Url>, ConfigError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        match url::Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(Some(url)),
            _ => Err(ConfigError::Invalid {
                name,
                value: herald_domain::request::redact_url(&value),
                why: "give an http:// or https:// proxy URL".into(),
            }),
        }
    }

    /// Comma-separated CIDRs or addresses (`127.0.0.0/8, ::1`); `None` when unset.
    pub fn networks(&self, name: &'static str) -> Result<Option<Vec<IpNet>>, ConfigError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                item.parse::<IpNet>().or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from)).map_err(|_| {
                    ConfigError::Invalid {
                        name,
                        value: value.clone(),
                        why: format!("{item:?} is not an address or CIDR"),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Reads the process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The settings that tune behaviour (as opposed to naming resources), each with its default.
/// herald-local reads exactly these, with its own defaults where a local run differs.
#[derive(Clone, Debug)]
pub struct Tuning {
    pub dedupe_window: Duration,
    pub dedupe_lease: Duration,
    pub target_cache_ttl: Duration,
    pub allow_networks: Vec<IpNet>,
    /// Deliveries through this proxy (the target's address is checked before it is handed over).
    pub proxy: Option<url::Url>,
    pub concurrency: usize,
    pub ladder: Ladder,
    /// Wake-ups up to this delay are SQS message timers; longer ones Scheduler schedules.
    pub timer_max: Duration,
    pub parked_retention: Duration,
    /// How long the activity log keeps what it wrote.
    pub activity_retention: Duration,
    /// Whether the deliver and retry functions log each delivery's steps.
    pub activity_steps: bool,
    /// Sends per wake-up before the rest of a backlog continues in a fresh wake-up.
    pub retry_max_sends: usize,
    /// No new send starts after this long into a wake-up.
    pub retry_budget: Duration,
    /// How late a wake-up may be before a parked delivery or the sweep wakes the target itself.
    pub wakeup_grace: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            dedupe_window: DEFAULT_DEDUPE_WINDOW,
            dedupe_lease: DEFAULT_DEDUPE_LEASE,
            target_cache_ttl: DEFAULT_TARGET_CACHE_TTL,
            allow_networks: Vec::new(),
            proxy: None,
            concurrency: DEFAULT_DELIVERY_CONCURRENCY,
            ladder: Ladder::default(),
            timer_max: MAX_TIMER,
            parked_retention: DEFAULT_PARKED_RETENTION,
            activity_retention: DEFAULT_ACTIVITY_RETENTION,
            activity_steps: true,
            retry_max_sends: DEFAULT_RETRY_MAX_SENDS,
            retry_budget: DEFAULT_RETRY_BUDGET,
            wakeup_grace: DEFAULT_WAKEUP_GRACE,
        }
    }
}

impl Tuning {
    /// Each variable that is set replaces the default given in `defaults`.
    pub fn read(env: Env<'_>, defaults: Tuning) -> Result<Self, ConfigError> {
        let ladder = match env.get(LADDER) {
            None => defaults.ladder,
            Some(value) => {
                Ladder::parse(&value).map_err(|e| ConfigError::Invalid { name: LADDER, value, why: e.to_string() })?
            }
        };
        let timer_max = env.duration(TIMER_MAX, defaults.timer_max)?;
        if timer_max > MAX_TIMER {
            return Err(ConfigError::Invalid {
                name: TIMER_MAX,
                value: env.get(TIMER_MAX).unwrap_or_default(),
                why: "SQS timers go up to 15m".into(),
            });
        }
        Ok(Self {
            dedupe_window: env.duration(DEDUPE_WINDOW, defaults.dedupe_window)?,
            dedupe_lease: env.duration(DEDUPE_LEASE, defaults.dedupe_lease)?,
            target_cache_ttl: env.duration(TARGET_CACHE_TTL, defaults.target_cache_ttl)?,
            allow_networks: env.networks(ALLOW_NETWORKS)?.unwrap_or(defaults.allow_networks),
            proxy: env.proxy(PROXY)?.or(defaults.proxy),
            concurrency: env.number(DELIVERY_CONCURRENCY, defaults.concurrency, 1..=100)?,
            ladder,
            timer_max,
            parked_retention: env.duration(PARKED_RETENTION, defaults.parked_retention)?,
            activity_retention: env.duration(ACTIVITY_RETENTION, defaults.activity_retention)?,
            activity_steps: match env.get(ACTIVITY_STEPS).as_deref() {
                None => defaults.activity_steps,
                Some("on") => true,
                Some("off") => false,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: ACTIVITY_STEPS,
                        value: other.to_owned(),
                        why: "must be on or off".into(),
                    });
                }
            },
            retry_max_sends: env.number(RETRY_MAX_SENDS, defaults.retry_max_sends, 1..=10_000)?,
            retry_budget: env.duration(RETRY_BUDGET, defaults.retry_budget)?,
            wakeup_grace: env.duration(WAKEUP_GRACE, defaults.wakeup_grace)?,
        })
    }
}

/// The admin token from [`ADMIN_TOKEN`]; `None` when unset.
pub fn admin_token(env: Env<'_>) -> Result<Option<Secret>, ConfigError> {
    env.get(ADMIN_TOKEN).map(|token| parse_admin_token(&token)).transpose()
}

/// Where the admin function's token comes from: the environment, or an SSM SecureString parameter
/// (read at init and each minute after, so the token is in no environment variable and no template output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminTokenSource {
    Value(Secret),
    Parameter(String),
}

/// [`ADMIN_TOKEN`] or [`ADMIN_TOKEN_PARAMETER`], exactly one of them.
pub fn admin_token_source(env: Env<'_>) -> Result<AdminTokenSource, ConfigError> {
    let parameter = env.get(ADMIN_TOKEN_PARAMETER).filter(|p| !p.trim().is_empty());
    match (admin_token(env)?, parameter) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid {
            name: ADMIN_TOKEN_PARAMETER,
            value: "[set]".into(),
            why: format!("set {ADMIN_TOKEN} or {ADMIN_TOKEN_PARAMETER}, not both"),
        }),
        (Some(token), None) => Ok(AdminTokenSource::Value(token)),
        (None, Some(name)) if name.starts_with('/') || !name.contains('/') => {
            Ok(AdminTokenSource::Parameter(name.trim().to_owned()))
        }
        (None, Some(name)) => Err(ConfigError::Invalid {
            name: ADMIN_TOKEN_PARAMETER,
            value: name,
            why: "an SSM parameter name: /path/to/name, or a name without slashes".into(),
        }),
        (None, None) => Err(ConfigError::Missing(ADMIN_TOKEN)),
    }
}

/// An admin token, wherever it comes from: at least [`MIN_ADMIN_TOKEN`] characters.
pub fn parse_admin_token(token: &str) -> Result<Secret, ConfigError> {
    if token.trim().chars().count() < MIN_ADMIN_TOKEN {
        return Err(ConfigError::Invalid {
            name: ADMIN_TOKEN,
            value: herald_domain::redact::REDACTED.into(),
            why: format!("use at least {MIN_ADMIN_TOKEN} characters"),
        });
    }
    Ok(Secret::new(token.trim()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Tuning, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let lookup = move |name: &str| map.get(name).cloned();
        Tuning::read(Env::new(&lookup), Tuning::default())
    }

    #[test]
    fn every_tuning_variable_replaces_its_default() {
        let t = read(&[
            (DEDUPE_WINDOW, "1m"),
            (TARGET_CACHE_TTL, "2s"),
            (ALLOW_NETWORKS, "10.0.0.0/8, ::1"),
            (DELIVERY_CONCURRENCY, "3"),
            (LADDER, "1s,2s"),
            (TIMER_MAX, "5s"),
            (PARKED_RETENTION, "1h"),
            (RETRY_MAX_SENDS, "7"),
            (RETRY_BUDGET, "3s"),
            (WAKEUP_GRACE, "1m"),
        ])
        .unwrap();
        assert_eq!(t.dedupe_window, Duration::from_secs(60));
        assert_eq!(t.target_cache_ttl, Duration::from_secs(2));
        assert_eq!(t.allow_networks.len(), 2);
        assert_eq!(t.concurrency, 3);
        assert_eq!(t.ladder.delay(1), Duration::from_secs(1));
        assert_eq!(t.ladder.delay(9), Duration::from_secs(2));
        assert_eq!(t.timer_max, Duration::from_secs(5));
        assert_eq!(t.parked_retention, Duration::from_secs(3600));
        assert_eq!((t.retry_max_sends, t.retry_budget), (7, Duration::from_secs(3)));
        assert_eq!(t.wakeup_grace, Duration::from_secs(60));
        let d = read(&[]).unwrap();
        assert_eq!((d.dedupe_window, d.concurrency, d.timer_max), (DEFAULT_DEDUPE_WINDOW, 20, MAX_TIMER));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, value) in [
            (LADDER, "soon"),
            (TIMER_MAX, "1h"),
            (DELIVERY_CONCURRENCY, "0"),
            (ALLOW_NETWORKS, "everywhere"),
            (RETRY_BUDGET, "x"),
        ] {
            let err = read(&[(name, value)]).unwrap_err().to_string();
            assert!(err.starts_with(name), "{err}");
        }
    }

    #[test]
    fn a_short_admin_token_is_refused_and_never_shown() {
        let lookup = |_: &str| Some("short-secret".to_owned());
        let err = admin_token(Env::new(&lookup)).unwrap_err().to_string();
        assert!(err.contains(ADMIN_TOKEN) && !err.contains("short-secret"), "{err}");
        let none = |_: &str| None;
        assert!(admin_token(Env::new(&none)).unwrap().is_none());
    }

    #[test]
    fn the_admin_token_comes_from_the_environment_or_a_parameter_not_both() {
        let source = |vars: &[(&str, &str)]| {
            let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            let lookup = move |name: &str| map.get(name).cloned();
            admin_token_source(Env::new(&lookup))
        };
        let token = "a-token-of-twenty-chars";
        assert_eq!(source(&[(ADMIN_TOKEN, token)]).unwrap(), AdminTokenSource::Value(Secret::new(token)));
        assert_eq!(
            source(&[(ADMIN_TOKEN_PARAMETER, "/herald/admin-token")]).unwrap(),
            AdminTokenSource::Parameter("/herald/admin-token".into())
        );
        assert!(matches!(
            source(&[(ADMIN_TOKEN, token), (ADMIN_TOKEN_PARAMETER, "/x")]),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(source(&[(ADMIN_TOKEN_PARAMETER, "no/leading/slash")]), Err(ConfigError::Invalid { .. })));
        assert!(matches!(source(&[]), Err(ConfigError::Missing(ADMIN_TOKEN))));
        assert!(
            matches!(source(&[(ADMIN_TOKEN_PARAMETER, "  ")]), Err(ConfigError::Missing(ADMIN_TOKEN))),
            "blank is unset"
        );
    }
}
