//! Deliver one message: park it if its target is holding, else render, sign, send, and move the
//! target's state by what it answered.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument as _;

use super::backoff::{Backoff, DeliverError, Rejected, Setback, Warned};
use herald_domain::Target;
use herald_domain::activity::Outcome;
use herald_domain::message::DeliveryMessage;
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::state::TargetState;

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
        warned: Warned,
    },
    /// The target asked us to slow down; the delivery is parked until it may be sent.
    Throttled,
    /// The receiver refused this payload (or it could not be built): set aside in the target's
    /// rejected list; the target is not held.
    Rejected {
        status: Option<u16>,
        error: String,
        warned: Warned,
    },
    /// The target is in backoff; the delivery waits in the parking lot.
    Parked,
    /// The target was released while the delivery was being parked: it went back on the queue.
    Requeued,
    /// The target was deleted or disabled after the event was routed.
    Skipped(&'static str),
}

pub struct Deliver {
    pub backoff: Arc<Backoff>,
}

impl Deliver {
    pub async fn deliver(&self, msg: &DeliveryMessage) -> Result<Report, DeliverError> {
        let b = &self.backoff;
        let cached = b.targets.get_target(&msg.target_id).await?;
        // A target created (or created again) after our copy of the list was read: look again
        // before calling anything gone.
        let target = match cached {
            Some(t) if !msg.is_newer_than(&t) => Some(t),
            _ => b.targets.get_target_fresh(&msg.target_id).await?,
        };
        let Some(target) = target else {
            tracing::warn!(target_id = %msg.target_id, delivery_id = %msg.delivery_id, "target no longer exists; delivery dropped");
            b.note(msg, Outcome::Skipped);
            return Ok(Report::Skipped("target no longer exists"));
        };
        if !msg.is_for(&target) {
            tracing::warn!(target_id = %msg.target_id, delivery_id = %msg.delivery_id, "meant for a deleted target of that id; delivery dropped");
            b.note(msg, Outcome::Skipped);
            return Ok(Report::Skipped("meant for a deleted target of that id"));
        }
        if !target.enabled {
            // Kept, not sent: enabling the target again releases what it parked meanwhile.
            b.park(msg).await?;
            tracing::info!(target_id = %target.id, delivery_id = %msg.delivery_id, "target is disabled; delivery parked");
            return Ok(Report::Parked);
        }
        let state = b.states.get_state(&target.id).await?;
        if state.is_holding() {
            b.park(msg).await?;
            // The retry function may have released the target between our read and the park, after
            // its last look at the parking lot: this delivery would wait there until it expired.
            if !b.states.get_state_now(&target.id).await?.is_holding() {
                b.queue.enqueue(std::slice::from_ref(msg)).await?;
                b.parking.remove(&target.id, &msg.delivery_id).await?;
                tracing::info!(target_id = %target.id, delivery_id = %msg.delivery_id, "target released meanwhile; delivery queued again");
                return Ok(Report::Requeued);
            }
            b.nudge_if_overdue(&target, &state).await?;
            tracing::info!(target_id = %target.id, delivery_id = %msg.delivery_id, "target is in backoff; delivery parked");
            return Ok(Report::Parked);
        }
        let span = tracing::info_span!("delivery", event_id = %msg.event.id, delivery_id = %msg.delivery_id,
            target_id = %target.id, target = %target.name, event = %msg.event.name);
        self.send(&target, &state, msg).instrument(span).await
    }

    async fn send(&self, target: &Target, state: &TargetState, msg: &DeliveryMessage) -> Result<Report, DeliverError> {
        let b = &self.backoff;
        let (outcome, request) = b.attempt(target, msg).await;
        let now = b.clock.now();
        if let Some(rejected) = Rejected::from_outcome(&outcome, request.as_ref()) {
            let warned = b.reject(target, msg, rejected).await?;
            return Ok(Report::Rejected { status: rejected.status, error: rejected.reason.to_owned(), warned });
        }
        match Setback::from_outcome(&outcome, now) {
            None => {
                let DeliveryOutcome::Delivered { status, elapsed } = outcome else {
                    unreachable!("only success and rejection have no setback")
                };
                // Not a line per healthy delivery at the default level: the activity log has it.
                tracing::debug!(status, elapsed_ms = elapsed.as_millis() as u64, "delivered");
                b.recent.record(&target.id, now);
                // A healthy target's success path writes nothing; after an isolated failure, the
                // first success of this container resets the ladder, not every one in flight.
                if !state.is_healthy()
                    && b.recent.first_to_recover(&target.id, state.epoch)
                    && let Err(e) = b.states.transition(&target.id, state, state.recovered(now, None)).await
                {
                    b.recent.recovery_failed(&target.id);
                    return Err(e.into());
                }
                b.end_rejection_streak(target, state.rejections_in_row).await?;
                Ok(Report::Delivered { status, elapsed })
            }
            Some(Setback::Failed(failure)) if b.isolate(target, state, &failure, msg).await? => {
                Ok(Report::Failed { status: failure.status, error: failure.error, warned: Warned(false) })
            }
            Some(setback) => {
                let (_, warned) = b.set_back(target, state, &setback).await?;
                b.park(msg).await?;
                Ok(match setback {
                    Setback::Throttled(_) => Report::Throttled,
                    Setback::Failed(f) => Report::Failed { status: f.status, error: f.error, warned },
                })
            }
        }
    }
}

#[cfg(test)]
#[path = "deliver_tests.rs"]
mod tests;
