//! Fires due one-time schedules when the emulator does not (moto, LocalStack community): send
//! the schedule's input to its target queue, then delete it. Schedules are left alone until
//! `grace` after their time, so an emulator that fires them (MiniStack, ~10 s late) goes first.

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDateTime, Utc};

pub struct ScheduleFirer {
    pub scheduler: aws_sdk_scheduler::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub group: String,
    pub grace: Duration,
}

/// The time in `at(yyyy-mm-ddThh:mm:ss)`, read as UTC.
pub fn parse_at(expression: &str) -> Option<DateTime<Utc>> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc())
}

impl ScheduleFirer {
    pub async fn run(self) {
        loop {
            if let Err(e) = self.fire_due(Utc::now()).await {
                tracing::warn!(error = format!("{e:#}"), "firing due schedules failed; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Fires every schedule of the group due `grace` ago; returns how many.
    pub async fn fire_due(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self.scheduler.list_schedules().group_name(&self.group).set_next_token(token).send().await?;
            names.extend(page.schedules.into_iter().filter_map(|s| s.name));
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        let mut fired = 0;
        for name in names {
            let Ok(schedule) = self.scheduler.get_schedule().group_name(&self.group).name(&name).send().await else {
                continue; // fired and deleted meanwhile
            };
            let due = schedule.schedule_expression.as_deref().and_then(parse_at);
            let Some(due) = due.filter(|at| *at + self.grace <= now) else { continue };
            let target = schedule.target.context("schedule has no target")?;
            let queue_name = target.arn.rsplit(':').next().unwrap_or_default();
            let url =
                self.sqs.get_queue_url().queue_name(queue_name).send().await?.queue_url.context("no queue URL")?;
            self.sqs.send_message().queue_url(url).message_body(target.input.unwrap_or_default()).send().await?;
            match self.scheduler.delete_schedule().group_name(&self.group).name(&name).send().await {
                Ok(_) => {}
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
                Err(e) => return Err(e.into()),
            }
            tracing::info!(schedule = name, %due, "fired a due schedule");
            fired += 1;
        }
        Ok(fired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_expressions_parse_as_utc() {
        assert_eq!(parse_at("at(2026-11-22T07:00:05)").unwrap().to_rfc3339(), "2026-11-22T07:00:05+00:00");
        assert!(parse_at("rate(5 minutes)").is_none());
        assert!(parse_at("at(2026-02-30T00:00:00)").is_none());
    }
}
