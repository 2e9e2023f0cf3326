//! Ready-made shapes for the receivers users have most: give the URL, get a working body.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
