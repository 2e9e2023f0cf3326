//! What happens to a target that did not take a delivery. A *target failure*: one rung up the
//! ladder (or a pause for a 429), a wake-up scheduled, its deliveries parked, and at the fifth
//! failure a warning to the others. A *delivery rejection*: that delivery set aside, the target not
//! held, and at the fifth rejection in a row the same warning.

use std::sync::Arc;
use std::time::Duration;

use crate::journal::Journal;
use crate::ports::{
    Clock, DeliveryQueue, IdSource, ParkingLot, QueueError, RejectedStore, ScheduleError, Sender, StateStore,
    StoreError, TargetStore, WakeupScheduler,
};
use herald_domain::Event;
use herald_domain::Target;
use herald_domain::activity::{Attempt, EventRecord, Outcome, Routed};
use herald_domain::health::{WARN_AT_FAILURE, health_warning, rejection_warning};
use herald_domain::ladder::Ladder;
use herald_domain::message::{DeliveryMessage, WakeupMessage};
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::rejection::{KEPT_BODY_BYTES, Rejection, RejectionNote};
use herald_domain::request::{OutboundRequest, RequestView, build};
use herald_domain::state::{Failure, ProbeStreak, TargetState};

/// When a 429 names no wait.
pub const DEFAULT_THROTTLE: Duration = Duration::from_secs(30);
pub use crate::recent::RecentSuccesses;

/// Only our own infrastructure fails a delivery or a wake-up; a target's failure is a value.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Why a target is set back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setback {
    Failed(Failure),
    Throttled(Duration),
}

impl Setback {
    /// `None` for a success or a rejection, which do not set the target back.
    pub fn from_outcome(outcome: &DeliveryOutcome, at: chrono::DateTime<chrono::Utc>) -> Option<Self> {
        match outcome {
            DeliveryOutcome::Delivered { .. } | DeliveryOutcome::Rejected { .. } => None,
            DeliveryOutcome::Throttled { retry_after, .. } => {
                Some(Self::Throttled(retry_after.unwrap_or(DEFAULT_THROTTLE)))
            }
            DeliveryOutcome::Failed { status, error, .. } => {
                Some(Self::Failed(Failure { status: *status, error: error.clone(), at }))
            }
        }
    }
}

/// Renders, signs (timestamped `now`) and sends one delivery, waiting at most `timeout`. A request
/// that cannot be built is a rejection of that delivery. Returns the request as sent, if built.
/// The deliver and retry functions and the admin's Test all send through this.
pub async fn attempt(
    sender: &dyn Sender,
    target: &Target,
    delivery: &DeliveryMessage,
    now: chrono::DateTime<chrono::Utc>,
    timeout: Duration,
) -> (DeliveryOutcome, Option<OutboundRequest>) {
    match build(target, &delivery.event, &delivery.delivery_id.to_string(), now.timestamp()) {
        Ok(request) => (sender.send(&request, timeout).await, Some(request)),
        Err(e) => (
            DeliveryOutcome::Rejected {
                status: None,
                error: format!("could not build the request: {e}"),
                response: None,
                elapsed: Duration::ZERO,
            },
            None,
        ),
    }
}

/// What a receiver said when it rejected a delivery.
#[derive(Clone, Copy, Debug)]
pub struct Rejected<'a> {
    pub status: Option<u16>,
    pub reason: &'a str,
    pub response: Option<&'a str>,
    pub request: Option<&'a OutboundRequest>,
}

impl<'a> Rejected<'a> {
    /// The rejection in `outcome`, if it is one.
    pub fn from_outcome(outcome: &'a DeliveryOutcome, request: Option<&'a OutboundRequest>) -> Option<Self> {
        match outcome {
            DeliveryOutcome::Rejected { status, error, response, .. } => {
                Some(Self { status: *status, reason: error, response: response.as_deref(), request })
            }
            _ => None,
        }
    }
}

/// Whether a step warned the other targets (the 5th failure or rejection in a row): a metric.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Warned(pub bool);

pub struct Backoff {
    pub targets: Arc<dyn TargetStore>,
    pub states: Arc<dyn StateStore>,
    pub parking: Arc<dyn ParkingLot>,
    pub rejected: Arc<dyn RejectedStore>,
    pub wakeups: Arc<dyn WakeupScheduler>,
    /// The deliveries queue: health warnings and released deliveries go there.
    pub queue: Arc<dyn DeliveryQueue>,
    pub sender: Arc<dyn Sender>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub ladder: Ladder,
    /// How long a parked or rejected delivery is kept.
    pub retention: Duration,
    /// How late a wake-up may be before a parked delivery or the sweep wakes the target itself.
    pub overdue_after: Duration,
    /// When this container last delivered to each target: a failure right after a success is
    /// isolated, and holds nothing (kept in memory: it costs no write).
    pub recent: RecentSuccesses,
    /// Every attempt and parking, for the activity log.
    pub journal: Arc<Journal>,
}

impl Backoff {
    /// Renders, signs and sends one delivery with the target's timeout.
    pub async fn attempt(
        &self,
        target: &Target,
        delivery: &DeliveryMessage,
    ) -> (DeliveryOutcome, Option<OutboundRequest>) {
        let timeout = Duration::from_millis(target.timeout_ms);
        let result = attempt(self.sender.as_ref(), target, delivery, self.clock.now(), timeout).await;
        self.journal.note(Attempt::sent(
            self.clock.now(),
            delivery.delivery_id,
            delivery.event.id,
            &target.id,
            &result.0,
            result.1.as_ref(),
        ));
        result
    }

    /// Notes a step that sent nothing.
    pub fn note(&self, delivery: &DeliveryMessage, outcome: Outcome) {
        self.journal.note(Attempt::step(
            self.clock.now(),
            delivery.delivery_id,
            delivery.event.id,
            &delivery.target_id,
            outcome,
        ));
    }

    /// Sets a rejected delivery aside in the target's rejected list; the target is not held. The
    /// fifth rejection in a row warns the other targets (once: one writer sees the count reach 5).
    pub async fn reject(
        &self,
        target: &Target,
        delivery: &DeliveryMessage,
        rejected: Rejected<'_>,
    ) -> Result<Warned, DeliverError> {
        let now = self.clock.now();
        let note = RejectionNote {
            rejected_at: now,
            status: rejected.status,
            reason: rejected.reason.to_owned(),
            response: rejected.response.map(str::to_owned),
            request: rejected.request.map(|r| RequestView::of(r, KEPT_BODY_BYTES)),
        };
        let rejection = Rejection { delivery: delivery.clone(), note };
        let in_row = self.rejected.set_aside(&rejection, now + self.retention).await?;
        self.states.forget(&target.id);
        tracing::warn!(target_id = %target.id, delivery_id = %delivery.delivery_id, status = rejected.status,
            reason = rejected.reason, in_row, "delivery rejected; set aside, the target is not held");
        if in_row == Some(WARN_AT_FAILURE) {
            let event = rejection_warning(
                target,
                WARN_AT_FAILURE,
                rejected.status,
                &rejection.note.cause(),
                self.ids.new_id(),
                now,
            );
            self.warn_others(target, event).await;
            return Ok(Warned(true));
        }
        Ok(Warned(false))
    }

    /// A delivery went through: a streak of rejections (`in_row`, as last read) ends.
    pub async fn end_rejection_streak(&self, target: &Target, in_row: u32) -> Result<(), DeliverError> {
        if in_row > 0 {
            self.rejected.reset_streak(&target.id).await?;
            self.states.forget(&target.id);
        }
        Ok(())
    }

    /// Moves the target after a failed or throttled attempt, unless another attempt of the same
    /// epoch already did. Returns the state it wrote, if it won, and whether it warned the others.
    pub async fn set_back(
        &self,
        target: &Target,
        state: &TargetState,
        setback: &Setback,
    ) -> Result<(Option<TargetState>, Warned), DeliverError> {
        self.set_back_probed(target, state, setback, state.probe).await
    }

    /// As [`Self::set_back`], noting which parked delivery failed as the probe (`probe`).
    pub async fn set_back_probed(
        &self,
        target: &Target,
        state: &TargetState,
        setback: &Setback,
        probe: Option<ProbeStreak>,
    ) -> Result<(Option<TargetState>, Warned), DeliverError> {
        let now = self.clock.now();
        let (next, delay) = match setback {
            // The second failure in a row, during an isolated one's grace: hold until its retry.
            // (Its retry failing, at the grace's end, climbs a rung as any probe does.)
            Setback::Failed(failure) if state.in_grace() && state.grace_until.is_some_and(|g| failure.at < g) => {
                let next = state.held_from_grace(failure);
                let until = next.next_attempt_at.unwrap_or(now);
                (next, (until - now).to_std().unwrap_or_default())
            }
            // A manual probe ("Send parked now") that failed: where it was on the ladder, no rung climbed.
            Setback::Failed(failure) if let Some(resume) = state.manual_resume_at => {
                let until = resume.max(now);
                (state.failed_manually(failure, until), (until - now).to_std().unwrap_or_default())
            }
            Setback::Failed(failure) => {
                let delay = self.ladder.delay(state.failures.saturating_add(1));
                (state.failed(failure, now + delay), delay)
            }
            Setback::Throttled(wait) => (state.throttled(now + *wait), *wait),
        };
        let next = TargetState { probe, ..next };
        // Only the writer that wins the epoch schedules, so one outage step makes one wake-up (ten
        // wake-ups for one epoch would probe ten times). Should scheduling fail after the write, the
        // error retries the message, and a parked delivery later nudges an overdue target awake.
        let Some(next) = self.states.transition(&target.id, state, next).await? else {
            return Ok((None, Warned(false)));
        };
        let via = self.wakeups.schedule(&WakeupMessage::of(target, next.epoch), delay, now).await?;
        tracing::warn!(target_id = %target.id, failures = next.failures, epoch = next.epoch, delay_s = delay.as_secs(), ?via,
            error = next.last_error.as_deref().unwrap_or(""), "target set back; next attempt scheduled");
        // Exactly one writer moves a target from 4 to 5 failures, so the warning goes once per outage.
        let warn = matches!(setback, Setback::Failed(_))
            && next.failures == WARN_AT_FAILURE
            && next.failures != state.failures;
        if warn {
            self.warn_others(target, health_warning(target, &next, self.ids.new_id(), now)).await;
        }
        Ok((Some(next), Warned(warn)))
    }

    /// A failure of a target that succeeded for this container within the first rung, and was
    /// healthy: only `delivery` waits (parked, retried at the first rung by a wake-up); the target
    /// is not held. Returns false (doing nothing) when the failure is not isolated.
    pub async fn isolate(
        &self,
        target: &Target,
        state: &TargetState,
        failure: &Failure,
        delivery: &DeliveryMessage,
    ) -> Result<bool, DeliverError> {
        let now = self.clock.now();
        let first = self.ladder.delay(1);
        if target.ordered || !state.is_healthy() || !self.recent.within(&target.id, now, first) {
            return Ok(false);
        }
        let next = state.isolated(failure, now + first);
        // The state first: a parked count would create the state item without an epoch to check.
        // Another failure of the same moment may win: its wake-up releases this parked one too.
        if let Some(next) = self.states.transition(&target.id, state, next).await? {
            let via = self.wakeups.schedule(&WakeupMessage::of(target, next.epoch), first, now).await?;
            tracing::info!(target_id = %target.id, delivery_id = %delivery.delivery_id, ?via, delay_s = first.as_secs(),
                error = next.last_error.as_deref().unwrap_or(""), "isolated failure; this delivery retried later, the target not held");
        }
        self.park(delivery).await?;
        Ok(true)
    }

    pub async fn park(&self, delivery: &DeliveryMessage) -> Result<(), StoreError> {
        let expires = self.clock.now() + self.retention;
        self.parking.park(delivery, expires).await?;
        self.note(delivery, Outcome::Parked);
        Ok(())
    }

    /// A holding target whose wake-up is long overdue lost it (a failed schedule after a state
    /// write): wake it now. Duplicate wake-ups of one epoch are possible only in that rare case.
    pub async fn nudge_if_overdue(&self, target: &Target, state: &TargetState) -> Result<bool, DeliverError> {
        let now = self.clock.now();
        match state.next_attempt_at {
            Some(due) if due + self.overdue_after < now => {
                tracing::warn!(target_id = %target.id, epoch = state.epoch, %due, "wake-up overdue; waking the target now");
                let wakeup = WakeupMessage::of(target, state.epoch);
                self.wakeups.schedule(&wakeup, Duration::ZERO, now).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// A target that is not holding yet has deliveries parked, with no retry of an isolated failure
    /// still to come: the wake-up that would release them was lost (an isolated failure that lost
    /// the race to another whose schedule then failed, or a wake-up that gave up). Wake it now.
    pub async fn nudge_if_stranded(&self, target: &Target, state: &TargetState) -> Result<bool, DeliverError> {
        let now = self.clock.now();
        let retry_to_come = state.grace_until.is_some_and(|due| due + self.overdue_after >= now);
        if state.is_holding() || retry_to_come || !self.parking.has_parked(&target.id, state.parked, now).await? {
            return Ok(false);
        }
        tracing::warn!(target_id = %target.id, epoch = state.epoch, "deliveries parked for a target that is not holding; releasing them");
        self.wakeups.schedule(&WakeupMessage::of(target, state.epoch), Duration::ZERO, now).await?;
        Ok(true)
    }

    /// Routes a `health_warning` to every other enabled, healthy target that subscribes to it.
    async fn warn_others(&self, failing: &Target, event: Event) {
        let result: Result<usize, DeliverError> = async {
            let mut deliveries = Vec::new();
            for other in self.targets.list_targets().await?.iter() {
                if other.id != failing.id && other.wants(&event) && self.states.get_state(&other.id).await?.is_healthy()
                {
                    deliveries.push(DeliveryMessage::to(other, self.ids.new_id(), event.clone()));
                }
            }
            if !deliveries.is_empty() {
                self.queue.enqueue(&deliveries).await?;
            }
            let routed = deliveries
                .iter()
                .map(|d| Routed { target_id: d.target_id.clone(), delivery_id: d.delivery_id })
                .collect();
            self.journal.note_event(EventRecord::of(&event, None, routed, Vec::new()));
            Ok(deliveries.len())
        }
        .await;
        match result {
            Ok(n) => tracing::warn!(target_id = %failing.id, recipients = n, "health warning sent"),
            // The failure itself is recorded; only the courtesy message is lost, and loudly.
            Err(e) => tracing::error!(target_id = %failing.id, error = %e, "could not send the health warning"),
        }
    }
}
