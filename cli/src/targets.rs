//! `herald targets …`: where events go.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use crate::api::{Api, Rendered};
use crate::render;
use crate::sources::kinds;

#[derive(Args, Debug, Default)]
pub struct TargetFields {
    /// A name for people: it appears in logs and health warnings.
    #[arg(long)]
    pub name: Option<String>,
    /// Where deliveries go: http(s)://…, placeholders allowed (`?tmdb={tmdbId}`).
    #[arg(long)]
    pub url: Option<String>,
    /// discord, slack, ntfy, telegram, home_assistant, generic.
    #[arg(long)]
    pub preset: Option<String>,
    /// POST (default), PUT, PATCH or GET.
    #[arg(long)]
    pub method: Option<String>,
    /// Header as Name=value template (repeatable).
    #[arg(long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// The body template ({{title}}, {tmdbId}, …); default: the preset's.
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// The body template, from a file.
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// The body's Content-Type; default: the preset's, else application/json.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Event pattern (repeatable), e.g. ombi:Request* or live.*.
    #[arg(long = "event")]
    pub events: Vec<String>,
    /// Condition as field=value1,value2 (repeatable).
    #[arg(long = "when", value_name = "FIELD=VALUES")]
    pub when: Vec<String>,
    /// The signing secret, read from this file, or from standard input with `-` (never from
    /// the command line, where shell history and `ps` would keep it).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// standard or hex.
    #[arg(long)]
    pub signature: Option<String>,
    /// The header of a hex signature (default X-Herald-Signature-256).
    #[arg(long)]
    pub signature_header: Option<String>,
    /// How long to wait for the receiver, 1 to 30000 ms (default 10000).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Send nothing to it; what it has parked stays parked.
    #[arg(long, conflicts_with = "enable")]
    pub disable: bool,
    /// Send to it again (and release what it parked while disabled).
    #[arg(long)]
    pub enable: bool,
    /// Deliveries must arrive in order: any failure holds the target and its backlog goes out one
    /// by one (default: an isolated failure holds nothing; a backlog goes out in parallel).
    #[arg(long, conflicts_with = "unordered")]
    pub ordered: bool,
    /// Back to the default: order may give way to speed after a failure.
    #[arg(long)]
    pub unordered: bool,
}

#[derive(Subcommand, Debug)]
pub enum TargetsCmd {
    /// Create a target; prints it with validation's warnings.
    Add {
        /// Its id (default: a generated one).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: TargetFields,
    },
    /// Every target.
    List,
    /// One target, secrets redacted.
    Show {
        /// The target's id.
        id: String,
    },
    /// Change the given fields; the rest stay as they are.
    Edit {
        /// The target's id.
        id: String,
        #[command(flatten)]
        fields: TargetFields,
    },
    /// Delete a target, with what it had parked or rejected.
    Remove {
        /// The target's id.
        id: String,
    },
    /// Send a sample event and report status and round trip; exits 1 when it failed.
    Test {
        /// The target's id.
        id: String,
    },
    /// Show the request that would be sent, without sending it.
    Preview {
        /// The target's id.
        id: String,
        /// A webhook body (JSON file) to render instead of a sample.
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// The sender whose sample to render.
        #[arg(long, default_value = "generic", value_parser = kinds())]
        kind: String,
    },
    /// Failures, holding, parked and rejected counts.
    Status {
        /// The target's id.
        id: String,
    },
    /// Send what is parked for the target now.
    Replay {
        /// The target's id.
        id: String,
    },
    /// Hold every delivery for the target, parked, until `resume` (parked ones are kept for ParkedRetention).
    Pause {
        /// The target's id.
        id: String,
    },
    /// Send what the target parked while paused, then deliver to it again.
    Resume {
        /// The target's id.
        id: String,
    },
    /// A new signing secret, shown once. A Standard Webhooks target signs with both for the
    /// overlap, so the receiver can be updated meanwhile; a hex one switches at once.
    RotateSecret {
        /// The target's id.
        id: String,
        /// Hours deliveries also carry the old secret's signature (default 24; hex targets: 0 only; at most 168).
        #[arg(long)]
        overlap_hours: Option<u64>,
        /// The new secret, if the receiver gave you one (default: generated).
        #[arg(long)]
        secret: Option<String>,
    },
    /// Deliveries the target's receiver refused for their content (400, 413, 415, 422) or that
    /// could not be built: list them, or replay or discard them once the template is fixed.
    Rejected {
        /// The target's id.
        id: String,
        /// Put them back on the deliveries queue, rendered with the target's current template.
        #[arg(long, conflicts_with = "discard")]
        replay: bool,
        /// Delete them.
        #[arg(long)]
        discard: bool,
        /// Only this delivery (its id from the listing); default: every rejected delivery.
        #[arg(long)]
        delivery: Option<String>,
    },
}

fn split_pair<'a>(text: &'a str, what: &str) -> Result<(&'a str, &'a str)> {
    text.split_once('=').with_context(|| format!("{what} must look like NAME=VALUE, got {text:?}"))
}

/// The JSON fields a command line sets, merged over `base`.
fn apply(fields: &TargetFields, base: &mut Map<String, Value>) -> Result<()> {
    let existing_headers = base.get("headers").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            base.insert(k.into(), v);
        }
    };
    set("name", fields.name.clone().map(Value::from));
    set("url", fields.url.clone().map(Value::from));
    set("preset", fields.preset.clone().map(Value::from));
    set("method", fields.method.as_ref().map(|m| json!(m.to_uppercase())));
    set("content_type", fields.content_type.clone().map(Value::from));
    if let Some(path) = &fields.secret_file {
        set("secret", Some(Value::from(read_secret(path)?)));
    }
    set("signature", fields.signature.clone().map(Value::from));
    set("signature_header", fields.signature_header.clone().map(Value::from));
    set("timeout_ms", fields.timeout_ms.map(Value::from));
    if fields.disable || fields.enable {
        set("enabled", Some(json!(fields.enable)));
    }
    if fields.ordered || fields.unordered {
        set("ordered", Some(json!(fields.ordered)));
    }
    let body = match &fields.body_file {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?),
        None => fields.body.clone(),
    };
    set("body", body.map(Value::from));
    if !fields.headers.is_empty() {
        let mut headers = existing_headers;
        for h in &fields.headers {
            let (name, value) = split_pair(h, "--header")?;
            headers.insert(name.trim().into(), json!(value));
        }
        set("headers", Some(Value::Object(headers)));
    }
    if !fields.events.is_empty() {
        set("events", Some(json!(fields.events)));
    }
    if !fields.when.is_empty() {
        let mut when = Map::new();
        for w in &fields.when {
            let (field, values) = split_pair(w, "--when")?;
            when.insert(field.trim().into(), json!(values.split(',').map(str::trim).collect::<Vec<_>>()));
        }
        set("when", Some(Value::Object(when)));
    }
    Ok(())
}

/// A secret from a file, or from standard input for `-`; surrounding whitespace (a final newline) dropped.
fn read_secret(path: &std::path::Path) -> Result<String> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the secret from standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading the secret from {}", path.display()))?
    };
    let secret = text.trim().to_owned();
    if secret.is_empty() {
        bail!("the secret file {} is empty", path.display());
    }
    Ok(secret)
}

/// The API lists rejections a page at a time; the command lists them all, oldest first.
const REJECTED_PAGE: usize = 100;

async fn every_rejection(api: &Api, id: &str) -> Result<Vec<Value>> {
    let mut all: Vec<Value> = Vec::new();
    loop {
        let after = all.last().and_then(|r| r["delivery_id"].as_str()).map(|d| format!("&after={d}"));
        let path = format!("/admin/targets/{id}/rejected?limit={REJECTED_PAGE}{}", after.unwrap_or_default());
        let page = api.call("GET", &path, None).await?;
        let page = page.as_array().cloned().unwrap_or_default();
        let full = page.len() == REJECTED_PAGE;
        all.extend(page);
        if !full {
            return Ok(all);
        }
    }
}

pub(crate) async fn run(api: &Api, command: TargetsCmd) -> Result<Rendered> {
    Ok(match command {
        TargetsCmd::Add { id, fields } => {
            let mut body = Map::new();
            if let Some(id) = id {
                body.insert("id".into(), json!(id));
            }
            apply(&fields, &mut body)?;
            (api.call("POST", "/admin/targets", Some(Value::Object(body))).await?, render::target)
        }
        TargetsCmd::List => (api.call("GET", "/admin/targets", None).await?, render::targets),
        TargetsCmd::Show { id } => (api.call("GET", &format!("/admin/targets/{id}"), None).await?, render::target),
        TargetsCmd::Edit { id, fields } => {
            let current = api.call("GET", &format!("/admin/targets/{id}"), None).await?;
            let mut body = current.as_object().cloned().context("the API returned no target")?;
            // The version read goes back: the API refuses to let a stale copy undo a newer change.
            body.remove("id");
            apply(&fields, &mut body)?;
            (api.call("PUT", &format!("/admin/targets/{id}"), Some(Value::Object(body))).await?, render::target)
        }
        TargetsCmd::Remove { id } => (api.call("DELETE", &format!("/admin/targets/{id}"), None).await?, render::done),
        TargetsCmd::Test { id } => (api.call("POST", &format!("/admin/targets/{id}/test"), None).await?, render::test),
        TargetsCmd::Preview { id, body_file, kind } => {
            let input = match body_file {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    let body: Value =
                        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
                    Some(json!({"kind": kind, "body": body}))
                }
                None => None,
            };
            (api.call("POST", &format!("/admin/targets/{id}/preview"), input).await?, render::preview)
        }
        TargetsCmd::Status { id } => {
            (api.call("GET", &format!("/admin/targets/{id}/status"), None).await?, render::status)
        }
        TargetsCmd::Pause { id } => {
            (api.call("POST", &format!("/admin/targets/{id}/pause"), None).await?, render::status)
        }
        TargetsCmd::Resume { id } => {
            (api.call("POST", &format!("/admin/targets/{id}/resume"), None).await?, render::status)
        }
        TargetsCmd::RotateSecret { id, overlap_hours, secret } => {
            let mut body = Map::new();
            if let Some(hours) = overlap_hours {
                body.insert("overlap_hours".into(), hours.into());
            }
            if let Some(secret) = secret {
                body.insert("secret".into(), secret.into());
            }
            let path = format!("/admin/targets/{id}/secret");
            (api.call("POST", &path, Some(Value::Object(body))).await?, render::secret_rotated)
        }
        TargetsCmd::Replay { id } => {
            (api.call("POST", &format!("/admin/targets/{id}/replay"), None).await?, render::replay)
        }
        TargetsCmd::Rejected { id, replay, discard, delivery } => {
            if delivery.is_some() && !replay && !discard {
                anyhow::bail!("--delivery picks what to --replay or --discard; give one of them");
            }
            let one = delivery.map(|d| format!("/{d}")).unwrap_or_default();
            match (replay, discard) {
                (true, _) => (
                    api.call("POST", &format!("/admin/targets/{id}/rejected{one}/replay"), None).await?,
                    render::rejected_replayed as fn(&Value) -> String,
                ),
                (_, true) => {
                    (api.call("DELETE", &format!("/admin/targets/{id}/rejected{one}"), None).await?, render::discarded)
                }
                _ => (Value::Array(every_rejection(api, &id).await?), render::rejected),
            }
        }
    })
}
