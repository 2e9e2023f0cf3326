//! The one DynamoDB table (DESIGN §6): sources, targets, target state and dedupe markers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::state::{TRANSITION_FIELDS, TargetState};
use crate::domain::{Source, SourceId, Target, TargetId};
use ulid::Ulid;

use crate::domain::message::{DeliveryMessage, Message};
use crate::ports::{Claim, DedupeStore, ParkingLot, SourceStore, StateStore, StoreError, TargetStore};

type Item = HashMap<String, AttributeValue>;

/// The TTL attribute, as declared in template.yaml.
pub const TTL_ATTRIBUTE: &str = "expires_at";

#[derive(Clone)]
pub struct Table {
    client: Client,
    name: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    // The SDK's own Display says only "service error": name the code and message instead.
    let detail = match e.as_service_error() {
        Some(service) => format!("{}: {}", service.code().unwrap_or("unknown error"), service.message().unwrap_or("")),
        None => aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string(),
    };
    StoreError::Unavailable(detail.into())
}

/// Operation errors that can report a failed condition.
trait Conditional: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static {
    fn is_conditional(&self) -> bool;
}

impl Conditional for aws_sdk_dynamodb::operation::put_item::PutItemError {
    fn is_conditional(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl Conditional for aws_sdk_dynamodb::operation::update_item::UpdateItemError {
    fn is_conditional(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

/// `ConditionalCheckFailed` is a meaning (someone else wrote first), not an outage.
fn conflict_or_unavailable<E: Conditional, R>(e: SdkError<E, R>) -> StoreError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if e.as_service_error().is_some_and(Conditional::is_conditional) { StoreError::Conflict } else { unavailable(e) }
}

fn to_item<T: Serialize>(pk: String, sk: String, value: &T) -> Item {
    let mut item: Item = serde_dynamo::to_item(value).expect("our items always serialize");
    item.insert("PK".into(), s(pk));
    item.insert("SK".into(), s(sk));
    item
}

fn from_item<T: DeserializeOwned>(mut item: Item) -> Result<T, StoreError> {
    let pk = item.remove("PK");
    let sk = item.remove("SK");
    item.remove(TTL_ATTRIBUTE);
    serde_dynamo::from_item(item)
        .map_err(|e| StoreError::Corrupt { key: format!("{pk:?}/{sk:?}"), source: Box::new(e) })
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    async fn get(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    async fn query_partition(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.name)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    pub async fn put_source(&self, source: &Source) -> Result<(), StoreError> {
        let item = to_item("SOURCES".into(), format!("SOURCE#{}", source.id), source);
        self.client.put_item().table_name(&self.name).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    pub async fn put_target(&self, target: &Target) -> Result<(), StoreError> {
        let item = to_item("TARGETS".into(), format!("TARGET#{}", target.id), target);
        self.client.put_item().table_name(&self.name).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl SourceStore for Table {
    async fn get_source(&self, id: &SourceId) -> Result<Option<Source>, StoreError> {
        self.get("SOURCES".into(), format!("SOURCE#{id}")).await?.map(from_item).transpose()
    }
}

#[async_trait]
impl TargetStore for Table {
    async fn list_targets(&self) -> Result<Arc<Vec<Target>>, StoreError> {
        let items = self.query_partition("TARGETS").await?;
        Ok(Arc::new(items.into_iter().map(from_item).collect::<Result<_, _>>()?))
    }
}

#[async_trait]
impl StateStore for Table {
    async fn get_state(&self, target: &TargetId) -> Result<TargetState, StoreError> {
        Ok(self.get(format!("TARGET#{target}"), "STATE".into()).await?.map(from_item).transpose()?.unwrap_or_default())
    }

    async fn put_state(&self, target: &TargetId, expected_epoch: u64, next: &TargetState) -> Result<(), StoreError> {
        // SET/REMOVE only the transition's fields: the parking counters move on their own.
        let item: Item = serde_dynamo::to_item(next).expect("state always serializes");
        let mut update = self
            .client
            .update_item()
            .table_name(&self.name)
            .key("PK", s(format!("TARGET#{target}")))
            .key("SK", s("STATE"))
            .condition_expression("attribute_not_exists(PK) OR #f1 = :expected")
            .expression_attribute_values(":expected", n(expected_epoch));
        let (mut sets, mut removes) = (Vec::new(), Vec::new());
        for (i, field) in TRANSITION_FIELDS.iter().enumerate() {
            update = update.expression_attribute_names(format!("#f{i}"), *field);
            match item.get(*field) {
                Some(value) => {
                    sets.push(format!("#f{i} = :v{i}"));
                    update = update.expression_attribute_values(format!(":v{i}"), value.clone());
                }
                None => removes.push(format!("#f{i}")),
            }
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        update.update_expression(expression).send().await.map_err(conflict_or_unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl DedupeStore for Table {
    async fn claim(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> Result<Claim, StoreError> {
        let expires = now.timestamp() + ttl.as_secs() as i64;
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .item("PK", s(format!("DEDUPE#{key}")))
            .item("SK", s("DEDUPE"))
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
            .key("PK", s(format!("DEDUPE#{key}")))
            .key("SK", s("DEDUPE"))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

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

impl Table {
    async fn add_to_counter(&self, target: &TargetId, field: &str, by: i64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .key("PK", s(format!("TARGET#{target}")))
            .key("SK", s("STATE"))
            .update_expression("ADD #c :by")
            .expression_attribute_names("#c", field)
            .expression_attribute_values(":by", n(by))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl ParkingLot for Table {
    async fn park(&self, delivery: &DeliveryMessage, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = to_item(
            format!("TARGET#{}", delivery.target_id),
            format!("PARKED#{}", delivery.delivery_id),
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
                .expression_attribute_values(":pk", s(format!("TARGET#{target}")))
                .expression_attribute_values(":parked", s("PARKED#"))
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
            .key("PK", s(format!("TARGET#{target}")))
            .key("SK", s(format!("PARKED#{delivery_id}")))
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
            .key("PK", s(format!("TARGET#{target}")))
            .key("SK", s("STATE"))
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

#[async_trait]
impl crate::ports::ConfigStore for Table {
    async fn list_sources(&self) -> Result<Vec<Source>, StoreError> {
        self.query_partition("SOURCES").await?.into_iter().map(from_item).collect()
    }

    async fn create_source(&self, source: &Source) -> Result<(), StoreError> {
        let item = to_item("SOURCES".into(), format!("SOURCE#{}", source.id), source);
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

    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError> {
        self.delete_returning("SOURCES".into(), format!("SOURCE#{id}")).await
    }

    async fn save_target(&self, target: &Target, expected_version: Option<u64>) -> Result<(), StoreError> {
        let item = to_item("TARGETS".into(), format!("TARGET#{}", target.id), target);
        let put = self.client.put_item().table_name(&self.name).set_item(Some(item));
        let put = match expected_version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(v) => put.condition_expression("version = :v").expression_attribute_values(":v", n(v)),
        };
        put.send().await.map_err(conflict_or_unavailable)?;
        Ok(())
    }

    async fn delete_target(&self, id: &TargetId) -> Result<bool, StoreError> {
        self.delete_returning("TARGETS".into(), format!("TARGET#{id}")).await
    }
}

impl Table {
    async fn delete_returning(&self, pk: String, sk: String) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.name)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::SourceKind;
    use crate::domain::sample::sample_event;

    #[test]
    fn a_parked_ombi_delivery_fits_in_one_write_unit() {
        let message = DeliveryMessage {
            delivery_id: Ulid::new(),
            target_id: TargetId::parse("discord").unwrap(),
            event: sample_event(SourceKind::Ombi, Utc::now()),
        }
        .to_json();
        let deflated = deflate(&message);
        assert!(message.len() > 2048, "the message itself is {} bytes", message.len());
        assert!(deflated.len() < 900, "deflated to {} bytes", deflated.len());
        assert_eq!(inflate(&deflated).unwrap(), message);
        assert!(inflate(b"not deflate").is_err());
    }
}
