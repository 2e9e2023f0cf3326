//! The admin use cases: configure sources and targets, preview and test targets, see and nudge
//! their state. Secrets and header values never leave in a response.

use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::backoff::Backoff;
use crate::domain::adapters::{Origin, normalize};
use crate::domain::message::{DeliveryMessage, WakeupMessage};
use crate::domain::outcome::DeliveryOutcome;
use crate::domain::request::build;
use crate::domain::sample::sample_event;
use crate::domain::signature::StandardKey;
use crate::domain::source::{DEFAULT_HMAC_HEADER, SourceAuth};
use crate::domain::validate::{samples_for, validate};
use crate::domain::{Secret, Source, SourceId, SourceKind, Target, TargetId};
use crate::ports::{ConfigStore, DeadLetters, QueueError, ScheduleError, StoreError, TargetStore};

pub const REDACTED: &str = "[redacted]";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl AdminError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::Invalid { .. } => 422,
            Self::Conflict(_) => 409,
            Self::Store(_) | Self::Schedule(_) | Self::Queue(_) => 503,
        }
    }

    /// `{"error", "field"?}`; our own failures say nothing of their internals.
    pub fn body(&self) -> Value {
        match self {
            Self::Invalid { field, message } => json!({"error": message, "field": field}),
            Self::Store(_) | Self::Schedule(_) | Self::Queue(_) => {
                json!({"error": "Herald could not reach its storage; retry later"})
            }
            other => json!({"error": other.to_string()}),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid { field: field.to_owned(), message: message.into() }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    pub id: String,
    pub kind: SourceKind,
    #[serde(default)]
    pub auth: NewAuth,
    #[serde(default)]
    pub event_pointer: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NewAuth {
    #[default]
    Token,
    HmacHex {
        #[serde(default)]
        header: Option<String>,
    },
    StandardWebhooks,
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    bytes
}

/// 32 random bytes as hex: tokens and secrets.
pub fn random_hex() -> String {
    hex::encode(random_bytes())
}

/// A target as shown: secret and header values replaced.
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

pub struct Admin {
    pub config: Arc<dyn ConfigStore>,
    /// Uncached: an admin sees what it just wrote.
    pub targets: Arc<dyn TargetStore>,
    /// Sending, state and wake-ups, as the deliver and retry functions use them.
    pub backoff: Arc<Backoff>,
    pub dead_letters: Arc<dyn DeadLetters>,
}

impl Admin {
    pub async fn create_source(&self, input: Value) -> Result<Value, AdminError> {
        let new: NewSource = serde_json::from_value(input).map_err(|e| invalid("body", e.to_string()))?;
        let id = SourceId::parse(&new.id).map_err(|e| invalid("id", e.to_string()))?;
        if new.kind == SourceKind::Herald {
            return Err(invalid("kind", "herald is reserved for Herald's own events"));
        }
        let bytes = random_bytes();
        let (auth, credential) = match new.auth {
            NewAuth::Token => {
                let token = hex::encode(bytes);
                (SourceAuth::token(&token), json!({"type": "token", "token": token}))
            }
            NewAuth::HmacHex { header } => {
                let secret = hex::encode(bytes);
                let header = header.unwrap_or_else(|| DEFAULT_HMAC_HEADER.to_owned());
                if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                    return Err(invalid("auth.header", format!("{header:?} is not a valid header name")));
                }
                let auth = SourceAuth::HmacHex { secret: Secret::new(&secret), header: header.clone() };
                (auth, json!({"type": "hmac_hex", "secret": secret, "header": header}))
            }
            NewAuth::StandardWebhooks => {
                let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes));
                StandardKey::parse(&secret).expect("generated secrets are valid");
                (
                    SourceAuth::StandardWebhooks { secret: Secret::new(&secret) },
                    json!({"type": "standard_webhooks", "secret": secret}),
                )
            }
        };
        let source = Source { id: id.clone(), kind: new.kind, auth, event_pointer: new.event_pointer };
        match self.config.create_source(&source).await {
            Err(StoreError::Conflict) => return Err(AdminError::Conflict(format!("source {id} already exists"))),
            other => other?,
        }
        Ok(json!({"id": id, "kind": source.kind, "path": format!("/hooks/{id}"), "credential": credential,
                  "note": "the credential is shown only now; store it in the source's webhook settings"}))
    }

    pub async fn list_sources(&self) -> Result<Value, AdminError> {
        let sources = self.config.list_sources().await?;
        Ok(Value::Array(
            sources
                .iter()
                .map(|s| {
                    let auth = match &s.auth {
                        SourceAuth::Token { .. } => json!({"type": "token"}),
                        SourceAuth::HmacHex { header, .. } => json!({"type": "hmac_hex", "header": header}),
                        SourceAuth::StandardWebhooks { .. } => json!({"type": "standard_webhooks"}),
                    };
                    json!({"id": s.id, "kind": s.kind, "auth": auth, "path": format!("/hooks/{}", s.id)})
                })
                .collect(),
        ))
    }

    pub async fn delete_source(&self, id: &str) -> Result<(), AdminError> {
        let parsed = SourceId::parse(id).map_err(|_| AdminError::NotFound(format!("source {id}")))?;
        if self.config.delete_source(&parsed).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("source {id}")))
        }
    }

    async fn find_target(&self, id: &str) -> Result<Target, AdminError> {
        let parsed = TargetId::parse(id).map_err(|_| AdminError::NotFound(format!("target {id}")))?;
        self.targets.get_target(&parsed).await?.ok_or_else(|| AdminError::NotFound(format!("target {id}")))
    }

    fn parse_target(&self, mut input: Value, id: &str, version: u64) -> Result<Target, AdminError> {
        let Value::Object(map) = &mut input else { return Err(invalid("body", "expected a JSON object")) };
        map.insert("id".into(), json!(id));
        map.insert("version".into(), json!(version));
        let target: Target = serde_json::from_value(input).map_err(|e| {
            let text = e.to_string();
            let field = text.split('`').nth(1).filter(|_| text.contains("field")).unwrap_or("body").to_owned();
            invalid(&field, text)
        })?;
        validate(&target, self.backoff.clock.now()).map_err(|e| invalid(e.field, e.message))?;
        Ok(target)
    }

    pub async fn create_target(&self, input: Value) -> Result<Value, AdminError> {
        let id = match input.get("id") {
            Some(Value::String(id)) => TargetId::parse(id).map_err(|e| invalid("id", e.to_string()))?.to_string(),
            Some(_) => return Err(invalid("id", "must be a string")),
            None => ulid::Ulid::new().to_string().to_lowercase(),
        };
        let target = self.parse_target(input, &id, 1)?;
        match self.config.save_target(&target, None).await {
            Err(StoreError::Conflict) => return Err(AdminError::Conflict(format!("target {id} already exists"))),
            other => other?,
        }
        Ok(redacted(&target))
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
        let target = self.parse_target(input, id, stored.version + 1)?;
        match self.config.save_target(&target, Some(stored.version)).await {
            Err(StoreError::Conflict) => {
                return Err(AdminError::Conflict(format!("target {id} changed meanwhile; read it again")));
            }
            other => other?,
        }
        Ok(redacted(&target))
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

    pub async fn status(&self, id: &str) -> Result<Value, AdminError> {
        let target = self.find_target(id).await?;
        let s = self.backoff.states.get_state(&target.id).await?;
        Ok(json!({"failures": s.failures, "next_attempt_at": s.next_attempt_at, "parked": s.parked,
                  "parked_expired": s.parked_expired, "last_status": s.last_status, "last_error": s.last_error,
                  "last_success_at": s.last_success_at, "holding": s.is_holding()}))
    }

    /// The request Herald would send, for a given body (`{"kind", "body"}`) or a sample, unsent.
    pub async fn preview(&self, id: &str, input: Option<Value>) -> Result<Value, AdminError> {
        let target = self.find_target(id).await?;
        let now = self.backoff.clock.now();
        let event = match input.as_ref().and_then(|i| i.get("body")) {
            Some(body) => {
                let kind: SourceKind = input
                    .as_ref()
                    .and_then(|i| i.get("kind"))
                    .map(|k| serde_json::from_value(k.clone()))
                    .transpose()
                    .map_err(|e| invalid("kind", e.to_string()))?
                    .unwrap_or(SourceKind::Generic);
                let source_id = SourceId::parse("preview").expect("valid");
                let origin = Origin { source_id: &source_id, kind, event_pointer: None };
                normalize(&origin, body.to_string().as_bytes(), ulid::Ulid::new(), now)
                    .map_err(|e| invalid("body", e.to_string()))?
            }
            None => {
                samples_for(&target, now).into_iter().next().unwrap_or_else(|| sample_event(SourceKind::Generic, now))
            }
        };
        let request =
            build(&target, &event, "preview", now.timestamp()).map_err(|e| invalid("target", e.to_string()))?;
        let headers: serde_json::Map<String, Value> = request
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if matches!(n.as_str(), "user-agent" | "content-type") {
                    v.to_str().unwrap_or("").to_owned()
                } else {
                    REDACTED.to_owned()
                };
                (n.to_string(), json!(shown))
            })
            .collect();
        Ok(json!({"method": request.method.as_str(), "url": request.url.as_str(), "headers": headers,
                  "body": String::from_utf8_lossy(&request.body), "event": event.name}))
    }

    /// Kino's Test button: a synthetic `imported` event through the real sending path. Success
    /// resets the ladder and releases what was parked.
    pub async fn test(&self, id: &str) -> Result<Value, AdminError> {
        let target = self.find_target(id).await?;
        let b = &self.backoff;
        let now = b.clock.now();
        let delivery = DeliveryMessage {
            delivery_id: ulid::Ulid::new(),
            target_id: target.id.clone(),
            event: sample_event(SourceKind::Generic, now),
        };
        let outcome = b.attempt(&target, &delivery).await;
        let elapsed = outcome.elapsed().as_millis() as u64;
        let (ok, error) = match &outcome {
            DeliveryOutcome::Delivered { .. } => (true, None),
            DeliveryOutcome::Throttled { .. } => (false, Some("HTTP 429: the receiver is rate limiting".to_owned())),
            DeliveryOutcome::Failed { error, .. } => (false, Some(error.clone())),
        };
        if ok {
            let state = b.states.get_state(&target.id).await?;
            if !state.is_healthy() || state.parked > 0 {
                self.release_now(&target.id, &state, true).await?;
            }
        }
        let snippet = error.as_deref().and_then(|e| e.split_once(": ").map(|(_, rest)| rest.to_owned()));
        Ok(json!({"ok": ok, "status": outcome.status(), "round_trip_ms": elapsed, "error": error,
                  "hint": outcome.status().map(hint).or_else(|| error.as_ref().map(|_| hint_for_error())),
                  "response_snippet": snippet}))
    }

    /// Sends what is parked now: the retry function drains it in order (and probes a failing target).
    pub async fn replay(&self, id: &str) -> Result<Value, AdminError> {
        let target = self.find_target(id).await?;
        let state = self.backoff.states.get_state(&target.id).await?;
        if state.parked <= 0 && !state.is_holding() {
            return Ok(json!({"replaying": 0}));
        }
        self.release_now(&target.id, &state, false).await?;
        Ok(json!({"replaying": state.parked.max(0)}))
    }

    pub async fn dead_letters(&self) -> Result<Value, AdminError> {
        let (messages, counts) = self.dead_letters.peek(10).await?;
        let mut out = json!({"messages": messages});
        for (queue, count) in counts {
            out[queue] = json!(count);
        }
        Ok(out)
    }

    pub async fn redrive(&self) -> Result<Value, AdminError> {
        Ok(json!({"redriven": self.dead_letters.redrive().await?}))
    }

    async fn release_now(
        &self,
        id: &TargetId,
        state: &crate::domain::state::TargetState,
        reset: bool,
    ) -> Result<(), AdminError> {
        let b = &self.backoff;
        let now = b.clock.now();
        let next = if reset {
            state.recovered(now, Some(now))
        } else {
            crate::domain::state::TargetState { next_attempt_at: Some(now), epoch: state.epoch + 1, ..state.clone() }
        };
        match b.states.put_state(id, state.epoch, &next).await {
            Err(StoreError::Conflict) => {
                return Err(AdminError::Conflict("the target's state changed meanwhile; try again".into()));
            }
            other => other?,
        }
        b.wakeups
            .schedule(&WakeupMessage { target_id: id.clone(), epoch: next.epoch }, std::time::Duration::ZERO, now)
            .await?;
        Ok(())
    }
}

/// Kino's troubleshooting hints, by status.
pub fn hint(status: u16) -> String {
    match status {
        200..=299 => "delivered",
        400 => "the receiver refused the body: a placeholder for a field it does not accept, or JSON it cannot read; check its docs and trim the template",
        401 | 403 => "your Authorization header is wrong, or the receiver rotated its URL: copy a fresh one",
        404 | 410 => "the URL does not exist (any more): the webhook was deleted or the URL has a typo",
        429 => "the receiver is rate limiting; Herald waits as asked",
        300..=399 => "the URL redirects; use the final URL",
        500..=599 => "the receiver is failing; Herald retries on its ladder",
        _ => "unexpected answer",
    }
    .to_owned()
}

fn hint_for_error() -> String {
    "no answer: check the URL's host and port, that the receiver runs and is reachable from Herald, and its timeout"
        .to_owned()
}
