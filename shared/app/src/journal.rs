//! The deliver and retry functions' notes for the activity log: every step of every delivery is
//! noted in memory as it happens and written as one item per invocation, so a healthy delivery
//! costs a fraction of a write unit, not one of its own (see the README's decisions).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_domain::activity::{Attempt, EventRecord};

use crate::ports::{AttemptLog, Clock, StoreError};

pub struct Journal {
    notes: Mutex<Vec<Attempt>>,
    records: Mutex<Vec<EventRecord>>,
    /// `None`: the steps log is off (`HERALD_ACTIVITY_STEPS=off`) and notes are dropped.
    log: Option<Arc<dyn AttemptLog>>,
    clock: Arc<dyn Clock>,
    /// How long what is written is kept.
    retention: Duration,
}

impl Journal {
    pub fn new(log: Arc<dyn AttemptLog>, clock: Arc<dyn Clock>, retention: Duration) -> Self {
        Self { notes: Mutex::default(), records: Mutex::default(), log: Some(log), clock, retention }
    }

    /// A journal that keeps nothing.
    pub fn off(clock: Arc<dyn Clock>) -> Self {
        Self { notes: Mutex::default(), records: Mutex::default(), log: None, clock, retention: Duration::ZERO }
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
        let expires = self.clock.now() + self.retention;
        if !records.is_empty() {
            log.write_records(&records, expires).await?;
        }
        if !notes.is_empty() {
            log.write_attempts(&notes, expires).await?;
        }
        Ok(notes.len())
    }
}
