//! Checks a target by rendering it against a sample event of every kind it subscribes to, so a
//! template that would produce broken JSON is refused when saved, with the position and likely cause.

use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::event::{Event, SourceKind};
use super::health::health_warning;
use super::request::{BuildError, build};
use super::sample::sample_event;
use super::state::TargetState;
use super::target::{InvalidTarget, Target};
use super::template::Template;

/// The samples a target would receive (all of them if its patterns match none), each with `id`.
pub fn samples_for(target: &Target, id: Ulid, at: DateTime<Utc>) -> Vec<Event> {
    let mut all: Vec<Event> = [SourceKind::Kinescope, SourceKind::Ombi, SourceKind::Generic]
        .into_iter()
        .map(|k| sample_event(k, id, at))
        .collect();
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

/// Shape checks plus a rendering against each sample; JSON bodies must parse.
pub fn validate(target: &Target, at: DateTime<Utc>) -> Result<(), InvalidTarget> {
    target.validate()?;
    // Validation never sends, so the samples need no distinct ids.
    for sample in samples_for(target, Ulid::nil(), at) {
        let request = build(target, &sample, "validation", at.timestamp()).map_err(|e| InvalidTarget {
            field: match e {
                BuildError::Url(_) => "url",
                BuildError::Secret(_) => "secret",
                BuildError::Render(_) | BuildError::Header(_) => "headers",
            },
            message: e.to_string(),
        })?;
        let json_body = request
            .headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("json")));
        if json_body
            && !request.body.is_empty()
            && let Err(e) = serde_json::from_slice::<serde_json::Value>(&request.body)
        {
            let template =
                target.body.as_deref().filter(|b| !b.trim().is_empty()).or(target.preset.body()).unwrap_or("");
            let mut message = format!(
                "rendered for a sample {} event ({}), the body is not valid JSON: {} at line {}, column {}",
                sample.source_kind.as_str(),
                sample.name,
                describe(&e),
                e.line(),
                e.column()
            );
            if let Some(cause) = likely_cause(template, &sample) {
                message.push_str("; likely cause: ");
                message.push_str(&cause);
            }
            return Err(InvalidTarget { field: "body", message });
        }
    }
    Ok(())
}

fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A placeholder standing where a JSON value goes, without quotes, whose sample value is text (or
/// nothing): the classic `"text": {{title}}`.
fn likely_cause(template: &str, sample: &Event) -> Option<String> {
    let parsed = Template::parse(template);
    parsed.placeholder_spans().find_map(|(name, written, offset)| {
        let before = template[..offset].trim_end().chars().last();
        let after = template[offset + written.len()..].trim_start().chars().next();
        let bare = matches!(before, Some(':' | '[' | ',')) && matches!(after, Some(',' | '}' | ']') | None);
        let textual = sample.lookup(name).is_none_or(|v| v.is_string() || v.is_null());
        (bare && textual).then(|| {
            let (line, column) = line_col(template, offset);
            format!("{written} at line {line}, column {column} of the template is not in quotes; write \"{written}\"")
        })
    })
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
    fn an_unquoted_text_placeholder_is_refused_with_its_position() {
        let t = target(json!({"events": ["ombi:*"], "body": "{\n  \"text\": {{title}}\n}"}));
        let err = validate(&t, DateTime::UNIX_EPOCH).unwrap_err();
        assert_eq!(err.field, "body");
        assert!(err.message.contains("sample ombi event (RequestAvailable)"), "{}", err.message);
        assert!(err.message.contains("at line 2, column"), "{}", err.message);
        assert!(
            err.message.ends_with(
                "likely cause: {{title}} at line 2, column 11 of the template is not in quotes; write \"{{title}}\""
            ),
            "{}",
            err.message
        );
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
