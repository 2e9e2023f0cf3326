//! What Herald last did with a source's webhooks, so a user whose sender says "sent" (Ombi's Test
//! reports success whatever the answer) can see what Herald actually got.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// Event names come from the sender: kept short in what is stored and shown.
const LONGEST_NAME: usize = 200;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accepted: Option<LastAccepted>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refused: Option<LastRefused>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastAccepted {
    pub at: DateTime<Utc>,
    pub event: String,
    #[serde(with = "crate::ids::ulid_text")]
    pub event_id: Ulid,
    pub deliveries: usize,
}

/// A refusal: the status answered and Herald's own words for why (never a value the sender sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastRefused {
    pub at: DateTime<Utc>,
    pub status: u16,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SourceSignal {
    Accepted(LastAccepted),
    Refused(LastRefused),
}

impl SourceSignal {
    pub fn accepted(at: DateTime<Utc>, event: &str, event_id: Ulid, deliveries: usize) -> Self {
        let event = match event.char_indices().nth(LONGEST_NAME) {
            Some((cut, _)) => format!("{}…", &event[..cut]),
            None => event.to_owned(),
        };
        Self::Accepted(LastAccepted { at, event, event_id, deliveries })
    }

    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_event_names_are_cut() {
        let SourceSignal::Accepted(a) = SourceSignal::accepted(DateTime::UNIX_EPOCH, &"é".repeat(500), Ulid::nil(), 1)
        else {
            unreachable!()
        };
        assert_eq!(a.event.chars().count(), LONGEST_NAME + 1);
    }
}
