//! `herald-local setup|status --aws`: the path that talks to a deployed stack, proven against the
//! emulator through `--endpoint` with the SDK's own credential chain (here, the environment's).

mod common;

use std::process::{Command, Output};

use serde_json::json;

fn herald_local(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald-local"));
    command
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("herald-local runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test]
async fn status_and_setup_reach_a_deployed_stack_and_create_nothing() {
    let w = common::world(json!({"targets": [{"id": "discord", "name": "Discord", "url": "{receiver}/d"}]})).await;
    let endpoint = herald_local::aws::endpoint();
    let stack = w.running.stack.name.clone();

    let status = herald_local(&["--stack", &stack, "status", "--aws", "--endpoint", &endpoint], &[]);
    assert!(status.status.success(), "{}", text(&status));
    assert!(text(&status).contains("Discord"), "the deployed table's targets: {}", text(&status));

    let config = std::env::temp_dir().join(format!("herald-aws-mode-{stack}.json"));
    std::fs::write(
        &config,
        json!({"sources": [{"id": "ombi", "kind": "ombi", "token": "a-token-for-ombi"}]}).to_string(),
    )
    .unwrap();
    let setup = herald_local(
        &["--stack", &stack, "--aws", "--endpoint", &endpoint, "setup", "--config", config.to_str().unwrap()],
        &[],
    );
    assert!(setup.status.success(), "{}", text(&setup));
    let (status, sources) = w.admin("GET", "/admin/sources", None).await;
    assert_eq!((status, sources[0]["id"].as_str()), (200, Some("ombi")), "loaded into the stack's table");

    let missing = herald_local(&["--stack", "no-such-stack-here", "--aws", "--endpoint", &endpoint, "setup"], &[]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no table no-such-stack-here"), "{}", text(&missing));
    let tables = aws_sdk_dynamodb::Client::new(&w.aws).list_tables().send().await.unwrap();
    assert!(!tables.table_names().iter().any(|t| t == "no-such-stack-here"), "--aws creates nothing");

    let leftover = herald_local(&["--stack", &stack, "status", "--aws"], &[("AWS_ENDPOINT_URL", &endpoint)]);
    assert!(!leftover.status.success());
    assert!(text(&leftover).contains("AWS_ENDPOINT_URL is set"), "{}", text(&leftover));
    let _ = std::fs::remove_file(config);
}
