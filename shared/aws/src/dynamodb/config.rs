//! Sources and targets: `SOURCES`/`SOURCE#<id>` and `TARGETS`/`TARGET#<id>`.

use std::sync::Arc;

use async_trait::async_trait;
use herald_app::ports::{ConfigStore, SourceStore, StoreError, TargetStore};
use herald_domain::{Source, SourceId, Target, TargetId};

use super::{Table, conflict_or_unavailable, from_item, keys, n, to_item, unavailable};

impl Table {
    pub async fn put_source(&self, source: &Source) -> Result<(), StoreError> {
        let item = to_item(keys::source(&source.id), source);
        self.client.put_item().table_name(&self.name).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    pub async fn put_target(&self, target: &Target) -> Result<(), StoreError> {
        let item = to_item(keys::target(&target.id), target);
        self.client.put_item().table_name(&self.name).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl SourceStore for Table {
    async fn get_source(&self, id: &SourceId) -> Result<Option<Source>, StoreError> {
        self.get(keys::source(id)).await?.map(from_item).transpose()
    }
}

#[async_trait]
impl TargetStore for Table {
    async fn list_targets(&self) -> Result<Arc<Vec<Target>>, StoreError> {
        let items = self.query_partition(keys::TARGETS).await?;
        Ok(Arc::new(items.into_iter().map(from_item).collect::<Result<_, _>>()?))
    }
}

#[async_trait]
impl ConfigStore for Table {
    async fn list_sources(&self) -> Result<Vec<Source>, StoreError> {
        self.query_partition(keys::SOURCES).await?.into_iter().map(from_item).collect()
    }

    async fn create_source(&self, source: &Source) -> Result<(), StoreError> {
        let item = to_item(keys::source(&source.id), source);
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(conflict_or_unavailable)?;
        Ok(())
    }

    async fn replace_source(&self, source: &Source) -> Result<bool, StoreError> {
        let item = to_item(keys::source(&source.id), source);
        let put = self.client.put_item().table_name(&self.name).set_item(Some(item));
        match put.condition_expression("attribute_exists(PK)").send().await.map_err(conflict_or_unavailable) {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError> {
        self.delete_returning(keys::source(id)).await
    }

    async fn save_target(&self, target: &Target, expected_version: Option<u64>) -> Result<(), StoreError> {
        let item = to_item(keys::target(&target.id), target);
        let put = self.client.put_item().table_name(&self.name).set_item(Some(item));
        let put = match expected_version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(v) => put.condition_expression("version = :v").expression_attribute_values(":v", n(v)),
        };
        put.send().await.map_err(conflict_or_unavailable)?;
        Ok(())
    }

    async fn delete_target(&self, id: &TargetId) -> Result<bool, StoreError> {
        self.delete_returning(keys::target(id)).await
    }
}
