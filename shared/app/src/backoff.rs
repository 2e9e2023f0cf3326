//! What happens to a target that did not take a delivery: one rung up the ladder (or a pause for a
//! 429), a wake-up scheduled, its deliveries parked, and at the fifth failure a warning to the others.

use std::sync::Arc;
use std::time::Duration;

use crate::ports::{
    Clock, DeliveryQueue, IdSource, ParkingLot, QueueError, ScheduleError, Sender, StateStore, StoreError, TargetStore,
    WakeupScheduler,
};
use herald_domain::Target;
use herald_domain::health::{WARN_AT_FAILURE, health_warning};
use herald_domain::ladder::Ladder;
use herald_domain::message::{DeliveryMessage, WakeupMessage};
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::request::build;
use herald_domain::state::{Failure, TargetState};

/// How late a wake-up may be before a parked delivery wakes the target itself. Well past
/// Scheduler's and the emulators' lateness.
pub const NUDGE_AFTER: Duration = Duration::from_secs(10 * 60);

/// When a 429 names no wait.
pub const DEFAULT_THROTTLE: Duration = Duration::from_secs(30);

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
    /// `None` for a success.
    pub fn from_outcome(outcome: &DeliveryOutcome, at: chrono::DateTime<chrono::Utc>) -> Option<Self> {
        match outcome {
            DeliveryOutcome::Delivered { .. } => None,
            DeliveryOutcome::Throttled { retry_after, .. } => {
                Some(Self::Throttled(retry_after.unwrap_or(DEFAULT_THROTTLE)))
            }
            DeliveryOutcome::Failed { status, error, .. } => {
                Some(Self::Failed(Failure { status: *status, error: error.clone(), at }))
            }
        }
    }
}

/// Renders, signs (timestamped `now`) and sends one delivery; a request that cannot be built is a
/// failure. The deliver and retry functions and the admin's Test all send through this.
pub async fn attempt(
    sender: &dyn Sender,
    target: &Target,
    delivery: &DeliveryMessage,
    now: chrono::DateTime<chrono::Utc>,
) -> DeliveryOutcome {
    match build(target, &delivery.event, &delivery.delivery_id.to_string(), now.timestamp()) {
        Ok(request) => sender.send(&request, Duration::from_millis(target.timeout_ms)).await,
        Err(e) => DeliveryOutcome::Failed {
            status: None,
            error: format!("could not build the request: {e}"),
            elapsed: Duration::ZERO,
        },
    }
}

pub struct Backoff {
    pub targets: Arc<dyn TargetStore>,
    pub states: Arc<dyn StateStore>,
    pub parking: Arc<dyn ParkingLot>,
    pub wakeups: Arc<dyn WakeupScheduler>,
    /// The deliveries queue: health warnings and released deliveries go there.
    pub queue: Arc<dyn DeliveryQueue>,
    pub sender: Arc<dyn Sender>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub ladder: Ladder,
    /// How long a parked delivery is kept before it expires unsent.
    pub retention: Duration,
}

impl Backoff {
    /// Renders, signs and sends one delivery; a request that cannot be built is a failure.
    pub async fn attempt(&self, target: &Target, delivery: &DeliveryMessage) -> DeliveryOutcome {
        attempt(self.sender.as_ref(), target, delivery, self.clock.now()).await
    }

    /// Moves the target after a failed or throttled attempt, unless another attempt of the same
    /// epoch already did. Returns the state it wrote, if it won.
    pub async fn set_back(
        &self,
        target: &Target,
        state: &TargetState,
        setback: &Setback,
    ) -> Result<Option<TargetState>, DeliverError> {
        let now = self.clock.now();
        let (next, delay) = match setback {
            Setback::Failed(failure) => {
                let delay = self.ladder.delay(state.failures.saturating_add(1));
                (state.failed(failure, now + delay), delay)
            }
            Setback::Throttled(wait) => (state.throttled(now + *wait), *wait),
        };
        // Only the writer that wins the epoch schedules, so one outage step makes one wake-up (ten
        // wake-ups for one epoch would probe ten times). Should scheduling fail after the write, the
        // error retries the message, and a parked delivery later nudges an overdue target awake.
        match self.states.put_state(&target.id, state.epoch, &next).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let via = self
            .wakeups
            .schedule(&WakeupMessage { target_id: target.id.clone(), epoch: next.epoch }, delay, now)
            .await?;
        tracing::warn!(target_id = %target.id, failures = next.failures, epoch = next.epoch, delay_s = delay.as_secs(), ?via,
            error = next.last_error.as_deref().unwrap_or(""), "target set back; next attempt scheduled");
        // Exactly one writer moves a target from 4 to 5 failures, so the warning goes once per outage.
        if matches!(setback, Setback::Failed(_)) && next.failures == WARN_AT_FAILURE {
            self.warn_others(target, &next).await;
        }
        Ok(Some(next))
    }

    pub async fn park(&self, delivery: &DeliveryMessage) -> Result<(), StoreError> {
        let expires = self.clock.now() + self.retention;
        self.parking.park(delivery, expires).await
    }

    /// A holding target whose wake-up is long overdue lost it (a failed schedule after a state
    /// write): wake it now. Duplicate wake-ups of one epoch are possible only in that rare case.
    pub async fn nudge_if_overdue(&self, target: &Target, state: &TargetState) -> Result<bool, DeliverError> {
        let now = self.clock.now();
        match state.next_attempt_at {
            Some(due) if due + NUDGE_AFTER < now => {
                tracing::warn!(target_id = %target.id, epoch = state.epoch, %due, "wake-up overdue; waking the target now");
                let wakeup = WakeupMessage { target_id: target.id.clone(), epoch: state.epoch };
                self.wakeups.schedule(&wakeup, Duration::ZERO, now).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Routes a `health_warning` to every other enabled, healthy target that subscribes to it.
    async fn warn_others(&self, failing: &Target, state: &TargetState) {
        let event = health_warning(failing, state, self.ids.new_id(), self.clock.now());
        let result: Result<usize, DeliverError> = async {
            let mut deliveries = Vec::new();
            for other in self.targets.list_targets().await?.iter() {
                if other.id != failing.id && other.wants(&event) && self.states.get_state(&other.id).await?.is_healthy()
                {
                    deliveries.push(DeliveryMessage {
                        delivery_id: self.ids.new_id(),
                        target_id: other.id.clone(),
                        event: event.clone(),
                    });
                }
            }
            if !deliveries.is_empty() {
                self.queue.enqueue(&deliveries).await?;
            }
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
