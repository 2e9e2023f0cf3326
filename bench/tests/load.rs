//! The load bench's own measurements, on small runs against the emulator: what it counts must
//! match what the pipeline must have done.

use std::time::Duration;

use herald_bench::load::{LoadOptions, run};
use herald_bench::report::{delivery_usage, ingest_usage, markdown};
use herald_local::batching::Batching;

fn options(events: usize, fan_out: usize, fail_every: Option<usize>) -> LoadOptions {
    LoadOptions {
        fail_every,
        in_flight: 8,
        pollers: 2,
        timeout: Duration::from_secs(120),
        ..LoadOptions::new(events, fan_out)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_run_counts_every_call_and_writes_one_unit_per_webhook_and_per_batch() {
    let aws = herald_local::aws::sdk_config().await;
    let r = run(&aws, &options(30, 2, None)).await.unwrap();
    assert_eq!((r.deliveries, r.failed_attempts), (60, 0));
    assert_eq!(r.latencies.len(), 60);
    // Ingest: the source read once per cache TTL (1 s in herald-local), a Query for an earlier
    // record of the same webhook (two near the turn of an hour), one SendMessageBatch, and one
    // PutItem: the event's record, which is also its dedupe claim. Source health adds one
    // UpdateItem per source per minute, not one per event (a run this short spans one or two minutes).
    assert_eq!(r.ingest.calls_to("SQS", "SendMessageBatch"), 30);
    assert_eq!(r.ingest.calls_to("DynamoDB", "PutItem"), 30);
    let queries = r.ingest.calls_to("DynamoDB", "Query");
    // (A page of a Query may end where the next one finds nothing: an extra Query now and then.)
    assert!((30..=70).contains(&queries), "{queries} Queries for 30 events");
    let health_writes = r.ingest.calls_to("DynamoDB", "UpdateItem");
    assert!((1..=2).contains(&health_writes), "{health_writes} health writes for 30 events");
    let source_reads = r.ingest.calls_to("DynamoDB", "GetItem");
    assert!((1..=10).contains(&source_reads), "{source_reads} source reads for 30 events: the source is cached");
    eprintln!(
        "ingest per event: {:.2} write units, {:.2} read units, {:?}",
        r.ingest.write_units / 30.0,
        r.ingest.read_units / 30.0,
        r.ingest.calls
    );
    assert!(r.ingest.write_units <= 30.0 + 2.0, "one write unit per webhook, the record included");
    // Deliver: the mapping received every message and deleted it, ten per call at most; the
    // activity log is one item per invocation (ten healthy steps to a write unit), and nothing else
    // is written.
    assert!(r.deliver.calls_to("SQS", "DeleteMessageBatch") >= 6, "60 messages deleted ≤ 10 per call");
    assert!(r.deliver_invocations >= 3 && r.deliver_invocations <= 60, "batches of ≤ 20");
    // (herald-local's pollers share one journal, so a flush may carry two batches, and another
    // none. Sixty steps are about 5.6 KB, and an item holds 4 KB at most.)
    let log_items = r.deliver.calls_to("DynamoDB", "PutItem");
    assert!(
        (2..=r.deliver_invocations).contains(&log_items),
        "{log_items} items, {} invocations",
        r.deliver_invocations
    );
    assert_eq!(r.deliver.calls_to("DynamoDB", "UpdateItem"), 0);
    assert!(
        r.deliver.write_units <= 60.0 / 10.0 + log_items as f64,
        "{} units: ten steps to a unit, each item rounded up once",
        r.deliver.write_units
    );
    assert_eq!(r.retry_invocations, 0);
    let delivery = delivery_usage(&r);
    assert!(delivery.dynamodb_write_units > 0.0);
    assert_eq!(delivery.lambda_invocations, r.deliver_invocations as f64);
    assert_eq!(ingest_usage(&r).api_gateway_requests, 30.0);
    let report = markdown(&r);
    assert!(report.contains("| deliveries (duplicates, failed attempts) | 60 (0, 0) |"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_target_parks_retries_and_still_delivers_everything() {
    let aws = herald_local::aws::sdk_config().await;
    let r = run(&aws, &options(20, 1, Some(7))).await.unwrap();
    assert_eq!(r.deliveries, 20, "nothing is lost");
    assert!(r.failed_attempts >= 2, "every 7th request failed: {}", r.failed_attempts);
    assert!(r.deliver.write_units + r.retry.write_units > 0.0, "holds and parks are writes");
    assert!(r.retry_invocations >= 1, "the retry function woke up");
    assert!(delivery_usage(&r).dynamodb_write_units > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_is_billed_and_a_target_down_all_run_holds_up_no_other() {
    let aws = herald_local::aws::sdk_config().await;
    let o = LoadOptions {
        receiver_latency: Duration::from_millis(100),
        receiver_jitter: Duration::from_millis(20),
        down_targets: 1,
        ..options(20, 2, None)
    };
    let r = run(&aws, &o).await.unwrap();
    assert_eq!(r.deliveries, 20, "every delivery to the target that is up");
    assert!(r.failed_attempts >= 1, "the down target was tried");
    assert!(
        r.deliver_billed_ms >= 80 * r.deliver_invocations,
        "each invocation waits for the receiver: {} ms over {} invocations",
        r.deliver_billed_ms,
        r.deliver_invocations
    );
    assert!(r.percentile(50.0) >= Duration::from_millis(80), "latency includes the receiver's");
    assert!(markdown(&r).contains("1 of 2 targets down"), "{}", markdown(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batching_windows_short_polls_are_counted_and_priced_and_no_window_makes_none() {
    let aws = herald_local::aws::sdk_config().await;
    let paced = |window: u64| LoadOptions {
        rate: 10.0,
        batching: Batching::new(10, Duration::from_secs(window)).unwrap(),
        ..options(12, 1, None)
    };
    let windowed = run(&aws, &paced(1)).await.unwrap();
    assert_eq!(windowed.deliveries, 12);
    // At 10 webhooks/s a batch waits for more: the window's receives do not wait themselves.
    let short = windowed.deliver.short_polls;
    assert!(short >= 2, "{short} short polls");
    let receives = windowed.deliver.calls_to("SQS", "ReceiveMessage");
    let deletes = windowed.deliver.calls_to("SQS", "DeleteMessageBatch");
    // Every receive but the empty long polls is priced, the short ones included.
    let priced = delivery_usage(&windowed).sqs_request_chunks as u64;
    assert_eq!(priced, receives - windowed.deliver.empty_long_polls + deletes, "{:?}", windowed.deliver);
    assert!(priced >= short + deletes);
    assert!(markdown(&windowed).contains("short polls"), "{}", markdown(&windowed));

    let unwindowed = run(&aws, &paced(0)).await.unwrap();
    assert_eq!(unwindowed.deliveries, 12);
    assert_eq!(unwindowed.deliver.short_polls, 0, "no window, no filling: {:?}", unwindowed.deliver);
    assert!(
        unwindowed.percentile(50.0) < windowed.percentile(50.0),
        "{:?} without a window, {:?} with",
        unwindowed.percentile(50.0),
        windowed.percentile(50.0)
    );
}
