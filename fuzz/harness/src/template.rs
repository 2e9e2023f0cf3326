//! Templates rendered in every context against an event normalized from a fuzzed body.
//!
//! Input: `template NUL body`; without a NUL, all of it is the template and the body is Herald's
//! generic sample. The body is normalized as a Generic source; one with no event name gets the
//! pointer `""` (the whole body is the name), so any JSON object becomes the event.
//!
//! Checked, per placeholder (what `template.rs` promises for a value):
//! - Text: the value as `scalar_text` shows it; a `{name}` the event does not know stays as written;
//! - Header: no control characters, and nothing but runs of them changed;
//! - Url: only RFC 3986 unreserved characters and `%XX`, decoding back to the value;
//! - Json inside a string literal: the JSON string of the value; bare: a JSON value.
//!
//! and for the whole template: with no control characters in it, the Header rendering has none; and
//! if the template is valid JSON once each bare placeholder is read as `null` (placeholders inside
//! strings as their own text), the Json rendering is valid JSON.

use std::borrow::Cow;

use herald_domain::adapters::{Origin, normalize};
use herald_domain::event::scalar_text;
use herald_domain::sample::sample_event;
use herald_domain::template::{Context, Template};
use herald_domain::{Event, SourceId, SourceKind};
use serde_json::Value;

use crate::input::Input;
use crate::{fixed_id, fixed_time, lossy};

const CONTEXTS: [Context; 4] = [Context::Json, Context::Url, Context::Header, Context::Text];

pub fn template(data: &[u8]) {
    let has_body = data.contains(&0);
    let mut input = Input::new(data);
    let src = lossy(input.until_nul());
    let event = event(has_body.then(|| input.rest()));

    let template = Template::parse(&src);
    let rendered: Vec<String> = CONTEXTS.iter().map(|&cx| template.render(&event, cx)).collect();
    let _ = template.bare_nulls(&event).count();
    assert_eq!(template.is_empty(), src.is_empty(), "only an empty template has no segments");

    if !src.chars().any(char::is_control) {
        let header = &rendered[2];
        assert!(!header.chars().any(char::is_control), "header rendering has a control character: {header:?}");
    }

    let mut last = 0;
    for (name, source, offset) in template.placeholder_spans() {
        assert!(offset >= last && src[offset..].starts_with(source), "span {source:?} is not at {offset} in {src:?}");
        assert_eq!(Template::parse(source).placeholders().collect::<Vec<_>>(), [name], "{source:?} reparsed");
        check_placeholder(&event, name, source);
        last = offset + source.len();
    }

    if let Some(skeleton) = json_skeleton(&src, &template, &event)
        && serde_json::from_str::<Value>(&skeleton).is_ok()
    {
        let json = &rendered[0];
        if let Err(e) = serde_json::from_str::<Value>(json) {
            panic!("template is JSON ({skeleton}) but its rendering is not: {e}\n{json}");
        }
    }
}

fn event(body: Option<&[u8]>) -> Event {
    let (id, at) = (fixed_id(), fixed_time());
    let source_id = SourceId::parse("fuzz").expect("valid id");
    let generic = Origin::of(&source_id, SourceKind::Generic);
    let whole = Origin { event_pointer: Some(""), ..generic };
    body.and_then(|body| normalize(&generic, body, id, at).or_else(|_| normalize(&whole, body, id, at)).ok())
        .unwrap_or_else(|| sample_event(SourceKind::Generic, id, at))
}

fn substituted(event: &Event, name: &str, source: &str) -> bool {
    source.starts_with("{{") || event.knows(name)
}

fn check_placeholder(event: &Event, name: &str, source: &str) {
    let alone = Template::parse(source);
    if !substituted(event, name, source) {
        for cx in CONTEXTS {
            assert_eq!(alone.render(event, cx), source, "an unknown {{name}} must stay as written");
        }
        return;
    }
    let looked_up = event.lookup(name);
    let value: &Value = looked_up.as_deref().unwrap_or(&Value::Null);
    let text = scalar_text(value);

    assert_eq!(alone.render(event, Context::Text), text, "Text renders the value as is");

    let header = alone.render(event, Context::Header);
    assert!(!header.chars().any(char::is_control), "Header value has a control character: {header:?}");
    let visible = |s: &str| s.chars().filter(|c| !c.is_control() && *c != ' ').collect::<String>();
    assert_eq!(visible(&header), visible(&text), "Header changed more than control characters");
    assert!(header.chars().count() <= text.chars().count());

    let url = alone.render(event, Context::Url);
    assert_eq!(percent_decode(&url).as_deref(), Some(text.as_bytes()), "Url value {url:?} does not decode to {text:?}");

    let quoted = Template::parse(&format!("\"{source}\"")).render(event, Context::Json);
    let inside = match serde_json::from_str::<Value>(&quoted) {
        Ok(Value::String(s)) => s,
        other => panic!("Json value inside a string is not a JSON string: {quoted:?} ({other:?})"),
    };
    let expected: Cow<'_, str> = match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    };
    assert_eq!(inside, expected, "Json value inside a string does not read back");

    let bare = alone.render(event, Context::Json);
    let read = match serde_json::from_str::<Value>(&bare) {
        Ok(v) => v,
        Err(e) => panic!("bare Json value {bare:?} for {value:?} is not JSON: {e}"),
    };
    match value {
        Value::Null => assert_eq!(read, Value::Null),
        Value::String(s) if s.trim().is_empty() => assert_eq!(read, Value::Null, "empty is null"),
        Value::String(s) if matches!(s.trim(), "true" | "false") => assert_eq!(read, Value::Bool(s.trim() == "true")),
        Value::String(s) if read.is_number() => {
            assert_eq!(bare, s.trim(), "a number-like string goes out as the number it spells")
        }
        Value::String(s) => assert_eq!(read, Value::String(s.clone()), "other strings go out quoted"),
        Value::Bool(_) => assert_eq!(&read, value),
        Value::Number(_) => assert!(read.is_number(), "a number stays a number: {bare}"),
        Value::Array(_) | Value::Object(_) => assert_eq!(read.is_array(), value.is_array()),
    }
}

/// `%XX`-decodes text made only of RFC 3986 unreserved characters and `%XX`; `None` for anything else.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: u8| match c {
                    b'0'..=b'9' => Some(c - b'0'),
                    b'A'..=b'F' => Some(c - b'A' + 10),
                    _ => None,
                };
                out.push(hex(*b.get(i + 1)?)? << 4 | hex(*b.get(i + 2)?)?);
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') => {
                out.push(c);
                i += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The template as the JSON it stands for: each substituted placeholder outside a string literal
/// replaced by `null`, everything else (placeholders inside strings, unknown `{name}`s) as written.
/// String literals are tracked here independently of `template.rs`, over the template's text.
fn json_skeleton(src: &str, template: &Template, event: &Event) -> Option<String> {
    let mut out = String::with_capacity(src.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut scan = |text: &str, out: &mut String| {
        for c in text.chars() {
            if escaped {
                escaped = false;
            } else if in_string && c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = !in_string;
            }
            out.push(c);
        }
        in_string
    };
    let mut last = 0;
    for (name, source, offset) in template.placeholder_spans() {
        let in_str = scan(src.get(last..offset)?, &mut out);
        if substituted(event, name, source) && !in_str {
            out.push_str("null");
        } else {
            out.push_str(source);
        }
        last = offset + source.len();
    }
    scan(src.get(last..)?, &mut out);
    Some(out)
}
