//! Turns (target, event) into the exact HTTP request to send: rendered, shaped by the preset, signed.

use http::{HeaderName, HeaderValue};
use serde_json::Value;

use super::event::Event;
use super::preset::{Limit, Preset, truncate_bytes, truncate_chars};
use super::signature::{StandardKey, hex_signature};
use super::target::{DEFAULT_HEX_HEADER, Method, SignatureScheme, Target};
use super::template::{Context, Template};

pub const USER_AGENT: &str = concat!("Herald/", env!("CARGO_PKG_VERSION"));

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: Method,
    pub url: url::Url,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BuildError {
    #[error("rendered URL {0:?} is not a valid http(s) URL")]
    Url(String),
    #[error("header {0:?} is not a valid header")]
    Header(String),
    #[error("header {0:?} frames or routes the request, or carries Herald's signature: Herald sets it itself")]
    Reserved(String),
    #[error("secret is not usable: {0}")]
    Secret(String),
    /// What a value put into the URL made too long to send: this delivery's content, not the
    /// receiver, so it is a rejection and never holds the target.
    #[error(
        "the URL is {bytes} bytes with this event's values; receivers take at most {limit}: keep long placeholders out of it"
    )]
    UrlTooLong { bytes: usize, limit: usize },
    /// The same for a header (`what`: "header x-title", or "the headers" all together).
    #[error(
        "{what} is {bytes} bytes with this event's values; receivers take at most {limit}: keep long placeholders out of it"
    )]
    HeadersTooLong { what: String, bytes: usize, limit: usize },
    /// A body the event's values made huge (`{{raw}}` repeated over a large webhook): set aside, not
    /// sent to the receiver nor held in memory per target.
    #[error(
        "the body is {bytes} bytes with this event's values; Herald sends at most {limit}: keep {{{{raw}}}} to once"
    )]
    BodyTooLarge { bytes: usize, limit: usize },
}

/// The largest body Herald renders for one delivery.
pub const MAX_RENDERED_BODY_BYTES: usize = 1024 * 1024;

/// The longest URL sent: common servers answer 414 past 8 KiB (nginx, Apache), and the HTTP
/// library refuses one past 64 KiB before anything is sent.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// The longest header line, and all headers together (nginx's defaults; past them receivers answer 431).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
pub const MAX_HEADERS_TOTAL_BYTES: usize = 32 * 1024;

/// Headers a target may not set: they frame the request (a wrong `Content-Length` desynchronises the
/// receiver and poisons the pooled connection), route it, or are Herald's own signature.
const RESERVED_HEADERS: &[&str] =
    &["host", "content-length", "transfer-encoding", "connection", "te", "upgrade", "keep-alive", "trailer", "expect"];
const RESERVED_PREFIXES: &[&str] = &["proxy-", "webhook-"];

pub fn is_reserved_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    RESERVED_HEADERS.contains(&name.as_str()) || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json") || essence.to_ascii_lowercase().ends_with("+json")
}

/// Builds the request. `delivery_id` becomes the Standard Webhooks `webhook-id`, stable across
/// retries so receivers can dedupe; `now_unix` is the signed timestamp.
pub fn build(target: &Target, event: &Event, delivery_id: &str, now_unix: i64) -> Result<OutboundRequest, BuildError> {
    build_noting(target, event, delivery_id, now_unix).map(|(request, _)| request)
}

/// As [`build`], with what Herald changed to fit the receiver ("content cut from 3120 to 2000
/// characters"), for validation's warnings.
pub fn build_noting(
    target: &Target,
    event: &Event,
    delivery_id: &str,
    now_unix: i64,
) -> Result<(OutboundRequest, Vec<String>), BuildError> {
    let rendered_url = Template::parse(&target.url).render(event, Context::Url);
    let url = url::Url::parse(&rendered_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| BuildError::Url(redact_url(&rendered_url)))?;
    if url.as_str().len() > MAX_URL_BYTES {
        return Err(BuildError::UrlTooLong { bytes: url.as_str().len(), limit: MAX_URL_BYTES });
    }
    // The HTTP library's own parse, so that no URL fails only when it is sent.
    if http::Uri::try_from(url.as_str()).is_err() {
        return Err(BuildError::Url(redact_url(url.as_str())));
    }

    let content_type = target.content_type.as_deref().unwrap_or(target.preset.content_type());
    let mut notes = Vec::new();
    let body =
        if target.method == Method::Get { Vec::new() } else { render_body(target, event, content_type, &mut notes) };
    if body.len() > MAX_RENDERED_BODY_BYTES {
        return Err(BuildError::BodyTooLarge { bytes: body.len(), limit: MAX_RENDERED_BODY_BYTES });
    }

    let mut headers = Vec::with_capacity(target.headers.len() + 5);
    let mut push = |name: &str, value: &str| -> Result<(), BuildError> {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| BuildError::Header(name.to_owned()))?;
        // Bytes, not `from_str`: a title with "é" is a valid (obs-text) header value.
        let v = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| BuildError::Header(name.to_owned()))?;
        headers.retain(|(existing, _): &(HeaderName, HeaderValue)| existing != n);
        headers.push((n, v));
        Ok(())
    };
    push("user-agent", USER_AGENT)?;
    if !body.is_empty() {
        push("content-type", content_type)?;
    }
    let header_templates = target
        .preset
        .headers()
        .iter()
        .map(|(n, v)| (*n, *v))
        .chain(target.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    for (name, value) in header_templates {
        let name = Template::parse(name).render(event, Context::Header);
        // Checked on the rendered name too: a placeholder in a name must not make one of them.
        if is_reserved_header(&name) {
            return Err(BuildError::Reserved(name));
        }
        let value = Template::parse(value).render(event, Context::Header);
        push(&name, &value)?;
    }
    if let Some(secret) = &target.secret {
        match target.signature {
            SignatureScheme::Standard => {
                let key = StandardKey::parse(secret.expose()).map_err(|e| BuildError::Secret(e.to_string()))?;
                push("webhook-id", delivery_id)?;
                push("webhook-timestamp", &now_unix.to_string())?;
                let mut signatures = key.sign(delivery_id, now_unix, &body);
                // During a rotation's overlap both go out, space-separated as the specification
                // allows: a receiver that has either secret verifies the delivery.
                if let Some(previous) = target.previous_secret_at(now_unix) {
                    let previous =
                        StandardKey::parse(previous.expose()).map_err(|e| BuildError::Secret(e.to_string()))?;
                    signatures = format!("{signatures} {}", previous.sign(delivery_id, now_unix, &body));
                }
                push("webhook-signature", &signatures)?;
            }
            SignatureScheme::Hex => {
                let header = target.signature_header.as_deref().unwrap_or(DEFAULT_HEX_HEADER);
                // Nor a header a preview shows (User-Agent, Content-Type): the preview would be a
                // signing oracle, an HMAC of a chosen body under the stored secret.
                if is_reserved_header(header) || is_shown_header(header) {
                    return Err(BuildError::Reserved(header.to_owned()));
                }
                push(header, &hex_signature(secret.expose().as_bytes(), &body))?;
            }
        }
    }
    check_header_sizes(&headers)?;
    Ok((OutboundRequest { method: target.method, url, headers, body }, notes))
}

fn check_header_sizes(headers: &[(HeaderName, HeaderValue)]) -> Result<(), BuildError> {
    let mut total = 0;
    for (name, value) in headers {
        // "name: value\r\n", as the receiver counts it.
        let line = name.as_str().len() + 2 + value.len() + 2;
        if line > MAX_HEADER_BYTES {
            return Err(BuildError::HeadersTooLong {
                what: format!("header {name}"),
                bytes: line,
                limit: MAX_HEADER_BYTES,
            });
        }
        total += line;
    }
    if total > MAX_HEADERS_TOTAL_BYTES {
        return Err(BuildError::HeadersTooLong {
            what: "the headers".into(),
            bytes: total,
            limit: MAX_HEADERS_TOTAL_BYTES,
        });
    }
    Ok(())
}

fn render_body(target: &Target, event: &Event, content_type: &str, notes: &mut Vec<String>) -> Vec<u8> {
    let custom = target.body.as_deref().filter(|b| !b.trim().is_empty());
    let Some(template) = custom.or(target.preset.body()) else {
        return event.default_payload().to_string().into_bytes();
    };
    let context = if is_json(content_type) { Context::Json } else { Context::Text };
    let body = Template::parse(template).render(event, context);
    fit_preset(target.preset, custom.is_some(), body, notes).into_bytes()
}

/// Shapes a rendered body for the preset's receiver, custom bodies too: Discord's mentions are
/// silenced, and the message field is cut to the receiver's limit. The preset's own Discord body
/// already silences mentions, and a body no longer than the limit in bytes cannot exceed it in
/// characters, so the common case is not parsed again.
fn fit_preset(preset: Preset, custom: bool, body: String, notes: &mut Vec<String>) -> String {
    let silence = preset == Preset::Discord && custom;
    match preset.limit() {
        Some(Limit::JsonField { field, chars }) if silence || body.len() > chars => {
            let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(&body) else { return body };
            if silence {
                // A title containing `@everyone` must ping nobody, whatever body the user wrote.
                map.insert("allowed_mentions".into(), serde_json::json!({"parse": []}));
            }
            if let Some(Value::String(text)) = map.get_mut(field)
                && let Some(cut) = truncate_chars(text, chars)
            {
                notes.push(format!(
                    "{field} is {} characters here; {} takes {chars}: it is cut with …",
                    text.chars().count(),
                    preset.label()
                ));
                *text = cut;
            }
            Value::Object(map).to_string()
        }
        Some(Limit::Body { bytes }) => match truncate_bytes(&body, bytes) {
            Some(cut) => {
                notes.push(format!(
                    "the message is {} bytes here; {} takes {bytes}: it is cut with …",
                    body.len(),
                    preset.label()
                ));
                cut
            }
            None => body,
        },
        _ => body,
    }
}

/// Header names a person may see the value of; every other header (auth, signatures, custom
/// tokens) is shown as `[redacted]`.
const SHOWN_HEADERS: &[&str] = &["user-agent", "content-type", "webhook-id", "webhook-timestamp"];

fn is_shown_header(name: &str) -> bool {
    SHOWN_HEADERS.contains(&name.trim().to_ascii_lowercase().as_str())
}

pub fn shown_header_value(name: &HeaderName, value: &HeaderValue) -> String {
    if is_shown_header(name.as_str()) {
        String::from_utf8_lossy(value.as_bytes()).into_owned()
    } else {
        REDACTED.to_owned()
    }
}

pub use crate::redact::REDACTED;

/// A request as a person may see it: URL reduced to scheme and host, secret headers redacted,
/// the body up to `max_body` bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestView {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    #[serde(default)]
    pub body_truncated: bool,
}

impl RequestView {
    pub fn of(request: &OutboundRequest, max_body: usize) -> Self {
        let body = String::from_utf8_lossy(&request.body);
        let body = crate::activity::without_controls(&body);
        let cut = truncate_bytes(&body, max_body);
        Self {
            method: request.method.as_str().to_owned(),
            url: redact_url(request.url.as_str()),
            headers: request.headers.iter().map(|(n, v)| (n.to_string(), shown_header_value(n, v))).collect(),
            body_truncated: cut.is_some(),
            body: cut.unwrap_or_else(|| body.into_owned()),
        }
    }
}

/// URLs often carry tokens (Discord, Telegram): errors show only scheme and host.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("")),
        Err(_) => "<unparseable URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests;
