//! Secrets never pass through: what a source says to drop (JSON pointers, key patterns) and any
//! value that contains the request's own credential are removed from the body at ingest, before
//! anything is queued, stored, logged or delivered.

use serde_json::Value;
use wildmatch::WildMatch;

use crate::source::Source;

pub struct DropRules<'a> {
    pointers: Vec<&'a str>,
    names: Vec<WildMatch>,
    texts: Vec<String>,
}

/// A key as patterns see it: its compatibility form (fullwidth and mathematical letters are the
/// letters they look like), lower case, letters and digits only, and Latin for the Cyrillic and
/// Greek letters that look Latin (`ＡＰＩ_Кеу` → `apikey`).
fn folded(key: &str) -> String {
    fold(key, |c| c.is_alphanumeric())
}

/// A pattern folded the same way, its wildcards kept.
fn folded_pattern(pattern: &str) -> String {
    fold(pattern, |c| c.is_alphanumeric() || matches!(c, '*' | '?'))
}

fn fold(text: &str, keep: impl Fn(char) -> bool) -> String {
    // Nearly every key is ASCII, which neither step changes: a webhook's keys cost what they did.
    if text.is_ascii() {
        return text.chars().filter(|c| keep(*c)).map(|c| c.to_ascii_lowercase()).collect();
    }
    let compatible = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(text);
    compatible.chars().filter(|c| keep(*c)).flat_map(char::to_lowercase).map(latin_look_alike).collect()
}

/// The Latin letter a lower-case Cyrillic or Greek one is drawn like (UTS #39's confusables, for
/// the letters a key name is spelled with). Unicode's whole table is thousands of entries; these
/// are the ones that pass for Latin in a lower-case key.
fn latin_look_alike(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' | 'ӏ' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'η' | 'п' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        other => other,
    }
}

impl<'a> DropRules<'a> {
    /// The source's rules, the kind's own (Kiosk's configuration subtree), and `credential_texts`:
    /// the credentials this request carried, which a body must not echo.
    pub fn for_source(source: &'a Source, credential_texts: Vec<String>) -> Self {
        let mut pointers: Vec<&str> = source.drop.iter().map(String::as_str).collect();
        pointers.extend(source.kind.sender().drop_pointers);
        let names = source
            .drop_names
            .iter()
            .map(|p| folded_pattern(p))
            .filter(|p| !p.is_empty())
            .map(|p| WildMatch::new(&p))
            .collect();
        Self { pointers, names, texts: credential_texts }
    }

    /// A key a pattern names, or one that holds the request's own credential.
    fn drops_key(&self, key: &str) -> bool {
        let by_name = !self.names.is_empty() && {
            let key = folded(key);
            self.names.iter().any(|p| p.matches(&key))
        };
        by_name || self.holds_credential(key)
    }

    fn holds_credential(&self, text: &str) -> bool {
        if self.texts.is_empty() {
            return false;
        }
        let text = text.to_lowercase();
        self.texts.iter().any(|t| text.contains(&t.to_lowercase()))
    }

    fn drops_value(&self, value: &Value) -> bool {
        matches!(value, Value::String(s) if self.holds_credential(s) || self.secret_url(s))
    }

    /// A URL whose user info carries a password, or whose query has a key a pattern names
    /// (`https://u:p@h/`, `…?api_key=…`): the value goes whole.
    fn secret_url(&self, text: &str) -> bool {
        if !text.contains("://") {
            return false;
        }
        let Ok(url) = url::Url::parse(text.trim()) else { return false };
        url.password().is_some() || url.query_pairs().any(|(k, _)| !self.names.is_empty() && self.drops_name(&k))
    }

    fn drops_name(&self, name: &str) -> bool {
        let name = folded(name);
        self.names.iter().any(|p| p.matches(&name))
    }

    /// `{"name": "password", "value": "…"}` and `["password", "…"]`: a secret by the name beside it.
    fn named_pair(&self, value: &Value) -> bool {
        if self.names.is_empty() {
            return false;
        }
        match value {
            Value::Object(map) => {
                let name = ["name", "key"].iter().find_map(|k| map.get(*k)).and_then(Value::as_str);
                name.is_some_and(|n| self.drops_name(n)) && map.contains_key("value")
            }
            Value::Array(items) => {
                items.len() == 2 && items[0].as_str().is_some_and(|n| self.drops_name(n)) && !items[1].is_object()
            }
            _ => false,
        }
    }
}

/// Removes what `rules` name from `value`; returns how many entries went.
pub fn prune(value: &mut Value, rules: &DropRules<'_>) -> usize {
    let mut dropped = 0;
    for pointer in &rules.pointers {
        dropped += usize::from(remove_pointer(value, pointer));
    }
    dropped + prune_tree(value, rules, 0)
}

/// JSON a sender put inside a string (`"config": "{\"password\": …}"`) is pruned too, this many
/// strings deep, up to this size each: enough for a setting serialized into a field, and no more
/// parsing than the body itself took.
const NESTED_JSON_DEPTH: u8 = 2;
const NESTED_JSON_BYTES: usize = 64 * 1024;

fn prune_tree(value: &mut Value, rules: &DropRules<'_>, strings_deep: u8) -> usize {
    let mut dropped = 0;
    match value {
        Value::Object(map) => {
            let before = map.len();
            map.retain(|k, v| !rules.drops_key(k) && !rules.drops_value(v) && !rules.named_pair(v));
            dropped += before - map.len();
            for v in map.values_mut() {
                dropped += prune_tree(v, rules, strings_deep);
            }
        }
        Value::Array(items) => {
            let before = items.len();
            items.retain(|v| !rules.drops_value(v) && !rules.named_pair(v));
            dropped += before - items.len();
            for v in items {
                dropped += prune_tree(v, rules, strings_deep);
            }
        }
        Value::String(text) if strings_deep < NESTED_JSON_DEPTH && text.len() <= NESTED_JSON_BYTES => {
            let trimmed = text.trim_start();
            if (trimmed.starts_with('{') || trimmed.starts_with('['))
                && let Ok(mut inner) = serde_json::from_str::<Value>(text)
            {
                let inside = prune_tree(&mut inner, rules, strings_deep + 1);
                if inside > 0 {
                    // Written back only when something went: the rest of the text stays as sent.
                    *text = inner.to_string();
                    dropped += inside;
                }
            }
        }
        _ => {}
    }
    dropped
}

/// Removes the entry a JSON pointer (RFC 6901) names; false when there is none.
fn remove_pointer(root: &mut Value, pointer: &str) -> bool {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return false;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match root.pointer_mut(parent) {
        Some(Value::Object(map)) => map.shift_remove(&last).is_some(),
        Some(Value::Array(items)) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// Checks a pointer a person typed: it must name something inside the body.
pub fn check_pointer(pointer: &str) -> Result<(), String> {
    if !pointer.starts_with('/') || pointer.len() < 2 {
        return Err(format!("{pointer:?} is not a JSON pointer to a field: write it like /config or /data/secret"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceAuth;
    use crate::{SourceId, SourceKind};
    use serde_json::json;

    fn source(kind: SourceKind) -> Source {
        Source::new(SourceId::parse("s").unwrap(), kind, SourceAuth::token("t"))
    }

    #[test]
    fn default_names_drop_secret_looking_keys_at_any_depth() {
        let mut body = json!({"event": "x", "apiKey": "k", "nested": {"API_KEY": "k", "client-secret": "k",
            "Password": "p", "authorization": "a", "tokens": ["t"], "keep": "me"}, "list": [{"secret": 1, "ok": 2}]});
        let s = source(SourceKind::Generic);
        let dropped = prune(&mut body, &DropRules::for_source(&s, vec![]));
        assert_eq!(body, json!({"event": "x", "nested": {"keep": "me"}, "list": [{"ok": 2}]}));
        assert_eq!(dropped, 7);
    }

    #[test]
    fn pointers_kiosk_config_and_echoed_credentials_go() {
        let mut s = source(SourceKind::Kiosk);
        s.drop = vec!["/assets/0/exifInfo".into(), "/a~1b".into(), "/missing/x".into()];
        s.drop_names = vec![];
        let mut body = json!({"event": "asset.new", "config": {"webhooks": [{"secret": "s3cr3t-value"}]},
            "assets": [{"id": "1", "exifInfo": {"city": "Lisbon"}}], "a/b": 1,
            "echo": "https://h.example/hooks/k?token=s3cr3t-value", "urls": ["x", "s3cr3t-value"]});
        prune(&mut body, &DropRules::for_source(&s, vec!["s3cr3t-value".into()]));
        assert_eq!(body, json!({"event": "asset.new", "assets": [{"id": "1"}], "urls": ["x"]}));
    }

    #[test]
    fn look_alike_and_compatibility_spellings_of_a_secret_name_go() {
        let s = source(SourceKind::Generic);
        // Fullwidth, mathematical bold, Cyrillic а/о/р/е, Greek ο, a zero-width joiner.
        let mut body = json!({"event": "x", "ＰＡＳＳＷＯＲＤ": "p", "𝐭𝐨𝐤𝐞𝐧": "t", "pаsswоrd": "p", "аpi_kеy": "k",
            "secrеt": "s", "tοken": "t", "pass\u{200d}word": "p", "title": "Dune", "Заголовок": "keep"});
        let dropped = prune(&mut body, &DropRules::for_source(&s, vec![]));
        assert_eq!(body, json!({"event": "x", "title": "Dune", "Заголовок": "keep"}));
        assert_eq!(dropped, 7);
    }

    #[test]
    fn json_inside_a_string_is_pruned_and_written_back_only_when_something_went() {
        let s = source(SourceKind::Generic);
        let mut body = json!({"event": "x",
            "config": "{\"server\": \"plex.local\", \"password\": \"hunter2\"}",
            "deeper": "[\"{\\\"api_key\\\": \\\"k\\\"}\"]",
            "clean": "{ \"title\":  \"Dune\" }", "not_json": "{not json, password: x}"});
        let dropped = prune(&mut body, &DropRules::for_source(&s, vec![]));
        assert_eq!(dropped, 2, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(body["config"].as_str().unwrap()).unwrap(),
            json!({"server": "plex.local"})
        );
        assert_eq!(body["deeper"], json!("[\"{}\"]"), "two strings deep");
        assert_eq!(body["clean"], json!("{ \"title\":  \"Dune\" }"), "as sent when nothing went");
        assert_eq!(body["not_json"], json!("{not json, password: x}"));
        // Three strings deep is left alone (bounded work per body).
        let three = json!({"a": json!({"b": json!({"password": "p"}).to_string()}).to_string()}).to_string();
        let mut body = json!({"event": "x", "wrapped": three.clone()});
        prune(&mut body, &DropRules::for_source(&s, vec![]));
        assert_eq!(body["wrapped"], json!(three));
    }

    #[test]
    fn secrets_in_the_shapes_they_really_take_go() {
        let s = source(SourceKind::Generic);
        let mut body = json!({"event": "x",
            "settings": [{"name": "Password", "value": "p"}, {"key": "api_key", "value": "k"}, {"name": "title", "value": "Dune"}],
            "pairs": [["pwd", "p"], ["title", "Dune"]],
            "auth": "a", "Cookie": "c", "client_credentials": "c", "AccessKey": "k", "private_key": "k", "author": "Frank",
            "feed": "https://user:hunter2@example.com/rss", "link": "https://example.com/x?api_key=abc&page=2",
            "plain": "https://example.com/movie?id=1"});
        prune(&mut body, &DropRules::for_source(&s, vec![]));
        assert_eq!(
            body,
            json!({"event": "x", "settings": [{"name": "title", "value": "Dune"}], "pairs": [["title", "Dune"]],
                "author": "Frank", "plain": "https://example.com/movie?id=1"})
        );
    }

    #[test]
    fn the_credential_goes_in_any_case_or_encoding_and_as_a_key() {
        use base64::Engine as _;
        let s = source(SourceKind::Generic);
        let token = "S3cretToken-42";
        let texts = {
            let mut t = vec![token.to_owned()];
            let b64 = base64::engine::general_purpose::STANDARD.encode(token).trim_end_matches('=').to_owned();
            t.push(b64);
            t.push(percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC).to_string());
            t
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(token);
        let mut body = json!({"event": "x", "upper": token.to_uppercase(), "b64": b64,
            "pct": "S3cretToken%2D42", "keyed": {token: 1}, "keep": "ok"});
        prune(&mut body, &DropRules::for_source(&s, texts));
        assert_eq!(body, json!({"event": "x", "keyed": {}, "keep": "ok"}));
    }

    #[test]
    fn an_empty_name_list_drops_nothing_by_name() {
        let mut s = source(SourceKind::Generic);
        s.drop_names = vec![];
        let mut body = json!({"token": "t"});
        assert_eq!(prune(&mut body, &DropRules::for_source(&s, vec![])), 0);
        assert_eq!(body, json!({"token": "t"}));
        assert!(check_pointer("config").is_err() && check_pointer("/").is_err() && check_pointer("/config").is_ok());
    }
}
