//! The drain bench on a small backlog: every parked delivery arrives once, through either release.

use std::time::Duration;

use herald_bench::drain::{DrainOptions, markdown, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_backlog_arrives_once_whether_ordered_or_not() {
    let aws = herald_local::aws::sdk_config().await;
    for ordered in [false, true] {
        let o = DrainOptions {
            parked: 40,
            receiver_latency: Duration::from_millis(10),
            receiver_jitter: Duration::from_millis(5),
            pollers: 2,
            concurrency: 8,
            ordered,
            timeout: Duration::from_secs(120),
        };
        let r = run(&aws, &o).await.unwrap();
        assert_eq!((r.delivered, r.duplicates), (40, 0), "ordered: {ordered}");
        assert!(r.receiver_alone > 0.0 && r.concurrency == if ordered { 1 } else { 8 });
        let row = markdown(&r);
        assert!(row.starts_with("| 40 | 10 ± 5 ms |"), "{row}");
    }
}
