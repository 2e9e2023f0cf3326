//! Deliver one message: render, sign, send, and record what the target did.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::message::DeliveryMessage;
use crate::domain::outcome::DeliveryOutcome;
use crate::domain::request::build;
use crate::domain::state::Failure;
use crate::ports::{Clock, Sender, StateStore, StoreError, TargetStore};

/// The result of one delivery attempt; every variant means the message is done with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    Delivered {
        status: u16,
        elapsed: Duration,
    },
    /// The target failed (or could not be rendered); the failure is recorded in its state.
    Failed {
        status: Option<u16>,
        error: String,
    },
    /// The target was deleted or disabled after the event was routed.
    Skipped(&'static str),
}

/// Only our own infrastructure fails a delivery; a target's failure is a [`Report`].
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Deliver {
    pub targets: Arc<dyn TargetStore>,
    pub states: Arc<dyn StateStore>,
    pub sender: Arc<dyn Sender>,
    pub clock: Arc<dyn Clock>,
}

impl Deliver {
    pub async fn deliver(&self, msg: &DeliveryMessage) -> Result<Report, DeliverError> {
        let Some(target) = self.targets.get_target(&msg.target_id).await? else {
            tracing::warn!(target_id = %msg.target_id, delivery_id = %msg.delivery_id, "target no longer exists; delivery dropped");
            return Ok(Report::Skipped("target no longer exists"));
        };
        if !target.enabled {
            tracing::info!(target_id = %target.id, delivery_id = %msg.delivery_id, "target is disabled; delivery dropped");
            return Ok(Report::Skipped("target is disabled"));
        }
        let state = self.states.get_state(&target.id).await?;
        let now = self.clock.now();
        let outcome = match build(&target, &msg.event, &msg.delivery_id.to_string(), now.timestamp()) {
            Ok(request) => self.sender.send(&request, Duration::from_millis(target.timeout_ms)).await,
            Err(e) => DeliveryOutcome::Failed {
                status: None,
                error: format!("could not build the request: {e}"),
                elapsed: Duration::ZERO,
            },
        };
        let span = tracing::info_span!("delivery", target_id = %target.id, target = %target.name, delivery_id = %msg.delivery_id, event = %msg.event.name);
        let _enter = span.enter();
        let (next, report) = match outcome {
            DeliveryOutcome::Delivered { status, elapsed } => {
                tracing::info!(status, elapsed_ms = elapsed.as_millis() as u64, "delivered");
                // A healthy target's success path writes nothing.
                let next = (!state.is_healthy()).then(|| state.recovered(now));
                (next, Report::Delivered { status, elapsed })
            }
            DeliveryOutcome::Throttled { .. } | DeliveryOutcome::Failed { .. } => {
                let status = outcome.status();
                let error = match &outcome {
                    DeliveryOutcome::Failed { error, .. } => error.clone(),
                    _ => "HTTP 429: the receiver is rate limiting".to_owned(),
                };
                tracing::warn!(status, error = %error, failures = state.failures + 1, "delivery failed");
                let next = state.failed(&Failure { status, error: error.clone(), at: now });
                (Some(next), Report::Failed { status, error })
            }
        };
        if let Some(next) = next {
            match self.states.put_state(&target.id, state.epoch, &next).await {
                // Another delivery of the same outage (or recovery) already moved the state.
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
#[path = "deliver_tests.rs"]
mod tests;
