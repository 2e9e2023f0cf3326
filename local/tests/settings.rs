//! `herald-local serve` reads every setting of the README's table: the binary, started with one
//! variable set to a bad value, refuses to start and names that variable (before touching AWS).

use std::process::Command;
use std::time::{Duration, Instant};

use herald_aws::settings;

fn serve_with(name: &str, value: &str) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald-local"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(name, value)
        // Nothing answers here: a run that got past its settings would fail differently, or hang.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("herald-local starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return (status.code(), stderr);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("herald-local serve with {name}={value:?} did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_refuses_a_bad_value_of_every_setting_and_names_it() {
    for (name, bad) in [
        (settings::DEDUPE_WINDOW, "soon"),
        (settings::TARGET_CACHE_TTL, "-1"),
        (settings::ALLOW_NETWORKS, "the internet"),
        (settings::DELIVERY_CONCURRENCY, "0"),
        (settings::LADDER, "30s,never"),
        (settings::TIMER_MAX, "1h"),
        (settings::PARKED_RETENTION, "a week"),
        (settings::RETRY_MAX_SENDS, "many"),
        (settings::RETRY_BUDGET, "8"),
        (settings::ADMIN_TOKEN, "too-short"),
        (settings::DEDUPE_LEASE, "long"),
        (settings::WAKEUP_GRACE, "5 mins please"),
        (settings::LOCAL_FAULTS, "often"),
        (settings::LOCAL_VISIBILITY, "5"),
    ] {
        let (code, stderr) = serve_with(name, bad);
        assert_ne!(code, Some(0), "{name}={bad:?} was accepted");
        assert!(stderr.contains(name), "{name}={bad:?}: the error names the variable: {stderr}");
        if name == settings::ADMIN_TOKEN {
            assert!(!stderr.contains(bad), "the token is never echoed: {stderr}");
        }
    }
}
