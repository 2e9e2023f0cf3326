//! Which events a target receives: name patterns with `*` wildcards and an optional
//! `source:` prefix, narrowed by `when` conditions on field values.

use crate::activity::NotRouted;
use std::collections::BTreeMap;

use super::event::{Event, scalar_text};

/// `pattern` matches the event name; `*` matches any run of characters. A `source:` prefix
/// narrows to one source, by id or by kind (`ombi:RequestAvailable`).
pub fn pattern_matches(pattern: &str, event: &Event) -> bool {
    let (source, name_pattern) = match pattern.split_once(':') {
        Some((source, rest)) => (Some(source), rest),
        None => (None, pattern),
    };
    if let Some(source) = source
        && source != "*"
        && source != event.source_id.as_str()
        && source != event.source_kind.as_str()
    {
        return false;
    }
    glob(name_pattern.as_bytes(), event.name.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative wildcard match with backtracking to the last `*`: linear for the patterns we see.
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// A target's subscription. `events: None` is the default: every event that is not chatty.
pub fn subscribed(events: Option<&[String]>, when: &BTreeMap<String, Vec<String>>, event: &Event) -> bool {
    why_not_subscribed(events, when, event).is_none()
}

/// Why a subscription does not take `event`, if it does not.
pub fn why_not_subscribed(
    events: Option<&[String]>,
    when: &BTreeMap<String, Vec<String>>,
    event: &Event,
) -> Option<NotRouted> {
    let by_name = match events {
        None => !event.chatty,
        Some(patterns) => patterns.iter().any(|p| pattern_matches(p, event)),
    };
    if !by_name {
        return Some(NotRouted::NotSubscribed);
    }
    // A condition narrows only events that carry the field: `{"status": ["done"]}` keeps
    // intermediate Kinescope statuses out without hiding `live.finished`, which has no status.
    let when_holds = when.iter().all(|(field, allowed)| match event.lookup(field) {
        None => true,
        Some(value) => allowed.iter().any(|a| a == scalar_text(&value).as_ref()),
    });
    (!when_holds).then_some(NotRouted::When)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceKind;
    use crate::ids::SourceId;
    use chrono::DateTime;
    use serde_json::{Map, Value, json};
    use ulid::Ulid;

    fn event(name: &str, status: Option<&str>, chatty: bool) -> Event {
        let mut fields = Map::new();
        if let Some(s) = status {
            fields.insert("status".into(), json!(s));
        }
        Event {
            id: Ulid::nil(),
            source_id: SourceId::parse("kino-main").unwrap(),
            source_kind: SourceKind::Kinescope,
            name: name.into(),
            received_at: DateTime::UNIX_EPOCH,
            chatty,
            fields,
            event_pointer: None,
            summary_template: None,
            raw: crate::event::RawBody::from_value(&Value::Null),
        }
    }

    #[test]
    fn glob_patterns() {
        let e = event("live.finished", None, false);
        for yes in
            ["*", "live.*", "*.finished", "live.finished", "l*e.f*d", "kinescope:live.*", "kino-main:*", "*:live.*"]
        {
            assert!(pattern_matches(yes, &e), "{yes}");
        }
        for no in ["live", "live.f", "media.*", "ombi:*", "other:live.finished", "*.created"] {
            assert!(!pattern_matches(no, &e), "{no}");
        }
    }

    #[test]
    fn default_subscription_skips_chatty_events() {
        let none = BTreeMap::new();
        assert!(subscribed(None, &none, &event("live.finished", None, false)));
        assert!(!subscribed(None, &none, &event("live.connected", None, true)));
        let all = vec!["live.*".to_owned()];
        assert!(subscribed(Some(&all), &none, &event("live.connected", None, true)), "explicit patterns opt in");
    }

    #[test]
    fn when_narrows_events_that_carry_the_field() {
        let when = BTreeMap::from([("status".to_owned(), vec!["done".to_owned(), "error".to_owned()])]);
        let all = vec!["*".to_owned()];
        assert!(subscribed(Some(&all), &when, &event("media.update.status", Some("done"), false)));
        assert!(!subscribed(Some(&all), &when, &event("media.update.status", Some("processing"), false)));
        assert!(subscribed(Some(&all), &when, &event("live.finished", None, false)));
    }
}
