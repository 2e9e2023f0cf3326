//! The cold-start harness against a real Lambda binary (the floor, built for this test).

use std::path::Path;

use herald_bench::cold::cold_start;
use herald_bench::coldrun::lambda_environment;

fn lambda_env() -> Vec<(String, String)> {
    lambda_environment("floor")
}

#[tokio::test]
async fn the_floor_asks_for_an_event_then_answers_it() {
    let floor = Path::new(env!("CARGO_BIN_EXE_lambda-floor"));
    let start = cold_start(floor, &lambda_env(), "{}").await.unwrap();
    assert!(start.init > std::time::Duration::ZERO);
    assert!(start.first_response >= start.init, "{start:?}");
}

#[tokio::test]
async fn a_binary_that_exits_is_reported() {
    let err = cold_start(Path::new("/bin/false"), &lambda_env(), "{}").await.unwrap_err();
    assert!(err.to_string().contains("exited"), "{err}");
}

#[tokio::test]
async fn warm_invocations_are_all_answered_and_the_first_is_not_counted() {
    let floor = Path::new(env!("CARGO_BIN_EXE_lambda-floor"));
    let warm = herald_bench::warm::run(floor, &[], &lambda_env(), vec!["{}".to_owned(); 50]).await.unwrap();
    assert_eq!(warm.invocations, 50);
    assert!(warm.wall_per_invocation > std::time::Duration::ZERO, "{warm:?}");
    let too_few = herald_bench::warm::run(floor, &[], &lambda_env(), vec!["{}".to_owned()]).await.unwrap_err();
    assert!(too_few.to_string().contains("at least two"), "{too_few}");
}
