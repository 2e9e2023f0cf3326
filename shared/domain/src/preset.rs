//! Ready-made shapes for the receivers users have most: give the URL, get a working body.

use serde::{Deserialize, Serialize};

/// Every list of presets (catalog, page, CLI) is derived from `Preset::VARIANTS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// The default JSON payload (every field), or the target's own body.
    #[default]
    Generic,
    /// A Discord channel webhook URL. Mentions are always disabled (`allowed_mentions`).
    Discord,
    /// A Slack incoming-webhook URL.
    Slack,
    /// An ntfy topic URL (`https://ntfy.sh/<topic>`): plain-text message with a title header.
    Ntfy,
    /// `https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>`.
    Telegram,
    /// `http://<home-assistant>:8123/api/webhook/<webhook_id>`: the default JSON payload.
    HomeAssistant,
}

impl Preset {
    /// The body used when the target has none of its own.
    pub fn body(self) -> Option<&'static str> {
        match self {
            Self::Generic | Self::HomeAssistant => None,
            Self::Discord => {
                Some(r#"{"username": "Herald", "content": "{{summary}}", "allowed_mentions": {"parse": []}}"#)
            }
            Self::Slack => Some(r#"{"text": "{{summary}}"}"#),
            Self::Ntfy => Some("{{summary}}"),
            Self::Telegram => Some(r#"{"text": "{{summary}}", "disable_web_page_preview": true}"#),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Ntfy => "text/plain; charset=utf-8",
            _ => "application/json",
        }
    }

    /// Headers added before the target's own (which win on a clash).
    pub fn headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Ntfy => &[("Title", "{{event}}"), ("Tags", "{{source}}")],
            _ => &[],
        }
    }
}

/// The most a receiver takes in its message field; Herald cuts longer text with "…".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// A string field of the JSON body, in characters (Discord `content` 2000, Telegram `text` 4096,
    /// Slack `text` 40 000: their documented limits).
    JsonField { field: &'static str, chars: usize },
    /// The whole text body, in bytes (ntfy turns a message over 4096 bytes into an attachment).
    Body { bytes: usize },
}

impl Preset {
    /// How far apart a recovered backlog's sends go, in arrival order, for a chat whose service
    /// limits each webhook's rate: Discord takes 5 requests per 2 s per webhook; Slack about one
    /// message a second per incoming webhook; Telegram one a second per chat; ntfy.sh a burst of 60,
    /// then one per 5 s (one a second keeps a home backlog within the burst). A channel then reads in
    /// order and is not answered with 429s. `None`: sent side by side, as fast as the receiver takes.
    pub fn release_pace(self) -> Option<std::time::Duration> {
        use std::time::Duration;
        match self {
            Self::Discord => Some(Duration::from_millis(400)),
            Self::Slack | Self::Telegram | Self::Ntfy => Some(Duration::from_secs(1)),
            Self::Generic | Self::HomeAssistant => None,
        }
    }

    pub fn limit(self) -> Option<Limit> {
        match self {
            Self::Discord => Some(Limit::JsonField { field: "content", chars: 2000 }),
            Self::Telegram => Some(Limit::JsonField { field: "text", chars: 4096 }),
            Self::Slack => Some(Limit::JsonField { field: "text", chars: 40_000 }),
            Self::Ntfy => Some(Limit::Body { bytes: 4096 }),
            Self::Generic | Self::HomeAssistant => None,
        }
    }

    /// A name for people: "Discord".
    pub fn label(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Discord => "Discord",
            Self::Slack => "Slack",
            Self::Ntfy => "ntfy",
            Self::Telegram => "Telegram",
            Self::HomeAssistant => "Home Assistant",
        }
    }
}

pub const ELLIPSIS: char = '…';

/// `text` cut to at most `max` characters, the last being "…", if it is longer.
pub fn truncate_chars(text: &str, max: usize) -> Option<String> {
    let mut indices = text.char_indices();
    let cut = indices.nth(max.saturating_sub(1))?.0;
    indices.next()?;
    let mut out = text[..cut].to_owned();
    out.push(ELLIPSIS);
    Some(out)
}

/// `text` cut to at most `max` bytes on a character boundary, ending in "…", if it is longer.
pub fn truncate_bytes(text: &str, max: usize) -> Option<String> {
    if text.len() <= max {
        return None;
    }
    let mut cut = max.saturating_sub(ELLIPSIS.len_utf8());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = text[..cut].to_owned();
    out.push(ELLIPSIS);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncate_chars("abc", 3), None);
        assert_eq!(truncate_chars("abcd", 3).as_deref(), Some("ab…"));
        let long = "é".repeat(3000);
        let cut = truncate_chars(&long, 2000).unwrap();
        assert_eq!(cut.chars().count(), 2000);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate_bytes("abc", 3), None);
        let cut = truncate_bytes(&"🎬".repeat(2000), 4096).unwrap();
        assert!(cut.len() <= 4096 && cut.ends_with('…'), "{}", cut.len());
    }
}
