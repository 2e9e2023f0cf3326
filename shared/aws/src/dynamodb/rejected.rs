//! Rejected deliveries: `TARGET#<id>`/`REJECTED#<delivery ulid>`, the delivery and why it was
//! refused, each deflated, expiring with the parked retention. The streak of rejections in a row
//! is a counter on the target's state item.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use herald_app::ports::{RejectedStore, StoreError};
use herald_domain::TargetId;
use herald_domain::rejection::{Rejection, RejectionNote};
use ulid::Ulid;

use super::{Item, Table, deflate, delivery_in, inflated, keys, n, to_item, unavailable};

const MESSAGE: &str = "message_deflate";
const NOTE: &str = "note_deflate";
/// The state item's counter of rejections since the last success.
const STREAK: &str = "rejections_in_row";

#[derive(serde::Serialize)]
struct Expiry {
    expires_at: i64,
}

fn rejection_in(mut item: Item) -> Result<Rejection, StoreError> {
    let key = format!("{:?}", item.get("SK"));
    let delivery = delivery_in(&mut item, MESSAGE)?;
    let note: RejectionNote = serde_json::from_str(&inflated(&mut item, NOTE)?)
        .map_err(|e| StoreError::Corrupt { key, source: Box::new(e) })?;
    Ok(Rejection { delivery, note })
}

#[async_trait]
impl RejectedStore for Table {
    async fn set_aside(&self, rejection: &Rejection, expires_at: DateTime<Utc>) -> Result<Option<u32>, StoreError> {
        let d = &rejection.delivery;
        let mut item =
            to_item(keys::rejected(&d.target_id, &d.delivery_id), &Expiry { expires_at: expires_at.timestamp() });
        item.insert(MESSAGE.into(), AttributeValue::B(deflate(&d.to_wire()).into()));
        let note = serde_json::to_string(&rejection.note).expect("notes serialize");
        item.insert(NOTE.into(), AttributeValue::B(deflate(&note).into()));
        if !self.put_new(item).await? {
            // A redelivered message: kept already, and counted already.
            return Ok(None);
        }
        let in_row = self.add_to_counter(&d.target_id, STREAK, 1).await?.unwrap_or(1);
        Ok(Some(u32::try_from(in_row).unwrap_or(u32::MAX)))
    }

    async fn rejected_after(
        &self,
        target: &TargetId,
        after: Option<Ulid>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Rejection>, StoreError> {
        let after = after.map(|id| keys::rejected(target, &id).sk);
        let pk = keys::target_partition(target);
        let items = self.live_items_after(&pk, keys::REJECTED_PREFIX, after.as_deref(), now, limit).await?;
        items.into_iter().map(rejection_in).collect()
    }

    async fn rejection(
        &self,
        target: &TargetId,
        delivery_id: &Ulid,
        now: DateTime<Utc>,
    ) -> Result<Option<Rejection>, StoreError> {
        let Some(item) = self.get_consistent(keys::rejected(target, delivery_id)).await? else { return Ok(None) };
        // Past its expiry it is gone, whether or not DynamoDB's TTL has deleted it yet.
        let expired = item.get(super::TTL_ATTRIBUTE).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<i64>().ok());
        if expired.is_some_and(|at| at <= now.timestamp()) {
            return Ok(None);
        }
        rejection_in(item).map(Some)
    }

    async fn discard(&self, target: &TargetId, delivery_id: &Ulid) -> Result<bool, StoreError> {
        self.delete_returning(keys::rejected(target, delivery_id)).await
    }

    async fn reset_streak(&self, target: &TargetId) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::state(target).into()))
            .update_expression("SET #streak = :zero")
            .expression_attribute_names("#streak", STREAK)
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
