//! The admin use cases: configure sources and targets, preview and test targets, see and nudge
//! their state, look into the dead letters. Secrets and header values never leave in a response.
//! One file per concern: `sources`, `targets`, `preview`, `inspect` (status, Test, replay),
//! `rejected`, `dead_letters`, `activity` (the activity log); what they take in `inputs`, what they answer in `views`.

pub mod activity;
mod dead_letters;
pub mod inputs;
mod inspect;
mod preview;
mod rejected;
mod replay;
mod sources;
mod target_secret;
mod targets;
pub mod views;

use std::sync::Arc;

use serde::Serialize;

use herald_domain::message::WakeupMessage;
use herald_domain::state::TargetState;
use herald_domain::{Target, TargetId};

pub use inspect::{TEST_TIMEOUT, hint};
pub use sources::{NewAuth, NewSource, SourceSettings, parse_new_source};
pub use target_secret::{DEFAULT_SECRET_OVERLAP, RotatedSecret};
pub use targets::redacted;

use crate::ports::{
    ActivityReader, Clock, ConfigStore, DeadLetters, DeliveryQueue, IdSource, QueueError, RejectedStore, ScheduleError,
    Sender, SourceHealthReader, StateStore, StoreError, TargetStore, WakeupScheduler,
};

pub use herald_domain::redact::REDACTED;

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
    /// `{"error", "field"?}`; our own failures say nothing of their internals.
    pub fn body(&self) -> ErrorBody {
        match self {
            Self::Invalid { field, message } => ErrorBody { error: message.clone(), field: Some(field.clone()) },
            Self::Store(_) | Self::Schedule(_) | Self::Queue(_) => {
                ErrorBody { error: "Herald could not reach its storage; retry later".into(), field: None }
            }
            other => ErrorBody { error: other.to_string(), field: None },
        }
    }
}

/// Every refusal's answer: what is wrong, and the field at fault when one is.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid { field: field.to_owned(), message: message.into() }
}

pub(crate) fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    bytes
}

/// A Standard Webhooks secret (`whsec_` and base64) of 32 random bytes.
pub(crate) fn standard_secret(bytes: &[u8; 32]) -> String {
    use base64::Engine as _;
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes));
    herald_domain::signature::StandardKey::parse(&secret).expect("generated secrets are valid");
    secret
}

/// 32 random bytes as hex: tokens and secrets.
pub fn random_hex() -> String {
    hex::encode(random_bytes())
}

/// The admin function's capabilities: exactly the ports its routes call.
pub struct Admin {
    pub config: Arc<dyn ConfigStore>,
    /// What each source's webhooks last got: shown with the source, forgotten with it.
    pub source_health: Arc<dyn SourceHealthReader>,
    /// Uncached: an admin sees what it just wrote.
    pub targets: Arc<dyn TargetStore>,
    pub states: Arc<dyn StateStore>,
    /// The rejected lists: listed, replayed (onto the deliveries queue) and discarded.
    pub rejected: Arc<dyn RejectedStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    /// A replay or a successful Test wakes the retry function at once.
    pub wakeups: Arc<dyn WakeupScheduler>,
    /// Test sends through the same sender as the deliver function.
    pub sender: Arc<dyn Sender>,
    pub dead_letters: Arc<dyn DeadLetters>,
    /// The activity log, read.
    pub activity: Arc<dyn ActivityReader>,
    /// How far back the activity log goes.
    pub activity_retention: std::time::Duration,
    /// How long a parked delivery is kept: one parked longer shows as expired.
    pub parked_retention: std::time::Duration,
    /// The ladder's first rung: how long a target not holding waits after a failed manual probe.
    pub first_rung: chrono::Duration,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

impl Admin {
    /// Event names per source kind (which are chatty), placeholders with sample values, presets.
    pub fn catalog(&self) -> herald_domain::catalog::Catalog {
        herald_domain::catalog::catalog(self.ids.new_id(), self.clock.now())
    }

    async fn find_target(&self, id: &str) -> Result<Target, AdminError> {
        let parsed = TargetId::parse(id).map_err(|_| AdminError::NotFound(format!("target {id}")))?;
        self.targets.get_target(&parsed).await?.ok_or_else(|| AdminError::NotFound(format!("target {id}")))
    }

    /// Moves the state by `transition` (epoch-checked) and wakes the retry function now, which
    /// probes or drains what is parked.
    async fn wake_now(&self, target: &Target, state: &TargetState, next: TargetState) -> Result<(), AdminError> {
        let id = &target.id;
        if self.states.transition(id, state, next.clone()).await?.is_none() {
            return Err(AdminError::Conflict("the target's state changed meanwhile; try again".into()));
        }
        let wakeup = WakeupMessage::of(target, next.epoch);
        self.wakeups.schedule(&wakeup, std::time::Duration::ZERO, self.clock.now()).await?;
        Ok(())
    }
}
