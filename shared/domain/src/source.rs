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

    pub fn check(&self, creds: &Credentials<'_>) -> Result<(), AuthFailure> {
        match &self.auth {
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
                Some(_) => Err(AuthFailure::Mismatch(format!(
                    "{header} is not the HMAC of this body with the source's secret"
                ))),
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
mod tests {
    use super::*;
    use crate::signature::hex_signature;
    use http::{HeaderMap, HeaderValue};

    fn source(auth: SourceAuth) -> Source {
        Source::new(SourceId::parse("s").unwrap(), SourceKind::Ombi, auth)
    }

    fn check(src: &Source, headers: &[(&'static str, String)], query: Option<&str>, body: &[u8]) -> bool {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        src.authenticate(&Credentials { headers: &map, query_token: query, body, now_unix: 1_000_000 })
    }

    #[test]
    fn token_is_accepted_from_every_carrier() {
        let s = source(SourceAuth::token("t0k3n"));
        assert!(check(&s, &[("access-token", "t0k3n".into())], None, b""));
        assert!(check(&s, &[("authorization", "t0k3n".into())], None, b""));
        assert!(!check(&s, &[("authorization", "Basic".into())], None, b""));
        assert!(check(&s, &[("authorization", "Bearer t0k3n".into())], None, b""));
        assert!(check(&s, &[("authorization", format!("Basic {}", BASE64.encode("kinescope:t0k3n")))], None, b""));
        assert!(check(&s, &[], Some("t0k3n"), b""));
        assert!(!check(&s, &[("access-token", "wrong".into())], Some("nope"), b""));
        assert!(!check(&s, &[], None, b""));
        assert!(!check(&s, &[("authorization", format!("Basic {}", BASE64.encode("t0k3n:x")))], None, b""));
    }

    #[test]
    fn hmac_hex_verifies_the_raw_body() {
        let s = source(SourceAuth::HmacHex { secret: Secret::new("k"), header: "X-Kiosk-Signature-256".into() });
        let sig = hex_signature(b"k", b"{}");
        assert!(check(&s, &[("x-kiosk-signature-256", sig.clone())], None, b"{}"));
        assert!(!check(&s, &[("x-kiosk-signature-256", sig)], None, b"{ }"));
    }

    #[test]
    fn standard_webhooks_checks_signature_and_time() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let s = source(SourceAuth::StandardWebhooks { secret: Secret::new(secret) });
        let sig = StandardKey::parse(secret).unwrap().sign("m1", 1_000_000, b"{}");
        let headers = |ts: i64| {
            vec![
                ("webhook-id", "m1".to_owned()),
                ("webhook-timestamp", ts.to_string()),
                ("webhook-signature", sig.clone()),
            ]
        };
        assert!(check(&s, &headers(1_000_000), None, b"{}"));
        assert!(!check(&s, &headers(1_000_001), None, b"{}"), "timestamp is signed");
    }

    #[test]
    fn failures_say_what_was_missing_or_wrong_without_values() {
        let s = source(SourceAuth::token("t0k3n-long-enough"));
        let mut map = HeaderMap::new();
        let creds = |map: &HeaderMap, q: Option<&'static str>| {
            s.check(&Credentials { headers: map, query_token: q, body: b"", now_unix: 0 })
        };
        assert!(matches!(creds(&map, None), Err(AuthFailure::Missing(_))));
        map.insert("access-token", HeaderValue::from_static("guess"));
        let err = creds(&map, Some("other")).unwrap_err().to_string();
        assert_eq!(err, "the token sent in Access-Token and ?token= does not match");
        let texts = s.credential_texts(&Credentials {
            headers: &map,
            query_token: Some("t0k3n-long-enough"),
            body: b"",
            now_unix: 0,
        });
        assert!(texts.contains(&"t0k3n-long-enough".to_owned()), "{texts:?}");
        assert!(
            texts.iter().all(|t| !t.starts_with("t0k3n") || t.len() > 8),
            "short values are not scrubbed: {texts:?}"
        );
        assert!(texts.contains(&"t0k3n%2Dlong%2Denough".to_owned()), "and its encodings: {texts:?}");
        let k = source(SourceAuth::HmacHex { secret: Secret::new("k"), header: KIOSK_HMAC_HEADER.into() });
        let err = k.check(&Credentials { headers: &HeaderMap::new(), query_token: None, body: b"", now_unix: 0 });
        assert_eq!(err.unwrap_err().to_string(), "no credential: no X-Kiosk-Signature-256 header");
    }

    #[test]
    fn dedupe_keys_on_the_senders_delivery_id_and_kinescope_repeats_are_events() {
        let mut s = source(SourceAuth::token("t"));
        let mut map = HeaderMap::new();
        assert_eq!(s.delivery_id(&map), None);
        map.insert("x-github-delivery", HeaderValue::from_static("g1"));
        map.insert("webhook-id", HeaderValue::from_static("msg_1"));
        assert_eq!(s.delivery_id(&map), Some("msg_1"));
        s.delivery_id_header = Some("X-Sender-Id".into());
        map.insert("x-sender-id", HeaderValue::from_static("own"));
        assert_eq!(s.delivery_id(&map), Some("own"));
        let ten = std::time::Duration::from_secs(600);
        assert_eq!(s.dedupe_window(ten), ten);
        s.kind = SourceKind::Kinescope;
        assert_eq!(s.dedupe_window(ten), std::time::Duration::ZERO);
        s.dedupe_window_secs = Some(30);
        assert_eq!(s.dedupe_window(ten).as_secs(), 30);
        // Only a signed or named id is trusted for dedupe.
        assert_eq!(s.trusted_delivery_id(&map), Some("own"), "named by the source");
        s.delivery_id_header = None;
        assert_eq!(s.trusted_delivery_id(&map), None, "a token covers no header");
        s.auth = SourceAuth::StandardWebhooks { secret: crate::Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") };
        assert_eq!(s.trusted_delivery_id(&map), Some("msg_1"), "the signature covers webhook-id");
        // A captured request verifies for the timestamp tolerance either way: it stays a duplicate that long.
        s.dedupe_window_secs = Some(0);
        assert_eq!(s.dedupe_window(ten).as_secs(), 600);
        s.dedupe_window_secs = Some(3600);
        assert_eq!(s.dedupe_window(ten).as_secs(), 3600);
    }

    #[test]
    fn stored_sources_from_before_the_settings_read_with_defaults() {
        let old = r#"{"id": "o", "kind": "ombi", "auth": {"type": "token", "token_sha256": "00"}}"#;
        let s: Source = serde_json::from_str(old).unwrap();
        assert_eq!(s.drop_names.len(), DEFAULT_DROP_NAMES.len());
        assert!(s.drop.is_empty() && s.summary.is_none() && s.dedupe_window_secs.is_none());
        let opted_out =
            r#"{"id": "o", "kind": "ombi", "auth": {"type": "token", "token_sha256": "00"}, "drop_names": []}"#;
        assert!(serde_json::from_str::<Source>(opted_out).unwrap().drop_names.is_empty(), "[] turns the default off");
    }
}
