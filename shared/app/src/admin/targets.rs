//! Targets: create, read, replace (version-checked), delete; every answer redacted.

use herald_domain::redact::{origin, redact_target_url};
use herald_domain::validate::validate;
use herald_domain::{Secret, Target, TargetId};

use super::inputs::TargetInput;
use super::views::TargetView;
use super::{Admin, AdminError, REDACTED, invalid};
use crate::ports::StoreError;

/// The target as anyone may see it: URL secrets, the secret and every header value redacted.
pub fn redacted(target: &Target) -> Target {
    let mut shown = target.clone();
    shown.url = redact_target_url(&target.url);
    if shown.secret.is_some() {
        shown.secret = Some(Secret::new(REDACTED));
    }
    if let Some(previous) = &mut shown.previous_secret {
        previous.secret = Secret::new(REDACTED);
    }
    for value in shown.headers.values_mut() {
        *value = REDACTED.to_owned();
    }
    shown
}

fn view(target: &Target, warnings: Option<Vec<String>>) -> TargetView {
    TargetView { target: redacted(target), warnings }
}

impl Admin {
    /// The target, and validation's warnings: what Herald will fix at send time for real shapes.
    pub(super) fn checked_target(
        &self,
        input: TargetInput,
        id: TargetId,
        version: u64,
        incarnation: Option<ulid::Ulid>,
    ) -> Result<(Target, Vec<String>), AdminError> {
        let target = input.into_target(id, version, incarnation);
        let warnings = validate(&target, self.clock.now()).map_err(|e| invalid(e.field, e.message))?;
        Ok((target, warnings))
    }

    pub async fn create_target(&self, input: TargetInput) -> Result<TargetView, AdminError> {
        let id = match &input.id {
            Some(id) => TargetId::parse(id).map_err(|e| invalid("id", e.to_string()))?,
            None => TargetId::parse(self.ids.new_id().to_string().to_lowercase()).expect("ULIDs are valid ids"),
        };
        let (target, warnings) = self.checked_target(input, id.clone(), 1, Some(self.ids.new_id()))?;
        match self.config.save_target(&target, None).await {
            Err(StoreError::Conflict) => return Err(AdminError::Conflict(format!("target {id} already exists"))),
            other => other?,
        }
        Ok(view(&target, Some(warnings)))
    }

    /// Replaces a target. `if_match` (the `If-Match` header) or the body's `version` must be the
    /// version replaced, so a stale copy cannot undo a newer change.
    pub async fn update_target(
        &self,
        id: &str,
        mut input: TargetInput,
        if_match: Option<u64>,
    ) -> Result<TargetView, AdminError> {
        let stored = self.find_target(id).await?;
        if input.id.as_deref().is_some_and(|given| given != stored.id.as_str()) {
            return Err(invalid("id", "a target's id cannot change: create a new target instead"));
        }
        let Some(version) = if_match.or(input.version) else {
            return Err(invalid(
                "version",
                "send the version you read (the `version` field or an If-Match header), so a stale copy cannot undo a newer change",
            ));
        };
        check_version(&stored, version)?;
        keep_redacted(&mut input, &stored)?;
        let (mut target, warnings) =
            self.checked_target(input, stored.id.clone(), stored.version + 1, stored.incarnation)?;
        // An edit that keeps the secret (and so the host: see keep_redacted) keeps a rotation's
        // overlap; a new secret typed in replaces both at once.
        if target.secret == stored.secret && target.signature == stored.signature {
            target.previous_secret = stored.previous_secret.clone();
        }
        self.save_over(&target, stored.version).await?;
        if !stored.enabled && target.enabled {
            // Enabled again: what it held while disabled goes out now, in order.
            let state = self.states.get_state(&target.id).await?;
            if state.is_holding() || state.parked > 0 {
                let wakeup = herald_domain::message::WakeupMessage::of(&target, state.epoch);
                self.wakeups.schedule(&wakeup, std::time::Duration::ZERO, self.clock.now()).await?;
            }
        }
        Ok(view(&target, Some(warnings)))
    }

    /// Saves `target` over the version `replaced`, and only over it: a write made meanwhile wins.
    pub(super) async fn save_over(&self, target: &Target, replaced: u64) -> Result<(), AdminError> {
        match self.config.save_target(target, Some(replaced)).await {
            Err(StoreError::Conflict) => {
                Err(AdminError::Conflict(format!("target {} changed meanwhile; read it again", target.id)))
            }
            other => Ok(other?),
        }
    }

    pub async fn get_target(&self, id: &str) -> Result<TargetView, AdminError> {
        Ok(view(&self.find_target(id).await?, None))
    }

    pub async fn list_targets(&self) -> Result<Vec<TargetView>, AdminError> {
        Ok(self.targets.list_targets().await?.iter().map(|t| view(t, None)).collect())
    }

    pub async fn delete_target(&self, id: &str) -> Result<(), AdminError> {
        let parsed = TargetId::parse(id).map_err(|_| AdminError::NotFound(format!("target {id}")))?;
        if self.config.delete_target(&parsed).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("target {id}")))
        }
    }
}

/// A change made over the version the client read, not an older one: a stale copy cannot undo a
/// newer change.
pub(super) fn check_version(stored: &Target, read: u64) -> Result<(), AdminError> {
    if read != stored.version {
        return Err(AdminError::Conflict(format!(
            "target {} is at version {}, not {read}: read it again",
            stored.id, stored.version
        )));
    }
    Ok(())
}

/// A client that read a redacted target and sends it back keeps what is stored, as long as
/// requests still go where they went: secrets never follow a target to another host.
pub(super) fn keep_redacted(input: &mut TargetInput, stored: &Target) -> Result<(), AdminError> {
    if input.url == redact_target_url(&stored.url) {
        input.url = stored.url.clone();
    }
    // Moved unless both origins are fixed and the same: an unparseable or templated one can go anywhere.
    let moved = {
        let (new, old) = (origin(&input.url), origin(&stored.url));
        new.is_none() || new != old
    };
    let reenter = "the URL now points elsewhere: re-enter the secret and the secret headers instead of [redacted]";
    if input.secret.as_deref() == Some(REDACTED) {
        let Some(secret) = &stored.secret else {
            return Err(invalid("secret", "[redacted] stands for the stored secret, and this target has none"));
        };
        if moved {
            return Err(invalid("secret", reenter));
        }
        input.secret = Some(secret.expose().to_owned());
    }
    for (name, value) in input.headers.iter_mut() {
        if value != REDACTED {
            continue;
        }
        let Some(old) = stored.headers.get(name) else {
            return Err(invalid(
                &format!("headers.{name}"),
                "[redacted] stands for the stored value, and this header has none",
            ));
        };
        if moved {
            return Err(invalid(&format!("headers.{name}"), reenter));
        }
        value.clone_from(old);
    }
    Ok(())
}
