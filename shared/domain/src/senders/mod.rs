//! Every sender Herald knows, one file each: its events (what each means, which are chatty), its
//! sample bodies, its defaults, its setup steps and its normalize function. The list below is the
//! one place a kind is registered; every other list of kinds (catalog, page, CLI, fuzzing,
//! validation) is derived from [`SourceKind::ALL`].
//!
//! A kind is what the list names, and nothing else: a sender file that is not listed makes no kind,
//! so code naming one does not compile,
//!
//! ```compile_fail
//! let _ = herald_domain::SourceKind::Sonarr; // `servarr` is the listed kind
//! ```
//!
//! and a listed sender must say everything a sender is (here, its events, setup steps and the rest
//! are missing):
//!
//! ```compile_fail
//! const HALF: herald_domain::senders::Sender = herald_domain::senders::Sender {
//!     label: "Half", selectable: true, sample: "{}", test: None,
//! };
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::normalized::{Input, NormalizeError, Normalized};

/// One line per kind: the enum variant and its file, whose name is the kind's wire name. A macro
/// rather than a derive crate because the variant, its module and its `SENDER` must stay together.
macro_rules! senders {
    ($($variant:ident => $module:ident),+ $(,)?) => {
        $(pub mod $module;)+

        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum SourceKind {
            $($variant,)+
        }

        impl SourceKind {
            /// Every kind, in the order the catalog lists them.
            pub const ALL: &[SourceKind] = &[$(SourceKind::$variant,)+];

            pub fn sender(self) -> &'static Sender {
                match self {
                    $(SourceKind::$variant => &$module::SENDER,)+
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(SourceKind::$variant => stringify!($module),)+
                }
            }
        }
    };
}

senders! {
    Kinescope => kinescope,
    Ombi => ombi,
    Jellynext => jellynext,
    Kiosk => kiosk,
    Servarr => servarr,
    Overseerr => overseerr,
    Jellyfin => jellyfin,
    Plex => plex,
    Emby => emby,
    Tautulli => tautulli,
    Kino => kino,
    Generic => generic,
    Herald => herald,
}

impl SourceKind {
    /// The kinds a person can create a source of (not Herald's own).
    pub fn selectable() -> impl Iterator<Item = SourceKind> {
        Self::ALL.iter().copied().filter(|k| k.sender().selectable)
    }

    /// The kind a wire name names, for error messages that list the choices.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::selectable().find(|k| k.as_str() == name).ok_or_else(|| {
            let names: Vec<&str> = Self::selectable().map(Self::as_str).collect();
            format!("unknown kind {name:?}; one of {}", names.join(", "))
        })
    }
}

/// What Herald knows about one sender.
pub struct Sender {
    /// How the sender calls itself ("Sonarr").
    pub label: &'static str,
    /// False only for Herald's own events.
    pub selectable: bool,
    /// The event names it sends; empty when they are the sender's own choice (generic).
    pub events: &'static [EventSpec],
    /// The body of a typical event: the catalog's sample values, previews and validation.
    pub sample: &'static str,
    /// The body its own Test button sends, when it has one and it differs from `sample`.
    pub test: Option<&'static str>,
    /// The credential a new source of this kind gets unless its creator chooses.
    pub auth: DefaultAuth,
    /// Whether a byte-identical repeat is a retry by default (`HERALD_DEDUPE_WINDOW`); false where
    /// a repeat is a real event.
    pub dedupes: bool,
    /// JSON pointers always removed from its bodies (configuration it should not send at all).
    pub drop_pointers: &'static [&'static str],
    /// A bodiless request's query parameters are the event (senders that put values in the URL).
    pub query_is_event: bool,
    /// How it sends its body.
    pub body: BodyForm,
    /// Added to a JSON syntax error, where the sender is known to produce broken JSON.
    pub json_hint: Option<&'static str>,
    /// Where to click in the sender: `{url}`, `{token_url}` (the URL with `?token=`), `{token}`,
    /// `{secret}` and `{header}` are filled in when a source is created.
    pub setup: &'static [&'static str],
    pub normalize: fn(&Input<'_>, &mut Map<String, Value>) -> Result<Normalized, NormalizeError>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAuth {
    Token,
    /// `sha256=<hex>` in this header.
    HmacHex(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyForm {
    Json,
    /// JSON, or `multipart/form-data` whose part of this name is the JSON event (other parts,
    /// such as a thumbnail, are not relayed).
    JsonOrMultipart {
        part: &'static str,
    },
}

/// One event name a sender sends.
#[derive(Debug)]
pub struct EventSpec {
    pub name: &'static str,
    /// "Fires when …", as a person choosing events reads it.
    pub fires_when: &'static str,
    pub chatty: Chatty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chatty {
    No,
    Yes,
    /// Only some of these events are chatty: which, in words.
    When(&'static str),
}

/// As the catalog shows it: `chatty` a flag (a default subscription leaves it out), and
/// `chatty_when` when only some of these events are.
impl Serialize for EventSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("EventSpec", 4)?;
        s.serialize_field("name", self.name)?;
        s.serialize_field("fires_when", self.fires_when)?;
        s.serialize_field("chatty", &(self.chatty == Chatty::Yes))?;
        if let Chatty::When(when) = self.chatty {
            s.serialize_field("chatty_when", when)?;
        }
        s.end()
    }
}

pub const fn event(name: &'static str, fires_when: &'static str) -> EventSpec {
    EventSpec { name, fires_when, chatty: Chatty::No }
}

pub const fn chatty(name: &'static str, fires_when: &'static str) -> EventSpec {
    EventSpec { name, fires_when, chatty: Chatty::Yes }
}

/// The values a sender's setup steps name.
pub struct SetupValues<'a> {
    pub url: &'a str,
    pub token: Option<&'a str>,
    pub secret: Option<&'a str>,
    pub header: Option<&'a str>,
}

impl Sender {
    /// Its setup steps with the new source's values; a step naming a value the source does not
    /// have (a token step for an HMAC source) is left out.
    pub fn setup_steps(&self, values: &SetupValues<'_>) -> Vec<String> {
        let token_url = values.token.map(|t| {
            let sep = if values.url.contains('?') { '&' } else { '?' };
            format!("{}{sep}token={t}", values.url)
        });
        let fills: [(&str, Option<&str>); 5] = [
            ("{token_url}", token_url.as_deref()),
            ("{url}", Some(values.url)),
            ("{token}", values.token),
            ("{secret}", values.secret),
            ("{header}", values.header),
        ];
        self.setup
            .iter()
            .filter_map(|step| {
                fills.iter().try_fold((*step).to_owned(), |text, (name, value)| match (text.contains(name), value) {
                    (false, _) => Some(text),
                    (true, Some(value)) => Some(text.replace(name, value)),
                    (true, None) => None,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod sender_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_s_wire_name_is_its_file_s_name_and_parses_back() {
        for kind in SourceKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), Value::String(kind.as_str().into()));
            if kind.sender().selectable {
                assert_eq!(SourceKind::parse(kind.as_str()), Ok(*kind));
            }
        }
        assert!(SourceKind::parse("herald").unwrap_err().contains("one of kinescope, ombi"));
    }

    #[test]
    fn every_sender_s_samples_normalize_to_a_listed_event_with_a_summary() {
        let id = crate::ids::SourceId::parse("s").unwrap();
        for kind in SourceKind::ALL {
            let sender = kind.sender();
            for body in [Some(sender.sample), sender.test].into_iter().flatten() {
                let origin = crate::adapters::Origin::of(&id, *kind);
                let event = crate::adapters::normalize(&origin, body.as_bytes(), ulid::Ulid::nil(), Default::default())
                    .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
                let summary = event.fields["summary"].as_str().unwrap();
                assert!(!summary.is_empty() && !summary.contains("null"), "{kind:?}: {summary}");
                if !sender.events.is_empty() {
                    assert!(sender.events.iter().any(|e| e.name == event.name), "{kind:?}: {} not listed", event.name);
                }
            }
        }
    }

    #[test]
    fn setup_steps_fill_values_and_drop_steps_for_values_the_source_lacks() {
        let steps = SourceKind::Kinescope.sender().setup_steps(&SetupValues {
            url: "https://h/hooks/k",
            token: Some("t0k"),
            secret: None,
            header: None,
        });
        assert!(steps.iter().any(|s| s.contains("https://h/hooks/k?token=t0k")), "{steps:?}");
        assert!(steps.iter().all(|s| !s.contains('{')), "{steps:?}");
        let hmac = SourceKind::Kinescope.sender().setup_steps(&SetupValues {
            url: "https://h/hooks/k",
            token: None,
            secret: Some("s"),
            header: Some("X-Sig"),
        });
        assert!(hmac.iter().all(|s| !s.contains("token")), "{hmac:?}");
    }
}
