use super::*;
use crate::event::SourceKind;
use crate::ids::SourceId;
use chrono::DateTime;
use serde_json::{Map, json};
use ulid::Ulid;

fn event(fields: Value) -> Event {
    let Value::Object(fields) = fields else { unreachable!() };
    Event {
        id: Ulid::nil(),
        source_id: SourceId::parse("s").unwrap(),
        source_kind: SourceKind::Generic,
        name: "e".into(),
        received_at: DateTime::UNIX_EPOCH,
        chatty: false,
        event_pointer: None,
        summary_template: None,
        raw: crate::event::RawBody::from_value(&json!({"data": {"id": "d1"}})),
        fields: Map::from_iter(fields),
    }
}

fn render(src: &str, fields: Value, cx: Context) -> String {
    Template::parse(src).render(&event(fields), cx)
}

#[test]
fn both_syntaxes_case_insensitive() {
    let f = json!({"title": "Dune", "tmdbId": 438631});
    assert_eq!(render("{{title}}/{{ TITLE }}/{Title}/{TMDBID}", f, Context::Text), "Dune/Dune/Dune/438631");
}

#[test]
fn single_brace_only_replaces_known_names() {
    let f = json!({"title": "Dune"});
    assert_eq!(
        render(r#"{"a":{"b":1}} {unknown} {year}|{{unknown}}"#, f, Context::Json),
        r#"{"a":{"b":1}} {unknown} null|null"#
    );
}

#[test]
fn json_context_escapes_strings_and_passes_numbers() {
    let f = json!({"title": "Say \"hi\" \\ @everyone\n🎬", "season": 2, "anime": false, "none": null});
    let out = render(r#"{"t": "{{title}}", "s": {season}, "a": {{anime}}, "n": "{{none}}"}"#, f, Context::Json);
    let parsed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed, json!({"t": "Say \"hi\" \\ @everyone\n🎬", "s": 2, "a": false, "n": ""}));
}

#[test]
fn json_escaping_matches_serde_json() {
    for s in ["plain", "quote \" and \\ back", "tab\tcr\rlf\n", "bell\u{7}\u{8}\u{c}nul\u{0}\u{1f}", "é🎬\u{2028}", ""]
    {
        let mut out = String::new();
        push_json_escaped(&mut out, s);
        assert_eq!(format!("\"{out}\""), serde_json::to_string(s).unwrap(), "{s:?}");
    }
}

#[test]
fn url_context_percent_encodes() {
    let f = json!({"title": "Fight Club & co/?", "tmdbId": "550"});
    assert_eq!(
        render("https://x/dl?t={title}&id={tmdbId}", f, Context::Url),
        "https://x/dl?t=Fight%20Club%20%26%20co%2F%3F&id=550"
    );
}

#[test]
fn header_context_folds_line_breaks_and_controls() {
    let t = Template::parse("Bearer {{title}}");
    let out = t.render(&event(json!({"title": "x\r\nEvil: 1\n\nline\u{0}\tend"})), Context::Header);
    assert_eq!(out, "Bearer x Evil: 1 line end");
    assert_eq!(t.render(&event(json!({"title": "ok"})), Context::Header), "Bearer ok");
}

#[test]
fn bare_json_placeholders_stay_valid_json() {
    let src = r#"{"year": {{year}}, "ep": {{episode}}, "s": {{season}}, "t": {{title}}, "n": {{none}}, "m": {{missing}},
        "e": {{empty}}, "b": {{flag}}, "x": {{num}}, "neg": {{neg}}, "l": {{list}}, "q": "{{title}} \" {{year}}"}"#;
    let f = json!({"year": "2024", "episode": "1, 2", "season": 3, "title": "Dune \"Part\" 2", "none": null,
                   "empty": " ", "flag": "true", "num": "01", "neg": "-1.5e3", "list": [1, "a"]});
    let out = render(src, f, Context::Json);
    let parsed: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        parsed,
        json!({"year": 2024, "ep": "1, 2", "s": 3, "t": "Dune \"Part\" 2", "n": null, "m": null, "e": null,
               "b": true, "x": "01", "neg": -1.5e3, "l": [1, "a"], "q": "Dune \"Part\" 2 \" 2024"})
    );
    let (template, sparse) = (Template::parse(src), event(json!({"year": null, "title": "x"})));
    let nulls: Vec<&str> = template.bare_nulls(&sparse).collect();
    assert!(nulls.contains(&"year") && nulls.contains(&"missing") && !nulls.contains(&"title"), "{nulls:?}");
}

#[test]
fn json_numbers_follow_the_grammar() {
    for ok in ["0", "-0", "12", "1.5", "-2.25e-3", "1E9"] {
        assert!(is_json_number(ok), "{ok}");
    }
    for bad in ["", "-", "01", "1.", ".5", "1e", "1,2", "NaN", "0x10", "1 2", "+1"] {
        assert!(!is_json_number(bad), "{bad}");
    }
}

#[test]
fn lists_inside_strings_are_escaped() {
    let out = render(r#"{"t": "tags: {{list}}"}"#, json!({"list": ["a", "b"]}), Context::Json);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!({"t": "tags: [\"a\",\"b\"]"}));
}

#[test]
fn dotted_names_and_unclosed_braces() {
    assert_eq!(render("{{data.id}} {{ {x", json!({}), Context::Text), "d1 {{ {x");
    assert_eq!(Template::parse("{{a}}{b}").placeholders().collect::<Vec<_>>(), ["a", "b"]);
}

/// Runs of braces that open nothing: every brace a literal, a name after the last one still found.
/// (Parsing these once took seconds per 64 KiB; `cargo run --release -p herald-domain --example
/// template_parse` measures it.)
#[test]
fn long_runs_of_unclosed_braces_stay_literal() {
    for unit in ["{", "{{", "{a", "{ ", "{{a b", "}{"] {
        let src = format!("{}{{{{title}}}}", unit.repeat((1 << 20) / unit.len()));
        let t = Template::parse(&src);
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["title"], "{unit:?}");
        let out = t.render(&event(json!({"title": "T"})), Context::Text);
        assert_eq!(out.len(), src.len() - "{{title}}".len() + 1, "{unit:?}");
        assert!(out.ends_with('T'));
    }
}

#[test]
fn a_capped_render_stops_soon_after_the_cap() {
    let big = "x".repeat(100_000);
    let t = Template::parse(&"{{title}} ".repeat(70));
    let out = t.render_capped(&event(json!({"title": big})), Context::Text, 1024);
    assert!(out.len() > 1024 && out.len() <= 1024 + 100_001, "{}", out.len());
}
