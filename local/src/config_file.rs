//! Sources and targets from a JSON file, written into the table (until the admin API exists, and
//! for demos and tests after).

use std::path::Path;

use anyhow::{Context, Result, bail};
use herald_app::admin::SourceSettings;
use herald_aws::dynamodb::Table;
use herald_domain::source::SourceAuth;
use herald_domain::{Secret, Source, SourceId, SourceKind, Target};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    #[serde(default)]
    pub sources: Vec<LocalSource>,
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// A source as a person writes it: exactly one of `token`, `hmac_secret`, `standard_webhooks_secret`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSource {
    pub id: SourceId,
    pub kind: SourceKind,
    pub token: Option<String>,
    pub hmac_secret: Option<String>,
    pub hmac_header: Option<String>,
    pub standard_webhooks_secret: Option<String>,
    pub event_pointer: Option<String>,
    pub summary: Option<String>,
    #[serde(default)]
    pub drop: Vec<String>,
    /// Absent: the defaults (`DEFAULT_DROP_NAMES`); `[]` drops nothing by name.
    pub drop_names: Option<Vec<String>>,
    pub dedupe_window_secs: Option<u64>,
    pub delivery_id_header: Option<String>,
}

impl LocalSource {
    pub fn to_source(&self) -> Result<Source> {
        let auth = match (&self.token, &self.hmac_secret, &self.standard_webhooks_secret) {
            (Some(token), None, None) if !token.is_empty() => SourceAuth::token(token),
            (None, Some(secret), None) if !secret.is_empty() => SourceAuth::HmacHex {
                secret: Secret::new(secret),
                header: self
                    .hmac_header
                    .clone()
                    .unwrap_or_else(|| SourceAuth::default_hmac_header(self.kind).to_owned()),
            },
            (None, None, Some(secret)) => {
                herald_domain::signature::StandardKey::parse(secret)
                    .with_context(|| format!("source {}: standard_webhooks_secret", self.id))?;
                SourceAuth::StandardWebhooks { secret: Secret::new(secret) }
            }
            _ => bail!("source {}: give exactly one non-empty token, hmac_secret or standard_webhooks_secret", self.id),
        };
        // The admin API's own checks, so a file cannot set what the API would refuse.
        let settings = SourceSettings {
            event_pointer: self.event_pointer.clone().map(Some),
            summary: self.summary.clone().map(Some),
            drop: Some(Some(self.drop.clone())),
            drop_names: self.drop_names.clone().map(Some),
            dedupe_window_secs: self.dedupe_window_secs.map(Some),
            delivery_id_header: self.delivery_id_header.clone().map(Some),
        };
        let mut source = Source::new(self.id.clone(), self.kind, auth);
        settings.apply(&mut source).map_err(|e| anyhow::anyhow!("source {}: {e}", self.id))?;
        Ok(source)
    }
}

impl LocalConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let config: Self = serde_json::from_str(text)?;
        for source in &config.sources {
            source.to_source()?;
        }
        for target in &config.targets {
            herald_domain::validate::validate(target, chrono::Utc::now())
                .with_context(|| format!("target {}", target.id))?;
        }
        Ok(config)
    }

    /// Writes every source and target; existing ones with the same id are replaced.
    pub async fn apply(&self, table: &Table) -> Result<()> {
        for source in &self.sources {
            table.put_source(&source.to_source()?).await?;
        }
        for target in &self.targets {
            table.put_target(target).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_culprit() {
        let err = LocalConfig::parse(r#"{"sources": [{"id": "s", "kind": "ombi"}]}"#).unwrap_err();
        assert!(format!("{err:#}").contains("source s: give exactly one"), "{err:#}");
        let err = LocalConfig::parse(r#"{"targets": [{"id": "t", "name": "T", "url": "ftp://x"}]}"#).unwrap_err();
        assert!(format!("{err:#}").contains("target t: url: must start with"), "{err:#}");
        let err = LocalConfig::parse(r#"{"targets": [{"id": "t", "name": "T", "url": "https://x", "evnets": []}]}"#)
            .unwrap_err();
        assert!(format!("{err:#}").contains("unknown field `evnets`"), "{err:#}");
        let err = LocalConfig::parse(
            r#"{"targets": [{"id": "t", "name": "T", "url": "https://x", "body": "{\"text\": \"{{title}}\",}"}]}"#,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("target t: body: rendered for a sample"), "{err:#}");
    }

    #[test]
    fn source_settings_are_checked_as_the_admin_api_checks_them() {
        let err =
            LocalConfig::parse(r#"{"sources": [{"id": "s", "kind": "generic", "token": "t", "drop_names": ["*"]}]}"#)
                .unwrap_err();
        assert!(format!("{err:#}").contains("source s: a pattern needs a letter or digit"), "{err:#}");
        let err =
            LocalConfig::parse(r#"{"sources": [{"id": "s", "kind": "generic", "token": "t", "drop": ["config"]}]}"#)
                .unwrap_err();
        assert!(format!("{err:#}").contains("source s: \"config\" is not a JSON pointer"), "{err:#}");
    }

    #[test]
    fn the_demo_config_is_valid() {
        let config = LocalConfig::parse(include_str!("../demo.json")).unwrap();
        assert!(!config.sources.is_empty() && !config.targets.is_empty());
    }
}
