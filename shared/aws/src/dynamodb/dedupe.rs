//! Dedupe markers: `DEDUPE#<key>`/`DEDUPE`, with their own expiry checked in the condition.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_app::ports::{Claim, DedupeStore, StoreError};

use super::{TTL_ATTRIBUTE, Table, conflict_or_unavailable, keys, n, unavailable};

#[async_trait]
impl DedupeStore for Table {
    async fn claim(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> Result<Claim, StoreError> {
        let expires = now.timestamp() + ttl.as_secs() as i64;
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(keys::dedupe(key).into()))
            .item(TTL_ATTRIBUTE, n(expires))
            // TTL deletion is lazy (up to days on AWS), so an expired marker must not count.
            .condition_expression("attribute_not_exists(PK) OR #exp <= :now")
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        match result.map_err(conflict_or_unavailable) {
            Ok(_) => Ok(Claim::Claimed),
            Err(StoreError::Conflict) => Ok(Claim::Duplicate),
            Err(e) => Err(e),
        }
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(keys::dedupe(key).into()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
