//! HMAC-SHA256 signatures: Standard Webhooks (`webhook-id/-timestamp/-signature`) and the
//! GitHub/Kiosk `sha256=<hex>` header, for signing what we send and verifying what we receive.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const STANDARD_TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("a Standard Webhooks secret must look like whsec_<base64>")]
    NotWhsec,
    #[error("secret must not be empty")]
    Empty,
}

/// A Standard Webhooks key: the bytes behind `whsec_<base64>`.
#[derive(Clone)]
pub struct StandardKey(Vec<u8>);

impl StandardKey {
    pub fn parse(secret: &str) -> Result<Self, KeyError> {
        let b64 = secret.strip_prefix("whsec_").ok_or(KeyError::NotWhsec)?;
        let bytes = BASE64.decode(b64).map_err(|_| KeyError::NotWhsec)?;
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Self(bytes))
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }

    /// Verifies a `webhook-signature` header (space-separated `v1,<sig>` entries) in constant time.
    pub fn verify(&self, msg_id: &str, timestamp: i64, now: i64, body: &[u8], header: &str) -> bool {
        // `abs_diff` cannot overflow, whatever timestamp a stranger sends (i64::MIN included).
        if now.abs_diff(timestamp) > STANDARD_TOLERANCE_SECS.unsigned_abs() {
            return false;
        }
        let Some(expected) = self.sign(msg_id, timestamp, body).strip_prefix("v1,").and_then(|s| BASE64.decode(s).ok())
        else {
            return false;
        };
        header.split_whitespace().filter_map(|entry| entry.strip_prefix("v1,")).any(|sig| {
            BASE64
                .decode(sig)
                .is_ok_and(|given| subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice()).into())
        })
    }
}

/// `sha256=<hex HMAC-SHA256 of body>`.
pub fn hex_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Verifies a `sha256=<hex>` header in constant time.
pub fn verify_hex(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(given) = header.trim().strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector published with the Standard Webhooks reference libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn standard_webhooks_vector() {
        let key = StandardKey::parse(SECRET).unwrap();
        assert_eq!(key.sign(ID, TS, BODY), SIG);
        assert!(key.verify(ID, TS, TS + 10, BODY, &format!("v1,bogus {SIG}")));
        assert!(!key.verify(ID, TS, TS + 10, b"{\"test\": 1}", SIG), "tampered body");
        assert!(!key.verify(ID, TS, TS + STANDARD_TOLERANCE_SECS + 1, BODY, SIG), "too old");
        assert!(!key.verify("msg_other", TS, TS, BODY, SIG), "other id");
    }

    #[test]
    fn standard_keys_must_be_whsec_base64() {
        assert_eq!(StandardKey::parse("MfKQ9r8G").err(), Some(KeyError::NotWhsec));
        assert_eq!(StandardKey::parse("whsec_!!!").err(), Some(KeyError::NotWhsec));
        assert_eq!(StandardKey::parse("whsec_").err(), Some(KeyError::Empty));
    }

    #[test]
    fn hex_signature_matches_github_example() {
        // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
        let sig = hex_signature(b"It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(sig, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        assert!(verify_hex(b"It's a Secret to Everybody", b"Hello, World!", &sig));
        assert!(!verify_hex(b"other", b"Hello, World!", &sig));
        assert!(!verify_hex(b"It's a Secret to Everybody", b"Hello, World!", "sha256=zz"));
    }

    #[test]
    fn extreme_timestamps_are_refused_without_overflow() {
        let key = StandardKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        for (ts, now) in [(i64::MIN, 1_000_000), (i64::MAX, -1_000_000), (i64::MIN, i64::MAX), (0, i64::MIN)] {
            let sig = key.sign("m", ts, b"{}");
            assert!(!key.verify("m", ts, now, b"{}", &sig), "{ts} at {now}");
        }
    }
}
