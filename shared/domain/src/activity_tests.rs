use super::*;

#[test]
fn codes_round_trip() {
    for o in Outcome::ALL {
        assert_eq!(Outcome::from_code(o.code()), Some(o));
        assert_eq!(Outcome::parse(o.as_str()), Some(o));
    }
    assert_eq!(Outcome::from_code('z'), None);
    for c in "htcngbo".chars() {
        assert_eq!(ErrorClass::from_code(c).map(ErrorClass::code), Some(c));
    }
}

#[test]
fn errors_are_classed_by_herald_s_own_words() {
    assert_eq!(ErrorClass::of(Some(503), "HTTP 503"), ErrorClass::Http);
    assert_eq!(ErrorClass::of(None, "timed out after 10000 ms"), ErrorClass::Timeout);
    assert_eq!(ErrorClass::of(None, "could not build the request: the URL is 9000 bytes"), ErrorClass::Build);
    assert_eq!(ErrorClass::of(None, "could not connect to http://x/…: Connection refused"), ErrorClass::Connect);
    assert_eq!(
        ErrorClass::of(None, "address 10.0.0.1 is private-use, not globally reachable; refused"),
        ErrorClass::Guard
    );
    assert_eq!(ErrorClass::of(None, "nope.invalid did not resolve"), ErrorClass::Dns);
}

#[test]
fn a_strangers_text_is_kept_without_its_controls() {
    let text = "ok\n\tline\r\u{1b}[2J\u{9b}31m\u{7}\u{202e}gnp.exe\u{2066}x";
    assert_eq!(without_controls(text), "ok\n\tline  [2J 31m  gnp.exe x");
    assert!(matches!(without_controls("plain, é ✓"), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn cut_keeps_records_small_and_printable() {
    assert_eq!(cut("a\u{1b}]0;owned\u{7}b", 100), "a ]0;owned b");
    let long = cut(&"é".repeat(300), SUMMARY_BYTES);
    assert!(long.len() <= SUMMARY_BYTES && long.ends_with('…'), "{long}");
}

#[test]
fn delivery_ids_follow_the_event_and_the_target() {
    let at = DateTime::UNIX_EPOCH + chrono::Duration::seconds(1_700_000_000);
    let (e1, e2) = (Ulid::from_parts(1, 1), Ulid::from_parts(1, 2));
    let t = TargetId::parse("discord").unwrap();
    assert_eq!(delivery_id(e1, at, &t), delivery_id(e1, at, &t));
    assert_ne!(delivery_id(e1, at, &t), delivery_id(e2, at, &t));
    assert_ne!(delivery_id(e1, at, &t), delivery_id(e1, at, &TargetId::parse("slack").unwrap()));
    assert_eq!(delivery_id(e1, at, &t).timestamp_ms(), at.timestamp_millis() as u64);
}
