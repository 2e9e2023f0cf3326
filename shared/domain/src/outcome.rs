//! What happened when we sent a request: a receiver's 500 is a value, not an error.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// 2xx.
    Delivered { status: u16, elapsed: Duration },
    /// 429: the receiver asked us to wait (`Retry-After`, or Discord's JSON `retry_after`).
    Throttled { retry_after: Option<Duration>, elapsed: Duration },
    /// A *target failure*: a non-2xx status that says the target is not taking deliveries (3xx,
    /// since redirects are not followed, 401, 403, 404, 410, 5xx …), a timeout, DNS, TLS, a refused
    /// connection, or an address the SSRF guard refused. The target climbs the ladder.
    Failed {
        status: Option<u16>,
        error: String,
        /// Up to 1 KiB of what the receiver answered, when it answered.
        response: Option<String>,
        elapsed: Duration,
    },
    /// A *delivery rejection*: the receiver refused this payload (see [`rejects_payload`]), or the
    /// request could not be built. The delivery is set aside; the target is not held for it.
    Rejected {
        status: Option<u16>,
        error: String,
        /// Up to 1 KiB of what the receiver answered.
        response: Option<String>,
        elapsed: Duration,
    },
}

/// The statuses by which a receiver refuses one payload rather than all of them: the next delivery
/// may well go through, so holding the target for this one would hold every other one hostage.
/// 414 (URI too long) and 431 (header fields too large) are about what a value put into the URL
/// or a header made of this delivery, not about the receiver.
pub fn rejects_payload(status: u16) -> bool {
    matches!(status, 400 | 413 | 414 | 415 | 422 | 431)
}

impl DeliveryOutcome {
    pub fn elapsed(&self) -> Duration {
        match self {
            Self::Delivered { elapsed, .. }
            | Self::Throttled { elapsed, .. }
            | Self::Failed { elapsed, .. }
            | Self::Rejected { elapsed, .. } => *elapsed,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Delivered { status, .. } => Some(*status),
            Self::Throttled { .. } => Some(429),
            Self::Failed { status, .. } | Self::Rejected { status, .. } => *status,
        }
    }
}
