use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand};
use herald_bench::load::LoadOptions;
use herald_local::batching::Batching;

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
        /// How long the receiver takes to answer (e.g. 150ms; Discord and Telegram take 100-500 ms).
        #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
        receiver_latency: Duration,
        /// ± this much, uniformly (reproducibly) drawn per request.
        #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
        receiver_jitter: Duration,
        /// Of the fan-out's targets, this many answer 503 for the whole run.
        #[arg(long, default_value_t = 0)]
        down_targets: usize,
        /// Webhooks per second (0: as fast as ingest answers, which measures the backlog's latency).
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// Also run with the activity log's delivery steps off (HERALD_ACTIVITY_STEPS=off), side by side.
        #[arg(long)]
        log_off_too: bool,
        /// The deliveries mapping's batch size; repeat to run each (default: the template's, 20).
        #[arg(long = "batch-size")]
        batch_size: Vec<usize>,
        /// Its batching window in whole seconds; repeat to run each (default: the template's, 1).
        #[arg(long = "batching-window")]
        batching_window: Vec<u64>,
    },
    /// A backlog parked for a target that was down, released when it is back: how fast it drains,
    /// against the rate the receiver alone sustains.
    Drain {
        #[arg(long, default_value_t = 5_000)]
        parked: usize,
        #[arg(long, default_value = "150ms", value_parser = humantime::parse_duration)]
        receiver_latency: Duration,
        #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
        receiver_jitter: Duration,
        #[arg(long, default_value_t = 4)]
        pollers: usize,
        /// Requests the retry function keeps in flight for an unordered backlog (`HERALD_DELIVERY_CONCURRENCY`).
        #[arg(long, default_value_t = herald_aws::settings::DEFAULT_DELIVERY_CONCURRENCY)]
        concurrency: usize,
        /// Drain this many times (each against the receiver alone in the same run) and give the median.
        #[arg(long, default_value_t = 1)]
        runs: usize,
        /// Also drain an ordered target (released one by one by the retry function).
        #[arg(long)]
        ordered: bool,
        #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
    /// The load bench's webhooks through svix-server, beside a Herald run with the same driver and
    /// receiver (svix-server and PostgreSQL set up by hand: BENCHMARKS.md, "Beside svix-server").
    Svix {
        #[arg(long, default_value = "http://127.0.0.1:8071")]
        svix_url: String,
        /// An organisation's API token (`svix-server jwt generate`), from the environment so it
        /// stays out of the process list.
        #[arg(long, env = "SVIX_TOKEN", hide_env_values = true)]
        svix_token: String,
        /// svix's processes by name, their CPU added up (e.g. --process svix-server --process postgres).
        #[arg(long = "process")]
        processes: Vec<String>,
        #[arg(long, default_value_t = 2_000)]
        events: usize,
        /// Webhooks per second; repeat to run each (default: flat out, 0).
        #[arg(long = "rate")]
        rates: Vec<f64>,
        #[arg(long, default_value_t = 32)]
        in_flight: usize,
        /// Herald's batching window in whole seconds (default: the template's, 1).
        #[arg(long)]
        batching_window: Option<u64>,
        /// Herald's batch size (default: the template's, 20; 10 with a 0 s window, as Lambda requires).
        #[arg(long)]
        batch_size: Option<usize>,
        #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
        receiver_latency: Duration,
        /// svix-server alone, no Herald run beside it.
        #[arg(long)]
        svix_only: bool,
        #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
    /// CPU per warm ingest invocation (an Ombi webhook), beside the runtime alone's: the release
    /// binary against a fake Lambda Runtime API, `--wrap` to run it under a profiler.
    WarmCpu {
        #[arg(long, default_value = "target/release")]
        bin_dir: PathBuf,
        #[arg(long, default_value_t = 1000)]
        invocations: usize,
        /// A command to run the binary under, e.g. "valgrind --tool=callgrind --callgrind-out-file=/tmp/ingest.cg".
        #[arg(long)]
        wrap: Option<String>,
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
        Command::Load {
            events,
            fan_out,
            fail_every,
            in_flight,
            pollers,
            timeout,
            receiver_latency,
            receiver_jitter,
            down_targets,
            rate,
            log_off_too,
            batch_size,
            batching_window,
        } => {
            let fan_outs = if fan_out.is_empty() { vec![1, 5] } else { fan_out };
            let failing = if fail_every == 0 { vec![None] } else { vec![None, Some(fail_every)] };
            let logs = if log_off_too { vec![true, false] } else { vec![true] };
            let defaults = Batching::default();
            let sizes = if batch_size.is_empty() { vec![defaults.size] } else { batch_size };
            let windows = if batching_window.is_empty() { vec![defaults.window.as_secs()] } else { batching_window };
            let mut batchings = Vec::new();
            for &size in &sizes {
                for &window in &windows {
                    batchings.push(Batching::new(size, Duration::from_secs(window)).map_err(anyhow::Error::msg)?);
                }
            }
            for (fan_out, batching) in fan_outs.into_iter().flat_map(|f| batchings.iter().map(move |b| (f, *b))) {
                for (&fail_every, &activity_steps) in failing.iter().flat_map(|f| logs.iter().map(move |l| (f, l))) {
                    let options = LoadOptions {
                        batching,
                        fail_every,
                        in_flight,
                        pollers,
                        timeout,
                        receiver_latency,
                        receiver_jitter,
                        down_targets,
                        rate,
                        activity_steps,
                        ..LoadOptions::new(events, fan_out)
                    };
                    let run = herald_bench::load::run(&aws, &options).await?;
                    println!("activity log steps: {}", if activity_steps { "on" } else { "off" });
                    println!("{}", herald_bench::report::markdown(&run));
                    println!("{}", herald_bench::endtoend::markdown(&run));
                }
            }
        }
        Command::Drain { parked, receiver_latency, receiver_jitter, pollers, concurrency, ordered, timeout, runs } => {
            println!("{}", herald_bench::drain::MARKDOWN_HEADER);
            for ordered in if ordered { vec![false, true] } else { vec![false] } {
                let options = herald_bench::drain::DrainOptions {
                    parked,
                    receiver_latency,
                    receiver_jitter,
                    pollers,
                    concurrency,
                    ordered,
                    timeout,
                };
                let mut shares = Vec::new();
                for _ in 0..runs.max(1) {
                    let run = herald_bench::drain::run(&aws, &options).await?;
                    println!("{}", herald_bench::drain::markdown(&run));
                    shares.push(run.rate() / run.receiver_alone.max(1e-9));
                }
                shares.sort_by(f64::total_cmp);
                println!(
                    "\nmedian of {}: {:.0} % of the receiver alone\n",
                    shares.len(),
                    100.0 * shares[shares.len() / 2]
                );
            }
        }
        Command::Svix {
            svix_url,
            svix_token,
            processes,
            events,
            rates,
            in_flight,
            batching_window,
            batch_size,
            receiver_latency,
            svix_only,
            timeout,
        } => {
            let defaults = Batching::default();
            let window = batching_window.map_or(defaults.window, Duration::from_secs);
            let size = batch_size.unwrap_or(if window.is_zero() { defaults.size.min(10) } else { defaults.size });
            let batching = Batching::new(size, window).map_err(anyhow::Error::msg)?;
            for rate in if rates.is_empty() { vec![0.0] } else { rates } {
                let herald = if svix_only {
                    None
                } else {
                    let options = LoadOptions {
                        batching,
                        fail_every: None,
                        in_flight,
                        timeout,
                        receiver_latency,
                        rate,
                        ..LoadOptions::new(events, 1)
                    };
                    let before = herald_bench::svix::own_cpu().unwrap_or_default();
                    let run = herald_bench::load::run(&aws, &options).await?;
                    Some((run, herald_bench::svix::own_cpu().unwrap_or_default().saturating_sub(before)))
                };
                let options = herald_bench::svix::SvixOptions {
                    url: svix_url.clone(),
                    token: svix_token.clone(),
                    events,
                    rate,
                    in_flight,
                    receiver_latency,
                    receiver_jitter: Duration::ZERO,
                    processes: processes.clone(),
                    timeout,
                };
                let svix = herald_bench::svix::run(&options).await?;
                let herald = herald.as_ref().map(|(run, cpu)| (run, *cpu));
                if herald.is_some() {
                    println!("Herald's batches: {size}, window {} s\n", window.as_secs());
                }
                println!("{}", herald_bench::svix::markdown(herald, &svix, rate));
            }
        }
        Command::WarmCpu { bin_dir, invocations, wrap } => {
            let wrap: Vec<String> = wrap.iter().flat_map(|w| w.split_whitespace().map(str::to_owned)).collect();
            let (ingest, floor) = herald_bench::coldrun::warm_ingest(&aws, &bin_dir, invocations, &wrap).await?;
            println!("| {} warm invocations | CPU per invocation | wall per invocation |\n|---|---|---|", invocations);
            for (name, w) in [("herald-ingest (an Ombi webhook)", ingest), ("lambda-floor (the runtime alone)", floor)]
            {
                println!(
                    "| {name} | {:.3} ms | {:.3} ms |",
                    w.cpu_per_invocation.as_secs_f64() * 1e3,
                    w.wall_per_invocation.as_secs_f64() * 1e3
                );
            }
        }
        Command::ColdStart { bin_dir, runs } => {
            let rows = herald_bench::coldrun::run(&aws, &bin_dir, runs).await?;
            println!("{}", herald_bench::coldrun::markdown(&rows, runs));
        }
    }
    Ok(())
}
