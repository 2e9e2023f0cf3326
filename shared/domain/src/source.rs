//! A source (Kinescope, Ombi, anything that POSTs JSON) and how its webhooks prove who sent them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::event::SourceKind;
use super::ids::SourceId;
use super::secret::Secret;
use super::signature::{StandardKey, verify_hex};

pub const DEFAULT_HMAC_HEADER: &str = "X-Hub-Signature-256";
/// immich-kiosk signs with this header and cannot send any other (`internal/webhooks/webhooks.go`).
pub const KIOSK_HMAC_HEADER: &str = "X-Kiosk-Signature-256";

/// Field names dropped from every body unless a source lists its own: matched against each key at
/// any depth, case, `_`, `-`, `.` and spaces ignored (`apiKey`, `API_KEY` and `api-key` all match `*apikey*`).
pub const DEFAULT_DROP_NAMES: &[&str] = &[
    "*secret*",
    "*token*",
    "*password*",
    "*passwd*",
    "*apikey*",
    "*authorization*",
    "auth",
    "pass",
    "pwd",
    "*credential*",
    "*privatekey*",
    "*accesskey*",
    "*cookie*",
];

fn default_drop_names() -> Vec<String> {
    DEFAULT_DROP_NAMES.iter().map(|s| (*s).to_owned()).collect()
}

/// Senders' own delivery-id headers, constant across their retries of one webhook: dedupe keys on
/// the first one present instead of the body.
pub const DELIVERY_ID_HEADERS: &[&str] = &[
    "webhook-id",
    "svix-id",
    "x-github-delivery",
    "x-gitea-delivery",
    "x-gogs-delivery",
    "x-gitlab-event-uuid",
    "x-shopify-webhook-id",
    "idempotency-key",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: SourceId,
    pub kind: SourceKind,
    pub auth: SourceAuth,
    /// Generic sources only: a JSON pointer to the event name (default `/event`, `/type`, `/notificationType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pointer: Option<String>,
    /// A template for the event's `summary` (`"Kiosk: {{event}} {{assets.0.id}}"`), instead of the kind's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// JSON pointers removed from every body at ingest, before anything is queued or stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
    /// Key patterns (`*` and `?` wildcards) removed at any depth; see [`DEFAULT_DROP_NAMES`].
    #[serde(default = "default_drop_names")]
    pub drop_names: Vec<String>,
    /// Seconds a repeat is recognised for; `None` is the kind's default ([`Source::dedupe_window`]), 0 turns dedupe off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_window_secs: Option<u64>,
    /// The sender's delivery-id header, when it is not one of [`DELIVERY_ID_HEADERS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id_header: Option<String>,
    /// The credential a rotation replaced, still accepted until its time: the sender can be
    /// updated without a webhook refused meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousAuth>,
    /// Counts the writes to this source (0: stored before sources had versions): each write is
    /// conditional on the one it read, so two admins, or an edit and a rotation, cannot undo each other.
    #[serde(default)]
    pub version: u64,
    /// This source's life under its id: a source deleted and created again gets a new one, so it
    /// shares no dedupe key (and no "duplicate" answer) with the webhooks of the one before.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::ids::ulid_text::option")]
    pub incarnation: Option<ulid::Ulid>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousAuth {
    pub auth: SourceAuth,
    /// Unix seconds: accepted before this moment, refused from it on.
    pub until_unix: i64,
}

/// How a source authenticates. Tokens are stored as their SHA-256 (we only ever compare);
/// HMAC secrets must be kept as they are, since verifying needs the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceAuth {
    /// Accepted from `Access-Token` (Ombi), `Authorization: Basic` (the password; Kinescope, the
    /// *arr apps), `Authorization: Bearer`, a bare `Authorization: <token>`, or `?token=`.
    Token { token_sha256: String },
    /// GitHub/Kiosk style `sha256=<hex HMAC of the body>` in `header`.
    HmacHex { secret: Secret, header: String },
    /// Standard Webhooks headers, 5-minute timestamp tolerance.
    StandardWebhooks { secret: Secret },
}

impl SourceAuth {
    /// The signature header of an HMAC source of `kind` when its creator names none.
    pub fn default_hmac_header(kind: SourceKind) -> &'static str {
        match kind.sender().auth {
            crate::senders::DefaultAuth::HmacHex(header) => header,
            crate::senders::DefaultAuth::Token => DEFAULT_HMAC_HEADER,
        }
    }

    pub fn token(plain: &str) -> Self {
        Self::Token { token_sha256: sha256_hex(plain.as_bytes()) }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What authentication looks at in an incoming request. Header names are matched case-insensitively.
pub struct Credentials<'a> {
    pub headers: &'a http::HeaderMap,
    pub query_token: Option<&'a str>,
    pub body: &'a [u8],
    pub now_unix: i64,
}

impl Credentials<'_> {
    /// Where tokens were found, by name only.
    fn token_carriers(&self) -> String {
        let mut found = Vec::new();
        if self.header("access-token").is_some() {
            found.push("Access-Token");
        }
        if self.header("authorization").is_some() {
            found.push("Authorization");
        }
        if self.query_token.is_some() {
            found.push("?token=");
        }
        found.join(" and ")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every token the request carries, wherever the sender could put it.
    fn tokens(&self) -> Vec<String> {
        let mut found = Vec::new();
        if let Some(t) = self.header("access-token") {
            found.push(t.trim().to_owned());
        }
        if let Some(auth) = self.header("authorization") {
            let (scheme, value) = auth.trim().split_once(' ').unwrap_or((auth, ""));
            if scheme.eq_ignore_ascii_case("bearer") {
                found.push(value.trim().to_owned());
            } else if value.trim().is_empty() && !scheme.eq_ignore_ascii_case("basic") {
                // A bare token: Overseerr sends its Authorization Header setting exactly as typed.
                found.push(scheme.to_owned());
            } else if scheme.eq_ignore_ascii_case("basic")
                && let Some(decoded) = BASE64.decode(value.trim()).ok().and_then(|b| String::from_utf8(b).ok())
            {
                // Basic: the password is the token; a bare token with no colon is accepted too.
                found.push(decoded.split_once(':').map_or(decoded.as_str(), |(_, p)| p).to_owned());
            }
        }
        if let Some(t) = self.query_token {
            found.push(t.to_owned());
        }
        found
    }
}

/// Why a request did not authenticate, for the source's health and the log (never a value sent).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("no credential: {0}")]
    Missing(String),
    #[error("{0}")]
    Mismatch(String),
}

impl Source {
    pub fn new(id: SourceId, kind: SourceKind, auth: SourceAuth) -> Self {
        Self {
            id,
            kind,
            auth,
            event_pointer: None,
            summary: None,
            drop: Vec::new(),
            drop_names: default_drop_names(),
            dedupe_window_secs: None,
            delivery_id_header: None,
            previous: None,
            version: 0,
            incarnation: None,
        }
    }

    /// How long a repeat is recognised: the source's setting, else none for a kind whose repeats
    /// are real events (Kinescope: a streamer reconnecting), else `default` (`HERALD_DEDUPE_WINDOW`).
    pub fn dedupe_window(&self, default: std::time::Duration) -> std::time::Duration {
        let window = match self.dedupe_window_secs {
            Some(secs) => std::time::Duration::from_secs(secs),
            None if !self.kind.sender().dedupes => std::time::Duration::ZERO,
            None => default,
        };
        match self.auth {
            // A captured request verifies for the whole timestamp tolerance (and up to as long
            // after it, as the timestamp may lie that far ahead): it must stay a duplicate for that long.
            SourceAuth::StandardWebhooks { .. } => {
                window.max(std::time::Duration::from_secs(2 * crate::signature::STANDARD_TOLERANCE_SECS.unsigned_abs()))
            }
            _ => window,
        }
    }

    /// The sender's own delivery id, when the request carries one.
    pub fn delivery_id<'h>(&self, headers: &'h http::HeaderMap) -> Option<&'h str> {
        self.delivery_id_header
            .as_deref()
            .into_iter()
            .chain(DELIVERY_ID_HEADERS.iter().copied())
            .filter_map(|name| headers.get(name).and_then(|v| v.to_str().ok()))
            .map(str::trim)
            .find(|v| !v.is_empty())
    }

    /// The sender's delivery id that dedupe may trust: one the signature covers (Standard Webhooks'
    /// `webhook-id`), or the header the source names itself. Any other id a request carries is
    /// only shown: under a token or a body HMAC a replayed request could carry a fresh one, or
    /// claim the id of the sender's next webhook.
    pub fn trusted_delivery_id<'h>(&self, headers: &'h http::HeaderMap) -> Option<&'h str> {
        let name = match (&self.delivery_id_header, &self.auth) {
            (Some(name), _) => name.as_str(),
            (None, SourceAuth::StandardWebhooks { .. }) => "webhook-id",
            _ => return None,
        };
        headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn authenticate(&self, creds: &Credentials<'_>) -> bool {
        self.check(creds).is_ok()
    }

    /// The request proves it comes from the source's sender: its credential, or the one a rotation
    /// replaced while its overlap lasts.
    pub fn check(&self, creds: &Credentials<'_>) -> Result<(), AuthFailure> {
        let current = check_auth(&self.auth, creds);
        match &self.previous {
            Some(previous) if current.is_err() && creds.now_unix < previous.until_unix => {
                check_auth(&previous.auth, creds).or(current)
            }
            _ => current,
        }
    }
}

fn check_auth(auth: &SourceAuth, creds: &Credentials<'_>) -> Result<(), AuthFailure> {
    match auth {
        SourceAuth::Token { token_sha256 } => {
            let tokens = creds.tokens();
            if tokens.is_empty() {
                return Err(AuthFailure::Missing(
                    "send the token as the Access-Token header, Authorization: Bearer or Basic, or ?token= in the URL"
                        .into(),
                ));
            }
            let expected = hex::decode(token_sha256).unwrap_or_default();
            if tokens.iter().any(|t| Sha256::digest(t.as_bytes()).as_slice().ct_eq(&expected).into()) {
                Ok(())
            } else {
                Err(AuthFailure::Mismatch(format!("the token sent in {} does not match", creds.token_carriers())))
            }
        }
        SourceAuth::HmacHex { secret, header } => match creds.header(header) {
            None => Err(AuthFailure::Missing(format!("no {header} header"))),
            Some(sig) if verify_hex(secret.expose().as_bytes(), creds.body, sig) => Ok(()),
            Some(_) => {
                Err(AuthFailure::Mismatch(format!("{header} is not the HMAC of this body with the source's secret")))
            }
        },
        SourceAuth::StandardWebhooks { secret } => {
            let key = StandardKey::parse(secret.expose())
                .map_err(|_| AuthFailure::Mismatch("the source's secret is not a Standard Webhooks key".into()))?;
            let (Some(id), Some(ts), Some(sig)) = (
                creds.header("webhook-id"),
                creds.header("webhook-timestamp").and_then(|t| t.trim().parse::<i64>().ok()),
                creds.header("webhook-signature"),
            ) else {
                return Err(AuthFailure::Missing(
                    "Standard Webhooks needs webhook-id, webhook-timestamp and webhook-signature headers".into(),
                ));
            };
            if key.verify(id, ts, creds.now_unix, creds.body, sig) {
                Ok(())
            } else {
                Err(AuthFailure::Mismatch(
                    "webhook-signature does not match, or webhook-timestamp is more than 5 minutes off".into(),
                ))
            }
        }
    }
}

impl Source {
    /// The credentials a request carried that are this source's own, as text a body might echo
    /// (Kiosk puts its own signing secret and its webhook URLs, `?token=` included, in every body):
    /// ingest drops any field that contains one. Short values are left out, so a body is not
    /// emptied by a coincidence.
    pub fn credential_texts(&self, creds: &Credentials<'_>) -> Vec<String> {
        const SHORTEST: usize = 8;
        let mut texts = match &self.auth {
            SourceAuth::Token { .. } => creds.tokens(),
            SourceAuth::HmacHex { secret, .. } => vec![secret.expose().to_owned()],
            SourceAuth::StandardWebhooks { secret } => {
                let full = secret.expose();
                vec![full.to_owned(), full.trim_start_matches("whsec_").to_owned()]
            }
        };
        texts.retain(|t| t.len() >= SHORTEST);
        // The same credential as a body might carry it: a Basic header's own blob, base64 of it
        // alone or after `user:`, percent-encoded (case is ignored where they are matched).
        if let Some(auth) = creds.header("authorization")
            && let Some((scheme, blob)) = auth.trim().split_once(' ')
            && scheme.eq_ignore_ascii_case("basic")
            && blob.trim().len() >= SHORTEST
        {
            texts.push(blob.trim().to_owned());
        }
        let encoded: Vec<String> = texts
            .iter()
            .flat_map(|t| {
                let b64 = |x: &[u8]| BASE64.encode(x).trim_end_matches('=').to_owned();
                [
                    b64(t.as_bytes()),
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t.as_bytes()),
                    percent_encoding::utf8_percent_encode(t, percent_encoding::NON_ALPHANUMERIC).to_string(),
                ]
            })
            .filter(|e| e.len() >= SHORTEST)
            .collect();
        texts.extend(encoded);
        texts.sort();
        texts.dedup();
        texts
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
