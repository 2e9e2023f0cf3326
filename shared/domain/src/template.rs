//! Templates with Kino's `{{name}}` and JellyNext's `{name}` placeholders, escaped by where the
//! value lands. Parsed once into segments; rendering is a single pass with no regex.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::event::{Event, scalar_text};

/// Where the rendered text goes, which decides how each value is escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Inside a JSON string: the value JSON-escaped (the template supplies the quotes). Outside one
    /// (a *bare* placeholder, `"year": {{year}}`): numbers and booleans as they are, a missing, null or
    /// empty value as `null`, anything else as a quoted JSON string, so the body stays valid JSON.
    Json,
    /// Percent-encoded as a URL component.
    Url,
    /// Raw, with CR, LF and other control characters folded to a space (no header injection, and a
    /// multi-line Ombi comment still fits on one header line).
    Header,
    /// Raw.
    Text,
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
        /// Outside any JSON string literal of the template, were it JSON.
        bare: bool,
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
            // A placeholder holds only a name and spaces around it: the scan stops at the first other
            // character, which must begin the close. (Searching for the close from every brace made
            // a run of braces quadratic: seconds for 64 KiB.)
            let inner_len = tail[inner_start..]
                .find(|c: char| !(c.is_whitespace() || c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
                .unwrap_or(tail.len() - inner_start);
            let found = tail[inner_start + inner_len..].starts_with(close_pat).then_some(inner_len).and_then(|end| {
                let inner = tail[inner_start..inner_start + end].trim();
                is_name(inner).then(|| (inner.to_owned(), inner_start + end + close_pat.len()))
            });
            match found {
                Some((name, consumed)) => {
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    let offset = src.len() - tail.len();
                    segments.push(Segment::Placeholder {
                        name,
                        double,
                        source: tail[..consumed].to_owned(),
                        offset,
                        bare: false,
                    });
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
        mark_bare(&mut segments);
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

    /// Bare JSON placeholders (outside quotes) whose value in `event` is missing, null or empty: they
    /// render `null`, which validation reports as a warning.
    pub fn bare_nulls<'a>(&'a self, event: &'a Event) -> impl Iterator<Item = &'a str> + 'a {
        self.segments.iter().filter_map(move |s| match s {
            Segment::Placeholder { name, double, bare: true, .. } if *double || event.knows(name) => {
                is_nothing(event.lookup(name).as_deref()).then_some(name.as_str())
            }
            _ => None,
        })
    }

    pub fn render(&self, event: &Event, context: Context) -> String {
        self.render_capped(event, context, usize::MAX)
    }

    /// [`Self::render`], stopping once the output passes `max` bytes: a short text that repeats
    /// `{{raw}}` over a large webhook is never built whole.
    pub fn render_capped(&self, event: &Event, context: Context, max: usize) -> String {
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
            if out.len() > max {
                break;
            }
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder { name, double, source, bare, .. } => {
                    if !double && !event.knows(name) {
                        out.push_str(source);
                        continue;
                    }
                    let value = event.lookup(name);
                    let value = value.as_deref().unwrap_or(&Value::Null);
                    write_value(&mut out, value, context, *bare);
                }
            }
        }
        out
    }
}

/// Marks each placeholder that stands outside every string literal, reading the literal text
/// around it as JSON would (a substituted value never opens or closes a string: it is escaped).
fn mark_bare(segments: &mut [Segment]) {
    let (mut in_string, mut escaped) = (false, false);
    for segment in segments {
        match segment {
            Segment::Literal(text) => {
                for c in text.chars() {
                    if escaped {
                        escaped = false;
                    } else if in_string && c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        in_string = !in_string;
                    }
                }
            }
            Segment::Placeholder { bare, .. } => *bare = !in_string,
        }
    }
}

fn is_nothing(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    }
}

/// A JSON number as the grammar has it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    match digits(&mut i) {
        0 => return false,
        n if n > 1 && b[int_start] == b'0' => return false,
        _ => {}
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn write_value(out: &mut String, value: &Value, context: Context, bare: bool) {
    match context {
        Context::Json if bare => match value {
            _ if is_nothing(Some(value)) => out.push_str("null"),
            Value::String(s) if is_json_number(s.trim()) || matches!(s.trim(), "true" | "false") => {
                out.push_str(s.trim())
            }
            Value::String(s) => {
                out.push('"');
                push_json_escaped(out, s);
                out.push('"');
            }
            other => {
                let _ = write!(out, "{other}");
            }
        },
        Context::Json => match value {
            Value::String(s) => push_json_escaped(out, s),
            Value::Null => {}
            Value::Number(_) | Value::Bool(_) => {
                let _ = write!(out, "{value}");
            }
            // A list or object inside a string: its JSON text, escaped as string content.
            other => push_json_escaped(out, &other.to_string()),
        },
        Context::Url => out.extend(utf8_percent_encode(&scalar_text(value), URL_COMPONENT)),
        Context::Header => push_folded(out, &scalar_text(value)),
        Context::Text => out.push_str(&scalar_text(value)),
    }
}

/// Control characters (CR, LF, NUL, tabs …) become one space per run.
fn push_folded(out: &mut String, text: &str) {
    let mut in_run = false;
    for c in text.chars() {
        if c.is_control() {
            if !in_run {
                out.push(' ');
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
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
mod tests;
