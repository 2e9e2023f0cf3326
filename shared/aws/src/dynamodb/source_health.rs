//! Source health: `SOURCE_HEALTH`/`SOURCE#<id>`, with `accepted` and `refused` maps. Each signal
//! overwrites only its own attribute, so an acceptance never hides the last refusal.

use std::collections::HashMap;

use async_trait::async_trait;
use herald_app::ports::{SourceHealthLog, SourceHealthReader, StoreError};
use herald_domain::SourceId;
use herald_domain::source_health::{SourceHealth, SourceSignal};

use super::{Item, Table, keys, unavailable};

const ACCEPTED: &str = "accepted";
const REFUSED: &str = "refused";

fn corrupt(key: &str, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Corrupt { key: key.to_owned(), source: Box::new(e) }
}

#[async_trait]
impl SourceHealthLog for Table {
    async fn record(&self, source: &SourceId, signal: &SourceSignal) -> Result<(), StoreError> {
        let key = keys::source_health(source);
        let (attribute, value) = match signal {
            SourceSignal::Accepted(a) => (ACCEPTED, serde_dynamo::to_attribute_value(a)),
            SourceSignal::Refused(r) => (REFUSED, serde_dynamo::to_attribute_value(r)),
        };
        let value = value.map_err(|e| corrupt(&key.sk, e))?;
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key.into()))
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", value)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

fn read<T: serde::de::DeserializeOwned>(item: &Item, name: &str, sk: &str) -> Result<Option<T>, StoreError> {
    item.get(name).cloned().map(serde_dynamo::from_attribute_value).transpose().map_err(|e| corrupt(sk, e))
}

fn health_of(item: &Item, sk: &str) -> Result<SourceHealth, StoreError> {
    Ok(SourceHealth { last_accepted: read(item, ACCEPTED, sk)?, last_refused: read(item, REFUSED, sk)? })
}

#[async_trait]
impl SourceHealthReader for Table {
    async fn all_health(&self) -> Result<HashMap<SourceId, SourceHealth>, StoreError> {
        let mut all = HashMap::new();
        for item in self.query_partition(keys::SOURCE_HEALTH).await? {
            let sk = item.get("SK").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            // An id that no longer parses belongs to no source anyone can see.
            let Some(id) = sk.strip_prefix("SOURCE#").and_then(|id| SourceId::parse(id).ok()) else {
                continue;
            };
            all.insert(id, health_of(&item, &sk)?);
        }
        Ok(all)
    }

    async fn forget_health(&self, source: &SourceId) -> Result<(), StoreError> {
        self.delete_returning(keys::source_health(source)).await.map(|_| ())
    }
}
