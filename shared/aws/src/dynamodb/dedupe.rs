//! Dedupe markers: `DEDUPE#<key>`/`DEDUPE`. A claim is `pending` under a lease until every delivery
//! is queued, then `done` for the window; every condition checks the marker's own expiry, since
//! DynamoDB's TTL sweep can lag by days. Markers written before leases existed have no `state` and
//! count as done.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use herald_app::ports::{Claim, DedupeStore, StoreError};

use super::{Item, TTL_ATTRIBUTE, Table, conflict_or_unavailable, keys, n, s, unavailable};

const PENDING: &str = "pending";
const DONE: &str = "done";

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}

#[async_trait]
impl DedupeStore for Table {
    async fn claim(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease: Duration,
        window: Duration,
    ) -> Result<Claim, StoreError> {
        let lease_until = now.timestamp() + lease.as_secs() as i64;
        let fresh = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(keys::dedupe(key).into()))
            .item("state", s(PENDING))
            .item("first_seen", n(now.timestamp_millis()))
            .item("lease_until", n(lease_until))
            .item(TTL_ATTRIBUTE, n(lease_until + window.as_secs() as i64))
            .condition_expression("attribute_not_exists(PK) OR #exp <= :now")
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        match fresh.map_err(conflict_or_unavailable) {
            Ok(_) => return Ok(Claim::Claimed { first_seen: now }),
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
        // A live marker: done (a duplicate), pending under a live lease, or left by an attempt that
        // died. Only this rarer path reads it.
        let Some(item) = self.get_consistent(keys::dedupe(key)).await? else {
            return Ok(Claim::InProgress);
        };
        let first_seen = millis(number(&item, "first_seen").unwrap_or(0));
        let pending = item.get("state").and_then(|v| v.as_s().ok()).is_some_and(|v| v == PENDING);
        if !pending {
            return Ok(Claim::Duplicate { first_seen });
        }
        let seen_lease = number(&item, "lease_until").unwrap_or(0);
        if seen_lease > now.timestamp() {
            return Ok(Claim::InProgress);
        }
        // Take over the dead attempt's claim, unless another retry just did.
        let taken = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::dedupe(key).into()))
            .update_expression("SET lease_until = :lease, #exp = :exp")
            .condition_expression("#state = :pending AND lease_until = :seen")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":seen", n(seen_lease))
            .expression_attribute_values(":lease", n(lease_until))
            .expression_attribute_values(":exp", n(lease_until + window.as_secs() as i64))
            .send()
            .await;
        match taken.map_err(conflict_or_unavailable) {
            Ok(_) => Ok(Claim::Claimed { first_seen }),
            Err(StoreError::Conflict) => Ok(Claim::InProgress),
            Err(e) => Err(e),
        }
    }

    async fn complete(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::dedupe(key).into()))
            .update_expression("SET #state = :done, #exp = :exp REMOVE lease_until")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":done", s(DONE))
            .expression_attribute_values(":exp", n(now.timestamp() + window.as_secs() as i64))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn abandon(&self, key: &str) -> Result<(), StoreError> {
        let ended = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::dedupe(key).into()))
            .update_expression("SET lease_until = :zero")
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .send()
            .await;
        match ended.map_err(conflict_or_unavailable) {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
