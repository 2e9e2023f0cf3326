//! What this container remembers of each target's recent successes: whether a target delivered
//! lately (an isolated failure's grace), and which success resets a recovered target's state.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The last success this container saw per target, and the last epoch it recovered from.
#[derive(Debug, Default)]
pub struct RecentSuccesses(std::sync::Mutex<std::collections::HashMap<herald_domain::TargetId, Recent>>);

#[derive(Clone, Copy, Debug, Default)]
struct Recent {
    success_at: Option<DateTime<Utc>>,
    recovered_from: Option<u64>,
}

impl RecentSuccesses {
    /// On every success: the target's id is cloned only the first time.
    pub fn record(&self, target: &herald_domain::TargetId, at: DateTime<Utc>) {
        let mut recent = self.0.lock().expect("lock");
        match recent.get_mut(target) {
            Some(entry) => entry.success_at = Some(at),
            None => {
                recent.insert(target.clone(), Recent { success_at: Some(at), recovered_from: None });
            }
        }
    }

    /// Whether this container delivered to `target` within `window` before `now`.
    pub fn within(&self, target: &herald_domain::TargetId, now: DateTime<Utc>, window: Duration) -> bool {
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
        let recent = self.0.lock().expect("lock");
        recent.get(target).and_then(|r| r.success_at).is_some_and(|at| now - at <= window)
    }

    /// True for the first success of this container that would reset the state at `epoch`: the
    /// deliveries in flight with it read the same state, and one reset is enough (a conditional
    /// write that loses still costs a write unit).
    pub fn first_to_recover(&self, target: &herald_domain::TargetId, epoch: u64) -> bool {
        let mut recent = self.0.lock().expect("lock");
        let entry = recent.entry(target.clone()).or_default();
        if entry.recovered_from.is_some_and(|e| e >= epoch) {
            return false;
        }
        entry.recovered_from = Some(epoch);
        true
    }

    /// The reset could not be written (not a lost race): the next success tries again.
    pub fn recovery_failed(&self, target: &herald_domain::TargetId) {
        if let Some(entry) = self.0.lock().expect("lock").get_mut(target) {
            entry.recovered_from = None;
        }
    }
}
