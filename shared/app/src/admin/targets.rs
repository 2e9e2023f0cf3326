//! Targets: create, read, replace (version-checked), delete; every answer redacted.

use serde_json::{Value, json};

use herald_domain::validate::validate;
use herald_domain::{Secret, Target, TargetId};

use super::{Admin, AdminError, REDACTED, invalid};
use crate::ports::StoreError;

pub fn redacted(target: &Target) -> Value {
    let mut value = serde_json::to_value(target).expect("targets serialize");
    if target.secret.is_some() {
        value["secret"] = json!(REDACTED);
    }
    if let Some(Value::Object(headers)) = value.get_mut("headers") {
        for v in headers.values_mut() {
            *v = json!(REDACTED);
        }
    }
    value
}

impl Admin {
    /// The target, and validation's warnings: what Herald will fix at send time for real shapes.
    fn parse_target(&self, mut input: Value, id: &str, version: u64) -> Result<(Target, Vec<String>), AdminError> {
        let Value::Object(map) = &mut input else { return Err(invalid("body", "expected a JSON object")) };
        map.insert("id".into(), json!(id));
        map.insert("version".into(), json!(version));
        let target: Target = serde_json::from_value(input).map_err(|e| {
            let text = e.to_string();
            let field = text.split('`').nth(1).filter(|_| text.contains("field")).unwrap_or("body").to_owned();
            invalid(&field, text)
        })?;
        let warnings = validate(&target, self.clock.now()).map_err(|e| invalid(e.field, e.message))?;
        Ok((target, warnings))
    }

    pub async fn create_target(&self, input: Value) -> Result<Value, AdminError> {
        let id = match input.get("id") {
            Some(Value::String(id)) => TargetId::parse(id).map_err(|e| invalid("id", e.to_string()))?.to_string(),
            Some(_) => return Err(invalid("id", "must be a string")),
            None => self.ids.new_id().to_string().to_lowercase(),
        };
        let (target, warnings) = self.parse_target(input, &id, 1)?;
        match self.config.save_target(&target, None).await {
            Err(StoreError::Conflict) => return Err(AdminError::Conflict(format!("target {id} already exists"))),
            other => other?,
        }
        Ok(with_warnings(redacted(&target), warnings))
    }

    pub async fn update_target(&self, id: &str, mut input: Value) -> Result<Value, AdminError> {
        let stored = self.find_target(id).await?;
        // A client that read a redacted target and sends it back keeps the stored secrets.
        if input.get("secret").and_then(Value::as_str) == Some(REDACTED) {
            input["secret"] = json!(stored.secret.as_ref().map(Secret::expose));
        }
        if let Some(Value::Object(headers)) = input.get_mut("headers") {
            for (name, value) in headers.iter_mut() {
                if value.as_str() == Some(REDACTED)
                    && let Some(old) = stored.headers.get(name)
                {
                    *value = json!(old);
                }
            }
        }
        let (target, warnings) = self.parse_target(input, id, stored.version + 1)?;
        match self.config.save_target(&target, Some(stored.version)).await {
            Err(StoreError::Conflict) => {
                return Err(AdminError::Conflict(format!("target {id} changed meanwhile; read it again")));
            }
            other => other?,
        }
        Ok(with_warnings(redacted(&target), warnings))
    }

    pub async fn get_target(&self, id: &str) -> Result<Value, AdminError> {
        Ok(redacted(&self.find_target(id).await?))
    }

    pub async fn list_targets(&self) -> Result<Value, AdminError> {
        Ok(Value::Array(self.targets.list_targets().await?.iter().map(redacted).collect()))
    }

    pub async fn delete_target(&self, id: &str) -> Result<(), AdminError> {
        let parsed = TargetId::parse(id).map_err(|_| AdminError::NotFound(format!("target {id}")))?;
        if self.config.delete_target(&parsed).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("target {id}")))
        }
    }
}

/// A saved target's answer: the target, and `warnings` (always present, maybe empty).
fn with_warnings(mut target: Value, warnings: Vec<String>) -> Value {
    target["warnings"] = json!(warnings);
    target
}
