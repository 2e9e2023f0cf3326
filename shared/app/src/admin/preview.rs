//! The request Herald would send, unsent: for a saved target, or for a draft being edited (the
//! settings page's live preview), which is validated as a save would be.

use herald_domain::adapters::{Origin, normalize};
use herald_domain::event::Event;
use herald_domain::redact::redact_target_url;
use herald_domain::request::{build, shown_header_value};
use herald_domain::sample::sample_event;
use herald_domain::validate::{samples_for, validate};
use herald_domain::{SourceId, SourceKind, Target, TargetId};

use super::inputs::{DraftPreview, PreviewInput};
use super::targets::keep_redacted;
use super::views::PreviewView;
use super::{Admin, AdminError, REDACTED, invalid};

/// Stands in for a secret the preview cannot see (`[redacted]`): signatures are shown redacted anyway.
const STAND_IN_SECRET: &str = "whsec_cHJldmlld3ByZXZpZXdwcmV2aWV3cHJldmlldw==";

impl Admin {
    /// A saved target's request for a given body (`{"kind", "body"}`) or a sample event.
    pub async fn preview(&self, id: &str, input: PreviewInput) -> Result<PreviewView, AdminError> {
        let target = self.find_target(id).await?;
        let event = self.event_for(&target, input)?;
        render(&target, &event, Vec::new())
    }

    /// The event a preview or a Test of `target` uses: the given body (`{"kind", "body"}`), a
    /// named sample, or the first sample the target would receive.
    pub(super) fn event_for(&self, target: &Target, input: PreviewInput) -> Result<Event, AdminError> {
        Ok(match input.body {
            Some(body) => {
                let kind = input.kind.unwrap_or(SourceKind::Generic);
                let source_id = SourceId::parse("preview").expect("valid");
                normalize(
                    &Origin::of(&source_id, kind),
                    body.to_string().as_bytes(),
                    self.ids.new_id(),
                    self.clock.now(),
                )
                .map_err(|e| invalid("body", e.to_string()))?
            }
            None => self.sample(target, input.kind, input.event.as_deref()),
        })
    }

    /// A target as edited, before it is saved: refused as a save would refuse it, else its
    /// request for a sample event and the warnings a save would give.
    pub async fn preview_draft(&self, draft: DraftPreview) -> Result<PreviewView, AdminError> {
        let mut input = draft.target;
        let id = match input.id.as_deref().map(TargetId::parse) {
            Some(Ok(id)) => id,
            _ => TargetId::parse("draft").expect("valid"),
        };
        // An edited target shows what its stored values will give; a new one has none to keep.
        if let Some(stored) = self.targets.get_target(&id).await? {
            keep_redacted(&mut input, &stored)?;
        } else if input.secret.as_deref() == Some(REDACTED) {
            input.secret = Some(STAND_IN_SECRET.to_owned());
        }
        let target = input.into_target(id, 0, None);
        let warnings = validate(&target, self.clock.now()).map_err(|e| invalid(e.field, e.message))?;
        let event = self.sample(&target, draft.kind, draft.event.as_deref());
        render(&target, &event, warnings)
    }

    /// A sample event of `kind` named `name`, or the first sample the target would receive.
    fn sample(&self, target: &Target, kind: Option<SourceKind>, name: Option<&str>) -> Event {
        let (id, now) = (self.ids.new_id(), self.clock.now());
        let mut event = match kind {
            Some(kind) => sample_event(kind, id, now),
            None => samples_for(target, id, now)
                .into_iter()
                .next()
                .unwrap_or_else(|| sample_event(SourceKind::Generic, id, now)),
        };
        if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) {
            name.clone_into(&mut event.name);
            event.fields.insert("event".into(), serde_json::Value::String(name.to_owned()));
        }
        event
    }
}

fn render(target: &Target, event: &Event, warnings: Vec<String>) -> Result<PreviewView, AdminError> {
    let request =
        build(target, event, "preview", event.received_at.timestamp()).map_err(|e| invalid("target", e.to_string()))?;
    Ok(PreviewView {
        method: request.method.as_str().to_owned(),
        url: redact_target_url(request.url.as_str()),
        headers: request.headers.iter().map(|(n, v)| (n.to_string(), shown_header_value(n, v))).collect(),
        body: String::from_utf8_lossy(&request.body).into_owned(),
        event: event.name.clone(),
        kind: event.source_kind,
        warnings,
    })
}
