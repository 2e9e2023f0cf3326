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
        vec![("webhook-id", "m1".to_owned()), ("webhook-timestamp", ts.to_string()), ("webhook-signature", sig.clone())]
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
    assert!(texts.iter().all(|t| !t.starts_with("t0k3n") || t.len() > 8), "short values are not scrubbed: {texts:?}");
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
    let opted_out = r#"{"id": "o", "kind": "ombi", "auth": {"type": "token", "token_sha256": "00"}, "drop_names": []}"#;
    assert!(serde_json::from_str::<Source>(opted_out).unwrap().drop_names.is_empty(), "[] turns the default off");
}
