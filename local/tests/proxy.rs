//! The sender and proxies: `HTTP_PROXY` and friends in the environment are ignored (through them a
//! request would leave with its host never checked), and an explicit proxy gets only requests
//! whose target address was checked first. The environment part runs in a child process of this
//! test binary, since a test may not change its own process's environment.

use std::time::Duration;

use herald_app::ports::Sender;
use herald_aws::http::HttpSender;
use herald_aws::netguard::AddressPolicy;
use herald_aws::testing::Receiver;
use herald_domain::outcome::DeliveryOutcome;
use herald_domain::request::OutboundRequest;

const CHILD: &str = "HERALD_PROXY_TEST_TARGET";

fn request(url: &str) -> OutboundRequest {
    OutboundRequest { method: Default::default(), url: url.parse().unwrap(), headers: Vec::new(), body: b"{}".to_vec() }
}

fn loopback() -> AddressPolicy {
    AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()])
}

#[tokio::test]
async fn proxy_variables_in_the_environment_are_ignored() {
    if let Ok(target) = std::env::var(CHILD) {
        // The child: its environment names a proxy; the request must go straight to the target.
        let sender = HttpSender::new(loopback(), None).unwrap();
        let outcome = sender.send(&request(&target), Duration::from_secs(5)).await;
        assert!(matches!(outcome, DeliveryOutcome::Delivered { .. }), "{outcome:?}");
        return;
    }
    let proxy = Receiver::start().await;
    let target = Receiver::start().await;
    let exe = std::env::current_exe().unwrap();
    let proxy_url = proxy.url("");
    let target_url = target.url("/hook");
    // Blocking on another thread: this runtime keeps serving both receivers meanwhile.
    let child = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(["--exact", "proxy_variables_in_the_environment_are_ignored", "--nocapture"])
            .env(CHILD, target_url)
            .env("HTTP_PROXY", &proxy_url)
            .env("http_proxy", &proxy_url)
            .env("HTTPS_PROXY", &proxy_url)
            .env("ALL_PROXY", &proxy_url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(child.status.success(), "{}", String::from_utf8_lossy(&child.stdout));
    assert_eq!(target.requests_to("/hook").len(), 1);
    assert!(proxy.requests().is_empty(), "the environment's proxy got {:?}", proxy.requests());
}

#[tokio::test]
async fn an_explicit_proxy_gets_only_checked_targets() {
    let proxy = Receiver::start().await;
    // Loopback is allowed for the proxy itself, not for targets: only public addresses may go out.
    let sender = HttpSender::new(AddressPolicy::default(), Some(proxy.url("").parse().unwrap())).unwrap();
    for refused in ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x", "http://169.254.169.254/latest"]
    {
        let outcome = sender.send(&request(refused), Duration::from_secs(5)).await;
        assert!(matches!(outcome, DeliveryOutcome::Failed { status: None, .. }), "{refused}: {outcome:?}");
    }
    assert!(proxy.requests().is_empty(), "nothing refused reached the proxy: {:?}", proxy.requests());
}

#[tokio::test]
async fn an_explicit_proxy_named_by_host_carries_checked_public_targets() {
    let proxy = Receiver::start().await;
    let by_name = proxy.url("").replace("127.0.0.1", "localhost");
    // The proxy is loopback by name: it is the operator's choice, not held to the targets' policy.
    let sender = HttpSender::new(AddressPolicy::default(), Some(by_name.parse().unwrap())).unwrap();
    let outcome = sender.send(&request("http://1.1.1.1/hook"), Duration::from_secs(5)).await;
    assert!(matches!(outcome, DeliveryOutcome::Delivered { .. }), "{outcome:?}");
    let got = proxy.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].uri.host(), Some("1.1.1.1"), "the proxy was asked for the target: {}", got[0].uri);
    let outcome = sender.send(&request("http://localhost:9/x"), Duration::from_secs(5)).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Failed { status: None, .. }),
        "a loopback target still is not: {outcome:?}"
    );
    assert_eq!(proxy.requests().len(), 1);
}
