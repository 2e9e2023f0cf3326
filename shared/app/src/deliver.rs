//! Deliver one message: park it if its target is holding, else render, sign, send, and move the
//! target's state by what it answered.

use std::sync::Arc;
use std::time::Duration;

use super::backoff::{Backoff, DeliverError, Setback};
use herald_domain::message::DeliveryMessage;
use herald_domain::outcome::DeliveryOutcome;

/// The result of one delivery; every variant means the message is done with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    Delivered {
        status: u16,
        elapsed: Duration,
    },
    /// The target failed (or could not be rendered); it was set back and the delivery parked.
    Failed {
        status: Option<u16>,
        error: String,
    },
    /// The target asked us to slow down; the delivery is parked until it may be sent.
    Throttled,
    /// The target is in backoff; the delivery waits in the parking lot.
    Parked,
    /// The target was deleted or disabled after the event was routed.
    Skipped(&'static str),
}

pub struct Deliver {
    pub backoff: Arc<Backoff>,
}

impl Deliver {
    pub async fn deliver(&self, msg: &DeliveryMessage) -> Result<Report, DeliverError> {
        let b = &self.backoff;
        let Some(target) = b.targets.get_target(&msg.target_id).await? else {
            tracing::warn!(target_id = %msg.target_id, delivery_id = %msg.delivery_id, "target no longer exists; delivery dropped");
            return Ok(Report::Skipped("target no longer exists"));
        };
        if !target.enabled {
            tracing::info!(target_id = %target.id, delivery_id = %msg.delivery_id, "target is disabled; delivery dropped");
            return Ok(Report::Skipped("target is disabled"));
        }
        let state = b.states.get_state(&target.id).await?;
        if state.is_holding() {
            b.park(msg).await?;
            b.nudge_if_overdue(&target, &state).await?;
            tracing::info!(target_id = %target.id, delivery_id = %msg.delivery_id, "target is in backoff; delivery parked");
            return Ok(Report::Parked);
        }
        let outcome = b.attempt(&target, msg).await;
        let span = tracing::info_span!("delivery", target_id = %target.id, target = %target.name, delivery_id = %msg.delivery_id, event = %msg.event.name);
        let _enter = span.enter();
        let now = b.clock.now();
        match Setback::from_outcome(&outcome, now) {
            None => {
                let DeliveryOutcome::Delivered { status, elapsed } = outcome else {
                    unreachable!("only success has no setback")
                };
                tracing::info!(status, elapsed_ms = elapsed.as_millis() as u64, "delivered");
                // A healthy target's success path writes nothing.
                if !state.is_healthy() {
                    match b.states.put_state(&target.id, state.epoch, &state.recovered(now, None)).await {
                        Ok(()) | Err(crate::ports::StoreError::Conflict) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(Report::Delivered { status, elapsed })
            }
            Some(setback) => {
                b.set_back(&target, &state, &setback).await?;
                b.park(msg).await?;
                Ok(match setback {
                    Setback::Throttled(_) => Report::Throttled,
                    Setback::Failed(f) => Report::Failed { status: f.status, error: f.error },
                })
            }
        }
    }
}

#[cfg(test)]
#[path = "deliver_tests.rs"]
mod tests;
