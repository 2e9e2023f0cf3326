//! Wake-ups: an SQS message timer on the wakeups queue for short delays, a one-time EventBridge
//! Scheduler schedule (whose target is the same queue) for long ones. Scheduler fires with
//! one-minute precision, so the short rungs must not go through it.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
};
use chrono::{DateTime, Utc};

use herald_app::ports::{ScheduleError, WakeupScheduler, WakeupVia};
use herald_domain::message::WakeupMessage;
use herald_domain::source::sha256_hex;

/// SQS's longest message timer.
pub const MAX_TIMER: Duration = Duration::from_secs(15 * 60);

#[derive(Clone)]
pub struct Wakeups {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub queue_arn: String,
    pub scheduler: aws_sdk_scheduler::Client,
    pub group: String,
    pub role_arn: String,
    /// Where Scheduler puts a wake-up it could not deliver after its retries (the wakeups DLQ).
    pub dead_letter_arn: String,
    /// Delays up to this go as message timers (at most 15 minutes; tests lower it).
    pub timer_max: Duration,
}

/// Deterministic, so a repeated create for the same (target, epoch) is a harmless conflict.
pub fn schedule_name(wakeup: &WakeupMessage) -> String {
    let name = format!("{}-{}", wakeup.target_id, wakeup.epoch);
    if name.len() <= 64 {
        name
    } else {
        format!("h{}-{}", &sha256_hex(wakeup.target_id.as_str().as_bytes())[..40], wakeup.epoch)
    }
}

/// `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the next second. Built from a typed time, so it
/// is always a valid date (emulators accept invalid ones that AWS rejects).
pub fn at_expression(at: DateTime<Utc>) -> String {
    let rounded = if at.timestamp_subsec_nanos() > 0 { at + chrono::Duration::seconds(1) } else { at };
    format!("at({})", rounded.format("%Y-%m-%dT%H:%M:%S"))
}

#[async_trait]
impl WakeupScheduler for Wakeups {
    async fn schedule(
        &self,
        wakeup: &WakeupMessage,
        delay: Duration,
        now: DateTime<Utc>,
    ) -> Result<WakeupVia, ScheduleError> {
        let body = wakeup.to_json();
        if delay <= self.timer_max.min(MAX_TIMER) {
            let seconds = delay.as_secs_f64().ceil() as i32;
            self.sqs
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(body)
                .delay_seconds(seconds)
                .send()
                .await
                .map_err(|e| ScheduleError(Box::new(e)))?;
            return Ok(WakeupVia::QueueTimer);
        }
        let at = now + delay;
        // Scheduler retries a failed send for up to a day, then dead-letters it where the admin's
        // dead-letter routes see it; the sweep wakes the target meanwhile anyway.
        let retry = RetryPolicy::builder().maximum_event_age_in_seconds(86_400).maximum_retry_attempts(185).build();
        let target = Target::builder()
            .arn(&self.queue_arn)
            .role_arn(&self.role_arn)
            .dead_letter_config(DeadLetterConfig::builder().arn(&self.dead_letter_arn).build())
            .retry_policy(retry)
            .input(body)
            .build()
            .map_err(|e| ScheduleError(Box::new(e)))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| ScheduleError(Box::new(e)))?;
        let created = self
            .scheduler
            .create_schedule()
            .name(schedule_name(wakeup))
            .group_name(&self.group)
            .schedule_expression(at_expression(at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match created {
            Ok(_) => Ok(WakeupVia::Schedule),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => Ok(WakeupVia::Schedule),
            Err(e) => Err(ScheduleError(Box::new(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_domain::TargetId;

    #[test]
    fn names_and_expressions() {
        let w = WakeupMessage { target_id: TargetId::parse("discord").unwrap(), epoch: 12, incarnation: None };
        assert_eq!(schedule_name(&w), "discord-12");
        let long = WakeupMessage { target_id: TargetId::parse("x".repeat(64)).unwrap(), epoch: 3, incarnation: None };
        let name = schedule_name(&long);
        assert!(name.len() <= 64 && name.ends_with("-3"), "{name}");
        let at = DateTime::parse_from_rfc3339("2026-11-22T23:59:59.200Z").unwrap().with_timezone(&Utc);
        assert_eq!(at_expression(at), "at(2026-11-23T00:00:00)");
    }
}
