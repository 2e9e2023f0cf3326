//! The deliver and retry functions' notes for the activity log: every step of every delivery is
//! noted in memory as it happens and written as one item per invocation, so a healthy delivery
//! costs a fraction of a write unit, not one of its own (see the README's decisions).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_domain::activity::{Attempt, EventRecord, Outcome};

use crate::ports::{AttemptLog, Clock, StoreError};

pub struct Journal {
    notes: Mutex<Vec<Attempt>>,
    records: Mutex<Vec<EventRecord>>,
    /// `None`: the steps log is off (`HERALD_ACTIVITY_STEPS=off`) and notes are dropped.
    log: Option<Arc<dyn AttemptLog>>,
    clock: Arc<dyn Clock>,
    /// How long what is written is kept.
    retention: Duration,
    /// How long a parked delivery is kept: its steps and event are kept that much longer.
    parked_retention: Duration,
}

impl Journal {
    pub fn new(
        log: Arc<dyn AttemptLog>,
        clock: Arc<dyn Clock>,
        retention: Duration,
        parked_retention: Duration,
    ) -> Self {
        Self { notes: Mutex::default(), records: Mutex::default(), log: Some(log), clock, retention, parked_retention }
    }

    /// A journal that keeps nothing.
    pub fn off(clock: Arc<dyn Clock>) -> Self {
        let (retention, parked_retention) = (Duration::ZERO, Duration::ZERO);
        Self { notes: Mutex::default(), records: Mutex::default(), log: None, clock, retention, parked_retention }
    }

    pub fn note(&self, attempt: Attempt) {
        self.notes.lock().expect("journal lock").push(attempt);
    }

    /// An event Herald made itself (a health warning), with where it went.
    pub fn note_event(&self, record: EventRecord) {
        self.records.lock().expect("journal lock").push(record);
    }

    /// Writes what was noted since the last flush. Returns how many steps were written; on an error
    /// the notes are dropped (the deliveries themselves went on): the caller counts the miss.
    pub async fn flush(&self) -> Result<usize, StoreError> {
        let records = std::mem::take(&mut *self.records.lock().expect("journal lock"));
        let notes = std::mem::take(&mut *self.notes.lock().expect("journal lock"));
        let Some(log) = &self.log else { return Ok(0) };
        let now = self.clock.now();
        let expires = now + self.retention;
        if !records.is_empty() {
            log.write_records(&records, expires).await?;
        }
        // A parking is shown as expired once it outlives the parked retention: what it is read from
        // (the parking's steps and the event's record) is kept for the log's retention after that.
        // On the failure path only: a healthy batch parks nothing.
        let mut parked: Vec<_> = notes.iter().filter(|n| n.outcome == Outcome::Parked).map(|n| n.event_id).collect();
        parked.sort();
        parked.dedup();
        let expires = match parked.is_empty() {
            true => expires,
            false => {
                let after_expiry = expires + self.parked_retention;
                log.keep_records(&parked, after_expiry).await?;
                after_expiry
            }
        };
        if !notes.is_empty() {
            log.write_attempts(&notes, expires).await?;
        }
        Ok(notes.len())
    }
}
