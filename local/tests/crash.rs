//! Nothing accepted is lost when the process dies: a burst from concurrent senders into the
//! herald-local binary, killed with SIGKILL mid-burst and started again, while every sender
//! retries what was not answered, as a sender would. Every accepted event must reach every target
//! at least once, and every copy of one delivery must carry the same `webhook-id`.

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use herald_aws::testing::Receiver;
use serde_json::json;

const EVENTS: u64 = 200;
const SENDERS: usize = 16;
const TOKEN: &str = "crash-test-admin-token";

struct Herald {
    stack: String,
    port: u16,
    config: std::path::PathBuf,
}

impl Herald {
    fn spawn(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_herald-local"))
            .args(["serve", "--stack", &self.stack, "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--config")
            .arg(&self.config)
            .env("HERALD_ADMIN_TOKEN", TOKEN)
            // A killed process's claims and received messages come back in seconds, not minutes.
            .env("HERALD_DEDUPE_LEASE", "3s")
            .env("HERALD_LOCAL_VISIBILITY", "5s")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            // Its errors, should it not come up, are in the test's output.
            .stderr(Stdio::inherit())
            .spawn()
            .expect("herald-local starts")
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_healthy(&self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(self.url("/health")).send().await.map(|r| r.status().is_success()).ok() != Some(true) {
            assert!(Instant::now() < deadline, "herald-local did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_burst_loses_nothing_it_accepted() {
    common::aws().await; // the emulator answers
    let receiver = Receiver::start().await;
    let stack = common::unique_stack();
    let config = std::env::temp_dir().join(format!("{stack}.json"));
    let targets = ["a", "b"].map(|t| {
        json!({"id": t, "name": t, "url": receiver.url(&format!("/{t}")), "events": ["g:*"],
               "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
    });
    let body = json!({"sources": [{"id": "g", "kind": "generic", "token": "g-token"}], "targets": targets});
    std::fs::write(&config, body.to_string()).unwrap();
    let herald = Arc::new(Herald { stack, port: free_port(), config });
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut child = herald.spawn();
    herald.wait_healthy(&http).await;

    // The burst: senders take event numbers in turn and retry each until it is accepted.
    let next = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let (herald, http, next, answered) = (herald.clone(), http.clone(), next.clone(), answered.clone());
        senders.spawn(async move {
            let mut accepted = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst) as u64;
                if n >= EVENTS {
                    return accepted;
                }
                let body = json!({"event": "burst", "n": n}).to_string();
                let deadline = Instant::now() + Duration::from_secs(90);
                while Instant::now() < deadline {
                    let sent =
                        http.post(herald.url("/hooks/g")).header("access-token", "g-token").body(body.clone()).send();
                    match sent.await.map(|r| r.status().as_u16()) {
                        Ok(200 | 202) => {
                            accepted.push(n);
                            answered.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Ok(status) if status < 500 => panic!("{status} for event {n}: a sender would give up"),
                        // Refused connections while it is down, 503 while a dead attempt's lease runs.
                        _ => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
            }
        });
    }
    // Kill it once a third of the burst is answered, with requests in flight.
    let give_up = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::SeqCst) < EVENTS as usize / 3 {
        assert!(Instant::now() < give_up, "the burst never got a third answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind
    child.wait().unwrap();
    let killed_at = answered.load(Ordering::SeqCst);
    let mut child = herald.spawn();
    herald.wait_healthy(&http).await;
    let mut accepted = BTreeSet::new();
    while let Some(done) = senders.join_next().await {
        accepted.extend(done.unwrap());
    }

    let wanted: BTreeSet<(String, u64)> =
        accepted.iter().flat_map(|n| ["a", "b"].map(|t| (t.to_owned(), *n))).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let tally = loop {
        let tally = common::tally(&receiver);
        if wanted.is_subset(&tally.delivered) || Instant::now() > deadline {
            break tally;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    child.kill().ok();
    child.wait().ok();
    let _ = std::fs::remove_file(&herald.config);
    let lost: Vec<_> = wanted.difference(&tally.delivered).collect();
    println!(
        "crash: sent {EVENTS}, accepted {}, killed after {killed_at} answers, delivered {} (target, event) pairs in \
         {} copies ({} duplicates), lost {}",
        accepted.len(),
        tally.delivered.len(),
        tally.copies,
        tally.copies - tally.delivered.len(),
        lost.len()
    );
    assert_eq!(accepted.len() as u64, EVENTS, "every sender got its events accepted in the end");
    assert!(lost.is_empty(), "lost: {lost:?}");
    for (key, seen) in &tally.ids {
        assert_eq!(seen.len(), 1, "{key:?} arrived with different webhook-ids: {seen:?}");
    }
}
