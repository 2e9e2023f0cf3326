//! `Retry-After` values and 429 bodies a receiver sends.
//!
//! Input: 8 bytes of "now" (unix seconds, little-endian; out of chrono's range is clamped to its
//! ends), then the header value / body text (invalid UTF-8 replaced).
//!
//! Checked: never panics; every `Some` is a finite, non-negative wait; a number is the wait it
//! spells (to the nanosecond) and `None` only when negative, not a number or too long for a
//! `Duration`; a date's wait shrinks by at most the time that passes and never grows.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use herald_domain::retry_after::{from_body, parse};
use serde_json::Value;

use crate::input::Input;
use crate::lossy;

pub fn retry_after(data: &[u8]) {
    let mut input = Input::new(data);
    let secs = input.i64();
    let now = DateTime::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    });
    let text = lossy(input.rest());

    let waited = parse(&text, now);
    if let Some(d) = waited {
        assert!(d.as_secs_f64().is_finite(), "{d:?}");
    }
    match text.trim().parse::<f64>() {
        Ok(x) => match waited {
            Some(d) => {
                assert!(x >= 0.0, "a negative wait {x} gave {d:?}");
                let error = (d.as_secs_f64() - x).abs();
                assert!(error <= 1e-9 + x * 1e-15, "{text:?} is {x} seconds, parsed as {d:?}");
            }
            None => assert!(
                x.is_sign_negative() || x.is_nan() || Duration::try_from_secs_f64(x).is_err(),
                "{text:?} is a usable wait of {x} seconds, parsed as none"
            ),
        },
        Err(_) => {
            // An HTTP date: later, the wait is shorter by at most the time that passed; never longer.
            for step in [TimeDelta::seconds(1), TimeDelta::seconds(3600)] {
                let Some(later) = now.checked_add_signed(step) else { continue };
                let then = parse(&text, later);
                assert_eq!(then.is_some(), waited.is_some(), "{text:?} parsed at one time and not another");
                if let (Some(first), Some(second)) = (waited, then) {
                    assert!(second <= first, "{text:?}: the wait grew from {first:?} to {second:?}");
                    let passed = step.to_std().expect("positive");
                    assert!(first - second <= passed, "{text:?}: {first:?} then {second:?} after {passed:?}");
                }
            }
        }
    }

    let from = from_body(&text);
    if let Some(d) = from {
        assert!(d.as_secs_f64().is_finite(), "{d:?}");
        let json: Value = serde_json::from_str(&text).expect("a wait came from a JSON body");
        let named = json
            .get("retry_after")
            .or_else(|| json.pointer("/parameters/retry_after"))
            .and_then(Value::as_f64)
            .expect("a wait came from a retry_after number");
        assert!(named >= 0.0 && (d.as_secs_f64() - named).abs() <= 1e-9 + named * 1e-15, "{named} gave {d:?}");
    }
}
