//! Parked deliveries: `TARGET#<id>`/`PARKED#<delivery ulid>`, oldest first, counted in the state.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chrono::{DateTime, Utc};
use herald_app::ports::{ParkingLot, StateStore, StoreError};
use herald_domain::TargetId;
use herald_domain::message::DeliveryMessage;
use ulid::Ulid;

use super::{Table, conflict_or_unavailable, deflate, delivery_in, keys, n, to_item, unavailable};

#[derive(serde::Serialize, serde::Deserialize)]
struct Parked {
    expires_at: i64,
}

/// The parked message, deflated: a write costs a unit per KiB, and a parked delivery is written
/// twice (put, then delete). An Ombi message shrinks from about 3 KiB to under 1.
const PARKED_MESSAGE: &str = "message_deflate";
/// BatchWriteItem's limit per call.
const BATCH_WRITE_MAX: usize = 25;

#[async_trait]
impl ParkingLot for Table {
    async fn park(&self, delivery: &DeliveryMessage, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = to_item(
            keys::parked(&delivery.target_id, &delivery.delivery_id),
            &Parked { expires_at: expires_at.timestamp() },
        );
        item.insert(PARKED_MESSAGE.into(), AttributeValue::B(deflate(&delivery.to_wire()).into()));
        // Counted only the first time, so a redelivered message does not inflate the count.
        if self.put_new(item).await? {
            self.add_to_counter(&delivery.target_id, "parked", 1).await?;
        }
        Ok(())
    }

    async fn oldest_after(
        &self,
        target: &TargetId,
        now: DateTime<Utc>,
        after: Option<Ulid>,
        limit: usize,
    ) -> Result<Vec<DeliveryMessage>, StoreError> {
        let pk = keys::target_partition(target);
        let after = after.map(|id| keys::parked(target, &id).sk);
        let items = self.live_items_after(&pk, keys::PARKED_PREFIX, after.as_deref(), now, limit).await?;
        items.into_iter().map(|mut item| delivery_in(&mut item, PARKED_MESSAGE)).collect()
    }

    async fn remove(&self, target: &TargetId, delivery_id: &Ulid) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(keys::parked(target, delivery_id).into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        if out.attributes.is_some_and(|a| !a.is_empty()) {
            self.add_to_counter(target, "parked", -1).await?;
        }
        Ok(())
    }

    /// BatchWriteItem, 25 deletes a call, then one counter update for all of them: a release costs a
    /// delete per delivery and a write per 25, not two writes per delivery.
    async fn remove_many(&self, target: &TargetId, delivery_ids: &[Ulid]) -> Result<(), StoreError> {
        for chunk in delivery_ids.chunks(BATCH_WRITE_MAX) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|id| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(keys::parked(target, id).into()))
                        .build()
                        .expect("a key is set");
                    WriteRequest::builder().delete_request(delete).build()
                })
                .collect();
            // What DynamoDB leaves unprocessed (throttling) is sent again, a few times.
            for attempt in 0.. {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.name.clone(), requests)
                    .send()
                    .await
                    .map_err(unavailable)?;
                requests = out.unprocessed_items.and_then(|mut u| u.remove(&self.name)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                if attempt == 4 {
                    return Err(StoreError::Unavailable("DynamoDB left parked deletes unprocessed".into()));
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
        }
        if !delivery_ids.is_empty() {
            let left = self.add_to_counter(target, "parked", -(delivery_ids.len() as i64)).await?;
            if let Some(below) = left.filter(|l| *l < 0) {
                // Some were already gone (a concurrent release): the count cannot go below zero.
                self.add_to_counter(target, "parked", -below).await?;
            }
        }
        Ok(())
    }

    async fn settle_expired(&self, target: &TargetId, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let counted = self.get_state_now(target).await?.parked;
        if counted <= 0 {
            return Ok(0);
        }
        let live =
            self.live_items(&keys::target_partition(target), keys::PARKED_PREFIX, now, usize::MAX).await?.len() as i64;
        let expired = counted - live;
        if expired <= 0 {
            return Ok(0);
        }
        let settled = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::state(target).into()))
            .update_expression(
                "SET parked = parked - :expired, parked_expired = if_not_exists(parked_expired, :zero) + :expired",
            )
            .condition_expression("parked = :counted")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":expired", n(expired))
            .expression_attribute_values(":counted", n(counted))
            .send()
            .await;
        match settled.map_err(conflict_or_unavailable) {
            Ok(_) => Ok(expired as u64),
            // The counter moved (a park or a release meanwhile): settled on a later recovery.
            Err(StoreError::Conflict) => Ok(0),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::inflate;
    use herald_domain::event::SourceKind;
    use herald_domain::sample::sample_event;

    #[test]
    fn a_parked_ombi_delivery_fits_in_one_write_unit() {
        let message = DeliveryMessage {
            delivery_id: Ulid::new(),
            target_id: TargetId::parse("discord").unwrap(),
            incarnation: None,
            event: sample_event(SourceKind::Ombi, Ulid::new(), Utc::now()),
            counts_webhook: false,
        }
        .to_wire();
        let deflated = deflate(&message);
        assert!(message.len() > 2048, "the message itself is {} bytes", message.len());
        assert!(deflated.len() < 900, "deflated to {} bytes", deflated.len());
        assert_eq!(inflate(&deflated).unwrap(), message);
        assert!(inflate(b"not deflate").is_err());
    }
}
