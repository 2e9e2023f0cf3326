//! An unordered target's backlog, once its probe went through: the retry function sends it itself,
//! `window` requests at a time, starting the next as each answer comes back, while it pages through
//! the parking lot. Not back through the deliveries queue, as before: each deliver invocation waits
//! for the slowest request of its batch, which held the drain to about half the receiver's rate.

use std::collections::VecDeque;
use std::time::Instant;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt as _};
use ulid::Ulid;

use crate::backoff::Backoff;
use crate::backoff::{DeliverError, Rejected, Setback, Warned};
use crate::ports::StoreError;
use herald_domain::Target;
use herald_domain::message::DeliveryMessage;
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::request::OutboundRequest;
use herald_domain::state::TargetState;

/// How sending the backlog ended.
#[derive(Debug)]
pub(crate) enum BacklogEnd {
    /// Everything parked, up to the last delivery read, was sent or set aside.
    Drained,
    /// A send failed or was throttled: the target was set back (the rest stays parked).
    SetBack { warned: Warned, failures: Option<u32> },
    /// Out of sends or time for this wake-up: the rest is for a fresh one.
    OutOfTime,
}

/// Parked deliveries handled per page: read by a probe, removed from the lot after sends.
pub(crate) const PAGE: usize = 25;

/// How one wake-up sends a backlog: its budget of sends and time, and how many at once. The retry
/// use case makes one per wake-up; this file knows nothing of wake-ups.
pub(crate) struct Drain<'a> {
    pub backoff: &'a Backoff,
    /// At most this many sends per wake-up.
    pub max_sends: usize,
    /// No new send starts after this long.
    pub budget: std::time::Duration,
    /// An unordered target's backlog is sent this many at a time.
    pub window: usize,
}

/// What a wake-up did so far, carried from its probe into the backlog.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub sent: usize,
    pub rejected: usize,
    /// Sends started, against `max_sends`.
    pub tries: usize,
    /// Rejections in a row, as last known.
    pub in_row: u32,
}

/// Parked deliveries read per query, a page ahead of the sends in flight (DynamoDB's item limit
/// per query page, set by `live_items`).
const PAGE_AHEAD: usize = 100;

/// What came back: an answer to a send (boxed: a request is large beside a page), or the next page.
enum Step {
    Answer(Box<(DeliveryMessage, DeliveryOutcome, Option<OutboundRequest>)>),
    Page(Result<Vec<DeliveryMessage>, StoreError>),
}

impl Drain<'_> {
    /// No new send starts: this wake-up made `max_sends`, or made one and used its budget.
    pub(crate) fn out_of_time(&self, tally: &Tally, started: Instant) -> bool {
        tally.tries >= self.max_sends || (tally.tries > 0 && started.elapsed() >= self.budget)
    }

    /// Sends what `target` has parked after delivery `after`, started in arrival order,
    /// `self.window` at a time; the next page is read while sends are in flight. A failure or a 429
    /// stops new sends (those in flight finish) and sets the target back once; so does a failed
    /// read, whose error is returned once what went out is removed from the lot.
    pub(crate) async fn send_backlog(
        &self,
        target: &Target,
        state: &TargetState,
        started: Instant,
        after: Option<Ulid>,
        tally: &mut Tally,
    ) -> Result<BacklogEnd, DeliverError> {
        let b = self.backoff;
        let window = self.window.max(1);
        let mut pending: VecDeque<DeliveryMessage> = VecDeque::new();
        let (mut after, mut read_all, mut reading) = (after, false, false);
        let mut failed_read = None;
        let mut in_flight: FuturesUnordered<BoxFuture<'_, Step>> = FuturesUnordered::new();
        let mut sending = 0;
        // Sent or set aside: removed from the lot a page at a time.
        let mut done = Vec::new();
        let (mut setback, mut out_of_time): (Option<Setback>, bool) = (None, false);
        loop {
            let stopping = setback.is_some() || out_of_time || failed_read.is_some();
            if !stopping && !reading && !read_all && pending.len() < window {
                // After the last delivery read: what is in flight is not read again.
                let page = b.parking.oldest_after(&target.id, b.clock.now(), after, PAGE_AHEAD);
                in_flight.push(Box::pin(async move { Step::Page(page.await) }));
                reading = true;
            }
            while !stopping && sending < window {
                let Some(delivery) = pending.pop_front() else { break };
                if !delivery.is_for(target) {
                    // Parked for a deleted target of the same id: never sent to this one.
                    done.push(delivery.delivery_id);
                    continue;
                }
                // At least one send per wake-up, however long the first read took.
                if self.out_of_time(tally, started) {
                    out_of_time = true;
                    break;
                }
                tally.tries += 1;
                sending += 1;
                in_flight.push(Box::pin(async move {
                    let (outcome, request) = b.attempt(target, &delivery).await;
                    Step::Answer(Box::new((delivery, outcome, request)))
                }));
            }
            if sending == 0 && (!reading || stopping || out_of_time) {
                break;
            }
            let Some(step) = in_flight.next().await else { break };
            let (delivery, outcome, request) = match step {
                Step::Page(page) => {
                    reading = false;
                    match page {
                        Ok(page) => {
                            read_all = page.len() < PAGE_AHEAD;
                            after = page.last().map(|d| d.delivery_id).or(after);
                            pending.extend(page);
                        }
                        // Those in flight finish and are accounted for first.
                        Err(e) => failed_read = Some(e),
                    }
                    continue;
                }
                Step::Answer(answer) => *answer,
            };
            sending -= 1;
            if let Some(refused) = Rejected::from_outcome(&outcome, request.as_ref()) {
                b.reject(target, &delivery, refused).await?;
                done.push(delivery.delivery_id);
                tally.rejected += 1;
                tally.in_row += 1;
            } else if let Some(this) = Setback::from_outcome(&outcome, b.clock.now()) {
                // The first one counts; this delivery stays parked for the next probe.
                setback.get_or_insert(this);
            } else {
                done.push(delivery.delivery_id);
                tally.sent += 1;
                b.end_rejection_streak(target, tally.in_row).await?;
                tally.in_row = 0;
            }
            if done.len() >= PAGE {
                b.parking.remove_many(&target.id, &done).await?;
                done.clear();
            }
        }
        b.parking.remove_many(&target.id, &done).await?;
        if let Some(setback) = setback {
            let (next, warned) = b.set_back(target, state, &setback).await?;
            return Ok(BacklogEnd::SetBack { warned, failures: next.map(|s| s.failures) });
        }
        if let Some(e) = failed_read {
            return Err(e.into());
        }
        if out_of_time {
            return Ok(BacklogEnd::OutOfTime);
        }
        Ok(BacklogEnd::Drained)
    }
}
