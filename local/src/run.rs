//! Starts the whole system in this process: stack, ingest over HTTP, the deliveries poller.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use herald_core::config::{DeliverConfig, IngestConfig};
use ipnet::IpNet;
use tokio::task::JoinHandle;

use crate::poller::Poller;
use crate::stack::{Stack, queue_arn};

#[derive(Clone, Debug)]
pub struct Options {
    pub stack: String,
    pub listen: SocketAddr,
    pub allow_networks: Vec<IpNet>,
    pub dedupe_window: Duration,
    pub target_cache_ttl: Duration,
    pub concurrency: usize,
    /// Batches of deliveries handled at once, like concurrent Lambda invocations.
    pub pollers: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            stack: "herald".into(),
            listen: "127.0.0.1:3000".parse().expect("valid"),
            allow_networks: vec!["127.0.0.0/8".parse().expect("valid"), "::1/128".parse().expect("valid")],
            dedupe_window: Duration::from_secs(600),
            target_cache_ttl: Duration::from_secs(1),
            concurrency: 10,
            pollers: 2,
        }
    }
}

/// Everything running; dropping it stops the server and the pollers.
pub struct Running {
    pub addr: SocketAddr,
    pub stack: Stack,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

pub async fn start(aws: &aws_config::SdkConfig, options: &Options) -> Result<Running> {
    let stack = Stack::ensure(aws, &options.stack).await?;
    let ingest = herald_ingest::build(
        &IngestConfig {
            table: stack.table.clone(),
            deliveries_queue_url: stack.deliveries_url.clone(),
            dedupe_window: options.dedupe_window,
            target_cache_ttl: options.target_cache_ttl,
        },
        aws,
    );
    let deliver = Arc::new(herald_deliver::build(
        &DeliverConfig {
            table: stack.table.clone(),
            target_cache_ttl: options.target_cache_ttl,
            allow_networks: options.allow_networks.clone(),
            concurrency: options.concurrency,
        },
        aws,
    )?);
    let (addr, server) = crate::server::serve(options.listen, Arc::new(ingest)).await?;
    let mut tasks = vec![server];
    let sqs = aws_sdk_sqs::Client::new(aws);
    let arn = queue_arn(&sqs, &stack.deliveries_url).await?;
    let region = aws.region().map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
    for _ in 0..options.pollers.max(1) {
        let poller = Poller {
            sqs: sqs.clone(),
            queue_url: stack.deliveries_url.clone(),
            queue_arn: arn.clone(),
            region: region.clone(),
            batch_size: 10,
        };
        let deliver = deliver.clone();
        let concurrency = options.concurrency;
        tasks.push(tokio::spawn(
            poller.run(move |batch| herald_deliver::handler::process(deliver.clone(), concurrency, batch)),
        ));
    }
    Ok(Running { addr, stack, tasks })
}
