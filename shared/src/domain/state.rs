//! A target's failure state (DESIGN §5), one item per target.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `epoch` moves on every transition (a failure counted, a recovery), so writers can use it as
/// an optimistic lock: ten deliveries that fail together read the same epoch and only one counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetState {
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub epoch: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<DateTime<Utc>>,
}

impl TargetState {
    pub fn is_healthy(&self) -> bool {
        self.failures == 0
    }
}

/// What one failed attempt tells us about the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: Option<u16>,
    pub error: String,
    pub at: DateTime<Utc>,
}

impl TargetState {
    /// The state after `failure`, one rung up.
    pub fn failed(&self, failure: &Failure) -> Self {
        Self {
            failures: self.failures.saturating_add(1),
            epoch: self.epoch + 1,
            next_attempt_at: self.next_attempt_at,
            last_status: failure.status,
            last_error: Some(failure.error.clone()),
            last_failure_at: Some(failure.at),
            last_success_at: self.last_success_at,
        }
    }

    /// The state after a success: the ladder resets, history stays.
    pub fn recovered(&self, at: DateTime<Utc>) -> Self {
        Self { failures: 0, epoch: self.epoch + 1, next_attempt_at: None, last_success_at: Some(at), ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_move_the_epoch() {
        let s = TargetState::default();
        let f = Failure { status: Some(503), error: "HTTP 503".into(), at: DateTime::UNIX_EPOCH };
        let once = s.failed(&f);
        assert_eq!((once.failures, once.epoch, once.last_status), (1, 1, Some(503)));
        let twice = once.failed(&f);
        assert_eq!((twice.failures, twice.epoch), (2, 2));
        let back = twice.recovered(DateTime::UNIX_EPOCH);
        assert_eq!((back.failures, back.epoch, back.last_status), (0, 3, Some(503)));
        assert!(back.is_healthy() && !twice.is_healthy());
    }
}
