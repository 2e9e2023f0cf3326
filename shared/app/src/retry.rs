//! A wake-up for (target, epoch): probe with the oldest parked delivery; on success reset the ladder
//! and send the backlog in arrival order; on failure, the next rung.

use std::sync::Arc;

use super::backoff::{Backoff, DeliverError, Setback};
use crate::ports::StoreError;
use herald_domain::TargetId;
use herald_domain::message::WakeupMessage;
use herald_domain::state::TargetState;

/// Parked deliveries read per query while draining.
const PAGE: usize = 25;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WakeReport {
    /// The state moved on since this wake-up was scheduled (or it is a duplicate).
    Stale,
    /// The target is not holding: nothing to do.
    NotHolding,
    TargetGone,
    /// The probe (or a later send of the backlog) failed or was throttled; the target was set back.
    SetBack {
        sent: usize,
    },
    /// Nothing (unexpired) was parked to probe with: the target stops holding and its next delivery is the probe.
    Released {
        expired: u64,
    },
    /// Recovered and the whole backlog sent; `expired` parked deliveries had passed retention.
    Recovered {
        sent: usize,
        expired: u64,
    },
    /// Sent `sent` and handed the rest to another wake-up, to stay within one invocation's time.
    Continues {
        sent: usize,
    },
}

pub struct Retry {
    pub backoff: Arc<Backoff>,
    /// At most this many sends per wake-up; the rest continue in a fresh wake-up.
    pub max_sends: usize,
    /// No new send starts after this long, so one slow send still ends inside the function timeout.
    pub budget: std::time::Duration,
}

impl Retry {
    pub async fn wake(&self, wakeup: &WakeupMessage) -> Result<WakeReport, DeliverError> {
        let b = &self.backoff;
        let Some(target) = b.targets.get_target(&wakeup.target_id).await? else {
            return Ok(WakeReport::TargetGone);
        };
        let mut state = b.states.get_state(&target.id).await?;
        if state.epoch != wakeup.epoch {
            return Ok(WakeReport::Stale);
        }
        if !state.is_holding() {
            return Ok(WakeReport::NotHolding);
        }
        let started = std::time::Instant::now();
        let mut sent = 0;
        loop {
            let batch = b.parking.oldest(&target.id, b.clock.now(), PAGE).await?;
            if batch.is_empty() {
                break;
            }
            for delivery in &batch {
                if sent == self.max_sends || (sent > 0 && started.elapsed() >= self.budget) {
                    let next = WakeupMessage { target_id: target.id.clone(), epoch: state.epoch };
                    b.wakeups.schedule(&next, std::time::Duration::ZERO, b.clock.now()).await?;
                    return Ok(WakeReport::Continues { sent });
                }
                let outcome = b.attempt(&target, delivery).await;
                if let Some(setback) = Setback::from_outcome(&outcome, b.clock.now()) {
                    b.set_back(&target, &state, &setback).await?;
                    return Ok(WakeReport::SetBack { sent });
                }
                b.parking.remove(&target.id, &delivery.delivery_id).await?;
                sent += 1;
                if state.failures > 0 {
                    // The first success resets the ladder; new deliveries stay parked while the backlog drains.
                    let now = b.clock.now();
                    let Some(next) = self.transition(&target.id, &state, state.recovered(now, Some(now))).await? else {
                        return Ok(WakeReport::Stale);
                    };
                    state = next;
                }
            }
        }
        // Drained (or nothing was parked: then the next delivery is the probe).
        let Some(_) = self.transition(&target.id, &state, state.released()).await? else {
            return Ok(WakeReport::Stale);
        };
        // Deliveries parked between our last look and the release go through the queue like new ones.
        let orphans = b.parking.oldest(&target.id, b.clock.now(), usize::MAX).await?;
        if !orphans.is_empty() {
            // Removed only once SQS holds them all.
            b.queue.enqueue(&orphans).await?;
            for delivery in &orphans {
                b.parking.remove(&target.id, &delivery.delivery_id).await?;
            }
        }
        let expired = b.parking.settle_expired(&target.id).await?;
        if sent == 0 && state.failures > 0 {
            tracing::info!(target_id = %target.id, requeued = orphans.len(), expired, "nothing parked to probe with; target released");
            return Ok(WakeReport::Released { expired });
        }
        tracing::info!(target_id = %target.id, sent, requeued = orphans.len(), expired, "target recovered; backlog released");
        Ok(WakeReport::Recovered { sent: sent + orphans.len(), expired })
    }

    /// Writes `next` if the state is still `current`; `None` if someone else moved it.
    async fn transition(
        &self,
        id: &TargetId,
        current: &TargetState,
        next: TargetState,
    ) -> Result<Option<TargetState>, DeliverError> {
        match self.backoff.states.put_state(id, current.epoch, &next).await {
            Ok(()) => Ok(Some(next)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
