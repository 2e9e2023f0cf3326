//! Templates with Kino's `{{name}}` and JellyNext's `{name}` placeholders, escaped by where the
//! value lands. Parsed once into segments; rendering is a single pass with no regex.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::event::{Event, scalar_text};

/// Where the rendered text goes, which decides how each value is escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Strings JSON-escaped (without quotes: the template supplies them), numbers and booleans as-is.
    Json,
    /// Percent-encoded as a URL component.
    Url,
    /// Raw, but a value containing CR, LF or NUL is refused (header injection).
    Header,
    /// Raw.
    Text,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("placeholder {placeholder:?} would put a line break into header {header:?}")]
    HeaderInjection { header: String, placeholder: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{{name}}` always substitutes; `{name}` only when the name is a known placeholder.
    Placeholder {
        name: String,
        double: bool,
        source: String,
        /// Byte offset in the template, for error positions.
        offset: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// Characters left alone in a URL component: RFC 3986 unreserved.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl Template {
    pub fn parse(src: &str) -> Self {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = src;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let tail = &rest[open..];
            let (double, inner_start) = if tail.starts_with("{{") { (true, 2) } else { (false, 1) };
            let close_pat = if double { "}}" } else { "}" };
            let found = tail[inner_start..].find(close_pat).and_then(|end| {
                let inner = tail[inner_start..inner_start + end].trim();
                is_name(inner).then(|| (inner.to_owned(), inner_start + end + close_pat.len()))
            });
            match found {
                Some((name, consumed)) => {
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    let offset = src.len() - tail.len();
                    segments.push(Segment::Placeholder { name, double, source: tail[..consumed].to_owned(), offset });
                    rest = &tail[consumed..];
                }
                None => {
                    literal.push('{');
                    rest = &tail[1..];
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Self { segments }
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The placeholder names used, for validation and docs.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder { name, .. } => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// Each placeholder as written (`{{title}}`), with its byte offset in the source.
    pub fn placeholder_spans(&self) -> impl Iterator<Item = (&str, &str, usize)> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder { name, source, offset, .. } => Some((name.as_str(), source.as_str(), *offset)),
            Segment::Literal(_) => None,
        })
    }

    pub fn render(&self, event: &Event, context: Context) -> Result<String, RenderError> {
        self.render_named(event, context, "")
    }

    /// As [`render`](Self::render); `header` names the header in an injection error.
    pub fn render_named(&self, event: &Event, context: Context, header: &str) -> Result<String, RenderError> {
        let mut out = String::with_capacity(
            self.segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => l.len(),
                    // Room for a typical value (a one-line summary) without growing.
                    Segment::Placeholder { .. } => 64,
                })
                .sum(),
        );
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder { name, double, source, .. } => {
                    if !double && !event.knows(name) {
                        out.push_str(source);
                        continue;
                    }
                    let value = event.lookup(name);
                    let value = value.as_deref().unwrap_or(&Value::Null);
                    write_value(&mut out, value, context).map_err(|()| RenderError::HeaderInjection {
                        header: header.to_owned(),
                        placeholder: name.clone(),
                    })?;
                }
            }
        }
        Ok(out)
    }
}

fn write_value(out: &mut String, value: &Value, context: Context) -> Result<(), ()> {
    match context {
        Context::Json => match value {
            Value::String(s) => push_json_escaped(out, s),
            Value::Null => {}
            other => {
                let _ = write!(out, "{other}");
            }
        },
        Context::Url => out.extend(utf8_percent_encode(&scalar_text(value), URL_COMPONENT)),
        Context::Header => {
            let text = scalar_text(value);
            if text.contains(['\r', '\n', '\0']) {
                return Err(());
            }
            out.push_str(&text);
        }
        Context::Text => out.push_str(&scalar_text(value)),
    }
    Ok(())
}

/// Appends `s` escaped as the inside of a JSON string, without an intermediate allocation.
fn push_json_escaped(out: &mut String, s: &str) {
    // Most values need no escaping; this check has no early exit, so it runs as wide compares.
    let needs_escape = s.bytes().fold(false, |any, b| any | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if !needs_escape {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, byte) in s.bytes().enumerate() {
        // Bytes below 0x80 never occur inside a multi-byte character, so `i` is a char boundary.
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceKind;
    use crate::ids::SourceId;
    use chrono::DateTime;
    use serde_json::{Map, json};
    use ulid::Ulid;

    fn event(fields: Value) -> Event {
        let Value::Object(fields) = fields else { unreachable!() };
        Event {
            id: Ulid::nil(),
            source_id: SourceId::parse("s").unwrap(),
            source_kind: SourceKind::Generic,
            name: "e".into(),
            received_at: DateTime::UNIX_EPOCH,
            chatty: false,
            raw: crate::event::RawBody::from_value(&json!({"data": {"id": "d1"}})),
            fields: Map::from_iter(fields),
        }
    }

    fn render(src: &str, fields: Value, cx: Context) -> String {
        Template::parse(src).render(&event(fields), cx).unwrap()
    }

    #[test]
    fn both_syntaxes_case_insensitive() {
        let f = json!({"title": "Dune", "tmdbId": 438631});
        assert_eq!(render("{{title}}/{{ TITLE }}/{Title}/{TMDBID}", f, Context::Text), "Dune/Dune/Dune/438631");
    }

    #[test]
    fn single_brace_only_replaces_known_names() {
        let f = json!({"title": "Dune"});
        assert_eq!(
            render(r#"{"a":{"b":1}} {unknown} {year}|{{unknown}}"#, f, Context::Json),
            r#"{"a":{"b":1}} {unknown} |"#
        );
    }

    #[test]
    fn json_context_escapes_strings_and_passes_numbers() {
        let f = json!({"title": "Say \"hi\" \\ @everyone\n🎬", "season": 2, "anime": false, "none": null});
        let out = render(r#"{"t": "{{title}}", "s": {season}, "a": {{anime}}, "n": "{{none}}"}"#, f, Context::Json);
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, json!({"t": "Say \"hi\" \\ @everyone\n🎬", "s": 2, "a": false, "n": ""}));
    }

    #[test]
    fn json_escaping_matches_serde_json() {
        for s in
            ["plain", "quote \" and \\ back", "tab\tcr\rlf\n", "bell\u{7}\u{8}\u{c}nul\u{0}\u{1f}", "é🎬\u{2028}", ""]
        {
            let mut out = String::new();
            push_json_escaped(&mut out, s);
            assert_eq!(format!("\"{out}\""), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn url_context_percent_encodes() {
        let f = json!({"title": "Fight Club & co/?", "tmdbId": "550"});
        assert_eq!(
            render("https://x/dl?t={title}&id={tmdbId}", f, Context::Url),
            "https://x/dl?t=Fight%20Club%20%26%20co%2F%3F&id=550"
        );
    }

    #[test]
    fn header_context_refuses_line_breaks() {
        let t = Template::parse("Bearer {{title}}");
        let err =
            t.render_named(&event(json!({"title": "x\r\nEvil: 1"})), Context::Header, "Authorization").unwrap_err();
        assert_eq!(err.to_string(), "placeholder \"title\" would put a line break into header \"Authorization\"");
        assert_eq!(t.render(&event(json!({"title": "ok"})), Context::Header).unwrap(), "Bearer ok");
    }

    #[test]
    fn dotted_names_and_unclosed_braces() {
        assert_eq!(render("{{data.id}} {{ {x", json!({}), Context::Text), "d1 {{ {x");
        assert_eq!(Template::parse("{{a}}{b}").placeholders().collect::<Vec<_>>(), ["a", "b"]);
    }
}
