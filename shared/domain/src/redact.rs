//! Credentials hidden in target URLs: Discord's and Slack's webhook tokens in the path, Telegram's
//! bot token, Home Assistant's webhook id, `user:pass@`, `?token=`. Works on the URL template's
//! text (it may hold placeholders, which are never hidden), so an admin answer shows where a target
//! points without giving away how to post to it.

pub const REDACTED: &str = "[redacted]";

/// Query keys whose values are credentials.
const SECRET_KEYS: &[&str] = &[
    "token",
    "key",
    "apikey",
    "api_key",
    "secret",
    "password",
    "pass",
    "sig",
    "signature",
    "auth",
    "access_token",
    "code",
];
/// Path segments after which every segment is a credential (`/api/webhooks/<id>/<token>`).
const SECRET_AFTER: &[&str] = &["webhooks", "webhook", "services", "hooks"];
/// A random-looking segment or value at least this long is taken for a credential.
const TOKEN_LEN: usize = 20;

/// The URL template with its credentials replaced by `[redacted]`.
pub fn redact_target_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("{REDACTED}@{host}"),
        None => authority.to_owned(),
    };
    let (path, query) = rest.split_once('?').map_or((rest, None), |(p, q)| (p, Some(q)));
    let mut after_marker = false;
    let path: Vec<String> = path
        .split('/')
        .map(|segment| {
            let hide = (after_marker && segment.len() >= 8 && !segment.contains('{')) || looks_like_token(segment);
            after_marker |= SECRET_AFTER.iter().any(|m| segment.eq_ignore_ascii_case(m));
            match telegram_bot(segment) {
                true => format!("bot{REDACTED}"),
                false if hide => REDACTED.to_owned(),
                false => segment.to_owned(),
            }
        })
        .collect();
    let mut out = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    out.push_str(&authority);
    out.push_str(&path.join("/"));
    if let Some(query) = query {
        let (query, fragment) = query.split_once('#').map_or((query, None), |(q, f)| (q, Some(f)));
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) if SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s)) || looks_like_token(v) => {
                    if v.contains('{') { pair.to_owned() } else { format!("{k}={REDACTED}") }
                }
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(fragment);
        }
    }
    out
}

/// `bot123456:AAE…`, Telegram's bot token in the path.
fn telegram_bot(segment: &str) -> bool {
    segment
        .strip_prefix("bot")
        .and_then(|t| t.split_once(':'))
        .is_some_and(|(id, _)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn looks_like_token(text: &str) -> bool {
    text.len() >= TOKEN_LEN
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'%' | b':'))
        && text.bytes().any(|b| b.is_ascii_digit())
        && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// `scheme://host:port` as the URL parser that sends the request reads it (WHATWG: a `\` ends
/// the authority of an http URL as `/` does), or `None` when the origin is not fixed text: a URL
/// that does not parse, or with a placeholder before its path, can go anywhere.
pub fn origin(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len())];
    if authority.contains('{') || authority.contains('}') {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(format!("{}://{}:{}", parsed.scheme(), host.to_ascii_lowercase(), parsed.port_or_known_default()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_target_urls_are_hidden() {
        let cases = [
            (
                "https://discord.com/api/webhooks/123456789012345678/AbCdEf-GhIjKlMnOpQrStUvWxYz0123456789",
                "https://discord.com/api/webhooks/[redacted]/[redacted]",
            ),
            (
                "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
                "https://hooks.slack.com/services/[redacted]/[redacted]/[redacted]",
            ),
            (
                "https://api.telegram.org/bot123456:AAEexample-token/sendMessage",
                "https://api.telegram.org/bot[redacted]/sendMessage",
            ),
            ("http://ha.local:8123/api/webhook/herald-notify-2f9c", "http://ha.local:8123/api/webhook/[redacted]"),
            (
                "https://user:pa55@example.com/hook?token=abc&x=1",
                "https://[redacted]@example.com/hook?token=[redacted]&x=1",
            ),
            ("https://ntfy.sh/herald", "https://ntfy.sh/herald"),
            (
                "https://example.com/hook?tmdb={tmdbId}&token={{token}}",
                "https://example.com/hook?tmdb={tmdbId}&token={{token}}",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_target_url(url), shown, "{url}");
            assert!(!redact_target_url(url).contains("pa55"));
        }
        assert_eq!(redact_target_url(&redact_target_url(cases[0].0)), cases[0].1, "idempotent");
    }

    #[test]
    fn origins_compare_where_requests_go() {
        assert_eq!(origin("HTTPS://Discord.com/api/webhooks/1/x"), origin("https://discord.com/other"));
        assert_ne!(origin("https://discord.com/x"), origin("https://evil.example/x"));
        assert_ne!(origin("https://discord.com/x"), origin("https://discord.com:8443/x"));
        assert_eq!(origin("https://discord.com:443/x"), origin("https://discord.com/y"));
        assert_eq!(origin("https://u:p@example.com/x").as_deref(), Some("https://example.com:443"));
        // The parser that sends the request ends the authority at a backslash: evil.example it is.
        assert_eq!(origin("https://evil.example\\@hooks.example.com/x").as_deref(), Some("https://evil.example:443"));
        assert_eq!(origin("https://{{host}}/x"), None, "a placeholder host goes anywhere");
        assert_eq!(origin("not a url"), None);
    }
}
