//! The command tree and what each command asks of the admin API.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value, json};

use crate::activity::{self, DeliveriesCmd, EventsCmd};
use crate::render;

#[derive(Parser, Debug)]
#[command(name = "herald", version, about = "Configure and inspect Herald through its admin API")]
pub struct Cli {
    /// The Herald API's base URL (the stack's HookUrl without /hooks/).
    #[arg(long, global = true, env = "HERALD_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// The admin token.
    #[arg(long, global = true, env = "HERALD_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run: the size difference between commands costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Where webhooks come from.
    #[command(subcommand)]
    Sources(SourcesCmd),
    /// Where events go.
    #[command(subcommand)]
    Targets(TargetsCmd),
    /// The activity log: accepted webhooks and where each went.
    #[command(subcommand)]
    Events(EventsCmd),
    /// The activity log by delivery: each attempt, its status, latency and answer.
    #[command(subcommand)]
    Deliveries(DeliveriesCmd),
    /// Messages that failed to be processed repeatedly.
    #[command(subcommand, name = "dead-letters")]
    DeadLetters(DeadLettersCmd),
    /// Event names per source kind, placeholders with sample values, presets.
    Catalog,
    /// Print a shell completion script: `herald completions bash > /etc/bash_completion.d/herald`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

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

#[derive(Args, Debug, Default)]
pub struct TargetFields {
    /// A name for people: it appears in logs and health warnings.
    #[arg(long)]
    pub name: Option<String>,
    /// Where deliveries go: http(s)://…, placeholders allowed (`?tmdb={tmdbId}`).
    #[arg(long = "target-url")]
    pub target_url: Option<String>,
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
    /// Send a synthetic `imported` event and report status and round trip.
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

#[derive(Subcommand, Debug)]
pub enum DeadLettersCmd {
    /// What waits in the two dead-letter queues, and how many.
    List,
    /// Move every dead letter back to its queue.
    Redrive,
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
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

/// The kinds a source may be: the server's own list, so help and validation never drift from it.
fn kinds() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        herald_domain::SourceKind::selectable().map(herald_domain::SourceKind::as_str),
    )
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
    set("url", fields.target_url.clone().map(Value::from));
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

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "herald", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn run(cli: Cli) -> Result<String> {
    if let Command::Completions { shell } = cli.command {
        return Ok(completions(shell));
    }
    let token = cli.token.clone().context("no admin token: pass --token or set HERALD_ADMIN_TOKEN")?;
    let api = Api { http: reqwest::Client::new(), base: cli.url.clone(), token };
    let (value, human): (Value, fn(&Value) -> String) = match cli.command {
        Command::Sources(SourcesCmd::Add { id, kind, auth, header, settings }) => {
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
        Command::Sources(SourcesCmd::List) => (api.call("GET", "/admin/sources", None).await?, render::sources),
        Command::Sources(SourcesCmd::Show { id }) => {
            (api.call("GET", &format!("/admin/sources/{id}"), None).await?, render::source)
        }
        Command::Sources(SourcesCmd::Set { id, settings }) => {
            let mut body = Map::new();
            settings.into_json(&mut body);
            if body.is_empty() {
                bail!(
                    "nothing to change: give --summary, --drop, --drop-name, --dedupe-window, --delivery-id-header or --event-pointer"
                );
            }
            (api.call("PATCH", &format!("/admin/sources/{id}"), Some(Value::Object(body))).await?, render::source)
        }
        Command::Sources(SourcesCmd::Refused { id }) => {
            (api.call("GET", &format!("/admin/sources/{id}/refused"), None).await?, activity::refused)
        }
        Command::Sources(SourcesCmd::Remove { id }) => {
            (api.call("DELETE", &format!("/admin/sources/{id}"), None).await?, render::done)
        }
        Command::Targets(TargetsCmd::Add { id, fields }) => {
            let mut body = Map::new();
            if let Some(id) = id {
                body.insert("id".into(), json!(id));
            }
            apply(&fields, &mut body)?;
            (api.call("POST", "/admin/targets", Some(Value::Object(body))).await?, render::target)
        }
        Command::Targets(TargetsCmd::List) => (api.call("GET", "/admin/targets", None).await?, render::targets),
        Command::Targets(TargetsCmd::Show { id }) => {
            (api.call("GET", &format!("/admin/targets/{id}"), None).await?, render::target)
        }
        Command::Targets(TargetsCmd::Edit { id, fields }) => {
            let current = api.call("GET", &format!("/admin/targets/{id}"), None).await?;
            let mut body = current.as_object().cloned().context("the API returned no target")?;
            // The version read goes back: the API refuses to let a stale copy undo a newer change.
            body.remove("id");
            apply(&fields, &mut body)?;
            (api.call("PUT", &format!("/admin/targets/{id}"), Some(Value::Object(body))).await?, render::target)
        }
        Command::Targets(TargetsCmd::Remove { id }) => {
            (api.call("DELETE", &format!("/admin/targets/{id}"), None).await?, render::done)
        }
        Command::Targets(TargetsCmd::Test { id }) => {
            (api.call("POST", &format!("/admin/targets/{id}/test"), None).await?, render::test)
        }
        Command::Targets(TargetsCmd::Preview { id, body_file, kind }) => {
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
        Command::Targets(TargetsCmd::Status { id }) => {
            (api.call("GET", &format!("/admin/targets/{id}/status"), None).await?, render::status)
        }
        Command::Targets(TargetsCmd::Replay { id }) => {
            (api.call("POST", &format!("/admin/targets/{id}/replay"), None).await?, render::replay)
        }
        Command::Targets(TargetsCmd::Rejected { id, replay, discard, delivery }) => {
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
                _ => (api.call("GET", &format!("/admin/targets/{id}/rejected"), None).await?, render::rejected),
            }
        }
        Command::DeadLetters(DeadLettersCmd::List) => {
            (api.call("GET", "/admin/dead-letters", None).await?, render::dead_letters)
        }
        Command::DeadLetters(DeadLettersCmd::Redrive) => {
            (api.call("POST", "/admin/dead-letters/redrive", None).await?, render::redriven)
        }
        Command::Events(EventsCmd::List(args)) => {
            (api.call("GET", &format!("/admin/events{}", args.query()), None).await?, activity::events)
        }
        Command::Events(EventsCmd::Show { id }) => {
            (api.call("GET", &format!("/admin/events/{id}"), None).await?, activity::event)
        }
        Command::Deliveries(DeliveriesCmd::List(args)) => {
            (api.call("GET", &format!("/admin/deliveries{}", args.query()), None).await?, activity::deliveries)
        }
        Command::Deliveries(DeliveriesCmd::Show { id }) => {
            (api.call("GET", &format!("/admin/deliveries/{id}"), None).await?, activity::delivery)
        }
        Command::Deliveries(DeliveriesCmd::Replay { id }) => {
            (api.call("POST", &format!("/admin/deliveries/{id}/replay"), None).await?, render::rejected_replayed)
        }
        Command::Catalog => (api.call("GET", "/admin/catalog", None).await?, render::json),
        Command::Completions { shell } => return Ok(completions(shell)),
    };
    // Every renderer's output, whatever text it carries from senders and receivers.
    Ok(render::printable(&if cli.json {
        format!("{}\n", serde_json::to_string_pretty(&value)?)
    } else {
        human(&value)
    }))
}
