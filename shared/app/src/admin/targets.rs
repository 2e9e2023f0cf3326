//! Targets: create, read, replace (version-checked), delete; every answer redacted.

use serde_json::{Value, json};

use herald_domain::redact::{origin, redact_target_url};
use herald_domain::validate::validate;
use herald_domain::{Target, TargetId};

use super::{Admin, AdminError, REDACTED, invalid};
use crate::ports::StoreError;

pub fn redacted(target: &Target) -> Value {
    let mut value = serde_json::to_value(target).expect("targets serialize");
    value["url"] = json!(redact_target_url(&target.url));
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
    fn parse_target(
        &self,
        mut input: Value,
        id: &str,
        version: u64,
        incarnation: Option<ulid::Ulid>,
    ) -> Result<(Target, Vec<String>), AdminError> {
        let Value::Object(map) = &mut input else { return Err(invalid("body", "expected a JSON object")) };
        map.insert("id".into(), json!(id));
        map.insert("version".into(), json!(version));
        // Herald's, not the client's: set at creation, kept by every change.
        map.insert("incarnation".into(), json!(incarnation.map(|i| i.to_string())));
        // What a save answers besides the target: a client may send its answer back as it is.
        map.remove("warnings");
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
        let (target, warnings) = self.parse_target(input, &id, 1, Some(self.ids.new_id()))?;
        match self.config.save_target(&target, None).await {
            Err(StoreError::Conflict) => return Err(AdminError::Conflict(format!("target {id} already exists"))),
            other => other?,
        }
        Ok(with_warnings(redacted(&target), warnings))
    }

    /// Replaces a target. `if_match` (the `If-Match` header) or the body's `version` must be the
    /// version replaced, so a stale copy cannot undo a newer change.
    pub async fn update_target(&self, id: &str, mut input: Value, if_match: Option<u64>) -> Result<Value, AdminError> {
        let stored = self.find_target(id).await?;
        let Some(version) = if_match.or_else(|| input.get("version").and_then(Value::as_u64)) else {
            return Err(invalid(
                "version",
                "send the version you read (the `version` field or an If-Match header), so a stale copy cannot undo a newer change",
            ));
        };
        if version != stored.version {
            return Err(AdminError::Conflict(format!(
                "target {id} is at version {}, not {version}: read it again",
                stored.version
            )));
        }
        // A client that read a redacted target and sends it back keeps what is stored, as long as
        // requests still go where they went: secrets never follow a target to another host.
        if input.get("url").and_then(Value::as_str) == Some(redact_target_url(&stored.url).as_str()) {
            input["url"] = json!(stored.url);
        }
        // Moved unless both origins are fixed and the same: an unparseable or templated one can go anywhere.
        let moved = input.get("url").and_then(Value::as_str).is_some_and(|url| {
            let (new, old) = (origin(url), origin(&stored.url));
            new.is_none() || new != old
        });
        let reenter = "the URL now points elsewhere: re-enter the secret and the secret headers instead of [redacted]";
        if input.get("secret").and_then(Value::as_str) == Some(REDACTED) {
            let Some(secret) = &stored.secret else {
                return Err(invalid("secret", "[redacted] stands for the stored secret, and this target has none"));
            };
            if moved {
                return Err(invalid("secret", reenter));
            }
            input["secret"] = json!(secret.expose());
        }
        if let Some(Value::Object(headers)) = input.get_mut("headers") {
            for (name, value) in headers.iter_mut() {
                if value.as_str() != Some(REDACTED) {
                    continue;
                }
                let Some(old) = stored.headers.get(name) else {
                    return Err(invalid(
                        &format!("headers.{name}"),
                        "[redacted] stands for the stored value, and this header has none",
                    ));
                };
                if moved {
                    return Err(invalid(&format!("headers.{name}"), reenter));
                }
                *value = json!(old);
            }
        }
        let (target, warnings) = self.parse_target(input, id, stored.version + 1, stored.incarnation)?;
        match self.config.save_target(&target, Some(stored.version)).await {
            Err(StoreError::Conflict) => {
                return Err(AdminError::Conflict(format!("target {id} changed meanwhile; read it again")));
            }
            other => other?,
        }
        if !stored.enabled && target.enabled {
            // Enabled again: what it held while disabled goes out now, in order.
            let state = self.states.get_state(&target.id).await?;
            if state.is_holding() || state.parked > 0 {
                let wakeup = herald_domain::message::WakeupMessage::of(&target, state.epoch);
                self.wakeups.schedule(&wakeup, std::time::Duration::ZERO, self.clock.now()).await?;
            }
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
