//! What the admin use cases take, as types. A target's input is not the stored [`Target`]: Herald
//! sets its id (on create), version and incarnation, and a client may send back what it read,
//! `[redacted]` values and `warnings` included.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use herald_domain::preset::Preset;
use herald_domain::target::{DEFAULT_TIMEOUT_MS, Method, SignatureScheme};
use herald_domain::{Secret, SourceKind, Target, TargetId};

use super::{AdminError, invalid};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// Create only: a chosen id (else a new one); on a change it must be the target's own, if sent.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub method: Method,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub preset: Preset,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub when: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub signature: SignatureScheme,
    #[serde(default)]
    pub signature_header: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Strict order (default off): see [`Target::ordered`].
    #[serde(default)]
    pub ordered: bool,
    /// On a change: the version replaced (or an `If-Match` header).
    #[serde(default)]
    pub version: Option<u64>,
    /// Herald's own: accepted and ignored, so a client may send back what it read.
    #[serde(default, rename = "incarnation")]
    _incarnation: Option<IgnoredAny>,
    #[serde(default, rename = "warnings")]
    _warnings: Option<IgnoredAny>,
    /// Set only by a rotation (and kept by edits that keep the secret): accepted and ignored.
    #[serde(default, rename = "previous_secret")]
    _previous_secret: Option<IgnoredAny>,
}

impl TargetInput {
    /// The stored form, with the fields only Herald sets.
    pub(crate) fn into_target(self, id: TargetId, version: u64, incarnation: Option<ulid::Ulid>) -> Target {
        Target {
            id,
            name: self.name,
            url: self.url,
            method: self.method,
            headers: self.headers,
            body: self.body,
            content_type: self.content_type,
            preset: self.preset,
            events: self.events,
            when: self.when,
            secret: self.secret.map(Secret::new),
            previous_secret: None,
            signature: self.signature,
            signature_header: self.signature_header,
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            enabled: self.enabled.unwrap_or(true),
            ordered: self.ordered,
            version,
            incarnation,
        }
    }
}

/// A JSON body as one of these inputs: a refusal names the field serde names, else `body`.
pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        let (field, message) = match e.classify() {
            serde_json::error::Category::Data => {
                let field = text.split('`').nth(1).filter(|_| text.contains("field")).unwrap_or("body").to_owned();
                (field, text)
            }
            _ => ("body".to_owned(), format!("body is not valid JSON: {text}")),
        };
        invalid(&field, message)
    })
}

/// What to preview a saved target with: a sender's body of `kind`, or a sample event.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    #[serde(default)]
    pub kind: Option<SourceKind>,
    /// A body as the sender would post it; absent: a sample event of `kind`.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// The event name the sample carries (a name from the catalog), when no body is given.
    #[serde(default)]
    pub event: Option<String>,
}

/// A target being edited, previewed before it is saved, with a sample event of `kind` (named `event`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftPreview {
    pub target: TargetInput,
    #[serde(default)]
    pub kind: Option<SourceKind>,
    #[serde(default)]
    pub event: Option<String>,
}
