//! The deliveries mapping's batch: how many messages one deliver invocation gets, and how long the
//! mapping waits to fill it. The template's `DeliveryBatchSize` and `DeliveryBatchingWindow`, with
//! the same defaults and limits (local/tests/template.rs compares them).

use std::time::Duration;

use herald_aws::settings::{self, ConfigError, Env};

use crate::poller::SQS_MAX_PER_CALL;

/// A batch of 20 halves the invocations (and the activity log's items) per delivery against 10;
/// see BENCHMARKS.md for what each setting costs and how late it delivers.
pub const DEFAULT_BATCH_SIZE: usize = 20;
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(1);
/// The template's `MaxValue`s.
pub const MAX_BATCH_SIZE: usize = 100;
pub const MAX_WINDOW: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batching {
    pub size: usize,
    /// Once one message is in, wait up to this long for a full batch (0: hand over what one receive got).
    pub window: Duration,
}

impl Default for Batching {
    fn default() -> Self {
        Self { size: DEFAULT_BATCH_SIZE, window: DEFAULT_WINDOW }
    }
}

impl Batching {
    /// Checked as Lambda checks a mapping: a batch above 10 needs a window of at least a second.
    pub fn new(size: usize, window: Duration) -> Result<Self, String> {
        if !(1..=MAX_BATCH_SIZE).contains(&size) {
            return Err(format!("a batch holds 1 to {MAX_BATCH_SIZE} messages, not {size}"));
        }
        if window > MAX_WINDOW || window.subsec_nanos() != 0 {
            return Err(format!(
                "the batching window is whole seconds from 0 to {}, not {window:?}",
                MAX_WINDOW.as_secs()
            ));
        }
        if size > SQS_MAX_PER_CALL as usize && window.is_zero() {
            return Err(format!(
                "a batch of more than {SQS_MAX_PER_CALL} needs a batching window of at least 1s (as on AWS)"
            ));
        }
        Ok(Self { size, window })
    }

    pub fn read(env: Env<'_>) -> Result<Self, ConfigError> {
        let size = env.number(settings::LOCAL_BATCH_SIZE, DEFAULT_BATCH_SIZE, 1..=MAX_BATCH_SIZE)?;
        let window = env.duration(settings::LOCAL_BATCHING_WINDOW, DEFAULT_WINDOW)?;
        Self::new(size, window).map_err(|why| ConfigError::Invalid {
            name: if env.get(settings::LOCAL_BATCHING_WINDOW).is_some() {
                settings::LOCAL_BATCHING_WINDOW
            } else {
                settings::LOCAL_BATCH_SIZE
            },
            value: format!("{size} messages, {}s", window.as_secs_f64()),
            why,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Batching, String> {
        let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        Batching::read(Env::new(&lookup)).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_settings_are_read() {
        assert_eq!(read(&[]), Ok(Batching::default()));
        let set = read(&[("HERALD_LOCAL_BATCH_SIZE", "10"), ("HERALD_LOCAL_BATCHING_WINDOW", "0s")]);
        assert_eq!(set, Ok(Batching { size: 10, window: Duration::ZERO }));
    }

    #[test]
    fn what_lambda_refuses_is_refused_by_name() {
        let no_window = read(&[("HERALD_LOCAL_BATCHING_WINDOW", "0s")]).unwrap_err();
        assert!(no_window.contains("HERALD_LOCAL_BATCHING_WINDOW") && no_window.contains("at least 1s"), "{no_window}");
        let too_big = read(&[("HERALD_LOCAL_BATCH_SIZE", "101")]).unwrap_err();
        assert!(too_big.contains("HERALD_LOCAL_BATCH_SIZE") && too_big.contains("1 to 100"), "{too_big}");
        let fractional = read(&[("HERALD_LOCAL_BATCHING_WINDOW", "500ms")]).unwrap_err();
        assert!(fractional.contains("whole seconds"), "{fractional}");
        assert!(read(&[("HERALD_LOCAL_BATCHING_WINDOW", "21s")]).is_err());
    }
}
