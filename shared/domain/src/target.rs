//! A delivery target: where an event goes, in what shape, signed how.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::Event;
use super::filter::subscribed;
use super::ids::TargetId;
use super::secret::Secret;
use super::signature::StandardKey;

pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Deliveries run inside a Lambda invocation; a target may not hold one for longer than this.
pub const MAX_TIMEOUT_MS: u64 = 30_000;
pub const DEFAULT_HEX_HEADER: &str = "X-Herald-Signature-256";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Post,
    Put,
    Patch,
    Get,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Get => "GET",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureScheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`; `whsec_` secrets.
    #[default]
    Standard,
    /// `sha256=<hex>` in `signature_header` (default `X-Herald-Signature-256`), as GitHub and Kiosk do.
    Hex,
}
/// The largest body template a target may have.
pub const MAX_BODY_TEMPLATE_BYTES: usize = 64 * 1024;

/// The longest name a target may have, in characters.
pub const MAX_NAME_CHARS: usize = 80;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: TargetId,
    pub name: String,
    /// A template: `{tmdbId}` and `{{title}}` are percent-encoded into it.
    pub url: String,
    #[serde(default)]
    pub method: Method,
    /// Header name → value template. Values may not render CR or LF.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body template; empty uses the preset's body, or the default JSON payload of every field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default)]
    pub preset: super::preset::Preset,
    /// Event name patterns; absent means every event but the chatty ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// The secret a rotation replaced, still signed with until the receiver has the new one
    /// (Standard Webhooks only: its header carries several signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
    #[serde(default)]
    pub signature: SignatureScheme,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_header: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Deliveries must arrive in the order they were made: any failure holds the target at once and
    /// its backlog is released one by one. Off (the default): an isolated failure holds nothing, and
    /// a backlog goes out as fast as the receiver takes it (the README's ladder section).
    #[serde(default)]
    pub ordered: bool,
    #[serde(default)]
    pub version: u64,
    /// Set when the target is created, kept by every change: what its state, parked deliveries
    /// and wake-ups belong to (targets saved before it existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::ids::ulid_text::option")]
    pub incarnation: Option<ulid::Ulid>,
}

/// A replaced signing secret and when it stops being used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousSecret {
    pub secret: Secret,
    pub until: chrono::DateTime<chrono::Utc>,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}

fn enabled_by_default() -> bool {
    true
}

/// A target that cannot be saved, naming the field at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct InvalidTarget {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> InvalidTarget {
    InvalidTarget { field, message: message.into() }
}

impl Target {
    pub fn wants(&self, event: &Event) -> bool {
        self.enabled && subscribed(self.events.as_deref(), &self.when, event)
    }

    /// Why this target is not sent `event`, if it is not (for the event's record).
    pub fn why_not(&self, event: &Event) -> Option<crate::activity::NotRouted> {
        if !self.enabled {
            return Some(crate::activity::NotRouted::Disabled);
        }
        crate::filter::why_not_subscribed(self.events.as_deref(), &self.when, event)
    }

    /// The replaced secret to sign with too at `now_unix`, while its overlap lasts.
    pub fn previous_secret_at(&self, now_unix: i64) -> Option<&Secret> {
        self.previous_secret.as_ref().filter(|p| now_unix < p.until.timestamp()).map(|p| &p.secret)
    }

    /// The checks that need no sample event: shape of URL, headers, secret and timeout.
    pub fn validate(&self) -> Result<(), InvalidTarget> {
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        // A name is for people, in a card, a log line and a health warning's sentence.
        // Templates are bounded where they are stored: each renders per event and per target.
        let too_long = |field: &'static str, bytes: usize, limit: usize| {
            (bytes > limit).then(|| invalid(field, format!("{bytes} bytes; at most {limit}")))
        };
        if let Some(e) = too_long("url", self.url.len(), crate::request::MAX_URL_BYTES)
            .or_else(|| too_long("body", self.body.as_ref().map_or(0, String::len), MAX_BODY_TEMPLATE_BYTES))
            .or_else(|| {
                self.headers.iter().find_map(|(name, value)| {
                    too_long("headers", name.len() + value.len(), crate::request::MAX_HEADER_BYTES)
                })
            })
        {
            return Err(e);
        }
        if self.name.chars().count() > MAX_NAME_CHARS {
            return Err(invalid(
                "name",
                format!("{} characters; keep it to {MAX_NAME_CHARS}", self.name.chars().count()),
            ));
        }
        let scheme_ok =
            ["https://", "http://"].iter().any(|s| self.url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
        if !scheme_ok {
            return Err(invalid("url", "must start with https:// or http://"));
        }
        let probe = self.url.replace(['{', '}'], "");
        let parsed = url::Url::parse(&probe).map_err(|e| invalid("url", format!("is not a valid URL: {e}")))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("url", "has no host"));
        }
        for name in self.headers.keys() {
            if !name.contains('{') && http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(invalid("headers", format!("{name:?} is not a valid header name")));
            }
        }
        for value in self.headers.values() {
            if value.contains(['\r', '\n']) {
                return Err(invalid("headers", "a header value may not contain a line break"));
            }
        }
        if let Some(secret) = &self.secret {
            match self.signature {
                SignatureScheme::Standard => {
                    StandardKey::parse(secret.expose()).map_err(|e| invalid("secret", e.to_string()))?;
                }
                SignatureScheme::Hex if secret.expose().is_empty() => {
                    return Err(invalid("secret", "must not be empty"));
                }
                SignatureScheme::Hex => {}
            }
        }
        if !(1..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            return Err(invalid("timeout_ms", format!("must be between 1 and {MAX_TIMEOUT_MS}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn target(json: serde_json::Value) -> Target {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_name_is_for_people_and_short() {
        let named = |name: String| target(serde_json::json!({"id": "t", "name": name, "url": "https://x.example"}));
        assert!(named("é".repeat(MAX_NAME_CHARS)).validate().is_ok(), "characters, not bytes");
        let e = named("x".repeat(MAX_NAME_CHARS + 1)).validate().unwrap_err();
        assert_eq!(e.field, "name");
        assert!(e.message.contains("keep it to 80"), "{}", e.message);
    }

    #[test]
    fn defaults_are_sensible() {
        let t =
            target(serde_json::json!({"id": "t1", "name": "Discord", "url": "https://discord.com/api/webhooks/1/x"}));
        assert_eq!(t.method, Method::Post);
        assert_eq!(t.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert!(t.enabled && t.events.is_none() && t.secret.is_none());
        assert_eq!(t.signature, SignatureScheme::Standard);
        t.validate().unwrap();
    }

    #[test]
    fn validation_names_the_field() {
        let base = serde_json::json!({"id": "t1", "name": "n", "url": "https://x.example/{tmdbId}"});
        let with = |k: &str, v: serde_json::Value| {
            let mut j = base.clone();
            j[k] = v;
            target(j).validate().unwrap_err().field
        };
        assert_eq!(with("url", "ftp://x".into()), "url");
        assert_eq!(with("url", "https://".into()), "url");
        assert_eq!(with("headers", serde_json::json!({"Bad Name": "x"})), "headers");
        assert_eq!(with("secret", "not-whsec".into()), "secret");
        assert_eq!(with("timeout_ms", 0.into()), "timeout_ms");
        assert_eq!(with("name", " ".into()), "name");
        target(base).validate().unwrap();
    }
}
