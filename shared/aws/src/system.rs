//! The operating system's side of the clock and id ports.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use herald_app::ports::{Clock, IdSource};
use ulid::{Generator, Ulid};

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// ULIDs that increase within the process even inside one millisecond, so deliveries parked by one
/// invocation sort in the order they were made.
#[derive(Default)]
pub struct MonotonicIds(Mutex<Generator>);

impl IdSource for MonotonicIds {
    fn new_id(&self) -> Ulid {
        let mut generator = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Overflow needs 2^80 ids in one millisecond; a fresh random id is the sane answer then.
        generator.generate().unwrap_or_else(|_| Ulid::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_within_a_millisecond() {
        let ids = MonotonicIds::default();
        let made: Vec<Ulid> = (0..1000).map(|_| ids.new_id()).collect();
        assert!(made.windows(2).all(|w| w[0] < w[1]));
    }
}
