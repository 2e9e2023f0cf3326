//! An [`Admin`] over the in-memory fakes, for router and use-case tests without the emulator.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::{FixedClock, MemoryQueue, MemoryStore, MemoryWakeups, ScriptedSender, SequentialIds, lock};
use crate::admin::Admin;
use crate::ports::{ConfigStore, DeadLetter, DeadLetters, QueueError, SourceHealthReader, StoreError};
use herald_domain::source_health::{SourceHealth, SourceSignal};
use herald_domain::{Source, SourceId, Target, TargetId};

#[async_trait]
impl ConfigStore for MemoryStore {
    async fn list_sources(&self) -> Result<Vec<Source>, StoreError> {
        Ok(lock(&self.sources).clone())
    }

    async fn create_source(&self, source: &Source) -> Result<(), StoreError> {
        let mut sources = lock(&self.sources);
        if sources.iter().any(|s| s.id == source.id) {
            return Err(StoreError::Conflict);
        }
        sources.push(source.clone());
        Ok(())
    }

    async fn replace_source(&self, source: &Source, expected_version: u64) -> Result<bool, StoreError> {
        let mut sources = lock(&self.sources);
        let Some(stored) = sources.iter_mut().find(|s| s.id == source.id) else { return Ok(false) };
        if stored.version != expected_version {
            return Err(StoreError::Conflict);
        }
        *stored = source.clone();
        Ok(true)
    }

    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError> {
        let mut sources = lock(&self.sources);
        let before = sources.len();
        sources.retain(|s| &s.id != id);
        Ok(sources.len() < before)
    }

    async fn save_target(&self, target: &Target, expected_version: Option<u64>) -> Result<(), StoreError> {
        let mut targets = lock(&self.targets);
        match (targets.iter_mut().find(|t| t.id == target.id), expected_version) {
            (None, None) => targets.push(target.clone()),
            (Some(stored), Some(v)) if stored.version == v => *stored = target.clone(),
            _ => return Err(StoreError::Conflict),
        }
        Ok(())
    }

    async fn delete_target(&self, id: &TargetId) -> Result<bool, StoreError> {
        let mut targets = lock(&self.targets);
        let before = targets.len();
        targets.retain(|t| &t.id != id);
        Ok(targets.len() < before)
    }
}

#[async_trait]
impl SourceHealthReader for MemoryStore {
    async fn all_health(&self) -> Result<HashMap<SourceId, SourceHealth>, StoreError> {
        let mut all: HashMap<SourceId, SourceHealth> = HashMap::new();
        for (id, signal) in lock(&self.health).iter() {
            let health = all.entry(id.clone()).or_default();
            match signal {
                SourceSignal::Accepted(a) => health.last_accepted = Some(a.clone()),
                SourceSignal::Refused(r) => health.last_refused = Some(r.clone()),
            }
        }
        Ok(all)
    }

    async fn forget_health(&self, source: &SourceId) -> Result<(), StoreError> {
        lock(&self.health).retain(|(id, _)| id != source);
        Ok(())
    }
}

/// Two empty dead-letter queues.
pub struct NoDeadLetters;

#[async_trait]
impl DeadLetters for NoDeadLetters {
    async fn peek(&self, _limit: usize) -> Result<(Vec<DeadLetter>, Vec<(String, u64)>), QueueError> {
        Ok((Vec::new(), vec![("deliveries".into(), 0), ("wakeups".into(), 0)]))
    }

    async fn redrive(&self) -> Result<usize, QueueError> {
        Ok(0)
    }
}

/// The fakes behind an [`admin`]: what a test looks at after a call.
pub struct AdminFakes {
    pub store: Arc<MemoryStore>,
    pub queue: Arc<MemoryQueue>,
    pub wakeups: Arc<MemoryWakeups>,
    pub sender: Arc<ScriptedSender>,
    pub clock: Arc<FixedClock>,
}

/// An admin over `store` and fresh fakes, its clock at the Unix epoch.
pub fn admin(store: Arc<MemoryStore>) -> (Admin, AdminFakes) {
    let fakes = AdminFakes {
        store,
        queue: Arc::new(MemoryQueue::default()),
        wakeups: Arc::new(MemoryWakeups::default()),
        sender: Arc::new(ScriptedSender::default()),
        clock: FixedClock::at(chrono::DateTime::UNIX_EPOCH),
    };
    let admin = Admin {
        config: fakes.store.clone(),
        source_health: fakes.store.clone(),
        targets: fakes.store.clone(),
        states: fakes.store.clone(),
        rejected: fakes.store.clone(),
        queue: fakes.queue.clone(),
        wakeups: fakes.wakeups.clone(),
        sender: fakes.sender.clone(),
        dead_letters: Arc::new(NoDeadLetters),
        activity: fakes.store.clone(),
        activity_retention: std::time::Duration::from_secs(7 * 86_400),
        parked_retention: std::time::Duration::from_secs(7 * 86_400),
        first_rung: chrono::Duration::seconds(30),
        clock: fakes.clock.clone(),
        ids: Arc::new(SequentialIds),
    };
    (admin, fakes)
}
