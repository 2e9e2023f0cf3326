//! Keeps source health cheap: each container writes a source's last accepted (or last refused)
//! webhook at most once per interval, so a busy source costs one write a minute, not one per event.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_domain::SourceId;
use herald_domain::source_health::SourceSignal;

pub const DEFAULT_HEALTH_INTERVAL: Duration = Duration::from_secs(60);

pub struct HealthThrottle {
    every: Duration,
    written: Mutex<HashMap<(SourceId, bool), DateTime<Utc>>>,
}

impl Default for HealthThrottle {
    fn default() -> Self {
        Self::every(DEFAULT_HEALTH_INTERVAL)
    }
}

impl HealthThrottle {
    pub fn every(every: Duration) -> Self {
        Self { every, written: Mutex::new(HashMap::new()) }
    }

    /// Whether this signal should be written now; if so, counts it as written.
    pub fn due(&self, source: &SourceId, signal: &SourceSignal, now: DateTime<Utc>) -> bool {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (source.clone(), signal.is_accepted());
        let due = written
            .get(&key)
            .is_none_or(|last| now.signed_duration_since(*last).to_std().is_ok_and(|d| d >= self.every));
        if due {
            written.insert(key, now);
        }
        due
    }
}

/// Refused webhooks are each written to the activity log, but at most this many per source and
/// minute per container: a stranger who knows a source's URL cannot run up the bill with bad requests.
pub const REFUSALS_PER_MINUTE: u32 = 10;

#[derive(Default)]
pub struct RefusalThrottle {
    counted: Mutex<HashMap<SourceId, (i64, u32)>>,
}

impl RefusalThrottle {
    /// Whether this refusal is written; if so, counts it.
    pub fn due(&self, source: &SourceId, now: DateTime<Utc>) -> bool {
        let minute = now.timestamp().div_euclid(60);
        let mut counted = self.counted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = counted.entry(source.clone()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1 <= REFUSALS_PER_MINUTE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_domain::source_health::LastRefused;
    use ulid::Ulid;

    #[test]
    fn refusals_are_written_up_to_a_bound_a_minute() {
        let t = RefusalThrottle::default();
        let (a, b) = (SourceId::parse("a").unwrap(), SourceId::parse("b").unwrap());
        let at = |s: i64| DateTime::UNIX_EPOCH + chrono::Duration::seconds(s);
        let written = (0..15).filter(|i| t.due(&a, at(*i))).count();
        assert_eq!(written, REFUSALS_PER_MINUTE as usize);
        assert!(t.due(&b, at(20)), "per source");
        assert!(t.due(&a, at(61)), "a new minute");
    }

    #[test]
    fn one_write_per_source_and_outcome_per_interval() {
        let t = HealthThrottle::default();
        let (a, b) = (SourceId::parse("a").unwrap(), SourceId::parse("b").unwrap());
        let at = |s: i64| DateTime::UNIX_EPOCH + chrono::Duration::seconds(s);
        let ok = SourceSignal::accepted(at(0), "e", Ulid::nil(), 1);
        let refused = SourceSignal::Refused(LastRefused { at: at(0), status: 401, reason: "r".into() });
        assert!(t.due(&a, &ok, at(0)));
        assert!(!t.due(&a, &ok, at(59)));
        assert!(t.due(&a, &refused, at(10)), "a refusal right after an acceptance still shows");
        assert!(t.due(&b, &ok, at(10)), "per source");
        assert!(t.due(&a, &ok, at(60)));
    }
}
