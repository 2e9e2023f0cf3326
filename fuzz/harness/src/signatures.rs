//! The three ways a request proves who sent it, and the signatures Herald makes.
//!
//! Input: `selector`, `secret` (length byte + bytes), `id` (length byte + bytes), `timestamp`
//! (i64 LE), `now` (i64 LE), `delta` (i16 LE), `flip` (u16 LE: which body bit to change), `junk`
//! (length byte + bytes: a header value), `junk_name` (a byte: which header carries it), then the body.
//!
//! Checked: what `sign`/`hex_signature` make verifies, and not once one body bit changes, the id
//! changes or (Standard Webhooks) the time is more than 5 minutes off; an arbitrary header only
//! verifies if it carries that very signature; `Source::check` accepts a correctly presented
//! credential in every carrier and accepts a token only if the request carried it; the
//! credential texts ingest scrubs are never short. Timestamps and clocks are arbitrary i64s
//! (i64::MIN/MAX included).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use herald_domain::signature::{STANDARD_TOLERANCE_SECS, StandardKey, hex_signature, verify_hex};
use herald_domain::source::{AuthFailure, Credentials, DEFAULT_HMAC_HEADER, KIOSK_HMAC_HEADER};
use herald_domain::{Secret, Source, SourceAuth, SourceId, SourceKind};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::input::Input;
use crate::lossy;

const JUNK_HEADERS: [&str; 8] = [
    "access-token",
    "authorization",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-hub-signature-256",
    "x-kiosk-signature-256",
    "x-other",
];

struct Case<'a> {
    selector: u8,
    secret: &'a [u8],
    id: &'a [u8],
    timestamp: i64,
    now: i64,
    delta: i64,
    flip: usize,
    junk: &'a [u8],
    junk_name: &'static str,
    body: &'a [u8],
}

pub fn signatures(data: &[u8]) {
    let mut input = Input::new(data);
    let case = Case {
        selector: input.byte(),
        secret: input.bytes(),
        id: input.bytes(),
        timestamp: input.i64(),
        now: input.i64(),
        delta: i64::from(input.u16() as i16),
        flip: usize::from(input.u16()),
        junk: input.bytes(),
        junk_name: JUNK_HEADERS[usize::from(input.byte() % 8)],
        body: input.rest(),
    };
    hex_scheme(&case);
    standard_scheme(&case);
    match case.selector % 3 {
        0 => token_source(&case),
        1 => hmac_source(&case),
        _ => standard_source(&case),
    }
}

/// The body with one bit changed, or with a byte added when it is empty.
fn flipped(body: &[u8], flip: usize) -> Vec<u8> {
    let mut out = body.to_vec();
    if out.is_empty() {
        out.push(1 << (flip % 8));
    } else {
        let bit = flip % (out.len() * 8);
        out[bit / 8] ^= 1 << (bit % 8);
    }
    out
}

fn hex_scheme(c: &Case<'_>) {
    let sig = hex_signature(c.secret, c.body);
    assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
    assert!(verify_hex(c.secret, c.body, &sig), "hex signature does not verify");
    assert!(verify_hex(c.secret, c.body, &format!(" {}\t", sig.to_uppercase().replace("SHA256=", "sha256="))));
    assert!(!verify_hex(c.secret, &flipped(c.body, c.flip), &sig), "hex signature verifies a changed body");
    let junk = lossy(c.junk);
    if verify_hex(c.secret, c.body, &junk) {
        let given = junk.trim().strip_prefix("sha256=").expect("verified without the sha256= prefix");
        assert!(given.eq_ignore_ascii_case(&sig[7..]), "{junk:?} verified but is not {sig}");
    }
}

fn standard_key(secret: &[u8]) -> Option<(String, StandardKey)> {
    if secret.is_empty() {
        return None;
    }
    let text = format!("whsec_{}", BASE64.encode(secret));
    let key = StandardKey::parse(&text).expect("whsec_ + base64 of a non-empty key parses");
    Some((text, key))
}

/// Whether `now` is within the tolerance of `timestamp`, computed without overflow.
fn in_time(timestamp: i64, now: i64) -> bool {
    (i128::from(now) - i128::from(timestamp)).abs() <= i128::from(STANDARD_TOLERANCE_SECS)
}

fn standard_scheme(c: &Case<'_>) {
    let _ = StandardKey::parse(&lossy(c.secret));
    let Some((_, key)) = standard_key(c.secret) else {
        return;
    };
    let id = lossy(c.id);
    let (ts, body) = (c.timestamp, c.body);
    let sig = key.sign(&id, ts, body);
    assert!(sig.starts_with("v1,") && sig.len() == 3 + 44, "{sig}");
    assert!(key.verify(&id, ts, ts, body, &sig), "a fresh Standard Webhooks signature does not verify");
    assert!(key.verify(&id, ts, ts, body, &format!("v1,bogus v2,x  {sig} ")), "one matching entry is enough");
    assert!(!key.verify(&id, ts, ts, &flipped(body, c.flip), &sig), "verifies a changed body");
    assert!(!key.verify(&format!("{id}x"), ts, ts, body, &sig), "verifies another message id");
    if let Some(other) = ts.checked_add(1) {
        assert!(!key.verify(&id, other, ts, body, &sig), "the timestamp is not signed");
    }
    if let Some(now) = ts.checked_add(c.delta) {
        assert_eq!(key.verify(&id, ts, now, body, &sig), in_time(ts, now), "tolerance at {} s", c.delta);
    }
    // Any clock, any timestamp.
    assert_eq!(key.verify(&id, ts, c.now, body, &sig), in_time(ts, c.now), "timestamp {ts}, now {}", c.now);

    let junk = lossy(c.junk);
    if key.verify(&id, ts, ts, body, &junk) {
        let expected = BASE64.decode(&sig[3..]).expect("base64");
        let carried = junk
            .split_whitespace()
            .filter_map(|e| e.strip_prefix("v1,"))
            .any(|e| BASE64.decode(e).is_ok_and(|given| given == expected));
        assert!(carried, "{junk:?} verified without carrying {sig}");
    }
}

fn source(auth: SourceAuth) -> Source {
    Source::new(SourceId::parse("fuzz").expect("valid id"), SourceKind::Generic, auth)
}

/// The junk header, when it is a valid header value.
fn junk_headers(c: &Case<'_>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(c.junk) {
        headers.append(c.junk_name, value);
    }
    headers
}

fn check(source: &Source, headers: &HeaderMap, query: Option<&str>, body: &[u8], now: i64) -> Result<(), AuthFailure> {
    let creds = Credentials { headers, query_token: query, body, now_unix: now };
    let result = source.check(&creds);
    assert_eq!(source.authenticate(&creds), result.is_ok());
    for text in source.credential_texts(&creds) {
        assert!(text.len() >= 8, "a credential text shorter than 8 bytes would scrub by coincidence: {text:?}");
    }
    let _ = source.delivery_id(headers).map(|id| assert!(!id.is_empty() && id == id.trim()));
    result
}

fn token_source(c: &Case<'_>) {
    let token = lossy(c.secret);
    let s = source(SourceAuth::token(&token));
    let query = (c.selector & 0x80 != 0).then(|| lossy(c.id));

    // Whatever the request carries, it passes only if the token is in it.
    let headers = junk_headers(c);
    if check(&s, &headers, query.as_deref(), c.body, c.now).is_ok() {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let auth = text("authorization");
        let basic = auth
            .trim()
            .split_once(' ')
            .and_then(|(_, v)| BASE64.decode(v.trim()).ok())
            .map(|b| lossy(&b))
            .unwrap_or_default();
        let carried = [text("access-token"), auth, basic, query.clone().unwrap_or_default()];
        assert!(
            carried.iter().any(|h| h.contains(token.as_str())),
            "accepted without the token: {headers:?} {query:?}"
        );
    } else if headers.is_empty() && query.is_none() {
        assert!(matches!(check(&s, &headers, None, c.body, c.now), Err(AuthFailure::Missing(_))));
    }

    // The token, presented properly in each carrier, passes (whatever else the request has).
    let clean = !token.is_empty() && token == token.trim() && token.bytes().all(|b| (0x20..0x7f).contains(&b));
    let mut carriers: Vec<(HeaderMap, Option<&str>)> = vec![(HeaderMap::new(), Some(token.as_str()))];
    let basic = format!("Basic {}", BASE64.encode(format!("{}:{token}", lossy(c.id).replace(':', ""))));
    let mut presented = vec![("authorization", basic.clone())];
    if clean {
        presented.push(("access-token", token.clone()));
        presented.push(("authorization", format!("Bearer {token}")));
        presented.push(("authorization", format!("bearer   {token} ")));
    }
    if !token.is_empty() && !token.contains(':') {
        // A bare token with no `user:` (`Basic ` with nothing after it carries no credential).
        presented.push(("authorization", format!("Basic {}", BASE64.encode(&token))));
    }
    for (name, value) in presented {
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static(name), HeaderValue::from_str(&value).expect("visible ASCII"));
        if let Ok(junk) = HeaderValue::from_bytes(c.junk) {
            headers.append(c.junk_name, junk);
        }
        carriers.push((headers, None));
    }
    for (headers, query) in &carriers {
        assert!(check(&s, headers, *query, c.body, c.now).is_ok(), "the token was refused in {headers:?} {query:?}");
    }
}

fn hmac_source(c: &Case<'_>) {
    let secret = lossy(c.secret);
    let header = match c.selector / 3 % 3 {
        0 => DEFAULT_HMAC_HEADER.to_owned(),
        1 => KIOSK_HMAC_HEADER.to_owned(),
        _ => lossy(c.id),
    };
    let s = source(SourceAuth::HmacHex { secret: Secret::new(secret.clone()), header: header.clone() });
    let Ok(name) = HeaderName::from_bytes(header.as_bytes()) else {
        // A header no request can carry: nothing authenticates.
        assert!(check(&s, &junk_headers(c), None, c.body, c.now).is_err());
        return;
    };
    assert!(matches!(check(&s, &HeaderMap::new(), None, c.body, c.now), Err(AuthFailure::Missing(_))));
    let sig = hex_signature(secret.as_bytes(), c.body);
    let mut headers = HeaderMap::new();
    headers.insert(name.clone(), HeaderValue::from_str(&sig).expect("hex"));
    assert!(check(&s, &headers, None, c.body, c.now).is_ok(), "the body's HMAC was refused");
    let changed = flipped(c.body, c.flip);
    assert!(
        matches!(check(&s, &headers, None, &changed, c.now), Err(AuthFailure::Mismatch(_))),
        "the HMAC of another body was accepted"
    );
    if let Ok(junk) = HeaderValue::from_bytes(c.junk) {
        let mut headers = HeaderMap::new();
        headers.insert(name, junk);
        if check(&s, &headers, None, c.body, c.now).is_ok() {
            assert!(verify_hex(secret.as_bytes(), c.body, &lossy(c.junk)));
        }
    }
}

fn standard_source(c: &Case<'_>) {
    let (secret, key) = match standard_key(c.secret) {
        Some((text, key)) if c.selector & 0x40 == 0 => (text, Some(key)),
        _ => {
            let text = lossy(c.secret);
            let key = StandardKey::parse(&text).ok();
            (text, key)
        }
    };
    let s = source(SourceAuth::StandardWebhooks { secret: Secret::new(secret) });
    // A message id a header can carry.
    let id: String = lossy(c.id).chars().filter(|c| c.is_ascii_graphic()).collect();
    let id = if id.is_empty() { "msg_fuzz".to_owned() } else { id };
    let ts = c.timestamp;
    let signature = key.as_ref().map_or_else(|| "v1,AAAA".to_owned(), |k| k.sign(&id, ts, c.body));
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_str(&id).expect("visible ASCII"));
    let stamp = if c.selector & 0x80 != 0 { format!(" {ts} ") } else { ts.to_string() };
    headers.insert("webhook-timestamp", HeaderValue::from_str(&stamp).expect("digits"));
    headers.insert("webhook-signature", HeaderValue::from_str(&signature).expect("base64"));
    if let Ok(junk) = HeaderValue::from_bytes(c.junk) {
        headers.append(c.junk_name, junk);
    }

    let mut clocks = vec![c.now];
    if let Some(now) = ts.checked_add(c.delta) {
        clocks.push(now);
    }
    for now in clocks {
        let result = check(&s, &headers, None, c.body, now);
        assert_eq!(result.is_ok(), key.is_some() && in_time(ts, now), "timestamp {ts}, now {now}: {result:?}");
        if key.is_some() && in_time(ts, now) {
            let changed = flipped(c.body, c.flip);
            assert!(check(&s, &headers, None, &changed, now).is_err(), "another body was accepted");
        }
    }
    let mut missing = headers.clone();
    missing.remove("webhook-timestamp");
    assert!(check(&s, &missing, None, c.body, ts).is_err());
}
