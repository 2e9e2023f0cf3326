//! The admin API as the CLI calls it: the token goes only to an address that answers as Herald's
//! admin API.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// An answer and how to show it to a person.
pub(crate) type Rendered = (Value, fn(&Value) -> String);

pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

/// What Herald's admin API answers at `GET /admin/ping` (the admin function's `PING_SERVICE`).
const PING_SERVICE: &str = "herald-admin";

impl Api {
    /// Checks, with no token, that `base` answers as Herald's admin API: the token is for no one else.
    pub(crate) async fn check(&self) -> Result<()> {
        let url = format!("{}/admin/ping", self.base.trim_end_matches('/'));
        let response = self.http.get(&url).send().await.with_context(|| format!("could not reach {url}"))?;
        let status = response.status();
        let answer: Value = serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or(Value::Null);
        if !status.is_success() || answer["service"] != PING_SERVICE {
            bail!(
                "{} does not answer as Herald's admin API (GET /admin/ping: HTTP {}), so the admin token was not sent; \
                 --api (or HERALD_API) must be Herald's address, the stack's ApiBaseUrl output",
                self.base,
                status.as_u16()
            );
        }
        Ok(())
    }

    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base.trim_end_matches('/'));
        let mut request = self.http.request(method.parse()?, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.with_context(|| format!("could not reach {url}"))?;
        let status = response.status();
        let text = response.text().await?;
        let value: Value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(json!({"error": text})) };
        if status.is_success() {
            return Ok(value);
        }
        let error = value["error"].as_str().unwrap_or("unexpected answer");
        match value["field"].as_str() {
            Some(field) => bail!("HTTP {}: {field}: {error}", status.as_u16()),
            None => bail!("HTTP {}: {error}", status.as_u16()),
        }
    }
}
