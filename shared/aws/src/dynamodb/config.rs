//! Sources and targets: `SOURCES`/`SOURCE#<id>` and `TARGETS`/`TARGET#<id>`.

use std::sync::Arc;

use async_trait::async_trait;
use herald_app::ports::{ConfigStore, SourceStore, StoreError, TargetStore};
use herald_domain::{Source, SourceId, Target, TargetId};

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use herald_domain::state::TargetState;

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

    async fn replace_source(&self, source: &Source, expected_version: u64) -> Result<bool, StoreError> {
        let item = to_item(keys::source(&source.id), source);
        let put = self.client.put_item().table_name(&self.name).set_item(Some(item));
        // A source stored before versions has none: it is at version 0.
        let condition = match expected_version {
            0 => "attribute_exists(PK) AND (attribute_not_exists(version) OR version = :v)",
            _ => "attribute_exists(PK) AND version = :v",
        };
        let put = put.condition_expression(condition).expression_attribute_values(":v", n(expected_version));
        match put.send().await.map_err(conflict_or_unavailable) {
            Ok(_) => Ok(true),
            // Gone, or written by someone else since it was read.
            Err(StoreError::Conflict) => match self.list_sources().await?.iter().any(|s| s.id == source.id) {
                true => Err(StoreError::Conflict),
                false => Ok(false),
            },
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

    /// Deletes the target and what was kept for it: its parked and rejected deliveries go, and its
    /// state becomes a fresh one a step past its epoch, so every wake-up still pending for it is
    /// stale. A new target with the same id starts clean (and has a new incarnation besides).
    async fn delete_target(&self, id: &TargetId) -> Result<bool, StoreError> {
        // What was kept for it goes first: if that fails, the target is still there to delete again.
        if self.get_consistent(keys::target(id)).await?.is_none() {
            return Ok(false);
        }
        let state: TargetState =
            self.get_consistent(keys::state(id)).await?.map(from_item).transpose()?.unwrap_or_default();
        let tombstone = TargetState { epoch: state.epoch + 1, ..TargetState::default() };
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(to_item(keys::state(id), &tombstone)))
            .send()
            .await
            .map_err(unavailable)?;
        self.delete_partition_except_state(id).await?;
        self.delete_returning(keys::target(id)).await
    }
}

impl Table {
    /// Every parked and rejected item of a target, in batches of 25 (keys only are read).
    async fn delete_partition_except_state(&self, id: &TargetId) -> Result<(), StoreError> {
        let state_sk = keys::state(id).sk;
        let keys: Vec<_> = self
            .query_partition_projected(&keys::target_partition(id), Some("PK, SK"))
            .await?
            .into_iter()
            .filter(|item| item.get("SK").and_then(|v| v.as_s().ok()).is_some_and(|sk| *sk != state_sk))
            .collect();
        for chunk in keys.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|key| {
                    let delete = DeleteRequest::builder().set_key(Some(key.clone())).build().expect("a key is set");
                    WriteRequest::builder().delete_request(delete).build()
                })
                .collect();
            // What DynamoDB leaves unprocessed (throttling) is sent again, a little later each time.
            for attempt in 0..5u64 {
                if requests.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.name, requests)
                    .send()
                    .await
                    .map_err(unavailable)?;
                requests = out.unprocessed_items.and_then(|mut u| u.remove(&self.name)).unwrap_or_default();
            }
            if !requests.is_empty() {
                let left = requests.len();
                return Err(StoreError::Unavailable(
                    format!("{left} parked or rejected items were left; delete again").into(),
                ));
            }
        }
        Ok(())
    }
}
