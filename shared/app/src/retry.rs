//! A wake-up for (target, epoch): probe with the oldest parked delivery; on success reset the ladder
//! and send the backlog in arrival order; on failure, the next rung. A probe the receiver rejects
//! for its content is set aside and the next parked delivery probes at once. And the sweep: wake
//! every holding target whose wake-up is overdue (lost), so nothing strands a target.

use std::sync::Arc;

use super::backlog::{BacklogEnd, Drain, PAGE, Tally};
use super::backoff::{Backoff, DeliverError, Rejected, Setback, Warned};
use herald_domain::message::{DeliveryMessage, WakeupMessage};
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::state::{Failure, ProbeStreak, TargetState};
use herald_domain::{Target, TargetId};

/// Parked deliveries read per query while draining.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WakeReport {
    /// The state moved on since this wake-up was scheduled (or it is a duplicate).
    Stale,
    /// The target is not holding: nothing to do.
    NotHolding,
    TargetGone,
    /// Disabled: nothing is sent, and what is parked stays parked (and counted) until it is enabled.
    Disabled,
    /// The probe (or a later send of the backlog) failed or was throttled; the target was set back.
    SetBack {
        sent: usize,
        /// This failure was the 5th in a row: the other targets were warned.
        warned: Warned,
        /// Failures in a row now (none when another wake-up moved the target first).
        failures: Option<u32>,
    },
    /// Nothing (unexpired) was parked to probe with: the target stops holding and its next delivery is the probe.
    Released {
        expired: u64,
    },
    /// Recovered and the whole backlog sent; `expired` parked deliveries had passed retention,
    /// `rejected` were refused by the receiver for their content and set aside.
    Recovered {
        sent: usize,
        expired: u64,
        rejected: usize,
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
    /// An unordered target's backlog is sent this many at a time (the deliver function's concurrency).
    pub window: usize,
}

impl Retry {
    pub async fn wake(&self, wakeup: &WakeupMessage) -> Result<WakeReport, DeliverError> {
        let b = &self.backoff;
        // Past any cache: a wake-up acts on the target as it is now (deleted, re-created, disabled).
        let Some(target) = b.targets.get_target_fresh(&wakeup.target_id).await? else {
            return Ok(WakeReport::TargetGone);
        };
        if !wakeup.is_for(&target) {
            // For a deleted target that had this id: the new one owes it nothing.
            return Ok(WakeReport::TargetGone);
        }
        if !target.enabled {
            return Ok(WakeReport::Disabled);
        }
        let mut state = b.states.get_state(&target.id).await?;
        if !state.is_holding() {
            let parked = b.parking.has_parked(&target.id, state.parked, b.clock.now()).await?;
            // An isolated failure's wake-up, on time: its delivery is the probe (below).
            let grace_probe = state.in_grace() && state.epoch == wakeup.epoch && parked;
            if !grace_probe {
                if parked {
                    // Parked while disabled, or an isolated failure's delivery after a later success
                    // reset the target (whatever the epoch): back on the queue, oldest first, by
                    // whichever wake-up claims them first.
                    if self.transition(&target.id, &state, state.claimed()).await?.is_none() {
                        return Ok(WakeReport::Stale);
                    }
                    let (requeued, expired) = self.requeue_parked(&target).await?;
                    tracing::info!(target_id = %target.id, requeued, expired, "parked while not held; released");
                    return Ok(WakeReport::Released { expired });
                }
                if state.epoch != wakeup.epoch {
                    return Ok(WakeReport::Stale);
                }
                return Ok(WakeReport::NotHolding);
            }
        } else if state.epoch != wakeup.epoch {
            return Ok(WakeReport::Stale);
        }
        let started = std::time::Instant::now();
        let mut tally = Tally { in_row: state.rejections_in_row, ..Tally::default() };
        // Sent or set aside, removed from the parking lot a page at a time.
        let mut done = Vec::new();
        // An unordered target's backlog goes out side by side once the receiver answered: after the
        // probe, or at once when this wake-up continues a drain.
        // A chat preset's backlog goes out one by one in arrival order, paced to the service's rate.
        let pace = target.preset.release_pace();
        let mut side_by_side = !target.ordered && pace.is_none() && state.is_draining();
        let mut last_send: Option<tokio::time::Instant> = None;
        // Where the side-by-side reads start: after what this wake-up already handled, which a
        // read just after its removal could otherwise still return.
        let mut resume_after = None;
        // A probe that failed again and again, held while the next parked delivery is tried.
        let mut suspect: Option<(DeliveryMessage, Failure, u32)> = None;
        'drain: loop {
            if side_by_side {
                match self.drain().send_backlog(&target, &state, started, resume_after, &mut tally).await? {
                    BacklogEnd::Drained => break 'drain,
                    BacklogEnd::OutOfTime if self.continue_later(&target, &state).await? => {
                        return Ok(WakeReport::Continues { sent: tally.sent });
                    }
                    BacklogEnd::OutOfTime => return Ok(WakeReport::Stale),
                    BacklogEnd::SetBack { warned, failures } => {
                        return Ok(WakeReport::SetBack { sent: tally.sent, warned, failures });
                    }
                }
            }
            let batch = b.parking.oldest(&target.id, b.clock.now(), PAGE).await?;
            if batch.is_empty() {
                break;
            }
            for (i, delivery) in batch.iter().enumerate() {
                if self.out_of_time(&tally, started) {
                    b.parking.remove_many(&target.id, &done).await?;
                    if !self.continue_later(&target, &state).await? {
                        return Ok(WakeReport::Stale);
                    }
                    return Ok(WakeReport::Continues { sent: tally.sent });
                }
                if !delivery.is_for(&target) {
                    // Parked for a deleted target of the same id: never sent to this one.
                    done.push(delivery.delivery_id);
                    continue;
                }
                if let (Some(pace), Some(last)) = (pace, last_send) {
                    tokio::time::sleep_until(last + pace).await;
                }
                last_send = Some(tokio::time::Instant::now());
                tally.tries += 1;
                let (outcome, request) = b.attempt(&target, delivery).await;
                if let Some(refused) = Rejected::from_outcome(&outcome, request.as_ref()) {
                    // This payload, not the target: set it aside, and the next one probes now.
                    b.reject(&target, delivery, refused).await?;
                    done.push(delivery.delivery_id);
                    tally.rejected += 1;
                    tally.in_row += 1;
                    continue;
                }
                if let Some(setback) = Setback::from_outcome(&outcome, b.clock.now()) {
                    let probing = tally.sent == 0 && !state.is_draining();
                    let streak = match (&setback, &suspect) {
                        // The next one failed too: the target is down, not the suspect's payload.
                        (_, Some((held, ..))) => Some(ProbeStreak { delivery_id: held.delivery_id, failures: 0 }),
                        (Setback::Failed(_), None) if probing => {
                            Some(ProbeStreak::after(state.probe, delivery.delivery_id))
                        }
                        _ => state.probe,
                    };
                    if let (Setback::Failed(failure), None, Some(streak)) = (&setback, &suspect, streak)
                        && probing
                        && streak.is_suspect()
                        && i + 1 < batch.len()
                    {
                        suspect = Some((delivery.clone(), failure.clone(), streak.failures));
                        continue;
                    }
                    b.parking.remove_many(&target.id, &done).await?;
                    let (next, warned) = b.set_back_probed(&target, &state, &setback, streak).await?;
                    return Ok(WakeReport::SetBack { sent: tally.sent, warned, failures: next.map(|s| s.failures) });
                }
                debug_assert!(matches!(outcome, DeliveryOutcome::Delivered { .. }));
                if let Some((held, failure, times)) = suspect.take() {
                    // The target takes deliveries; this one it does not: set it aside as a rejection.
                    let reason = format!(
                        "failed as the probe {times} times in a row while the next delivery went through; \
                         set aside so it does not hold the target (last: {})",
                        failure.error
                    );
                    let refused = Rejected { status: failure.status, reason: &reason, response: None, request: None };
                    b.reject(&target, &held, refused).await?;
                    done.push(held.delivery_id);
                    tally.rejected += 1;
                    tally.in_row += 1;
                }
                done.push(delivery.delivery_id);
                tally.sent += 1;
                b.end_rejection_streak(&target, tally.in_row).await?;
                tally.in_row = 0;
                if !state.is_draining() {
                    // The first success resets the ladder (and ends a 429's hold): new deliveries stay
                    // parked while the backlog drains.
                    let now = b.clock.now();
                    let Some(next) = self.transition(&target.id, &state, state.recovered(now, Some(now))).await? else {
                        b.parking.remove_many(&target.id, &done).await?;
                        return Ok(WakeReport::Stale);
                    };
                    state = next;
                }
                if !target.ordered && pace.is_none() {
                    // The receiver is back: the rest goes out side by side, as fast as it takes it
                    // (a 429 holds the target again as asked).
                    side_by_side = true;
                    resume_after = Some(delivery.delivery_id);
                    break;
                }
            }
            b.parking.remove_many(&target.id, &done).await?;
            done.clear();
        }
        b.parking.remove_many(&target.id, &done).await?;
        // Drained (or nothing was parked: then the next delivery is the probe).
        let Some(_) = self.transition(&target.id, &state, state.released()).await? else {
            return Ok(WakeReport::Stale);
        };
        // Deliveries parked between our last look and the release go through the queue like new ones.
        let (requeued, expired) = self.requeue_parked(&target).await?;
        let Tally { sent, rejected, .. } = tally;
        if sent == 0 && state.failures > 0 {
            tracing::info!(target_id = %target.id, requeued, expired, "nothing parked to probe with; target released");
            return Ok(WakeReport::Released { expired });
        }
        tracing::info!(target_id = %target.id, sent, requeued, expired, "target recovered; backlog released");
        Ok(WakeReport::Recovered { sent: sent + requeued, expired, rejected })
    }

    /// Puts what the target has parked back on the deliveries queue, oldest first, and settles
    /// what expired; parked items of a deleted target of the same id are dropped. Returns how many
    /// were queued and how many had expired.
    async fn requeue_parked(&self, target: &Target) -> Result<(usize, u64), DeliverError> {
        let b = &self.backoff;
        let (mine, stale): (Vec<_>, Vec<_>) =
            b.parking.oldest(&target.id, b.clock.now(), usize::MAX).await?.into_iter().partition(|d| d.is_for(target));
        let stale: Vec<_> = stale.iter().map(|d| d.delivery_id).collect();
        b.parking.remove_many(&target.id, &stale).await?;
        // A page at a time, each removed only once SQS holds it: a crash sends some twice, never none.
        for page in mine.chunks(PAGE) {
            b.queue.enqueue(page).await?;
            let ids: Vec<_> = page.iter().map(|d| d.delivery_id).collect();
            b.parking.remove_many(&target.id, &ids).await?;
        }
        let expired = b.parking.settle_expired(&target.id, b.clock.now()).await?;
        Ok((mine.len(), expired))
    }

    /// The periodic sweep: wakes every enabled target whose wake-up is overdue by more than
    /// `overdue_after` (a schedule that failed or a message that was lost), even when no new
    /// delivery arrives to notice it: a holding one, and one that is not holding but has something
    /// parked and no isolated failure's retry still to come. Returns how many it woke.
    pub async fn sweep(&self) -> Result<usize, DeliverError> {
        let b = &self.backoff;
        let mut woken = 0;
        for target in b.targets.list_targets().await?.iter().filter(|t| t.enabled) {
            let state = b.states.get_state(&target.id).await?;
            if b.nudge_if_overdue(target, &state).await? || b.nudge_if_stranded(target, &state).await? {
                woken += 1;
            }
        }
        tracing::info!(woken, "sweep done");
        Ok(woken)
    }

    /// This wake-up's budget for sending a backlog.
    fn drain(&self) -> Drain<'_> {
        Drain { backoff: &self.backoff, max_sends: self.max_sends, budget: self.budget, window: self.window }
    }

    /// No new send starts: this wake-up made `max_sends`, or made one and used its budget.
    fn out_of_time(&self, tally: &Tally, started: std::time::Instant) -> bool {
        self.drain().out_of_time(tally, started)
    }

    /// Out of sends or time: the rest continues in a fresh wake-up at a new epoch (see
    /// [`TargetState::continued`]). False if someone else moved the state meanwhile: theirs goes on.
    pub(crate) async fn continue_later(&self, target: &Target, state: &TargetState) -> Result<bool, DeliverError> {
        let b = &self.backoff;
        let now = b.clock.now();
        let Some(next) = self.transition(&target.id, state, state.continued(now)).await? else {
            return Ok(false);
        };
        // Should this fail after the write, the target looks overdue in HERALD_WAKEUP_GRACE and is nudged.
        b.wakeups.schedule(&WakeupMessage::of(target, next.epoch), std::time::Duration::ZERO, now).await?;
        Ok(true)
    }

    /// Writes `next` if the state is still `current`; `None` if someone else moved it.
    async fn transition(
        &self,
        id: &TargetId,
        current: &TargetState,
        next: TargetState,
    ) -> Result<Option<TargetState>, DeliverError> {
        Ok(self.backoff.states.transition(id, current, next).await?)
    }
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
