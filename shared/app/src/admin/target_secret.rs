//! Rotating a target's signing secret with an overlap: deliveries carry the new signature and the
//! old one until the receiver has the new secret, so none fails verification meanwhile.

use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_domain::target::{PreviousSecret, SignatureScheme};
use herald_domain::{Secret, Target};
use serde::Serialize;

use super::sources::check_overlap;
use super::targets::check_version;
use super::{Admin, AdminError, invalid, random_bytes, standard_secret};

/// How long a Standard Webhooks target signs with its old secret too, unless told otherwise.
pub const DEFAULT_SECRET_OVERLAP: Duration = Duration::from_secs(24 * 3600);

/// The new secret, shown once.
#[derive(Debug, Serialize)]
pub struct RotatedSecret {
    pub id: String,
    pub secret: String,
    pub signature: SignatureScheme,
    /// Until when deliveries also carry the old secret's signature (none: the old one is dropped).
    pub previous_until: Option<DateTime<Utc>>,
    pub version: u64,
    pub note: &'static str,
}

impl Admin {
    /// Replaces the target's secret with `secret` (or a generated one of its scheme). For `overlap`
    /// (at most [`MAX_OVERLAP`](super::sources::MAX_OVERLAP); default [`DEFAULT_SECRET_OVERLAP`])
    /// Standard Webhooks deliveries are signed with both; a hex signature header holds one signature, so a hex
    /// target rotates at once (its overlap must be zero, the default for it).
    pub async fn rotate_target_secret(
        &self,
        id: &str,
        overlap: Option<Duration>,
        secret: Option<String>,
        if_match: Option<u64>,
    ) -> Result<RotatedSecret, AdminError> {
        let mut target = self.find_target(id).await?;
        let overlap = overlap.unwrap_or(match target.signature {
            SignatureScheme::Standard => DEFAULT_SECRET_OVERLAP,
            SignatureScheme::Hex => Duration::ZERO,
        });
        check_overlap(overlap)?;
        if let Some(read) = if_match {
            check_version(&target, read)?;
        }
        if target.signature == SignatureScheme::Hex && !overlap.is_zero() && target.secret.is_some() {
            return Err(invalid(
                "overlap_hours",
                "a hex signature header carries one signature, so this target cannot sign with both secrets: \
                 send overlap_hours 0 and update the receiver at the same time, or switch the target to \
                 standard signatures, which carry both during an overlap",
            ));
        }
        let secret = match secret {
            Some(given) => given,
            None => generated(target.signature),
        };
        if target.secret.as_ref().is_some_and(|old| old.expose() == secret) {
            return Err(invalid("secret", "is the current secret: a rotation needs a new one"));
        }
        let old = target.secret.replace(Secret::new(&secret));
        let until = self.clock.now() + overlap;
        target.previous_secret = match old {
            Some(old) if !overlap.is_zero() => Some(PreviousSecret { secret: old, until }),
            _ => None,
        };
        target.validate().map_err(|e| invalid(e.field, e.message))?;
        target.version += 1;
        self.save_over(&target, target.version - 1).await?;
        Ok(rotated(&target, secret))
    }
}

fn rotated(target: &Target, secret: String) -> RotatedSecret {
    let previous_until = target.previous_secret.as_ref().map(|p| p.until);
    RotatedSecret {
        id: target.id.to_string(),
        secret,
        signature: target.signature,
        previous_until,
        version: target.version,
        note: match previous_until {
            Some(_) => {
                "the new secret is shown only now: give it to the receiver; until previous_until each delivery \
                 carries both signatures, so either secret verifies it"
            }
            None => "the new secret is shown only now: give it to the receiver; the old one signs nothing from now on",
        },
    }
}

/// A fresh secret in the scheme's form: `whsec_` and base64 for Standard Webhooks, hex otherwise.
fn generated(scheme: SignatureScheme) -> String {
    let bytes = random_bytes();
    match scheme {
        SignatureScheme::Standard => standard_secret(&bytes),
        SignatureScheme::Hex => hex::encode(bytes),
    }
}
