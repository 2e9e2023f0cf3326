//! Sending again from the activity log: one rejected delivery, or everything a target rejected
//! since a time (Svix's "recover"), each as a new attempt of the same delivery id. And what a
//! source's URL refused.

use chrono::{DateTime, Utc};

use herald_domain::SourceId;
use herald_domain::activity::{Refusal, hour_of};

use super::views::Count;
use super::{Admin, AdminError};

impl Admin {
    /// Sends one delivery again, with the target's current template, as a new attempt of the same
    /// delivery id: one that waits in the rejected list. A parked one goes out when its target
    /// recovers; a delivered one's body is not kept, so it cannot be sent again.
    pub async fn replay_delivery(&self, id: &str) -> Result<Count, AdminError> {
        let view = self.delivery(id).await?;
        let target = view.delivery.target_id.clone();
        if view.in_rejected_list {
            return self.replay_rejected(&target, Some(id)).await;
        }
        Err(AdminError::Conflict(match view.delivery.outcome.as_str() {
            "parked" | "failed" | "throttled" => format!(
                "delivery {id} waits in {target}'s parking lot: it goes out when the target recovers, or now with Send parked now"
            ),
            _ => format!(
                "delivery {id} is {}: only a rejected delivery keeps its event to be sent again",
                view.delivery.outcome
            ),
        }))
    }

    /// Everything the target's receiver rejected since `since`, sent again in arrival order (Svix's
    /// "recover"): each as a new attempt of the same delivery id.
    pub async fn replay_failed_since(&self, id: &str, since: DateTime<Utc>) -> Result<Count, AdminError> {
        let target = self.find_target(id).await?;
        let chosen: Vec<_> = self
            .rejected
            .rejected(&target.id, self.clock.now(), usize::MAX)
            .await?
            .into_iter()
            .filter(|r| r.note.rejected_at >= since)
            .collect();
        let messages: Vec<_> = chosen.iter().map(|r| r.delivery.clone()).collect();
        if !messages.is_empty() {
            self.queue.enqueue(&messages).await?;
        }
        for message in &messages {
            self.rejected.discard(&target.id, &message.delivery_id).await?;
        }
        Ok(Count::Replayed(messages.len()))
    }
}

impl Admin {
    /// The webhooks a source's URL refused, newest first (up to `limit`), for the log's retention.
    pub async fn refused(&self, id: &str, limit: usize) -> Result<Vec<Refusal>, AdminError> {
        let source = SourceId::parse(id).map_err(|_| AdminError::NotFound(format!("source {id}")))?;
        let now = self.clock.now();
        let oldest = self.log_starts(now);
        let mut found = Vec::new();
        let mut at = hour_of(now);
        while at >= hour_of(oldest) && found.len() < limit {
            let mut refusals = self.activity.refusals_in_hour(&source, at, now).await?;
            refusals.sort_by_key(|r| std::cmp::Reverse(r.at));
            found.extend(refusals.into_iter().filter(|r| r.at >= oldest));
            at -= chrono::Duration::hours(1);
        }
        found.truncate(limit);
        Ok(found)
    }
}
