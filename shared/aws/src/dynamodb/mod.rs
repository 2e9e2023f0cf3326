//! The one DynamoDB table, one file per item family: `config` (sources and targets), `state` (a
//! target's failure state and counters), `parking` (parked deliveries), `activity` (the activity
//! log, whose event records are also the dedupe claims). Every key is spelled in `keys`.

pub mod activity;
mod config;
pub mod keys;
mod parking;
mod rejected;
mod source_health;
mod state;
mod steps;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use herald_app::ports::StoreError;
use herald_domain::message::{DeliveryMessage, Message};
use keys::Key;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The TTL attribute, as declared in template.yaml.
pub const TTL_ATTRIBUTE: &str = "expires_at";

#[derive(Clone)]
pub struct Table {
    client: Client,
    name: String,
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
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
pub(crate) trait Conditional:
    std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static
{
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
pub(crate) fn conflict_or_unavailable<E: Conditional, R>(e: SdkError<E, R>) -> StoreError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if e.as_service_error().is_some_and(Conditional::is_conditional) { StoreError::Conflict } else { unavailable(e) }
}

pub(crate) fn to_item<T: Serialize>(key: Key, value: &T) -> Item {
    let mut item: Item = serde_dynamo::to_item(value).expect("our items always serialize");
    item.extend(Item::from(key));
    item
}

/// As [`to_item`], with the TTL attribute: DynamoDB deletes the item some time after `expires_at`.
pub(crate) fn to_expiring_item<T: Serialize>(key: Key, value: &T, expires_at: chrono::DateTime<chrono::Utc>) -> Item {
    let mut item = to_item(key, value);
    item.insert(TTL_ATTRIBUTE.to_owned(), n(expires_at.timestamp()));
    item
}

pub(crate) fn from_item<T: DeserializeOwned>(mut item: Item) -> Result<T, StoreError> {
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

    pub(crate) async fn get(&self, key: Key) -> Result<Option<Item>, StoreError> {
        self.read(key, false).await
    }

    /// Writes `item` unless its key exists: true if it was written. Idempotent per key, so a
    /// redelivered message is stored (and counted) once.
    pub(crate) async fn put_new(&self, item: Item) -> Result<bool, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match put.map_err(conflict_or_unavailable) {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A strongly consistent read, for decisions that must see the latest write.
    /// Writes `item` whatever is there (the activity log's own items, each under a fresh key).
    pub(crate) async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client.put_item().table_name(&self.name).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    pub(crate) async fn get_consistent(&self, key: Key) -> Result<Option<Item>, StoreError> {
        self.read(key, true).await
    }

    async fn read(&self, key: Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key.into()))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    pub(crate) async fn query_partition(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        self.query_partition_projected(pk, None).await
    }

    /// A partition's items, or only the attributes `projection` names (`"PK, SK"`: just the keys).
    pub(crate) async fn query_partition_projected(
        &self,
        pk: &str,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.name)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(pk))
                .set_projection_expression(projection.map(str::to_owned))
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
    pub(crate) async fn delete_returning(&self, key: Key) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(key.into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

pub(crate) fn deflate(text: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

pub(crate) fn inflate(bytes: &[u8]) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}

/// The deflated text in `attribute` of `item`.
pub(crate) fn inflated(item: &mut Item, attribute: &str) -> Result<String, StoreError> {
    let key = format!("{:?}", item.get("SK"));
    match item.remove(attribute) {
        Some(AttributeValue::B(bytes)) => {
            inflate(bytes.as_ref()).map_err(|e| StoreError::Corrupt { key, source: Box::new(e) })
        }
        _ => Err(StoreError::Corrupt { key, source: format!("an item without its {attribute}").into() }),
    }
}

/// The delivery message stored deflated in `attribute`.
pub(crate) fn delivery_in(item: &mut Item, attribute: &str) -> Result<DeliveryMessage, StoreError> {
    let key = format!("{:?}", item.get("SK"));
    match Message::from_json(&inflated(item, attribute)?) {
        Ok(Message::Deliver(d)) => Ok(*d),
        Ok(_) => Err(StoreError::Corrupt { key, source: "the item holds no delivery".into() }),
        Err(e) => Err(StoreError::Corrupt { key, source: Box::new(e) }),
    }
}

fn is_sort_key(item: &Item, sk: &str) -> bool {
    item.get("SK").and_then(|k| k.as_s().ok()).is_some_and(|k| k == sk)
}

impl Table {
    /// Up to `limit` items of partition `pk` whose sort key starts with `prefix` and that have not
    /// expired at `now`, in sort-key order (TTL deletion lags: an expired item is gone to us).
    pub(crate) async fn live_items(
        &self,
        pk: &str,
        prefix: &str,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        self.live_items_after(pk, prefix, None, now, limit).await
    }

    /// The same, from the first sort key after `after` (a whole sort key under `prefix`).
    pub(crate) async fn live_items_after(
        &self,
        pk: &str,
        prefix: &str,
        after: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        // BETWEEN is inclusive: `after` itself is dropped below. `~` sorts after every id character.
        let (condition, from) = match after {
            Some(after) => ("PK = :pk AND SK BETWEEN :from AND :to", after.to_owned()),
            None => ("PK = :pk AND begins_with(SK, :from)", prefix.to_owned()),
        };
        while found.len() < limit {
            let mut query = self
                .client
                .query()
                .table_name(&self.name)
                .key_condition_expression(condition)
                // Strongly consistent: a drain reads just after its own removals and must not send those again.
                .consistent_read(true)
                .filter_expression("#exp > :now")
                .expression_attribute_names("#exp", TTL_ATTRIBUTE)
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":from", s(&from))
                .expression_attribute_values(":now", n(now.timestamp()));
            if after.is_some() {
                query = query.expression_attribute_values(":to", s(format!("{prefix}~")));
            }
            let out = query
                .limit((limit - found.len()).clamp(1, 100) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            let items = out.items.unwrap_or_default().into_iter();
            found.extend(items.filter(|item| after.is_none_or(|a| !is_sort_key(item, a))));
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        found.truncate(limit);
        Ok(found)
    }
}
