//! A target's rejected list: deliveries its receiver refused for their content, kept for the
//! parked retention so a person can fix the template, then replay or discard them.

use ulid::Ulid;

use herald_domain::rejection::Rejection;

use super::views::{Count, RejectedView};
use super::{Admin, AdminError};

/// The most rejections one listing shows.
pub const LIST_LIMIT: usize = 100;

impl Admin {
    /// Oldest first, a page at a time: `after` (the last delivery id of the page before) and `limit`
    /// (1 to [`LIST_LIMIT`], that by default).
    pub async fn rejected(
        &self,
        id: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<RejectedView>, AdminError> {
        let target = self.find_target(id).await?;
        let limit = match limit {
            None => LIST_LIMIT,
            Some(l) if (1..=LIST_LIMIT).contains(&l) => l,
            Some(_) => return Err(super::invalid("limit", format!("must be 1 to {LIST_LIMIT}"))),
        };
        let after = match after {
            None => None,
            Some(a) => Some(
                Ulid::from_string(&a.to_ascii_uppercase())
                    .map_err(|_| super::invalid("after", "must be a delivery id from the page before"))?,
            ),
        };
        let rejected = self.rejected.rejected_after(&target.id, after, self.clock.now(), limit).await?;
        Ok(rejected.iter().map(shown).collect())
    }

    /// Puts one rejected delivery (or all of them) back on the deliveries queue, as it was: the
    /// target's current template renders it. Removed from the list once the queue holds it.
    pub async fn replay_rejected(&self, id: &str, delivery: Option<&str>) -> Result<Count, AdminError> {
        let (target, chosen) = self.chosen(id, delivery).await?;
        let messages: Vec<_> = chosen.iter().map(|r| r.delivery.clone()).collect();
        if !messages.is_empty() {
            self.queue.enqueue(&messages).await?;
        }
        for message in &messages {
            self.rejected.discard(&target, &message.delivery_id).await?;
        }
        Ok(Count::Replayed(messages.len()))
    }

    pub async fn discard_rejected(&self, id: &str, delivery: Option<&str>) -> Result<Count, AdminError> {
        let (target, chosen) = self.chosen(id, delivery).await?;
        let mut discarded = 0;
        for rejection in &chosen {
            discarded += usize::from(self.rejected.discard(&target, &rejection.delivery.delivery_id).await?);
        }
        Ok(Count::Discarded(discarded))
    }

    /// One rejection by delivery id (404 if it is not in the list), or every one.
    async fn chosen(
        &self,
        id: &str,
        delivery: Option<&str>,
    ) -> Result<(herald_domain::TargetId, Vec<Rejection>), AdminError> {
        let target = self.find_target(id).await?;
        let now = self.clock.now();
        let chosen = match delivery {
            None => self.rejected.rejected(&target.id, now, usize::MAX).await?,
            Some(wanted) => {
                // Read by key: one delivery, whatever the length of the list.
                let not_found = || AdminError::NotFound(format!("rejected delivery {wanted}"));
                let wanted = Ulid::from_string(&wanted.to_ascii_uppercase()).map_err(|_| not_found())?;
                vec![self.rejected.rejection(&target.id, &wanted, now).await?.ok_or_else(not_found)?]
            }
        };
        Ok((target.id, chosen))
    }
}

/// A rejection as the API shows it: what was sent (secrets redacted), why, and what came back.
fn shown(r: &Rejection) -> RejectedView {
    let event = &r.delivery.event;
    RejectedView {
        delivery_id: r.delivery.delivery_id.to_string(),
        event: event.name.clone(),
        event_id: event.id.to_string(),
        summary: event.fields.get("summary").cloned(),
        rejected_at: r.note.rejected_at,
        status: r.note.status,
        reason: r.note.reason.clone(),
        response: r.note.response.clone(),
        request: r.note.request.clone(),
    }
}
