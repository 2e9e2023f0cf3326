//! Sources: create (with a generated credential shown once), list and show with their health,
//! change their settings, delete.

use std::time::Duration;

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use herald_domain::adapters::check_pointer;
use herald_domain::senders::DefaultAuth;
use herald_domain::source::{PreviousAuth, SourceAuth};
use herald_domain::source_health::SourceHealth;
use herald_domain::template::Template;
use herald_domain::{Secret, Source, SourceId, SourceKind};

use super::views::{AuthView, CreatedSource, Credential, SourceView, setup_steps};
use super::{Admin, AdminError, invalid, random_bytes, standard_secret};
use crate::ports::StoreError;

/// Longer than any dedupe window is useful for, and within the markers' own expiry.
const LONGEST_DEDUPE_WINDOW_SECS: u64 = 7 * 24 * 3600;
const LONGEST_SUMMARY: usize = 500;

/// A new source: these three, and any [`SourceSettings`] beside them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    pub id: String,
    pub kind: SourceKind,
    /// Default: a token, or for Kiosk (which can only sign) an HMAC in `X-Kiosk-Signature-256`.
    #[serde(default)]
    pub auth: Option<NewAuth>,
}

const NEW_SOURCE_FIELDS: &[&str] = &["id", "kind", "auth"];

/// Splits a create request into the source's identity and its settings, each checked strictly
/// (serde's `flatten` would let a misspelt setting through).
pub fn parse_new_source(body: &[u8]) -> Result<(NewSource, SourceSettings), AdminError> {
    let Value::Object(mut rest) = super::inputs::parse(body)? else {
        return Err(invalid("body", "send a JSON object"));
    };
    let head: serde_json::Map<String, Value> =
        NEW_SOURCE_FIELDS.iter().filter_map(|k| rest.remove(*k).map(|v| ((*k).to_owned(), v))).collect();
    let new = serde_json::from_value(Value::Object(head)).map_err(|e| invalid("body", e.to_string()))?;
    let settings = serde_json::from_value(Value::Object(rest)).map_err(|e| invalid("body", e.to_string()))?;
    Ok((new, settings))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NewAuth {
    Token,
    HmacHex {
        #[serde(default)]
        header: Option<String>,
    },
    StandardWebhooks,
}

/// A source's settings as sent to create or change it; absent ones keep their value (their default
/// on create). `null` clears an optional one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    #[serde(default, with = "optional")]
    pub event_pointer: Option<Option<String>>,
    #[serde(default, with = "optional")]
    pub summary: Option<Option<String>>,
    /// `null`: none.
    #[serde(default, with = "optional")]
    pub drop: Option<Option<Vec<String>>>,
    /// `null`: the defaults.
    #[serde(default, with = "optional")]
    pub drop_names: Option<Option<Vec<String>>>,
    #[serde(default, with = "optional")]
    pub dedupe_window_secs: Option<Option<u64>>,
    #[serde(default, with = "optional")]
    pub delivery_id_header: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
mod optional {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

impl SourceSettings {
    /// Checks every setting, then writes the given ones onto `source`.
    pub fn apply(self, source: &mut Source) -> Result<(), AdminError> {
        if let Some(pointer) = self.event_pointer {
            if let Some(p) = &pointer {
                check_pointer(p).map_err(|e| invalid("event_pointer", e))?;
            }
            source.event_pointer = pointer;
        }
        if let Some(summary) = self.summary {
            if let Some(s) = &summary {
                if s.trim().is_empty() || s.chars().count() > LONGEST_SUMMARY {
                    return Err(invalid("summary", format!("give 1 to {LONGEST_SUMMARY} characters, or null")));
                }
                if Template::parse(s).placeholders().next().is_none() {
                    return Err(invalid("summary", "has no placeholder ({{event}}, {{title}}, a field of the body)"));
                }
            }
            source.summary = summary;
        }
        if let Some(drop) = self.drop {
            let drop = drop.unwrap_or_default();
            for (i, p) in drop.iter().enumerate() {
                check_pointer(p).map_err(|e| invalid(&format!("drop[{i}]"), e))?;
            }
            source.drop = drop;
        }
        if let Some(names) = self.drop_names {
            let names = names
                .unwrap_or_else(|| herald_domain::source::DEFAULT_DROP_NAMES.iter().map(|n| (*n).to_owned()).collect());
            if let Some(i) = names.iter().position(|n| !n.chars().any(char::is_alphanumeric)) {
                return Err(invalid(
                    &format!("drop_names[{i}]"),
                    "a pattern needs a letter or digit (a lone * would drop every field)",
                ));
            }
            source.drop_names = names;
        }
        if let Some(window) = self.dedupe_window_secs {
            if window.is_some_and(|w| w > LONGEST_DEDUPE_WINDOW_SECS) {
                return Err(invalid(
                    "dedupe_window_secs",
                    format!("at most {LONGEST_DEDUPE_WINDOW_SECS} (7 days); 0 turns dedupe off"),
                ));
            }
            source.dedupe_window_secs = window;
        }
        if let Some(header) = self.delivery_id_header {
            if let Some(h) = &header
                && http::HeaderName::from_bytes(h.as_bytes()).is_err()
            {
                return Err(invalid("delivery_id_header", format!("{h:?} is not a valid header name")));
            }
            source.delivery_id_header = header;
        }
        Ok(())
    }
}

/// The longest a rotated-out credential stays accepted.
pub const MAX_OVERLAP: Duration = Duration::from_secs(7 * 24 * 3600);

/// A rotation's overlap (a source credential's or a target secret's), refused past [`MAX_OVERLAP`].
pub(super) fn check_overlap(overlap: Duration) -> Result<(), AdminError> {
    if overlap > MAX_OVERLAP {
        return Err(invalid("overlap_hours", format!("at most {} hours", MAX_OVERLAP.as_secs() / 3600)));
    }
    Ok(())
}

impl Admin {
    pub async fn create_source(&self, new: NewSource, settings: SourceSettings) -> Result<CreatedSource, AdminError> {
        let id = SourceId::parse(&new.id).map_err(|e| invalid("id", e.to_string()))?;
        if new.kind == SourceKind::Herald {
            return Err(invalid("kind", "herald is reserved for Herald's own events"));
        }
        let auth = new.auth.unwrap_or(match new.kind.sender().auth {
            DefaultAuth::HmacHex(_) => NewAuth::HmacHex { header: None },
            DefaultAuth::Token => NewAuth::Token,
        });
        let (auth, credential) = new_credential(new.kind, auth)?;
        let mut source = Source::new(id.clone(), new.kind, auth);
        (source.version, source.incarnation) = (1, Some(self.ids.new_id()));
        settings.apply(&mut source)?;
        match self.config.create_source(&source).await {
            Err(StoreError::Conflict) => return Err(AdminError::Conflict(format!("source {id} already exists"))),
            other => other?,
        }
        Ok(created(&source, credential, "the credential is shown only now; store it in the source's webhook settings"))
    }

    /// A new credential of the same type, shown once. The old one is still accepted for `overlap`
    /// (at most [`MAX_OVERLAP`]), so the sender can be updated with no webhook refused meanwhile;
    /// `Duration::ZERO` drops it at once (a leaked credential).
    pub async fn rotate_credential(&self, id: &str, overlap: Duration) -> Result<CreatedSource, AdminError> {
        check_overlap(overlap)?;
        let mut source = self.find_source(id).await?;
        let again = match &source.auth {
            SourceAuth::Token { .. } => NewAuth::Token,
            SourceAuth::HmacHex { header, .. } => NewAuth::HmacHex { header: Some(header.clone()) },
            SourceAuth::StandardWebhooks { .. } => NewAuth::StandardWebhooks,
        };
        let (auth, credential) = new_credential(source.kind, again)?;
        let old = std::mem::replace(&mut source.auth, auth);
        let until_unix = self.clock.now().timestamp() + overlap.as_secs() as i64;
        source.previous = (!overlap.is_zero()).then_some(PreviousAuth { auth: old, until_unix });
        self.replace(&mut source).await?;
        let note = if overlap.is_zero() {
            "the new credential is shown only now; the old one is refused from now on"
        } else {
            "the new credential is shown only now; the old one is still accepted until previous_until"
        };
        Ok(created(&source, credential, note))
    }

    pub async fn list_sources(&self) -> Result<Vec<SourceView>, AdminError> {
        let sources = self.config.list_sources().await?;
        let mut health = self.source_health.all_health().await?;
        Ok(sources.iter().map(|s| describe(s, health.remove(&s.id))).collect())
    }

    pub async fn get_source(&self, id: &str) -> Result<SourceView, AdminError> {
        let source = self.find_source(id).await?;
        let health = self.source_health.all_health().await?.remove(&source.id);
        Ok(describe(&source, health))
    }

    /// Changes settings only: the credential stays (`rotate_credential` replaces it). With
    /// `if_match` (the `If-Match` header), only the source at that version is changed.
    pub async fn update_source(
        &self,
        id: &str,
        settings: SourceSettings,
        if_match: Option<u64>,
    ) -> Result<SourceView, AdminError> {
        let mut source = self.find_source(id).await?;
        if let Some(expected) = if_match.filter(|v| *v != source.version) {
            return Err(AdminError::Conflict(format!(
                "source {id} is at version {}, not {expected}: read it again",
                source.version
            )));
        }
        settings.apply(&mut source)?;
        self.replace(&mut source).await?;
        Ok(describe(&source, None))
    }

    /// Writes `source` over the version it was read at, as the next version.
    async fn replace(&self, source: &mut Source) -> Result<(), AdminError> {
        let read = source.version;
        source.version = read + 1;
        match self.config.replace_source(source, read).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(AdminError::NotFound(format!("source {}", source.id))),
            Err(StoreError::Conflict) => Err(AdminError::Conflict(format!(
                "source {} changed while this was written (another edit or a credential rotation): read it again",
                source.id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_source(&self, id: &str) -> Result<(), AdminError> {
        let parsed = SourceId::parse(id).map_err(|_| AdminError::NotFound(format!("source {id}")))?;
        if self.config.delete_source(&parsed).await? {
            self.source_health.forget_health(&parsed).await?;
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("source {id}")))
        }
    }

    async fn find_source(&self, id: &str) -> Result<Source, AdminError> {
        let not_found = || AdminError::NotFound(format!("source {id}"));
        let parsed = SourceId::parse(id).map_err(|_| not_found())?;
        self.config.list_sources().await?.into_iter().find(|s| s.id == parsed).ok_or_else(not_found)
    }
}

/// A source as the API shows it: its settings and health, never its credential.
fn describe(s: &Source, health: Option<SourceHealth>) -> SourceView {
    let auth = match &s.auth {
        SourceAuth::Token { .. } => AuthView::Token,
        SourceAuth::HmacHex { header, .. } => AuthView::HmacHex { header: header.clone() },
        SourceAuth::StandardWebhooks { .. } => AuthView::StandardWebhooks,
    };
    SourceView {
        id: s.id.to_string(),
        kind: s.kind,
        auth,
        path: format!("/hooks/{}", s.id),
        event_pointer: s.event_pointer.clone(),
        summary: s.summary.clone(),
        drop: s.drop.clone(),
        drop_names: s.drop_names.clone(),
        dedupe_window_secs: s.dedupe_window_secs,
        delivery_id_header: s.delivery_id_header.clone(),
        previous_until: s.previous.as_ref().and_then(|p| DateTime::from_timestamp(p.until_unix, 0)),
        version: s.version,
        health: health.unwrap_or_default(),
    }
}

/// A source with its new credential, shown once, and the setup steps that name both.
fn created(source: &Source, credential: Credential, note: &'static str) -> CreatedSource {
    let view = describe(source, None);
    let setup = setup_steps(source.kind, &view.path, &credential);
    CreatedSource { source: view, url: None, credential, note, setup }
}

/// A fresh credential of the kind asked for, and what the sender is told of it (once).
fn new_credential(kind: SourceKind, auth: NewAuth) -> Result<(SourceAuth, Credential), AdminError> {
    let bytes = random_bytes();
    Ok(match auth {
        NewAuth::Token => {
            let token = hex::encode(bytes);
            (SourceAuth::token(&token), Credential::Token { token })
        }
        NewAuth::HmacHex { header } => {
            let secret = hex::encode(bytes);
            let header = header.unwrap_or_else(|| SourceAuth::default_hmac_header(kind).to_owned());
            if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(invalid("auth.header", format!("{header:?} is not a valid header name")));
            }
            let auth = SourceAuth::HmacHex { secret: Secret::new(&secret), header: header.clone() };
            (auth, Credential::HmacHex { secret, header })
        }
        NewAuth::StandardWebhooks => {
            let secret = standard_secret(&bytes);
            (SourceAuth::StandardWebhooks { secret: Secret::new(&secret) }, Credential::StandardWebhooks { secret })
        }
    })
}
