//! Parked deliveries: `TARGET#<id>`/`PARKED#<delivery ulid>`, oldest first, counted in the state.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use herald_app::ports::{ParkingLot, StateStore, StoreError};
use herald_domain::TargetId;
use herald_domain::message::{DeliveryMessage, Message};
use ulid::Ulid;

use super::{TTL_ATTRIBUTE, Table, conflict_or_unavailable, keys, n, s, to_item, unavailable};

#[derive(serde::Serialize, serde::Deserialize)]
struct Parked {
    expires_at: i64,
}

/// The parked message, deflated: a write costs a unit per KiB, and a parked delivery is written
/// twice (put, then delete). An Ombi message shrinks from about 3 KiB to under 1.
const PARKED_MESSAGE: &str = "message_deflate";

fn deflate(text: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn inflate(bytes: &[u8]) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}

#[async_trait]
impl ParkingLot for Table {
    async fn park(&self, delivery: &DeliveryMessage, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = to_item(
            keys::parked(&delivery.target_id, &delivery.delivery_id),
            &Parked { expires_at: expires_at.timestamp() },
        );
        item.insert(PARKED_MESSAGE.into(), AttributeValue::B(deflate(&delivery.to_json()).into()));
        let put = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match put.map_err(conflict_or_unavailable) {
            // Counted only the first time, so a redelivered message does not inflate the count.
            Ok(_) => self.add_to_counter(&delivery.target_id, "parked", 1).await,
            Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn oldest(
        &self,
        target: &TargetId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DeliveryMessage>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        while found.len() < limit {
            let out = self
                .client
                .query()
                .table_name(&self.name)
                .key_condition_expression("PK = :pk AND begins_with(SK, :parked)")
                // TTL deletion lags; an expired item is gone as far as we are concerned.
                .filter_expression("#exp > :now")
                .expression_attribute_names("#exp", TTL_ATTRIBUTE)
                .expression_attribute_values(":pk", s(keys::target_partition(target)))
                .expression_attribute_values(":parked", s(keys::PARKED_PREFIX))
                .expression_attribute_values(":now", n(now.timestamp()))
                .limit((limit - found.len()).clamp(1, 100) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for mut item in out.items.unwrap_or_default() {
                let key = format!("{:?}", item.get("SK"));
                let message = match item.remove(PARKED_MESSAGE) {
                    Some(AttributeValue::B(bytes)) => inflate(bytes.as_ref())
                        .map_err(|e| StoreError::Corrupt { key: key.clone(), source: Box::new(e) })?,
                    _ => return Err(StoreError::Corrupt { key, source: "a parked item without its message".into() }),
                };
                match Message::from_json(&message) {
                    Ok(Message::Deliver(d)) => found.push(*d),
                    Ok(_) => return Err(StoreError::Corrupt { key, source: "a parked item holds a wake-up".into() }),
                    Err(e) => return Err(StoreError::Corrupt { key, source: Box::new(e) }),
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(found)
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

    async fn settle_expired(&self, target: &TargetId) -> Result<u64, StoreError> {
        let left = self.get_state(target).await?.parked;
        if left <= 0 {
            return Ok(0);
        }
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::state(target).into()))
            .update_expression(
                "SET parked = parked - :left, parked_expired = if_not_exists(parked_expired, :zero) + :left",
            )
            .condition_expression("parked = :left")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":left", n(left))
            .send()
            .await
            .map_err(conflict_or_unavailable)?;
        Ok(left as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_domain::event::SourceKind;
    use herald_domain::sample::sample_event;

    #[test]
    fn a_parked_ombi_delivery_fits_in_one_write_unit() {
        let message = DeliveryMessage {
            delivery_id: Ulid::new(),
            target_id: TargetId::parse("discord").unwrap(),
            event: sample_event(SourceKind::Ombi, Ulid::new(), Utc::now()),
        }
        .to_json();
        let deflated = deflate(&message);
        assert!(message.len() > 2048, "the message itself is {} bytes", message.len());
        assert!(deflated.len() < 900, "deflated to {} bytes", deflated.len());
        assert_eq!(inflate(&deflated).unwrap(), message);
        assert!(inflate(b"not deflate").is_err());
    }
}
