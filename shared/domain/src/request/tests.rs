use chrono::DateTime;
use serde_json::{Value, json};

use super::*;
use crate::adapters::{Origin, normalize};
use crate::event::SourceKind;
use crate::ids::SourceId;
use crate::sample::sample_event;
use crate::signature::StandardKey;

fn target(json: Value) -> Target {
    let mut base = json!({"id": "t", "name": "t", "url": "https://example.com/hook"});
    base.as_object_mut().unwrap().extend(json.as_object().unwrap().clone());
    serde_json::from_value(base).unwrap()
}

fn header<'a>(req: &'a OutboundRequest, name: &str) -> Option<&'a str> {
    req.headers.iter().find(|(n, _)| n.as_str().eq_ignore_ascii_case(name)).map(|(_, v)| v.to_str().unwrap())
}

fn ombi_titled(title: &str) -> Event {
    let mut body: Value = serde_json::from_str(crate::sample::OMBI_REQUEST_AVAILABLE).unwrap();
    body["title"] = json!(title);
    let id = SourceId::parse("ombi").unwrap();
    let origin = Origin::of(&id, SourceKind::Ombi);
    normalize(&origin, body.to_string().as_bytes(), ulid::Ulid::nil(), DateTime::UNIX_EPOCH).unwrap()
}

#[test]
fn discord_preset_survives_hostile_titles_and_pings_nobody() {
    let hostile = "He said \"hi\" \\ C:\\path\nline2 🎬 @everyone @here";
    let t = target(json!({"preset": "discord", "body": "{\"content\": \"**{{title}}** {{event}}\"}"}));
    let req = build(&t, &ombi_titled(hostile), "d1", 0).unwrap();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["content"], json!(format!("**{hostile}** RequestAvailable")));
    assert_eq!(body["allowed_mentions"], json!({"parse": []}));
    assert_eq!(header(&req, "content-type"), Some("application/json"));
}

#[test]
fn preset_bodies_are_valid_for_every_sample() {
    for preset in ["discord", "slack", "telegram", "generic", "home_assistant"] {
        for kind in [SourceKind::Kinescope, SourceKind::Ombi, SourceKind::Generic] {
            let req = build(
                &target(json!({"preset": preset})),
                &sample_event(kind, ulid::Ulid::nil(), DateTime::UNIX_EPOCH),
                "d",
                0,
            )
            .unwrap();
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_else(|e| panic!("{preset}/{kind:?}: {e}"));
            assert!(body.is_object());
        }
    }
}

#[test]
fn ntfy_preset_sends_text_with_title() {
    let req = build(
        &target(json!({"preset": "ntfy"})),
        &sample_event(SourceKind::Ombi, ulid::Ulid::nil(), DateTime::UNIX_EPOCH),
        "d",
        0,
    )
    .unwrap();
    assert_eq!(String::from_utf8(req.body.clone()).unwrap(), "Example Movie (2024) is now available");
    assert_eq!(header(&req, "title"), Some("RequestAvailable"));
    assert!(header(&req, "content-type").unwrap().starts_with("text/plain"));
}

#[test]
fn empty_body_sends_every_field() {
    let e = sample_event(SourceKind::Kinescope, ulid::Ulid::nil(), DateTime::UNIX_EPOCH);
    let req = build(&target(json!({"body": "  "})), &e, "d", 0).unwrap();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, e.default_payload());
    assert_eq!(body["status"], json!("done"));
}

#[test]
fn get_sends_no_body_and_placeholders_reach_url_and_headers() {
    let t = target(json!({"method": "GET", "url": "https://api.example.com/download?tmdb={tmdbId}&t={title}",
                          "headers": {"X-User-Id": "{imdbId}"}, "body": "{\"x\": 1}"}));
    let req = build(&t, &sample_event(SourceKind::Generic, ulid::Ulid::nil(), DateTime::UNIX_EPOCH), "d", 0).unwrap();
    assert!(req.body.is_empty());
    assert_eq!(req.url.as_str(), "https://api.example.com/download?tmdb=550&t=Fight%20Club");
    assert_eq!(header(&req, "x-user-id"), Some("tt0137523"));
    assert_eq!(header(&req, "content-type"), None);
}

#[test]
fn standard_signature_covers_the_exact_bytes_sent() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let t = target(json!({"secret": secret}));
    let req = build(
        &t,
        &sample_event(SourceKind::Ombi, ulid::Ulid::nil(), DateTime::UNIX_EPOCH),
        "01HDELIVERY",
        1_700_000_000,
    )
    .unwrap();
    assert_eq!(header(&req, "webhook-id"), Some("01HDELIVERY"));
    assert_eq!(header(&req, "webhook-timestamp"), Some("1700000000"));
    let key = StandardKey::parse(secret).unwrap();
    assert!(key.verify(
        "01HDELIVERY",
        1_700_000_000,
        1_700_000_000,
        &req.body,
        header(&req, "webhook-signature").unwrap()
    ));
}

#[test]
fn hex_signature_goes_in_the_configured_header() {
    let t = target(json!({"secret": "kiosk", "signature": "hex", "signature_header": "X-Kiosk-Signature-256"}));
    let req = build(&t, &sample_event(SourceKind::Generic, ulid::Ulid::nil(), DateTime::UNIX_EPOCH), "d", 0).unwrap();
    assert_eq!(header(&req, "x-kiosk-signature-256"), Some(hex_signature(b"kiosk", &req.body).as_str()));
    let default = build(
        &target(json!({"secret": "k", "signature": "hex"})),
        &sample_event(SourceKind::Generic, ulid::Ulid::nil(), DateTime::UNIX_EPOCH),
        "d",
        0,
    )
    .unwrap();
    assert!(header(&default, DEFAULT_HEX_HEADER).unwrap().starts_with("sha256="));
}

#[test]
fn header_injection_is_folded_away() {
    let t = target(json!({"headers": {"X-Title": "{{title}}"}}));
    let req = build(&t, &ombi_titled("a\r\nX-Evil: 1\nMore lines"), "d", 0).unwrap();
    assert_eq!(header(&req, "x-title"), Some("a X-Evil: 1 More lines"));
    assert!(header(&req, "x-evil").is_none());
    let accented = build(&t, &ombi_titled("Amélie"), "d", 0).unwrap();
    let value = accented.headers.iter().find(|(n, _)| n == "x-title").unwrap().1.as_bytes();
    assert_eq!(value, "Amélie".as_bytes());
}

#[test]
fn preset_limits_cut_the_message_field() {
    let long = "word ".repeat(1000);
    let discord = build(&target(json!({"preset": "discord"})), &ombi_titled(&long), "d", 0).unwrap();
    let body: Value = serde_json::from_slice(&discord.body).unwrap();
    let content = body["content"].as_str().unwrap();
    assert_eq!(content.chars().count(), 2000);
    assert!(content.ends_with('…'));
    let custom = target(json!({"preset": "discord", "body": "{\"content\": \"{{title}}\", \"username\": \"x\"}"}));
    let (req, notes) = build_noting(&custom, &ombi_titled(&long), "d", 0).unwrap();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["content"].as_str().unwrap().chars().count(), 2000);
    assert_eq!(body["allowed_mentions"], json!({"parse": []}));
    assert!(notes[0].contains("Discord takes 2000"), "{notes:?}");
    let telegram = build(&target(json!({"preset": "telegram"})), &ombi_titled(&long), "d", 0).unwrap();
    let body: Value = serde_json::from_slice(&telegram.body).unwrap();
    assert!(body["text"].as_str().unwrap().chars().count() <= 4096);
    let ntfy = build(&target(json!({"preset": "ntfy"})), &ombi_titled(&"🎬".repeat(3000)), "d", 0).unwrap();
    assert!(ntfy.body.len() <= 4096 && String::from_utf8(ntfy.body).unwrap().ends_with('…'));
    let (_, quiet) = build_noting(&target(json!({"preset": "discord"})), &ombi_titled("Dune"), "d", 0).unwrap();
    assert!(quiet.is_empty());
}

#[test]
fn a_view_of_a_request_hides_its_secrets() {
    let t = target(json!({"url": "https://discord.com/api/webhooks/1/TOKEN", "secret": "kiosk", "signature": "hex",
                          "headers": {"Authorization": "Bearer s3cret"}}));
    let req = build(&t, &ombi_titled("Dune"), "d", 0).unwrap();
    let view = RequestView::of(&req, 10);
    let text = serde_json::to_string(&view).unwrap();
    assert!(!text.contains("TOKEN") && !text.contains("s3cret") && !text.contains("sha256="), "{text}");
    assert!(view.body_truncated && view.body.len() <= 10);
}

#[test]
fn redact_url_hides_paths_and_queries() {
    assert_eq!(redact_url("https://discord.com/api/webhooks/1/SECRET?x=1"), "https://discord.com/…");
}

#[test]
fn framing_routing_and_signature_headers_are_refused_at_render() {
    let event = ombi_titled("Dune");
    for name in [
        "Host",
        "content-length",
        "Transfer-Encoding",
        "Connection",
        "TE",
        "Upgrade",
        "Proxy-Authorization",
        "webhook-signature",
        "Webhook-Id",
        "expect",
    ] {
        let t = target(json!({"headers": {name: "5"}}));
        let err = build(&t, &event, "d1", 0).unwrap_err();
        assert!(matches!(err, BuildError::Reserved(_)), "{name}: {err}");
    }
    let templated = target(json!({"headers": {"{{which}}": "5"}}));
    let mut fields = event.clone();
    fields.fields.insert("which".into(), json!("Content-Length"));
    assert!(matches!(build(&templated, &fields, "d1", 0), Err(BuildError::Reserved(_))), "a rendered name too");
    let hex = target(json!({"secret": "k", "signature": "hex", "signature_header": "Content-Length"}));
    assert!(matches!(build(&hex, &event, "d1", 0), Err(BuildError::Reserved(_))));
    assert!(build(&target(json!({"headers": {"X-Api-Key": "k"}})), &event, "d1", 0).is_ok());
}

#[test]
fn a_value_too_long_for_a_url_or_header_fails_to_build_with_its_size() {
    let huge = "x".repeat(70_000);
    let in_url = target(json!({"url": "https://example.com/hook?t={{title}}"}));
    match build(&in_url, &ombi_titled(&huge), "d", 0) {
        Err(e @ BuildError::UrlTooLong { bytes, limit }) => {
            assert_eq!(limit, MAX_URL_BYTES);
            assert!(e.to_string().starts_with("the URL is 70"), "{e}");
            assert!(bytes > 70_000, "{bytes}");
        }
        other => panic!("{other:?}"),
    }
    let in_header = target(json!({"headers": {"X-Title": "{{title}}"}}));
    let err = build(&in_header, &ombi_titled(&"y".repeat(MAX_HEADER_BYTES)), "d", 0).unwrap_err();
    assert!(matches!(&err, BuildError::HeadersTooLong { what, .. } if what == "header x-title"), "{err:?}");
    assert!(err.to_string().contains("keep long placeholders out of it"), "{err}");
    // Many headers each under the line limit, together over the total.
    let headers: serde_json::Map<String, Value> = (0..8).map(|i| (format!("X-Part-{i}"), json!("{{title}}"))).collect();
    let many = target(json!({ "headers": headers }));
    let err = build(&many, &ombi_titled(&"z".repeat(MAX_HEADER_BYTES / 2)), "d", 0).unwrap_err();
    assert!(matches!(&err, BuildError::HeadersTooLong { what, .. } if what == "the headers"), "{err:?}");
    // Just under the limits still builds.
    assert!(build(&in_url, &ombi_titled(&"x".repeat(MAX_URL_BYTES - 100)), "d", 0).is_ok());
}

#[test]
fn the_signature_never_goes_in_a_header_a_preview_shows() {
    for header in ["User-Agent", "content-type", "Webhook-Id"] {
        let t = target(json!({"secret": "k", "signature": "hex", "signature_header": header}));
        let err = build(&t, &ombi_titled("x"), "d", 0).unwrap_err();
        assert!(matches!(err, BuildError::Reserved(ref h) if h == header), "{header}: {err:?}");
    }
}

#[test]
fn a_body_its_values_make_huge_fails_to_build_and_templates_are_bounded_where_stored() {
    // A summary-sized value repeated: `{{title}}` twenty times over a 70 KB title is 1.4 MB.
    let repeated = target(json!({"body": format!("{{\"t\": \"{}\"}}", "{{title}}".repeat(20))}));
    match build(&repeated, &ombi_titled(&"x".repeat(70_000)), "d", 0) {
        Err(e @ BuildError::BodyTooLarge { bytes, limit }) => {
            assert!(bytes > limit && limit == MAX_RENDERED_BODY_BYTES, "{e}");
            assert!(e.to_string().contains("keep {{raw}} to once"), "{e}");
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    assert!(build(&repeated, &ombi_titled("Dune"), "d", 0).is_ok(), "the same template with a short value");
    for (field, t) in [
        ("url", target(json!({"url": format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES))}))),
        ("body", target(json!({"body": "b".repeat(crate::target::MAX_BODY_TEMPLATE_BYTES + 1)}))),
        ("headers", target(json!({"headers": {"X-Long": "h".repeat(MAX_HEADER_BYTES)}}))),
    ] {
        assert_eq!(t.validate().unwrap_err().field, field);
    }
}

#[test]
fn a_replaced_secret_signs_too_until_its_overlap_ends_and_never_for_hex() {
    const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NEW: &str = "whsec_c2VjcmV0LXR3by1zZWNyZXQtdHdvLXNlY3JldA==";
    let until = DateTime::from_timestamp(1_000, 0).unwrap();
    let t = target(json!({"secret": NEW, "previous_secret": {"secret": OLD, "until": until}}));
    let event = ombi_titled("Dune");
    let signed_at = |now: i64| {
        let req = build(&t, &event, "d1", now).unwrap();
        let sig = header(&req, "webhook-signature").unwrap().to_owned();
        let verifies = |key: &str| StandardKey::parse(key).unwrap().verify("d1", now, now, &req.body, &sig);
        (sig.split(' ').count(), verifies(NEW), verifies(OLD))
    };
    assert_eq!(signed_at(999), (2, true, true), "during the overlap: both");
    assert_eq!(signed_at(1_000), (1, true, false), "from its end: the new one only");
    let hex =
        target(json!({"signature": "hex", "secret": "new", "previous_secret": {"secret": "old", "until": until}}));
    let req = build(&hex, &event, "d1", 999).unwrap();
    let sig = header(&req, "x-herald-signature-256").unwrap();
    assert_eq!(sig, crate::signature::hex_signature(b"new", &req.body), "one header, one signature");
}
