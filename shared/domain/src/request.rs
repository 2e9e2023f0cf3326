//! Turns (target, event) into the exact HTTP request to send: rendered, shaped by the preset, signed.

use http::{HeaderName, HeaderValue};
use serde_json::Value;

use super::event::Event;
use super::preset::Preset;
use super::signature::{StandardKey, hex_signature};
use super::target::{DEFAULT_HEX_HEADER, Method, SignatureScheme, Target};
use super::template::{Context, RenderError, Template};

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
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("rendered URL {0:?} is not a valid http(s) URL")]
    Url(String),
    #[error("header {0:?} is not a valid header")]
    Header(String),
    #[error("secret is not usable: {0}")]
    Secret(String),
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json") || essence.to_ascii_lowercase().ends_with("+json")
}

/// Builds the request. `delivery_id` becomes the Standard Webhooks `webhook-id`, stable across
/// retries so receivers can dedupe; `now_unix` is the signed timestamp.
pub fn build(target: &Target, event: &Event, delivery_id: &str, now_unix: i64) -> Result<OutboundRequest, BuildError> {
    let rendered_url = Template::parse(&target.url).render(event, Context::Url)?;
    let url = url::Url::parse(&rendered_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| BuildError::Url(redact_url(&rendered_url)))?;

    let content_type = target.content_type.as_deref().unwrap_or(target.preset.content_type());
    let body = if target.method == Method::Get { Vec::new() } else { render_body(target, event, content_type)? };

    let mut headers = Vec::with_capacity(target.headers.len() + 5);
    let mut push = |name: &str, value: &str| -> Result<(), BuildError> {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| BuildError::Header(name.to_owned()))?;
        let v = HeaderValue::from_str(value).map_err(|_| BuildError::Header(name.to_owned()))?;
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
        let name = Template::parse(name).render_named(event, Context::Header, name)?;
        let value = Template::parse(value).render_named(event, Context::Header, &name)?;
        push(&name, &value)?;
    }
    if let Some(secret) = &target.secret {
        match target.signature {
            SignatureScheme::Standard => {
                let key = StandardKey::parse(secret.expose()).map_err(|e| BuildError::Secret(e.to_string()))?;
                push("webhook-id", delivery_id)?;
                push("webhook-timestamp", &now_unix.to_string())?;
                push("webhook-signature", &key.sign(delivery_id, now_unix, &body))?;
            }
            SignatureScheme::Hex => {
                let header = target.signature_header.as_deref().unwrap_or(DEFAULT_HEX_HEADER);
                push(header, &hex_signature(secret.expose().as_bytes(), &body))?;
            }
        }
    }
    Ok(OutboundRequest { method: target.method, url, headers, body })
}

fn render_body(target: &Target, event: &Event, content_type: &str) -> Result<Vec<u8>, BuildError> {
    let custom = target.body.as_deref().filter(|b| !b.trim().is_empty());
    let Some(template) = custom.or(target.preset.body()) else {
        return Ok(event.default_payload().to_string().into_bytes());
    };
    let context = if is_json(content_type) { Context::Json } else { Context::Text };
    let mut body = Template::parse(template).render(event, context)?;
    // The preset's own body already says so, and values only land inside its strings.
    if target.preset == Preset::Discord && custom.is_some() {
        body = silence_discord_mentions(body);
    }
    Ok(body.into_bytes())
}

/// A title containing `@everyone` must ping nobody, whatever body the user wrote.
fn silence_discord_mentions(body: String) -> String {
    match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(mut map)) => {
            map.insert("allowed_mentions".into(), serde_json::json!({"parse": []}));
            Value::Object(map).to_string()
        }
        _ => body,
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
