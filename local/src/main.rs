use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use herald_aws::dynamodb::Table;
use herald_aws::settings::{self, Env};
use herald_aws::testing::Receiver;
use herald_local::aws::Account;
use herald_local::config_file::LocalConfig;
use herald_local::run::{Options, start};
use herald_local::stack::Stack;

/// Herald on one machine, against a local AWS emulator (AWS_ENDPOINT_URL, default http://127.0.0.1:4566).
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Stack name: the table is <stack>, the queues <stack>-deliveries, <stack>-wakeups, … (as template.yaml) [env: HERALD_STACK; default: herald].
    #[arg(long, global = true)]
    stack: Option<String>,
    /// setup and status: the deployed stack in your AWS account (credentials and region from the AWS
    /// CLI's chain), not the emulator; setup then creates nothing and only loads --config.
    #[arg(long, global = true)]
    aws: bool,
    /// Where AWS calls go: the emulator's URL, or with --aws an endpoint to use instead of AWS's
    /// [env: AWS_ENDPOINT_URL (emulator only); default: http://127.0.0.1:4566].
    #[arg(long, global = true, value_name = "URL")]
    endpoint: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the table, queues and schedule group; load a config; write an env file for `cargo lambda`.
    Setup {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = ".herald/local.env")]
        env_file: PathBuf,
    },
    /// Show every target's delivery state: failures, next attempt, parked deliveries, last error.
    Status,
    /// Serve POST /hooks/{source_id} and deliver from the queue until Ctrl-C.
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// Sources and targets to load first (JSON, see local/demo.json).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Networks targets may resolve to besides public ones, comma-separated CIDRs [env: HERALD_ALLOW_NETWORKS; default: 127.0.0.0/8,::1/128].
        #[arg(long, value_delimiter = ',')]
        allow_networks: Option<Vec<ipnet::IpNet>>,
        /// Bearer token for /admin, at least 16 characters [env: HERALD_ADMIN_TOKEN; default: a fresh random one, printed at start].
        #[arg(long)]
        admin_token: Option<String>,
        /// Also start a receiver on 127.0.0.1:8787 that prints deliveries, load local/demo.json and send events/ingest-*.json.
        #[arg(long)]
        demo: bool,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    // The demo's show is the receiver's output; keep the logs to warnings there unless asked.
    let default_filter = if matches!(cli.command, Command::Serve { demo: true, .. }) { "warn" } else { "info" };
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| default_filter.into());
    // The same clamps as the functions: the SDK's and HTTP crates' trace output carries secrets.
    let filter = tracing_subscriber::EnvFilter::try_new(herald_aws::telemetry::log_filter(&spec))
        .context("RUST_LOG is not a valid filter")?;
    // Colour only for a person at a terminal: a log file or a pipe gets plain text.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    // Every setting is read (and a bad one refused, naming its variable) before anything starts.
    let mut options = Options::from_env(Env::new(&settings::process_env))?;
    let token_from_env = settings::admin_token(Env::new(&settings::process_env))?.is_some();
    if let Some(stack) = cli.stack {
        options.stack = stack;
    }
    let account =
        Account::choose(cli.aws, cli.endpoint, std::env::var("AWS_ENDPOINT_URL").ok()).map_err(anyhow::Error::msg)?;
    let aws = account.sdk_config().await;
    match cli.command {
        Command::Setup { config, .. } if account.is_aws() => {
            // The stack is SAM's: its table is named after it. Load into it; create nothing.
            let client = aws_sdk_dynamodb::Client::new(&aws);
            client.describe_table().table_name(&options.stack).send().await.with_context(|| {
                format!("no table {} in this account and region: deploy with sam, or pass --stack", options.stack)
            })?;
            load_into(&Table::new(client, &options.stack), config.as_deref()).await?;
            println!("stack {} in AWS: configuration loaded", options.stack);
        }
        Command::Serve { .. } if account.is_aws() => {
            anyhow::bail!("serve runs the functions locally against the emulator; drop --aws (AWS runs them itself)");
        }
        Command::Setup { config, env_file } => {
            let stack = Stack::ensure(&aws, &options.stack).await?;
            load(&aws, &stack, config.as_deref()).await?;
            if let Some(dir) = env_file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let Account::Emulator(endpoint) = &account else { unreachable!("AWS setups are handled above") };
            std::fs::write(&env_file, stack.env_lines(endpoint, &options.admin_token))?;
            println!("stack {} ready; environment for cargo lambda written to {}", stack.name, env_file.display());
            if !token_from_env {
                println!(
                    "admin token for herald-admin (in that file; set HERALD_ADMIN_TOKEN to choose it): {}",
                    options.admin_token.expose()
                );
            }
        }
        Command::Status => {
            let table = Table::new(aws_sdk_dynamodb::Client::new(&aws), &options.stack);
            print!("{}", herald_local::status::report(&table).await?);
        }
        Command::Serve { listen, config, allow_networks, admin_token, demo } => {
            let receiver = if demo {
                Some(
                    Receiver::bind("127.0.0.1:8787".parse()?, true)
                        .await
                        .context("starting the demo receiver on 127.0.0.1:8787")?,
                )
            } else {
                None
            };
            options.listen = listen;
            if let Some(networks) = allow_networks {
                options.tuning.allow_networks = networks;
            }
            let generated = admin_token.is_none() && !token_from_env;
            if let Some(token) = admin_token {
                options.admin_token = settings::parse_admin_token(&token).context("--admin-token")?;
            }
            if !demo {
                // Loaded before anything is served: a webhook that arrives as soon as /health
                // answers finds its source.
                let stack = herald_local::run::ensure_stack(&aws, &options).await?;
                load(&aws, &stack, config.as_deref()).await?;
            }
            let running = start(&aws, &options).await?;
            if demo {
                herald_local::demo::set_up(&aws, &running, std::path::Path::new("local/demo.json")).await?;
            }
            println!(
                "herald-local listening on {} (POST /hooks/<source_id>, /admin/..., GET /health)",
                running.url("")
            );
            println!("settings page: {}", running.url("/admin"));
            if listen.ip().is_loopback() {
                println!(
                    "only this machine can reach it; for a sender on your network (a real Ombi or Sonarr), \
                     run with --listen 0.0.0.0:{} and give it http://<this machine's address>:{}/hooks/<source-id>",
                    listen.port(),
                    listen.port()
                );
            }
            if generated {
                // Printed once so a person can use the admin API; set HERALD_ADMIN_TOKEN to choose it.
                println!("admin token (this run only): {}", options.admin_token.expose());
            }
            if receiver.is_some() {
                send_demo_events(&running.url("")).await?;
            }
            tokio::signal::ctrl_c().await?;
            println!("stopping: the pollers finish the batch they are in");
            running.shutdown(std::time::Duration::from_secs(20)).await;
        }
    }
    Ok(())
}

async fn load(aws: &aws_config::SdkConfig, stack: &Stack, config: Option<&std::path::Path>) -> Result<()> {
    load_into(&Table::new(aws_sdk_dynamodb::Client::new(aws), &stack.resources.table), config).await
}

async fn load_into(table: &Table, config: Option<&std::path::Path>) -> Result<()> {
    if let Some(path) = config {
        let config = LocalConfig::load(path)?;
        config.apply(table).await?;
        println!(
            "loaded {} sources and {} targets from {}",
            config.sources.len(),
            config.targets.len(),
            path.display()
        );
    }
    Ok(())
}

async fn send_demo_events(base: &str) -> Result<()> {
    let client = reqwest::Client::new();
    // Each run's events are new events: the demo sources trust this header as the delivery id.
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos().to_string();
    for (name, mut request) in herald_local::demo::ingest_events(std::path::Path::new("events"))? {
        // One id per file and run: a retry of the same file in the same run would still be a repeat.
        request.headers.insert(herald_local::demo::RUN_HEADER, format!("{run}-{name}").parse()?);
        let (status, body) = herald_local::demo::post(&client, base, &request).await?;
        println!("sent {name:<45} → {status} {body}");
    }
    println!("\nDeliveries arrive at the receiver below (Ctrl-C to stop).\n");
    Ok(())
}
