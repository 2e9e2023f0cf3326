//! Checks a target by rendering it against a sample event of every kind it subscribes to, so a
//! template that would produce broken JSON is refused when saved, with the position and likely cause.

use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::event::{Event, SourceKind};
use super::health::health_warning;
use super::request::{BuildError, build_noting};
use super::sample::{awkward_samples, sample_event};
use super::state::TargetState;
use super::target::{InvalidTarget, Target};
use super::template::Template;

/// The samples a target would receive (all of them if its patterns match none), each with `id`.
pub fn samples_for(target: &Target, id: Ulid, at: DateTime<Utc>) -> Vec<Event> {
    let mut all: Vec<Event> = SourceKind::selectable().map(|k| sample_event(k, id, at)).collect();
    all.push(health_warning(
        target,
        &TargetState { failures: 5, last_error: Some("HTTP 503".into()), ..Default::default() },
        id,
        at,
    ));
    let mut probe = target.clone();
    probe.enabled = true;
    let wanted: Vec<Event> = all.iter().filter(|e| probe.wants(e)).cloned().collect();
    if wanted.is_empty() { all } else { wanted }
}

/// Shape checks plus a rendering against each sample; JSON bodies must parse. Also renders the
/// awkward shapes real senders send (every field null, no year, very long text) and returns, as
/// warnings, what Herald will fix at send time for them (a cut message, a bare placeholder sent as
/// `null`); what it cannot fix (a body that is not JSON) refuses the target.
pub fn validate(target: &Target, at: DateTime<Utc>) -> Result<Vec<String>, InvalidTarget> {
    target.validate()?;
    let mut warnings = Vec::new();
    // Validation never sends, so the samples need no distinct ids.
    for sample in samples_for(target, Ulid::nil(), at) {
        check(target, &sample, at, &mut warnings)?;
    }
    let mut probe = target.clone();
    probe.enabled = true;
    let template = body_template(target).map(Template::parse);
    for sample in awkward_samples(Ulid::nil(), at).into_iter().filter(|e| probe.wants(e)) {
        check(target, &sample, at, &mut warnings)?;
        if let Some(template) = &template
            && is_json(target)
        {
            for name in template.bare_nulls(&sample) {
                warnings.push(format!(
                    "{{{{{name}}}}} has no value in a {} {} event: it is sent as null",
                    sample.source_kind.as_str(),
                    sample.name
                ));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    Ok(warnings)
}

fn body_template(target: &Target) -> Option<&str> {
    target.body.as_deref().filter(|b| !b.trim().is_empty()).or(target.preset.body())
}

fn is_json(target: &Target) -> bool {
    let content_type = target.content_type.as_deref().unwrap_or(target.preset.content_type());
    content_type.to_ascii_lowercase().contains("json")
}

fn check(target: &Target, sample: &Event, at: DateTime<Utc>, warnings: &mut Vec<String>) -> Result<(), InvalidTarget> {
    let (request, notes) = build_noting(target, sample, "validation", at.timestamp()).map_err(|e| InvalidTarget {
        field: match e {
            BuildError::Url(_) | BuildError::UrlTooLong { .. } => "url",
            BuildError::HeadersTooLong { .. } => "headers",
            BuildError::BodyTooLarge { .. } => "body",
            BuildError::Secret(_) => "secret",
            BuildError::Header(_) | BuildError::Reserved(_) => "headers",
        },
        message: e.to_string(),
    })?;
    for note in notes {
        warnings.push(format!("with a long {} {} event, {note}", sample.source_kind.as_str(), sample.name));
    }
    let json_body = request
        .headers
        .iter()
        .any(|(n, v)| n == "content-type" && v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("json")));
    if json_body
        && !request.body.is_empty()
        && let Err(e) = serde_json::from_slice::<serde_json::Value>(&request.body)
    {
        let message = format!(
            "rendered for a sample {} event ({}), the body is not valid JSON: {} at line {}, column {}",
            sample.source_kind.as_str(),
            sample.name,
            describe(&e),
            e.line(),
            e.column()
        );
        return Err(InvalidTarget { field: "body", message });
    }
    Ok(())
}

fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(extra: serde_json::Value) -> Target {
        let mut base = json!({"id": "t", "name": "T", "url": "https://x.example/hook"});
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn an_unquoted_text_placeholder_is_sent_as_a_string() {
        let t = target(json!({"events": ["ombi:*"], "body": "{\n  \"text\": {{title}}\n}"}));
        validate(&t, DateTime::UNIX_EPOCH).unwrap();
    }

    #[test]
    fn awkward_shapes_give_warnings_not_refusals() {
        let bare = target(json!({"body": "{\"year\": {{year}}, \"t\": \"{{title}}\"}", "events": ["ombi:*"]}));
        let warnings = validate(&bare, DateTime::UNIX_EPOCH).unwrap();
        assert!(
            warnings.iter().any(|w| w == "{{year}} has no value in a ombi Test event: it is sent as null"),
            "{warnings:?}"
        );
        assert!(!warnings.iter().any(|w| w.contains("{{title}}")), "quoted ones render empty: {warnings:?}");
        let discord = target(json!({"preset": "discord", "body": "{\"content\": \"{{overview}}\"}"}));
        let warnings = validate(&discord, DateTime::UNIX_EPOCH).unwrap();
        assert!(warnings.iter().any(|w| w.contains("Discord takes 2000")), "{warnings:?}");
        let ntfy = target(json!({"preset": "ntfy", "body": "{{message}}"}));
        assert!(validate(&ntfy, DateTime::UNIX_EPOCH).unwrap().iter().any(|w| w.contains("ntfy takes 4096")));
        let quiet = target(json!({"preset": "discord", "events": ["kinescope:*"]}));
        assert_eq!(validate(&quiet, DateTime::UNIX_EPOCH).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_syntax_error_that_only_sparse_values_reveal_is_refused() {
        let t = target(json!({"events": ["ombi:*"], "body": "{\"y\": {{year}}{{year}}}"}));
        let err = validate(&t, DateTime::UNIX_EPOCH).unwrap_err();
        assert!(err.message.contains("not valid JSON"), "{}", err.message);
    }

    #[test]
    fn valid_templates_and_presets_pass() {
        validate(
            &target(json!({"body": "{\"text\": \"{{title}}\", \"n\": {year}}", "events": ["generic:*"]})),
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
        for preset in ["discord", "slack", "ntfy", "telegram", "home_assistant", "generic"] {
            validate(&target(json!({"preset": preset})), DateTime::UNIX_EPOCH).unwrap();
        }
    }

    #[test]
    fn broken_json_without_a_placeholder_cause_still_names_the_position() {
        let err = validate(&target(json!({"body": "{\"a\": 1,}"})), DateTime::UNIX_EPOCH).unwrap_err();
        assert!(err.message.contains("line 1, column 9"), "{}", err.message);
        assert!(!err.message.contains("likely cause"));
    }
}
