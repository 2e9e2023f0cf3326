//! Looking at and nudging one target: status, Kino's Test button, replay.

use std::time::Duration;

use herald_domain::Target;
use herald_domain::message::DeliveryMessage;
use herald_domain::outcome::DeliveryOutcome;

use super::inputs::PreviewInput;
use super::views::{Count, LastDelivered, LastFailure, StatusView, TestReport};
use super::{Admin, AdminError};
use crate::backoff::attempt;
use herald_domain::state::PAUSED_HOLD;

/// Test's longest wait for the receiver: the admin function answers inside API Gateway's 30 s.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(20);

impl Admin {
    pub async fn status(&self, id: &str) -> Result<StatusView, AdminError> {
        self.status_of(&self.find_target(id).await?).await
    }

    async fn status_of(&self, target: &Target) -> Result<StatusView, AdminError> {
        let s = self.states.get_state(&target.id).await?;
        let rejected = self.rejected.rejected(&target.id, self.clock.now(), usize::MAX).await?.len();
        // A healthy target's successes write nothing to its state: the activity log knows them.
        let last = self.last_delivered(&target.id).await?;
        let logged_success = last.as_ref().map(|a| a.at);
        let last_success_at = logged_success.max(s.last_success_at);
        // Failures count from the first one to the next success (a pause holds without any).
        let failing = s.failures > 0;
        let last_failure = s.last_failure_at.map(|at| LastFailure {
            at,
            status: s.last_status,
            error: s.last_error.clone(),
            recovered: !failing,
        });
        Ok(StatusView {
            last_delivered: last.map(|a| LastDelivered {
                at: a.at,
                delivery_id: a.delivery_id.to_string(),
                event_id: a.event_id.to_string(),
                status: a.status,
            }),
            failures: s.failures,
            next_attempt_at: s.next_attempt_at.filter(|at| *at != PAUSED_HOLD),
            parked: s.parked,
            parked_expired: s.parked_expired,
            rejected,
            rejections_in_row: s.rejections_in_row,
            holding: s.is_holding(),
            last_status: s.last_status.filter(|_| failing),
            last_error: s.last_error.filter(|_| failing),
            last_failure,
            last_success_at,
            enabled: target.enabled,
            paused: s.paused_at.is_some(),
        })
    }

    /// Kino's Test button, through the real sending path: a sample the target would receive (its
    /// sources' kinds, its events), or the one `input` names, as the preview shows it. Success
    /// resets the ladder and releases what was parked.
    pub async fn test(&self, id: &str, input: PreviewInput) -> Result<TestReport, AdminError> {
        let target = self.find_target(id).await?;
        let now = self.clock.now();
        let delivery = DeliveryMessage::to(&target, self.ids.new_id(), self.event_for(&target, input)?);
        // Inside API Gateway's 30 s, whatever the target's own timeout.
        let timeout = Duration::from_millis(target.timeout_ms).min(TEST_TIMEOUT);
        let (outcome, _) = attempt(self.sender.as_ref(), &target, &delivery, now, timeout).await;
        let elapsed = outcome.elapsed().as_millis() as u64;
        let (ok, error) = match &outcome {
            DeliveryOutcome::Delivered { .. } => (true, None),
            DeliveryOutcome::Throttled { .. } => (false, Some("HTTP 429: the receiver is rate limiting".to_owned())),
            DeliveryOutcome::Failed { error, .. } => (false, Some(error.clone())),
            DeliveryOutcome::Rejected { error, response: Some(response), .. } => {
                (false, Some(format!("{error}: {response}")))
            }
            DeliveryOutcome::Rejected { error, .. } => (false, Some(error.clone())),
        };
        if ok {
            let state = self.states.get_state(&target.id).await?;
            // A paused target stays paused: the Test only says the receiver answers.
            if !state.is_paused() && (!state.is_healthy() || state.parked > 0) {
                // The ladder resets; what was parked drains in order before new deliveries go out.
                let now = self.clock.now();
                self.wake_now(&target, &state, state.recovered(now, Some(now))).await?;
            }
        }
        let snippet = error.as_deref().and_then(|e| e.split_once(": ").map(|(_, rest)| rest.to_owned()));
        Ok(TestReport {
            ok,
            status: outcome.status(),
            round_trip_ms: elapsed,
            hint: outcome.status().map(hint).or_else(|| error.as_ref().map(|_| hint_for_error())),
            error,
            response_snippet: snippet,
        })
    }

    /// Sends what is parked now: the retry function drains it in order (and probes a failing target).
    pub async fn replay(&self, id: &str) -> Result<Count, AdminError> {
        let target = self.find_target(id).await?;
        let state = self.states.get_state(&target.id).await?;
        if state.parked <= 0 && !state.is_holding() {
            return Ok(Count::Replaying(0));
        }
        let now = self.clock.now();
        // Should the probe fail, the target waits as it would have: its scheduled time, or the
        // first rung for one that was not holding.
        let resume_at =
            state.next_attempt_at.filter(|at| *at > now && *at != PAUSED_HOLD).unwrap_or(now + self.first_rung);
        // Sending a paused target's backlog is resuming it.
        let next = if state.is_paused() { state.resumed(now, resume_at) } else { state.wake_now(now, resume_at) };
        self.wake_now(&target, &state, next).await?;
        Ok(Count::Replaying(state.parked.max(0)))
    }

    /// Every target's status, by id: the page's one call per refresh instead of one per target.
    pub async fn statuses(&self) -> Result<std::collections::BTreeMap<String, StatusView>, AdminError> {
        let mut all = std::collections::BTreeMap::new();
        for target in self.targets.list_targets().await?.iter() {
            all.insert(target.id.to_string(), self.status_of(target).await?);
        }
        Ok(all)
    }

    /// Holds every delivery for the target from now on, parked, until [`Self::resume`].
    pub async fn pause(&self, id: &str) -> Result<StatusView, AdminError> {
        let target = self.find_target(id).await?;
        let state = self.states.get_state(&target.id).await?;
        if !state.is_paused()
            && self.states.transition(&target.id, &state, state.paused(self.clock.now())).await?.is_none()
        {
            return Err(AdminError::Conflict("the target's state changed meanwhile; try again".into()));
        }
        self.status_of(&target).await
    }

    /// Sends what the target parked while paused, and new deliveries go out again.
    pub async fn resume(&self, id: &str) -> Result<StatusView, AdminError> {
        let target = self.find_target(id).await?;
        let state = self.states.get_state(&target.id).await?;
        if state.is_paused() {
            let now = self.clock.now();
            self.wake_now(&target, &state, state.resumed(now, now + self.first_rung)).await?;
        }
        self.status_of(&target).await
    }
}

/// Kino's troubleshooting hints, by status.
pub fn hint(status: u16) -> String {
    match status {
        200..=299 => "delivered",
        400 | 413 | 415 | 422 => "the receiver refused the body: a field it does not accept, a value too long, or JSON it cannot read; check its docs and trim the template (such deliveries are set aside in the target's rejected list)",
        414 | 431 => "the URL or a header grew too long for the receiver with this event's values: keep long placeholders such as {{message}} out of the URL and headers (such deliveries are set aside in the target's rejected list)",
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
