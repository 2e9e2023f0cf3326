//! `herald sources …`: where webhooks come from.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use crate::activity;
use crate::api::{Api, Rendered};
use crate::render;

#[derive(Subcommand, Debug)]
pub enum SourcesCmd {
    /// Create a source; prints its URL and credential (shown once).
    Add {
        /// The last part of its URL (`…/hooks/<id>`): letters, digits, `-`, `_`.
        id: String,
        /// The sender.
        #[arg(long, value_parser = kinds())]
        kind: String,
        /// token, hmac-hex or standard-webhooks (default: the sender's own, hmac-hex for kiosk, else token).
        #[arg(long)]
        auth: Option<String>,
        /// The signature header, for hmac-hex (default: the sender's own, X-Hub-Signature-256 if it has none).
        #[arg(long)]
        header: Option<String>,
        #[command(flatten)]
        settings: SourceFields,
    },
    /// Every source with when it last had a webhook accepted and refused.
    List,
    /// One source: its settings and health.
    Show {
        /// The source's id (the last part of its URL).
        id: String,
    },
    /// Change a source's settings (its credential stays).
    Set {
        /// The source's id.
        id: String,
        #[command(flatten)]
        settings: SourceFields,
    },
    /// What the source's URL refused lately, and why (a wrong credential, a body that is not JSON …).
    Refused {
        /// The source's id.
        id: String,
    },
    /// A new credential for the source, shown once; the old one is still accepted for a while.
    Rotate {
        /// The source's id.
        id: String,
        /// Hours the old credential stays accepted (0: refused at once, for a leaked one; at most 168).
        #[arg(long, default_value_t = 24)]
        overlap_hours: u64,
    },
    /// Delete a source: its URL answers 401 from then on.
    Remove {
        /// The source's id.
        id: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct SourceFields {
    /// Summary template, e.g. "Kiosk: {{event}} {{assets.0.id}}" ("" goes back to the kind's own).
    #[arg(long)]
    pub summary: Option<String>,
    /// JSON pointer to remove from every body before anything is stored (repeatable).
    #[arg(long = "drop", value_name = "POINTER")]
    pub drop: Vec<String>,
    /// Key pattern to remove at any depth (repeatable; replaces the default list). --no-drop-names drops none.
    #[arg(long = "drop-name", value_name = "PATTERN")]
    pub drop_names: Vec<String>,
    /// Drop no field by its name (the source's `drop_names` becomes `[]`).
    #[arg(long, conflicts_with = "drop_names")]
    pub no_drop_names: bool,
    /// Seconds a repeat is recognised for; 0 turns dedupe off.
    #[arg(long)]
    pub dedupe_window: Option<u64>,
    /// The sender's delivery-id header, when it is not a known one (webhook-id, X-GitHub-Delivery …).
    #[arg(long)]
    pub delivery_id_header: Option<String>,
    /// Generic sources: JSON pointer to the event name.
    #[arg(long)]
    pub event_pointer: Option<String>,
}

impl SourceFields {
    fn into_json(self, body: &mut Map<String, Value>) {
        if let Some(summary) = self.summary {
            body.insert("summary".into(), if summary.is_empty() { Value::Null } else { json!(summary) });
        }
        if !self.drop.is_empty() {
            body.insert("drop".into(), json!(self.drop));
        }
        if self.no_drop_names {
            body.insert("drop_names".into(), json!([]));
        } else if !self.drop_names.is_empty() {
            body.insert("drop_names".into(), json!(self.drop_names));
        }
        if let Some(window) = self.dedupe_window {
            body.insert("dedupe_window_secs".into(), json!(window));
        }
        if let Some(header) = self.delivery_id_header {
            body.insert("delivery_id_header".into(), json!(header));
        }
        if let Some(pointer) = self.event_pointer {
            body.insert("event_pointer".into(), json!(pointer));
        }
    }
}

/// The kinds a source may be: the server's own list, so help and validation never drift from it.
pub(crate) fn kinds() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        herald_domain::SourceKind::selectable().map(herald_domain::SourceKind::as_str),
    )
}

pub(crate) async fn run(api: &Api, command: SourcesCmd) -> Result<Rendered> {
    Ok(match command {
        SourcesCmd::Add { id, kind, auth, header, settings } => {
            let mut body = Map::new();
            body.insert("id".into(), json!(id));
            body.insert("kind".into(), json!(kind));
            let auth = match (auth.as_deref(), &header) {
                (None, None) => None,
                (Some("token"), _) => Some(json!({"type": "token"})),
                (Some("hmac-hex") | None, _) => Some(json!({"type": "hmac_hex", "header": header})),
                (Some("standard-webhooks"), _) => Some(json!({"type": "standard_webhooks"})),
                (Some(other), _) => bail!("--auth must be token, hmac-hex or standard-webhooks, not {other:?}"),
            };
            if let Some(auth) = auth {
                body.insert("auth".into(), auth);
            }
            settings.into_json(&mut body);
            (api.call("POST", "/admin/sources", Some(Value::Object(body))).await?, render::source_created)
        }
        SourcesCmd::List => (api.call("GET", "/admin/sources", None).await?, render::sources),
        SourcesCmd::Show { id } => (api.call("GET", &format!("/admin/sources/{id}"), None).await?, render::source),
        SourcesCmd::Set { id, settings } => {
            let mut body = Map::new();
            settings.into_json(&mut body);
            if body.is_empty() {
                bail!(
                    "nothing to change: give --summary, --drop, --drop-name, --dedupe-window, --delivery-id-header or --event-pointer"
                );
            }
            (api.call("PATCH", &format!("/admin/sources/{id}"), Some(Value::Object(body))).await?, render::source)
        }
        SourcesCmd::Refused { id } => {
            (api.call("GET", &format!("/admin/sources/{id}/refused"), None).await?, activity::refused)
        }
        SourcesCmd::Rotate { id, overlap_hours } => (
            api.call("POST", &format!("/admin/sources/{id}/credential"), Some(json!({"overlap_hours": overlap_hours})))
                .await?,
            render::source_created,
        ),
        SourcesCmd::Remove { id } => (api.call("DELETE", &format!("/admin/sources/{id}"), None).await?, render::done),
    })
}
