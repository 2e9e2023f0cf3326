//! A target's state: `TARGET#<id>`/`STATE`. Transitions are conditional on the epoch; the parking
//! counters move on their own (`ADD`).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use herald_app::ports::{StateStore, StoreError};
use herald_domain::TargetId;
use herald_domain::state::{TRANSITION_FIELDS, TargetState};

use super::{Item, Table, conflict_or_unavailable, from_item, keys, n, unavailable};

#[async_trait]
impl StateStore for Table {
    async fn get_state(&self, target: &TargetId) -> Result<TargetState, StoreError> {
        Ok(self.get(keys::state(target)).await?.map(from_item).transpose()?.unwrap_or_default())
    }

    async fn get_state_now(&self, target: &TargetId) -> Result<TargetState, StoreError> {
        Ok(self.get_consistent(keys::state(target)).await?.map(from_item).transpose()?.unwrap_or_default())
    }

    async fn put_state(&self, target: &TargetId, expected_epoch: u64, next: &TargetState) -> Result<(), StoreError> {
        // SET/REMOVE only the transition's fields: the parking counters move on their own.
        let item: Item = serde_dynamo::to_item(next).expect("state always serializes");
        let mut update = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::state(target).into()))
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

impl Table {
    /// Adds `by` to a counter of the target's state item; returns the counter's new value as the
    /// table reports it, so exactly one of several concurrent writers sees it reach a given number.
    pub(super) async fn add_to_counter(
        &self,
        target: &TargetId,
        field: &str,
        by: i64,
    ) -> Result<Option<i64>, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(keys::state(target).into()))
            .update_expression("ADD #c :by")
            .expression_attribute_names("#c", field)
            .expression_attribute_values(":by", n(by))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.as_ref().and_then(|a| a.get(field)).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()))
    }
}
