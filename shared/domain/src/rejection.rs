//! A delivery the receiver refused for its content (or that could not be built), set aside in its
//! target's rejected list with what a person needs to fix the template and replay it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::message::DeliveryMessage;
use super::request::RequestView;

/// How much of the request's body a rejection keeps for a person to read.
pub const KEPT_BODY_BYTES: usize = 4096;

/// A rejected delivery: the delivery itself, to replay once the template is fixed, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub delivery: DeliveryMessage,
    pub note: RejectionNote,
}

/// Why a delivery was rejected, as stored and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectionNote {
    pub rejected_at: DateTime<Utc>,
    pub status: Option<u16>,
    /// Herald's reason: "HTTP 400 Bad Request", "could not build the request: …".
    pub reason: String,
    /// Up to 1 KiB of the receiver's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// The request as it was sent, secrets redacted; none when it could not be built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestView>,
}

impl RejectionNote {
    /// "HTTP 400 Bad Request {"content": …}": the reason and what the receiver said.
    pub fn cause(&self) -> String {
        match &self.response {
            Some(response) if !response.is_empty() => format!("{} {response}", self.reason),
            _ => self.reason.clone(),
        }
    }
}
