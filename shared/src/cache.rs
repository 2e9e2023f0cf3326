//! The target list, cached in memory for a short TTL: on the healthy path a delivery costs one
//! state read, not a Query as well.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::domain::Target;
use crate::ports::{StoreError, TargetStore};

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryStore;

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
}
