use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand};
use herald_bench::load::LoadOptions;

/// Herald's load and cold-start benchmarks, against the local emulator (`scripts/emulator start`).
#[derive(Parser)]
#[command(name = "herald-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// N webhooks through herald-local into a local receiver: deliveries/s, latency, AWS calls and $.
    Load {
        #[arg(long, default_value_t = 10_000)]
        events: usize,
        /// Targets per event; repeat to run several (default 1 and 5).
        #[arg(long = "fan-out")]
        fan_out: Vec<usize>,
        /// Also run with targets failing one request in this many (0: healthy runs only).
        #[arg(long, default_value_t = 100)]
        fail_every: usize,
        #[arg(long, default_value_t = 32)]
        in_flight: usize,
        /// Concurrent deliver invocations.
        #[arg(long, default_value_t = 4)]
        pollers: usize,
        #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
    /// Each function's release binary against a fake Lambda Runtime API: init and first response.
    ColdStart {
        /// Where the binaries are: target/release (cargo build) or target/lambda (cargo lambda build).
        #[arg(long, default_value = "target/release")]
        bin_dir: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt().with_env_filter("warn").with_writer(std::io::stderr).init();
    let aws = herald_local::aws::sdk_config().await;
    match Cli::parse().command {
        Command::Load { events, fan_out, fail_every, in_flight, pollers, timeout } => {
            let fan_outs = if fan_out.is_empty() { vec![1, 5] } else { fan_out };
            let failing = if fail_every == 0 { vec![None] } else { vec![None, Some(fail_every)] };
            for fan_out in fan_outs {
                for &fail_every in &failing {
                    let options = LoadOptions { events, fan_out, fail_every, in_flight, pollers, timeout };
                    let run = herald_bench::load::run(&aws, &options).await?;
                    println!("{}", herald_bench::report::markdown(&run));
                }
            }
        }
        Command::ColdStart { bin_dir, runs } => {
            let rows = herald_bench::coldrun::run(&aws, &bin_dir, runs).await?;
            println!("{}", herald_bench::coldrun::markdown(&rows, runs));
        }
    }
    Ok(())
}
