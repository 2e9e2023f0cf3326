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

use crate::domain::state::TargetState;
use crate::domain::{Source, SourceId, Target, TargetId};
use crate::ports::{Claim, DedupeStore, SourceStore, StateStore, StoreError, TargetStore};

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
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(Box::new(e))
}

/// `ConditionalCheckFailed` is a meaning (someone else wrote first), not an outage.
fn conflict_or_unavailable<R>(e: SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError, R>) -> StoreError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) {
        StoreError::Conflict
    } else {
        unavailable(e)
    }
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
        let item = to_item(format!("TARGET#{target}"), "STATE".into(), next);
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR epoch = :expected")
            .expression_attribute_values(":expected", n(expected_epoch))
            .send()
            .await
            .map_err(conflict_or_unavailable)?;
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
