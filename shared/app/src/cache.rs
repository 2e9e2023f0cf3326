//! In-memory caches in front of the table. The target list is kept for a short TTL; a target's
//! state only while it is healthy and for about a second, so that on the healthy path a batch of
//! deliveries shares one state read instead of one each.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::ports::{SourceStore, StateStore, StoreError, TargetStore};
use herald_domain::state::TargetState;
use herald_domain::{Source, SourceId, Target, TargetId};

pub struct CachedTargets {
    inner: Arc<dyn TargetStore>,
    ttl: Duration,
    cached: Mutex<Option<(Instant, Arc<Vec<Target>>)>>,
}

impl CachedTargets {
    pub fn new(inner: Arc<dyn TargetStore>, ttl: Duration) -> Self {
        Self { inner, ttl, cached: Mutex::new(None) }
    }
}

#[async_trait]
impl TargetStore for CachedTargets {
    async fn list_targets(&self) -> Result<Arc<Vec<Target>>, StoreError> {
        // Holding the lock across the load means concurrent misses share one Query.
        let mut cached = self.cached.lock().await;
        if let Some((at, targets)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(targets.clone());
        }
        let fresh = self.inner.list_targets().await?;
        *cached = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    async fn get_target_fresh(&self, id: &TargetId) -> Result<Option<Target>, StoreError> {
        let mut cached = self.cached.lock().await;
        let fresh = self.inner.list_targets().await?;
        *cached = Some((Instant::now(), fresh.clone()));
        Ok(fresh.iter().find(|t| &t.id == id).cloned())
    }
}

/// Sources ingest has read, each for `ttl`: a warm container's webhook costs no source read. A
/// deleted source, a new credential or new settings take effect within `ttl`. Unknown ids are kept
/// too, at most [`UNKNOWN_IDS`] of them (all forgotten when there would be more): a flood of
/// strangers' guesses costs one read per id and TTL, not one per request, and a known source and an
/// unknown id are both answered from memory alike. A source created under an id that was just tried
/// takes effect within `ttl` too.
pub struct CachedSources {
    inner: Arc<dyn SourceStore>,
    ttl: Duration,
    cached: std::sync::Mutex<HashMap<SourceId, (Instant, Option<Source>)>>,
}

/// The most unknown source ids one container remembers.
pub const UNKNOWN_IDS: usize = 1024;

impl CachedSources {
    pub fn new(inner: Arc<dyn SourceStore>, ttl: Duration) -> Self {
        Self { inner, ttl, cached: std::sync::Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SourceId, (Instant, Option<Source>)>> {
        self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl SourceStore for CachedSources {
    async fn get_source(&self, id: &SourceId) -> Result<Option<Source>, StoreError> {
        if let Some((at, source)) = self.lock().get(id)
            && at.elapsed() < self.ttl
        {
            return Ok(source.clone());
        }
        let fresh = self.inner.get_source(id).await?;
        let mut cached = self.lock();
        if fresh.is_none() && cached.values().filter(|(_, s)| s.is_none()).count() >= UNKNOWN_IDS {
            cached.retain(|_, (_, s)| s.is_some());
        }
        cached.insert(id.clone(), (Instant::now(), fresh.clone()));
        Ok(fresh)
    }
}

/// How long the deliver function reuses a healthy state it read. A target that starts failing in
/// another invocation is seen at most this late: a send in that window fails, sets the target back
/// (the epoch check settles who wins) and parks, as a send racing the failure always could.
pub const HEALTHY_STATE_TTL: Duration = Duration::from_secs(1);

type Slot = Arc<Mutex<Option<(Instant, TargetState)>>>;

/// Caches healthy states only: a holding target is read every time, so the moment it recovers new
/// deliveries go out instead of parking behind a stale hold. Only for the deliver function: the
/// retry function must see every epoch as it is.
pub struct CachedStates {
    inner: Arc<dyn StateStore>,
    ttl: Duration,
    slots: std::sync::Mutex<HashMap<TargetId, Slot>>,
}

impl CachedStates {
    pub fn new(inner: Arc<dyn StateStore>, ttl: Duration) -> Self {
        Self { inner, ttl, slots: std::sync::Mutex::default() }
    }

    fn slot(&self, target: &TargetId) -> Slot {
        self.slots.lock().expect("lock").entry(target.clone()).or_default().clone()
    }
}

#[async_trait]
impl StateStore for CachedStates {
    async fn get_state(&self, target: &TargetId) -> Result<TargetState, StoreError> {
        let slot = self.slot(target);
        // Concurrent misses for one target share a read; other targets are not held up.
        let mut cached = slot.lock().await;
        if let Some((at, state)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(state.clone());
        }
        let state = self.inner.get_state(target).await?;
        *cached = state.is_healthy().then(|| (Instant::now(), state.clone()));
        Ok(state)
    }

    async fn get_state_now(&self, target: &TargetId) -> Result<TargetState, StoreError> {
        self.inner.get_state_now(target).await
    }

    fn forget(&self, target: &TargetId) {
        self.slots.lock().expect("lock").remove(target);
    }

    async fn put_state(&self, target: &TargetId, expected_epoch: u64, next: &TargetState) -> Result<(), StoreError> {
        // Holding the slot through the write: a read that starts meanwhile waits and sees the result,
        // instead of caching the state this write replaces.
        let slot = self.slot(target);
        let mut cached = slot.lock().await;
        let written = self.inner.put_state(target, expected_epoch, next).await;
        *cached = None;
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryStore;

    #[tokio::test]
    async fn a_source_is_read_once_per_ttl_and_unknown_ids_are_remembered_boundedly() {
        use herald_domain::source::SourceAuth;
        use herald_domain::{Source, SourceKind};
        let id = SourceId::parse("ombi").unwrap();
        let store = MemoryStore::new(vec![Source::new(id.clone(), SourceKind::Ombi, SourceAuth::token("t"))], vec![]);
        let cache = CachedSources::new(store.clone(), Duration::from_millis(50));
        for _ in 0..5 {
            assert!(cache.get_source(&id).await.unwrap().is_some());
        }
        assert_eq!(store.calls(), ["get_source"]);
        // Deleted: still answered from the cache until the TTL passes, then gone.
        store.sources.lock().unwrap().clear();
        assert!(cache.get_source(&id).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(cache.get_source(&id).await.unwrap().is_none());
        // A stranger's guess is read once per TTL, however often it is tried.
        let guess = SourceId::parse("guess").unwrap();
        let before = store.calls().len();
        for _ in 0..20 {
            assert!(cache.get_source(&guess).await.unwrap().is_none());
        }
        assert_eq!(store.calls().len(), before + 1);
        // And a flood of distinct guesses keeps memory bounded.
        for i in 0..(UNKNOWN_IDS + 100) {
            cache.get_source(&SourceId::parse(format!("guess{i}")).unwrap()).await.unwrap();
        }
        assert!(cache.lock().len() <= UNKNOWN_IDS + 1, "{} kept", cache.lock().len());
    }

    #[tokio::test]
    async fn reads_once_per_ttl() {
        let store = MemoryStore::new(vec![], vec![]);
        let cache = CachedTargets::new(store.clone(), Duration::from_millis(50));
        for _ in 0..5 {
            cache.list_targets().await.unwrap();
        }
        assert_eq!(store.calls().len(), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        cache.list_targets().await.unwrap();
        assert_eq!(store.calls().len(), 2);
    }

    fn reads(store: &MemoryStore) -> usize {
        store.calls().iter().filter(|c| **c == "get_state").count()
    }

    #[tokio::test]
    async fn a_healthy_state_is_read_once_per_ttl_and_dropped_on_write() {
        let store = MemoryStore::new(vec![], vec![]);
        let cache = CachedStates::new(store.clone(), Duration::from_millis(50));
        let t = TargetId::parse("t").unwrap();
        let (a, b) = (cache.get_state(&t), cache.get_state(&t));
        let (a, b) = tokio::join!(a, b);
        assert!(a.unwrap().is_healthy() && b.unwrap().is_healthy());
        assert_eq!(reads(&store), 1, "concurrent misses share one read");
        let now = chrono::DateTime::UNIX_EPOCH;
        let failing = TargetState::default().failed(
            &herald_domain::state::Failure { status: Some(500), error: "HTTP 500".into(), at: now },
            now + chrono::Duration::seconds(30),
        );
        cache.put_state(&t, 0, &failing).await.unwrap();
        assert!(cache.get_state(&t).await.unwrap().is_holding(), "a write is seen at once");
        assert!(cache.get_state(&t).await.unwrap().is_holding());
        assert_eq!(reads(&store), 3, "a holding state is read every time");
    }

    #[tokio::test]
    async fn a_cached_healthy_state_expires() {
        let store = MemoryStore::new(vec![], vec![]);
        let cache = CachedStates::new(store.clone(), Duration::from_millis(30));
        let t = TargetId::parse("t").unwrap();
        cache.get_state(&t).await.unwrap();
        cache.get_state(&t).await.unwrap();
        assert_eq!(reads(&store), 1);
        tokio::time::sleep(Duration::from_millis(40)).await;
        cache.get_state(&t).await.unwrap();
        assert_eq!(reads(&store), 2);
    }

    /// Writes land 50 ms after they are asked for, like a slow network.
    struct SlowWrites(Arc<MemoryStore>);

    #[async_trait]
    impl StateStore for SlowWrites {
        async fn get_state(&self, target: &TargetId) -> Result<TargetState, StoreError> {
            self.0.get_state(target).await
        }

        async fn put_state(&self, target: &TargetId, epoch: u64, next: &TargetState) -> Result<(), StoreError> {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.0.put_state(target, epoch, next).await
        }
    }

    #[tokio::test]
    async fn a_read_during_a_write_sees_the_write() {
        let store = MemoryStore::new(vec![], vec![]);
        let cache = Arc::new(CachedStates::new(Arc::new(SlowWrites(store.clone())), Duration::from_secs(60)));
        let t = TargetId::parse("t").unwrap();
        let now = chrono::DateTime::UNIX_EPOCH;
        let failing = TargetState::default().failed(
            &herald_domain::state::Failure { status: Some(503), error: "HTTP 503".into(), at: now },
            now + chrono::Duration::seconds(30),
        );
        let writer = {
            let (cache, t) = (cache.clone(), t.clone());
            tokio::spawn(async move { cache.put_state(&t, 0, &failing).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(cache.get_state(&t).await.unwrap().is_holding(), "not the healthy state being replaced");
        writer.await.unwrap().unwrap();
        assert!(cache.get_state(&t).await.unwrap().is_holding());
    }
}
