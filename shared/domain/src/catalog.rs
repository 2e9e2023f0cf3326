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
use super::senders::{DefaultAuth, EventSpec};

#[derive(Debug, Serialize)]
pub struct Catalog {
    pub sources: Vec<KindEntry>,
    pub presets: Vec<PresetEntry>,
    /// Placeholders every event has, whatever its source.
    pub canonical: &'static [&'static str],
    /// What each of `canonical` holds.
    pub descriptions: std::collections::BTreeMap<&'static str, &'static str>,
}

#[derive(Debug, Serialize)]
pub struct KindEntry {
    pub kind: SourceKind,
    /// How the sender calls itself.
    pub label: &'static str,
    /// The credential a new source of this kind gets by default: `token` or `hmac_hex`.
    pub auth: &'static str,
    /// Empty for `generic`: its names are the sender's own.
    pub events: &'static [EventSpec],
    /// Placeholder name → a sample value, from a sample event of this kind.
    pub placeholders: Vec<(String, Value)>,
}

#[derive(Debug, Serialize)]
pub struct PresetEntry {
    pub preset: Preset,
    pub body: Option<&'static str>,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, &'static str)>,
    /// "content: 2000 characters", "body: 4096 bytes".
    pub limit: Option<String>,
    /// A recovered backlog goes out in arrival order, this far apart (a chat's rate); none: side by side.
    pub release_pace_ms: Option<u64>,
}

/// The catalog; sample values are made with `id` and `at`, so the domain needs no clock.
pub fn catalog(id: Ulid, at: DateTime<Utc>) -> Catalog {
    let sources = SourceKind::selectable()
        .map(|kind| KindEntry {
            kind,
            label: kind.sender().label,
            auth: match kind.sender().auth {
                DefaultAuth::Token => "token",
                DefaultAuth::HmacHex(_) => "hmac_hex",
            },
            events: kind.sender().events,
            placeholders: sample_event(kind, id, at).fields.into_iter().collect(),
        })
        .collect();
    let presets = <Preset as strum::VariantArray>::VARIANTS
        .iter()
        .copied()
        .map(|preset| PresetEntry {
            preset,
            body: preset.body(),
            content_type: preset.content_type(),
            headers: preset.headers().to_vec(),
            limit: preset.limit().map(|l| match l {
                Limit::JsonField { field, chars } => format!("{field}: {chars} characters"),
                Limit::Body { bytes } => format!("body: {bytes} bytes"),
            }),
            release_pace_ms: preset.release_pace().map(|p| p.as_millis() as u64),
        })
        .collect();
    let descriptions = CANONICAL_PLACEHOLDERS
        .iter()
        .filter_map(|name| Some((*name, crate::event::canonical_description(name)?)))
        .collect();
    Catalog { sources, presets, canonical: CANONICAL_PLACEHOLDERS, descriptions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::{Origin, normalize};
    use crate::ids::SourceId;
    use crate::senders::Chatty;

    #[test]
    fn every_kind_and_preset_is_listed_with_samples() {
        let c = catalog(Ulid::nil(), DateTime::UNIX_EPOCH);
        assert_eq!(c.sources.len(), SourceKind::ALL.len() - 1, "every kind but Herald's own");
        let kiosk = c.sources.iter().find(|k| k.kind == SourceKind::Kiosk).unwrap();
        assert!(kiosk.events.iter().any(|e| e.name == "asset.new" && e.chatty == Chatty::Yes));
        assert!(kiosk.placeholders.iter().any(|(n, _)| n == "clientName"));
        let jellynext = c.sources.iter().find(|k| k.kind == SourceKind::Jellynext).unwrap();
        assert!(jellynext.placeholders.iter().any(|(n, v)| n == "tmdbId" && v == "1396"));
        assert_eq!(c.presets.len(), <Preset as strum::VariantArray>::VARIANTS.len());
        let discord = c.presets.iter().find(|p| p.preset == Preset::Discord).unwrap();
        assert_eq!(discord.limit.as_deref(), Some("content: 2000 characters"));
        let undescribed: Vec<_> = c.canonical.iter().filter(|n| !c.descriptions.contains_key(*n)).collect();
        assert!(undescribed.is_empty(), "every placeholder every event has is described: {undescribed:?}");
    }

    #[test]
    fn the_listed_chatty_flags_are_the_adapters_own() {
        // A Kiosk body per listed event: the adapter must agree with the catalog.
        let id = SourceId::parse("kiosk").unwrap();
        for e in SourceKind::Kiosk.sender().events {
            let body = serde_json::json!({"event": e.name, "clientName": "pi", "assets": []}).to_string();
            let event =
                normalize(&Origin::of(&id, SourceKind::Kiosk), body.as_bytes(), Ulid::nil(), DateTime::UNIX_EPOCH);
            assert_eq!(event.unwrap().chatty, e.chatty == Chatty::Yes, "{}", e.name);
        }
        let id = SourceId::parse("k").unwrap();
        for e in SourceKind::Kinescope.sender().events.iter().filter(|e| !matches!(e.chatty, Chatty::When(_))) {
            let body = serde_json::json!({"event": e.name, "data": {"event_id": "s"}}).to_string();
            let event =
                normalize(&Origin::of(&id, SourceKind::Kinescope), body.as_bytes(), Ulid::nil(), DateTime::UNIX_EPOCH);
            assert_eq!(event.unwrap().chatty, e.chatty == Chatty::Yes, "{}", e.name);
        }
    }
}
