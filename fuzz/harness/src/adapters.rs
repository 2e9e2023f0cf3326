//! Source adapters and the secret pruning ingest applies before normalizing.
//!
//! Input: byte 0 picks the kind (`% 5`: Kinescope, Ombi, JellyNext, Kiosk, Generic) and options
//! (`/ 5`, bits below). Without bit 0 the rest is the body. With bit 0 the rest is
//! `pointer NUL text NUL body`, and
//! - bit 1: `pointer` is the source's `event_pointer`,
//! - bit 2: `text` is the source's `summary` template,
//! - bit 3: `pointer`, split on `,`, is the source's `drop` list,
//! - bit 4: `text` is a credential the request carried (a body must not echo it),
//! - bit 5: the source opts out of the default drop names (`drop_names: []`).

use herald_domain::adapters::{DropRules, Origin, normalize, normalize_value, parse_body, prune};
use herald_domain::{Event, Source, SourceAuth, SourceId, SourceKind};
use serde_json::Value;

use crate::input::Input;
use crate::{fixed_id, fixed_time, lossy};

pub fn adapters(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let kind = SourceKind::ALL[usize::from(first) % SourceKind::ALL.len()];
    let options = first / 5;
    let mut input = Input::new(rest);
    let (pointer, text) = if options & 1 == 1 {
        (lossy(input.until_nul()), lossy(input.until_nul()))
    } else {
        (String::new(), String::new())
    };
    let body = input.rest();

    let source_id = SourceId::parse(kind.as_str()).expect("kind names are valid ids");
    let mut origin = Origin::of(&source_id, kind);
    if options & 0b11 == 0b11 {
        origin.event_pointer = Some(&pointer);
    }
    if options & 0b101 == 0b101 {
        origin.summary = Some(&text);
    }
    let (id, at) = (fixed_id(), fixed_time());

    // Straight from the bytes, or parsed first as ingest does: the same event or the same error.
    let direct = normalize(&origin, body, id, at);
    let parsed = parse_body(kind, body);
    match &parsed {
        Err(e) => assert_eq!(direct.as_ref().err(), Some(e), "normalize and parse_body disagree"),
        Ok(value) => {
            assert!(value.is_object(), "parse_body let a non-object through");
            let via_value = normalize_value(&origin, value.clone(), lossy(body), id, at);
            assert_eq!(via_value, direct, "normalize and normalize_value disagree");
        }
    }
    if let Ok(event) = &direct {
        check_event(event, &origin);
    }
    let Ok(value) = parsed else {
        return;
    };

    // Pruning, as ingest does it: before normalizing, with the source's rules and the request's credentials.
    let mut source = Source::new(source_id.clone(), kind, SourceAuth::token("fuzz"));
    if options & 0b1001 == 0b1001 {
        source.drop = pointer.split(',').map(str::to_owned).collect();
    }
    if options & 0b10_0000 != 0 {
        source.drop_names = Vec::new();
    }
    let texts = if options & 0b1_0001 == 0b1_0001 { vec![text.clone()] } else { Vec::new() };
    let rules = DropRules::for_source(&source, texts.clone());
    let mut pruned = value.clone();
    let dropped = prune(&mut pruned, &rules);
    if dropped == 0 {
        assert_eq!(pruned, value, "prune changed the body but reported nothing dropped");
    }
    for t in &texts {
        if let Some(s) = find_string(&pruned, &|s| s.contains(t.as_str())) {
            panic!("a value echoing the request's credential {t:?} survived pruning: {s:?}");
        }
    }
    for pointer in kind.sender().drop_pointers {
        assert!(pruned.pointer(pointer).is_none(), "{pointer} survived pruning");
    }

    // Pruning twice drops nothing the second time. A pointer through an array is the exception: an
    // index names whatever element moved into its place (RFC 6901 removal is not idempotent), so
    // with such a pointer only the name and credential rules are checked again.
    let once = pruned.clone();
    let mut pointers = source.drop.clone();
    pointers.extend(kind.sender().drop_pointers.iter().map(|p| (*p).to_owned()));
    let through_array = pointers.iter().any(|p| crosses_array(&value, p) || crosses_array(&once, p));
    if through_array {
        let mut names_only = source.clone();
        names_only.drop.clear();
        names_only.kind = SourceKind::Generic;
        let again = prune(&mut pruned, &DropRules::for_source(&names_only, texts.clone()));
        assert_eq!(again, 0, "name/credential pruning is not idempotent: {once} became {pruned}");
    } else {
        let again = prune(&mut pruned, &rules);
        assert_eq!(again, 0, "pruning is not idempotent (pointers {pointers:?}): {once} became {pruned}");
        assert_eq!(pruned, once, "a second prune changed the body but reported nothing dropped");
    }

    // What ingest normalizes, and what a slim queue message rebuilds from the raw text it carries
    // (`message::with_fields`), must be the same event.
    let raw_text = if dropped == 0 { lossy(body) } else { once.to_string() };
    let at_ingest = normalize_value(&origin, once, raw_text.clone(), id, at);
    let rebuilt = normalize(&origin, raw_text.as_bytes(), id, at);
    assert_eq!(at_ingest, rebuilt, "a slim message would rebuild another event than ingest made");
    if let Ok(event) = &at_ingest {
        check_event(event, &origin);
    }
}

fn check_event(event: &Event, origin: &Origin<'_>) {
    assert!(!event.name.is_empty(), "an event without a name");
    assert!(event.fields.contains_key("summary"), "an event without a summary field: {:?}", event.fields);
    if origin.summary.is_some() {
        let summary = event.fields["summary"].as_str().expect("a templated summary is a string");
        assert_eq!(summary, summary.trim(), "the templated summary is trimmed");
    }
    assert_eq!(event.source_kind, origin.kind);
    assert_eq!(&event.source_id, origin.source_id);
    for name in ["event", "source", "source_kind", "event_id", "herald_event_id", "timestamp"] {
        assert!(event.fields.contains_key(name), "canonical field {name} missing");
    }
    assert!(
        serde_json::from_str::<Value>(event.raw.get()).is_ok_and(|v| v.is_object()),
        "the carried raw body is not a JSON object"
    );
}

/// The first string (value, at any depth) that `pred` accepts.
fn find_string<'v>(value: &'v Value, pred: &dyn Fn(&str) -> bool) -> Option<&'v str> {
    match value {
        Value::String(s) => pred(s).then_some(s.as_str()),
        Value::Array(items) => items.iter().find_map(|v| find_string(v, pred)),
        Value::Object(map) => map.values().find_map(|v| find_string(v, pred)),
        _ => None,
    }
}

/// Whether following `pointer` from `root` passes through (or ends in) an array.
fn crosses_array(root: &Value, pointer: &str) -> bool {
    let Some(path) = pointer.strip_prefix('/') else {
        return false;
    };
    let mut node = root;
    for token in path.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match node {
            Value::Array(_) => return true,
            Value::Object(map) => match map.get(&token) {
                Some(next) => next,
                None => return false,
            },
            _ => return false,
        };
    }
    false
}
