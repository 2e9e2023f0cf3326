//! The command tree and what each command asks of the admin API.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::activity::{self, DeliveriesCmd, EventsCmd};
use crate::api::Api;
use crate::render;
use crate::sources::{self, SourcesCmd};
use crate::targets::{self, TargetsCmd};

#[derive(Parser, Debug)]
#[command(name = "herald", version, about = "Configure and inspect Herald through its admin API")]
pub struct Cli {
    /// Herald's admin API: the stack's ApiBaseUrl output, or herald-local's address.
    #[arg(long, global = true, env = "HERALD_API", default_value = "http://127.0.0.1:3000")]
    pub api: String,
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
pub enum DeadLettersCmd {
    /// What waits in the two dead-letter queues, and how many.
    List,
    /// Move every dead letter back to its queue.
    Redrive,
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "herald", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// What a command prints, and whether it reports a failure (a Test that did not go through).
#[derive(Debug)]
pub struct Output {
    pub text: String,
    pub failed: bool,
}

pub async fn run(cli: Cli) -> Result<Output> {
    if let Command::Completions { shell } = cli.command {
        return Ok(Output { text: completions(shell), failed: false });
    }
    let is_test = matches!(cli.command, Command::Targets(TargetsCmd::Test { .. }));
    let token = cli.token.clone().context("no admin token: pass --token or set HERALD_ADMIN_TOKEN")?;
    let api = Api { http: reqwest::Client::new(), base: cli.api.clone(), token };
    api.check().await?;
    let (value, human): (Value, fn(&Value) -> String) = match cli.command {
        Command::Sources(command) => sources::run(&api, command).await?,
        Command::Targets(command) => targets::run(&api, command).await?,
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
        Command::Catalog => (api.call("GET", "/admin/catalog", None).await?, render::catalog),
        Command::Completions { shell } => return Ok(Output { text: completions(shell), failed: false }),
    };
    // Every renderer's output, whatever text it carries from senders and receivers.
    let text = render::printable(&if cli.json {
        format!("{}\n", serde_json::to_string_pretty(&value)?)
    } else {
        human(&value)
    });
    Ok(Output { text, failed: is_test && value["ok"] != true })
}
