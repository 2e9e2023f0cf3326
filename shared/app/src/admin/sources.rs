//! Sources: create (with a generated credential shown once), list, delete.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use herald_domain::signature::StandardKey;
use herald_domain::source::{DEFAULT_HMAC_HEADER, SourceAuth};
use herald_domain::{Secret, Source, SourceId, SourceKind};

use super::{Admin, AdminError, invalid, random_bytes};
use crate::ports::StoreError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    pub id: String,
    pub kind: SourceKind,
    #[serde(default)]
    pub auth: NewAuth,
    #[serde(default)]
    pub event_pointer: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NewAuth {
    #[default]
    Token,
    HmacHex {
        #[serde(default)]
        header: Option<String>,
    },
    StandardWebhooks,
}

impl Admin {
    pub async fn create_source(&self, input: Value) -> Result<Value, AdminError> {
        let new: NewSource = serde_json::from_value(input).map_err(|e| invalid("body", e.to_string()))?;
        let id = SourceId::parse(&new.id).map_err(|e| invalid("id", e.to_string()))?;
        if new.kind == SourceKind::Herald {
            return Err(invalid("kind", "herald is reserved for Herald's own events"));
        }
        let bytes = random_bytes();
        let (auth, credential) = match new.auth {
            NewAuth::Token => {
                let token = hex::encode(bytes);
                (SourceAuth::token(&token), json!({"type": "token", "token": token}))
            }
            NewAuth::HmacHex { header } => {
                let secret = hex::encode(bytes);
                let header = header.unwrap_or_else(|| DEFAULT_HMAC_HEADER.to_owned());
                if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                    return Err(invalid("auth.header", format!("{header:?} is not a valid header name")));
                }
                let auth = SourceAuth::HmacHex { secret: Secret::new(&secret), header: header.clone() };
                (auth, json!({"type": "hmac_hex", "secret": secret, "header": header}))
            }
            NewAuth::StandardWebhooks => {
                let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes));
                StandardKey::parse(&secret).expect("generated secrets are valid");
                (
                    SourceAuth::StandardWebhooks { secret: Secret::new(&secret) },
                    json!({"type": "standard_webhooks", "secret": secret}),
                )
            }
        };
        let source = Source { id: id.clone(), kind: new.kind, auth, event_pointer: new.event_pointer };
        match self.config.create_source(&source).await {
            Err(StoreError::Conflict) => return Err(AdminError::Conflict(format!("source {id} already exists"))),
            other => other?,
        }
        Ok(json!({"id": id, "kind": source.kind, "path": format!("/hooks/{id}"), "credential": credential,
                  "note": "the credential is shown only now; store it in the source's webhook settings"}))
    }

    pub async fn list_sources(&self) -> Result<Value, AdminError> {
        let sources = self.config.list_sources().await?;
        Ok(Value::Array(
            sources
                .iter()
                .map(|s| {
                    let auth = match &s.auth {
                        SourceAuth::Token { .. } => json!({"type": "token"}),
                        SourceAuth::HmacHex { header, .. } => json!({"type": "hmac_hex", "header": header}),
                        SourceAuth::StandardWebhooks { .. } => json!({"type": "standard_webhooks"}),
                    };
                    json!({"id": s.id, "kind": s.kind, "auth": auth, "path": format!("/hooks/{}", s.id)})
                })
                .collect(),
        ))
    }

    pub async fn delete_source(&self, id: &str) -> Result<(), AdminError> {
        let parsed = SourceId::parse(id).map_err(|_| AdminError::NotFound(format!("source {id}")))?;
        if self.config.delete_source(&parsed).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("source {id}")))
        }
    }
}
