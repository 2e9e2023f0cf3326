//! What happened when we sent a request: a receiver's 500 is a value, not an error.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// 2xx.
    Delivered { status: u16, elapsed: Duration },
    /// 429: the receiver asked us to wait (`Retry-After`, or Discord's JSON `retry_after`).
    Throttled { retry_after: Option<Duration>, elapsed: Duration },
    /// Anything else: a non-2xx status (3xx included: redirects are not followed), a timeout,
    /// a refused connection, or an address the SSRF guard refused.
    Failed { status: Option<u16>, error: String, elapsed: Duration },
}

impl DeliveryOutcome {
    pub fn elapsed(&self) -> Duration {
        match self {
            Self::Delivered { elapsed, .. } | Self::Throttled { elapsed, .. } | Self::Failed { elapsed, .. } => {
                *elapsed
            }
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Delivered { status, .. } => Some(*status),
            Self::Throttled { .. } => Some(429),
            Self::Failed { status, .. } => *status,
        }
    }
}
