//! What a person configuring Herald picks from, for the settings page and the CLI: each source
//! kind's event names (and which are chatty, so a default subscription leaves them out), its
//! placeholders with sample values, and the presets with their bodies and limits.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use ulid::Ulid;

use super::event::{CANONICAL_PLACEHOLDERS, SourceKind};
use super::preset::{Limit, Preset};
use super::sample::sample_event;

#[derive(Debug, Serialize)]
pub struct Catalog {
    pub sources: Vec<KindEntry>,
    pub presets: Vec<PresetEntry>,
    /// Placeholders every event has, whatever its source.
    pub canonical: &'static [&'static str],
}

#[derive(Debug, Serialize)]
pub struct KindEntry {
    pub kind: SourceKind,
    /// Empty for `generic`: its names are the sender's own.
    pub events: Vec<EventEntry>,
    /// Placeholder name → a sample value, from a sample event of this kind.
    pub placeholders: Vec<(String, Value)>,
}

#[derive(Debug, Serialize)]
pub struct EventEntry {
    pub name: &'static str,
    pub chatty: bool,
    /// When only some of these events are chatty, which.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chatty_when: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct PresetEntry {
    pub preset: Preset,
    pub body: Option<&'static str>,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, &'static str)>,
    /// "content: 2000 characters", "body: 4096 bytes".
    pub limit: Option<String>,
}

const fn event(name: &'static str, chatty: bool) -> EventEntry {
    EventEntry { name, chatty, chatty_when: None }
}

/// The names each adapter knows (see `adapters/`); a sender may send others.
fn events(kind: SourceKind) -> Vec<EventEntry> {
    match kind {
        SourceKind::Kinescope => vec![
            EventEntry {
                name: "media.update.status",
                chatty: false,
                chatty_when: Some("status is pending, uploading, pre-processing or processing"),
            },
            event("live.created", false),
            event("live.connected", true),
            event("live.disconnected", true),
            event("live.finished", false),
            event("live.cancelled", false),
            event("live.enabled", false),
        ],
        SourceKind::Ombi => [
            "NewRequest",
            "RequestApproved",
            "RequestAvailable",
            "PartiallyAvailable",
            "RequestDeclined",
            "RequestDeleted",
            "ItemAddedToFaultQueue",
            "Issue",
            "IssueComment",
            "IssueInProgress",
            "IssueResolved",
            "IssueDeleted",
            "Test",
        ]
        .into_iter()
        .map(|name| event(name, false))
        .collect(),
        SourceKind::Jellynext => vec![event("download.movie", false), event("download.show", false)],
        SourceKind::Kiosk => vec![
            event("asset.new", true),
            event("asset.history.next", true),
            event("asset.history.previous", true),
            event("asset.prefetch", true),
            event("asset.offline.new", true),
            event("asset.offline.history.next", true),
            event("asset.offline.history.previous", true),
            event("cache.flush", false),
            event("user.like.info_overlay", false),
            event("user.unlike.info_overlay", false),
            event("user.hide.info_overlay", false),
            event("user.unhide.info_overlay", false),
            event("user.webhook.trigger.info_overlay", false),
            event("user.navigation.custom", false),
        ],
        SourceKind::Generic => Vec::new(),
        SourceKind::Herald => vec![event("health_warning", false)],
    }
}

const KINDS: [SourceKind; 5] =
    [SourceKind::Kinescope, SourceKind::Ombi, SourceKind::Jellynext, SourceKind::Kiosk, SourceKind::Generic];
const PRESETS: [Preset; 6] =
    [Preset::Generic, Preset::Discord, Preset::Slack, Preset::Ntfy, Preset::Telegram, Preset::HomeAssistant];

/// The catalog; sample values are made with `id` and `at`, so the domain needs no clock.
pub fn catalog(id: Ulid, at: DateTime<Utc>) -> Catalog {
    let sources = KINDS
        .into_iter()
        .map(|kind| KindEntry {
            kind,
            events: events(kind),
            placeholders: sample_event(kind, id, at).fields.into_iter().collect(),
        })
        .collect();
    let presets = PRESETS
        .into_iter()
        .map(|preset| PresetEntry {
            preset,
            body: preset.body(),
            content_type: preset.content_type(),
            headers: preset.headers().to_vec(),
            limit: preset.limit().map(|l| match l {
                Limit::JsonField { field, chars } => format!("{field}: {chars} characters"),
                Limit::Body { bytes } => format!("body: {bytes} bytes"),
            }),
        })
        .collect();
    Catalog { sources, presets, canonical: CANONICAL_PLACEHOLDERS }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::{Origin, normalize};
    use crate::ids::SourceId;

    #[test]
    fn every_kind_and_preset_is_listed_with_samples() {
        let c = catalog(Ulid::nil(), DateTime::UNIX_EPOCH);
        assert_eq!(c.sources.len(), KINDS.len());
        let kiosk = c.sources.iter().find(|k| k.kind == SourceKind::Kiosk).unwrap();
        assert!(kiosk.events.iter().any(|e| e.name == "asset.new" && e.chatty));
        assert!(kiosk.placeholders.iter().any(|(n, _)| n == "clientName"));
        let jellynext = c.sources.iter().find(|k| k.kind == SourceKind::Jellynext).unwrap();
        assert!(jellynext.placeholders.iter().any(|(n, v)| n == "tmdbId" && v == "1396"));
        assert_eq!(c.presets.len(), PRESETS.len());
        let discord = c.presets.iter().find(|p| p.preset == Preset::Discord).unwrap();
        assert_eq!(discord.limit.as_deref(), Some("content: 2000 characters"));
    }

    #[test]
    fn the_listed_chatty_flags_are_the_adapters_own() {
        // A Kiosk body per listed event: the adapter must agree with the catalog.
        let id = SourceId::parse("kiosk").unwrap();
        for e in events(SourceKind::Kiosk) {
            let body = serde_json::json!({"event": e.name, "clientName": "pi", "assets": []}).to_string();
            let event =
                normalize(&Origin::of(&id, SourceKind::Kiosk), body.as_bytes(), Ulid::nil(), DateTime::UNIX_EPOCH);
            assert_eq!(event.unwrap().chatty, e.chatty, "{}", e.name);
        }
        let id = SourceId::parse("k").unwrap();
        for e in events(SourceKind::Kinescope).iter().filter(|e| e.chatty_when.is_none()) {
            let body = serde_json::json!({"event": e.name, "data": {"event_id": "s"}}).to_string();
            let event =
                normalize(&Origin::of(&id, SourceKind::Kinescope), body.as_bytes(), Ulid::nil(), DateTime::UNIX_EPOCH);
            assert_eq!(event.unwrap().chatty, e.chatty, "{}", e.name);
        }
    }
}
