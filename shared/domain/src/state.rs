//! A target's failure state (DESIGN §5), one item per target, and its transitions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `epoch` moves on every transition, so writers use it as an optimistic lock: ten deliveries that
/// fail together read the same epoch and only one counts. Wake-ups carry the epoch they were
/// scheduled for; once the state moved on they are stale and ignored.
///
/// While `next_attempt_at` is set the target is *holding*: new deliveries are parked, and only the
/// retry function sends (a probe when the time comes, then the backlog in order).
///
/// While `grace_until` is set instead, one isolated failure's delivery waits for the first rung but
/// the target is not held: it was succeeding a moment ago, so its next deliveries go out as usual.
/// A second failure in a row holds it until that same time (see the README's ladder section).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetState {
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub epoch: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<DateTime<Utc>>,
    /// Deliveries parked and not yet released (kept by the parking lot, not by transitions).
    #[serde(default)]
    pub parked: i64,
    /// Parked deliveries that passed the retention period before the target recovered.
    #[serde(default)]
    pub parked_expired: u64,
    /// Deliveries rejected since the last success (kept by the rejected list, not by transitions).
    #[serde(default)]
    pub rejections_in_row: u32,
    /// An isolated failure's delivery waits until then; the target keeps sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until: Option<DateTime<Utc>>,
    /// The parked delivery the last probes failed with, and how many in a row: one that keeps
    /// failing is tried against the next one (see [`ProbeStreak`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeStreak>,
    /// Set by a manual probe (the admin's "Send parked now"): should it fail, the target resumes
    /// its ladder where it was, waking at this time, instead of climbing a rung.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_resume_at: Option<DateTime<Utc>>,
    /// Paused by a person at this time: every delivery parks (held until [`PAUSED_HOLD`]) and no
    /// wake-up comes until they resume it. Kept by every transition but [`Self::resumed`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<DateTime<Utc>>,
}

/// The hold of a paused target: no wake-up is due, no sweep finds it overdue.
pub const PAUSED_HOLD: DateTime<Utc> = match DateTime::from_timestamp(253_402_300_799, 0) {
    Some(at) => at,
    None => panic!("9999-12-31T23:59:59Z is a valid time"),
};

/// The same parked delivery failing as the probe again and again may be failing for what it
/// carries (a receiver that answers 500 to one payload), not because the target is down: after
/// [`ProbeStreak::SUSPECT_AFTER`] failures in a row the next parked delivery is tried at once, and
/// if that one goes through the first is set aside as a rejection, so no one delivery holds a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeStreak {
    #[serde(with = "crate::ids::ulid_text")]
    pub delivery_id: ulid::Ulid,
    pub failures: u32,
}

impl ProbeStreak {
    pub const SUSPECT_AFTER: u32 = 2;

    /// The streak after `delivery_id` failed as the probe, following `previous`.
    pub fn after(previous: Option<Self>, delivery_id: ulid::Ulid) -> Self {
        match previous {
            Some(p) if p.delivery_id == delivery_id => Self { delivery_id, failures: p.failures.saturating_add(1) },
            _ => Self { delivery_id, failures: 1 },
        }
    }

    /// Whether the next parked delivery should be tried beside this one.
    pub fn is_suspect(&self) -> bool {
        self.failures >= Self::SUSPECT_AFTER
    }
}

/// The fields a transition writes; the parking counters are updated on their own.
pub const TRANSITION_FIELDS: &[&str] = &[
    "failures",
    "epoch",
    "next_attempt_at",
    "last_status",
    "last_error",
    "last_failure_at",
    "last_success_at",
    "grace_until",
    "probe",
    "manual_resume_at",
    "paused_at",
];

/// What one failed attempt tells us about the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: Option<u16>,
    pub error: String,
    pub at: DateTime<Utc>,
}

impl TargetState {
    pub fn is_healthy(&self) -> bool {
        self.failures == 0 && self.next_attempt_at.is_none()
    }

    /// New deliveries wait in the parking lot.
    pub fn is_holding(&self) -> bool {
        self.next_attempt_at.is_some()
    }

    /// Recovered, and holding only while its backlog goes out: the receiver answered the probe (or
    /// the admin's Test) at the moment the hold was set to. A 429's hold, or a replay's, is not.
    pub fn is_draining(&self) -> bool {
        self.failures == 0 && self.next_attempt_at.is_some() && self.next_attempt_at == self.last_success_at
    }

    /// An isolated failure waits (`grace_until`): the target is not held.
    pub fn in_grace(&self) -> bool {
        self.grace_until.is_some() && !self.is_holding()
    }

    /// Every transition moves the epoch and ends a grace and a manual probe; only
    /// [`Self::isolated`] starts a grace, only [`Self::wake_now`] a manual probe.
    fn next(&self) -> Self {
        Self { epoch: self.epoch + 1, grace_until: None, manual_resume_at: None, ..self.clone() }
    }

    /// Only the epoch moves: a wake-up claims what a target that is not held has parked before it
    /// moves it back to the queue, so two wake-ups at once cannot both (nor can older ones later).
    pub fn claimed(&self) -> Self {
        Self { epoch: self.epoch + 1, ..self.clone() }
    }

    /// An isolated failure of a target that was succeeding: counted on the ladder, its delivery
    /// retried at `retry_at`, the target not held.
    pub fn isolated(&self, failure: &Failure, retry_at: DateTime<Utc>) -> Self {
        Self { next_attempt_at: None, grace_until: Some(retry_at), ..self.failed(failure, retry_at) }
    }

    /// A second failure in a row during a grace: the target is down after all, and holds until the
    /// grace's end, on the same rung (as if it had held from the first failure).
    pub fn held_from_grace(&self, failure: &Failure) -> Self {
        self.failed_manually(failure, self.grace_until.unwrap_or(failure.at))
    }

    /// One rung up; the next attempt at `retry_at`.
    pub fn failed(&self, failure: &Failure, retry_at: DateTime<Utc>) -> Self {
        Self {
            failures: self.failures.saturating_add(1),
            next_attempt_at: Some(retry_at),
            last_status: failure.status,
            last_error: Some(failure.error.clone()),
            last_failure_at: Some(failure.at),
            ..self.next()
        }
    }

    /// A 429: hold until `retry_at` without climbing the ladder.
    pub fn throttled(&self, retry_at: DateTime<Utc>) -> Self {
        Self {
            next_attempt_at: Some(retry_at),
            last_status: Some(429),
            last_error: Some("HTTP 429: the receiver asked us to slow down".into()),
            ..self.next()
        }
    }

    /// A success: the ladder resets. `holding_until` keeps new deliveries parked while the backlog drains.
    pub fn recovered(&self, at: DateTime<Utc>, holding_until: Option<DateTime<Utc>>) -> Self {
        Self { failures: 0, next_attempt_at: holding_until, last_success_at: Some(at), probe: None, ..self.next() }
    }

    /// Someone asked to send what is parked now (the admin's replay): the retry function wakes at
    /// `at`, probing a failing target or draining a recovered one, with the ladder left as it is.
    /// Should the probe fail, the target waits until `resume_at` as it would have (see
    /// [`Self::failed_manually`]): a manual probe never climbs the ladder.
    pub fn wake_now(&self, at: DateTime<Utc>, resume_at: DateTime<Utc>) -> Self {
        Self { next_attempt_at: Some(at), manual_resume_at: Some(resume_at), ..self.next() }
    }

    /// A person paused the target: deliveries park until they resume it (a new epoch, so a wake-up
    /// scheduled before stops at its epoch check).
    pub fn paused(&self, at: DateTime<Utc>) -> Self {
        Self { next_attempt_at: Some(PAUSED_HOLD), paused_at: Some(at), ..self.next() }
    }

    /// Resumed: what it parked is sent now, as "Send parked now" sends it (should the receiver
    /// fail, the target waits until `resume_at`, climbing no rung).
    pub fn resumed(&self, at: DateTime<Utc>, resume_at: DateTime<Utc>) -> Self {
        Self { paused_at: None, ..self.wake_now(at, resume_at) }
    }

    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// A failure that climbs no rung (a manual probe's; a second one during a grace): recorded, the
    /// count stays, and the target holds until `until` (when it would have been probed anyway).
    pub fn failed_manually(&self, failure: &Failure, until: DateTime<Utc>) -> Self {
        Self {
            next_attempt_at: Some(until),
            last_status: failure.status,
            last_error: Some(failure.error.clone()),
            last_failure_at: Some(failure.at),
            ..self.next()
        }
    }

    /// A wake-up ran out of sends or time: the rest continues in a fresh one at this new epoch, so no
    /// other wake-up of the old one (a nudge for a drain that looks overdue) drains beside it. A
    /// draining target stays draining, its hold set to now.
    pub fn continued(&self, now: DateTime<Utc>) -> Self {
        let last_success_at = if self.is_draining() { Some(now) } else { self.last_success_at };
        Self { next_attempt_at: Some(now), last_success_at, ..self.next() }
    }

    /// Nothing is parked to probe with: stop holding; the next delivery is sent and is the probe.
    pub fn released(&self) -> Self {
        Self { next_attempt_at: None, ..self.next() }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_transition_writes_every_field_but_the_counters() {
        let at = DateTime::UNIX_EPOCH;
        let full = TargetState {
            next_attempt_at: Some(at),
            last_status: Some(500),
            last_error: Some("e".into()),
            last_failure_at: Some(at),
            last_success_at: Some(at),
            grace_until: Some(at),
            manual_resume_at: Some(at),
            paused_at: Some(at),
            ..Default::default()
        };
        let value = serde_json::to_value(&full).unwrap();
        let counters = ["parked", "parked_expired", "rejections_in_row"];
        for key in value.as_object().unwrap().keys().filter(|k| !counters.contains(&k.as_str())) {
            assert!(TRANSITION_FIELDS.contains(&key.as_str()), "{key} is lost by every transition");
        }
    }

    use super::*;

    #[test]
    fn transitions_move_the_epoch() {
        let t0 = DateTime::UNIX_EPOCH;
        let s = TargetState::default();
        let f = Failure { status: Some(503), error: "HTTP 503".into(), at: t0 };
        let once = s.failed(&f, t0);
        assert_eq!((once.failures, once.epoch, once.last_status), (1, 1, Some(503)));
        assert!(once.is_holding() && !once.is_healthy());
        let twice = once.failed(&f, t0);
        assert_eq!((twice.failures, twice.epoch), (2, 2));
        let throttled = twice.throttled(t0);
        assert_eq!((throttled.failures, throttled.epoch, throttled.last_status), (2, 3, Some(429)));
        assert!(!throttled.is_draining(), "a 429's hold is probed first");
        let draining = throttled.recovered(t0, Some(t0));
        assert_eq!((draining.failures, draining.epoch), (0, 4));
        assert!(draining.is_holding() && draining.is_draining());
        let resume = t0 + chrono::Duration::minutes(15);
        assert!(
            !draining.wake_now(t0 + chrono::Duration::seconds(1), resume).is_draining(),
            "a replay is probed first"
        );
        let later = t0 + chrono::Duration::minutes(6);
        let continued = draining.continued(later);
        assert_eq!((continued.epoch, continued.next_attempt_at), (5, Some(later)), "a new epoch, a fresh hold");
        assert!(continued.is_draining());
        assert!(!twice.continued(later).is_draining(), "a failing target's continuation probes");
        let back = draining.released();
        assert!(back.is_healthy() && back.epoch == 5 && back.last_success_at == Some(t0));
        let woken = twice.wake_now(t0, resume);
        assert_eq!((woken.failures, woken.epoch, woken.next_attempt_at), (2, 3, Some(t0)), "the ladder stays");
        let still = woken.failed_manually(&f, resume);
        assert_eq!((still.failures, still.next_attempt_at, still.manual_resume_at), (2, Some(resume), None));
    }

    #[test]
    fn a_probe_streak_counts_the_same_delivery_only() {
        let (a, b) = (ulid::Ulid::from_parts(1, 1), ulid::Ulid::from_parts(1, 2));
        let once = ProbeStreak::after(None, a);
        assert_eq!(once.failures, 1);
        assert!(!once.is_suspect());
        let twice = ProbeStreak::after(Some(once), a);
        assert!(twice.is_suspect() && twice.failures == 2);
        assert_eq!(ProbeStreak::after(Some(twice), b), ProbeStreak { delivery_id: b, failures: 1 });
        let t0 = DateTime::UNIX_EPOCH;
        let held = TargetState { probe: Some(twice), ..TargetState::default() };
        assert_eq!(held.failed(&Failure { status: None, error: "x".into(), at: t0 }, t0).probe, Some(twice));
        assert_eq!(held.recovered(t0, None).probe, None, "a success ends the streak");
    }

    #[test]
    fn an_isolated_failure_is_counted_but_holds_nothing_until_a_second_one() {
        let t0 = DateTime::UNIX_EPOCH;
        let later = t0 + chrono::Duration::seconds(30);
        let f = Failure { status: Some(500), error: "HTTP 500".into(), at: t0 };
        let graced = TargetState::default().isolated(&f, later);
        assert_eq!((graced.failures, graced.epoch, graced.grace_until), (1, 1, Some(later)));
        assert!(graced.in_grace() && !graced.is_holding() && !graced.is_healthy());
        let held = graced.held_from_grace(&Failure { at: t0 + chrono::Duration::seconds(2), ..f.clone() });
        assert_eq!(
            (held.failures, held.next_attempt_at, held.grace_until),
            (1, Some(later), None),
            "same rung, same time"
        );
        assert!(held.is_holding() && !held.in_grace());
        let ok = graced.recovered(t0, None);
        assert!(ok.is_healthy() && ok.grace_until.is_none(), "a success ends the grace");
    }
}
