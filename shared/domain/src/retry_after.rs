//! How long a receiver asks to be left alone: `Retry-After` (delay-seconds or an HTTP date, RFC 9110
//! §10.2.3) or the wait a 429's body names. Never panics on what a receiver sends: a wait too long
//! for a `Duration` is no wait at all (the caller clamps what it gets).

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

/// `Retry-After` as delay-seconds or an HTTP date, measured from `now`; a past date means now.
pub fn parse(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::from(now)).unwrap_or(Duration::ZERO))
}

/// The wait a 429's body names, in seconds: Discord's `{"retry_after": 1.234}`, Telegram's
/// `{"parameters": {"retry_after": 5}}`.
pub fn from_body(body: &str) -> Option<Duration> {
    let json = serde_json::from_str::<serde_json::Value>(body).ok()?;
    seconds(json.get("retry_after").or_else(|| json.pointer("/parameters/retry_after"))?.as_f64()?)
}

fn seconds(secs: f64) -> Option<Duration> {
    if secs.is_sign_negative() {
        return None;
    }
    Duration::try_from_secs_f64(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse("2", now()), Some(Duration::from_secs(2)));
        assert_eq!(parse(" 0.5 ", now()), Some(Duration::from_millis(500)));
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT", now()), Some(Duration::ZERO), "past dates mean now");
        assert_eq!(parse("Mon, 23 Nov 2026 10:00:30 GMT", now()), Some(Duration::from_secs(30)));
        assert_eq!(parse("soon", now()), None);
        assert_eq!(
            from_body(r#"{"message": "You are being rate limited.", "retry_after": 0.5}"#),
            Some(Duration::from_millis(500))
        );
        assert_eq!(from_body(r#"{"ok": false, "parameters": {"retry_after": 5}}"#), Some(Duration::from_secs(5)));
        assert_eq!(from_body("{}"), None);
    }

    #[test]
    fn absurd_values_are_no_wait_and_never_panic() {
        for value in ["1e300", "-1", "NaN", "inf", "-0", "18446744073709551616", "1.8e19"] {
            let _ = parse(value, now());
        }
        assert_eq!(parse("1e300", now()), None, "too long for a Duration");
        assert_eq!(parse("-1", now()), None);
        assert_eq!(parse("NaN", now()), None);
        assert_eq!(from_body(r#"{"retry_after": 1e308}"#), None);
    }
}
