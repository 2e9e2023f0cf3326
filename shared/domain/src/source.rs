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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: SourceId,
    pub kind: SourceKind,
    pub auth: SourceAuth,
    /// Generic sources only: a JSON pointer to the event name (default `/event`, `/type`, `/notificationType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pointer: Option<String>,
}

/// How a source authenticates. Tokens are stored as their SHA-256 (we only ever compare);
/// HMAC secrets must be kept as they are, since verifying needs the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceAuth {
    /// Accepted from `Access-Token` (Ombi), `Authorization: Basic` (the password; Kinescope),
    /// `Authorization: Bearer`, or `?token=`.
    Token { token_sha256: String },
    /// GitHub/Kiosk style `sha256=<hex HMAC of the body>` in `header`.
    HmacHex { secret: Secret, header: String },
    /// Standard Webhooks headers, 5-minute timestamp tolerance.
    StandardWebhooks { secret: Secret },
}

impl SourceAuth {
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

impl Source {
    pub fn authenticate(&self, creds: &Credentials<'_>) -> bool {
        match &self.auth {
            SourceAuth::Token { token_sha256 } => {
                let Ok(expected) = hex::decode(token_sha256) else {
                    return false;
                };
                creds.tokens().iter().any(|t| Sha256::digest(t.as_bytes()).as_slice().ct_eq(&expected).into())
            }
            SourceAuth::HmacHex { secret, header } => {
                creds.header(header).is_some_and(|sig| verify_hex(secret.expose().as_bytes(), creds.body, sig))
            }
            SourceAuth::StandardWebhooks { secret } => {
                let Ok(key) = StandardKey::parse(secret.expose()) else {
                    return false;
                };
                let (Some(id), Some(ts), Some(sig)) = (
                    creds.header("webhook-id"),
                    creds.header("webhook-timestamp").and_then(|t| t.trim().parse::<i64>().ok()),
                    creds.header("webhook-signature"),
                ) else {
                    return false;
                };
                key.verify(id, ts, creds.now_unix, creds.body, sig)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::hex_signature;
    use http::{HeaderMap, HeaderValue};

    fn source(auth: SourceAuth) -> Source {
        Source { id: SourceId::parse("s").unwrap(), kind: SourceKind::Ombi, auth, event_pointer: None }
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
}
