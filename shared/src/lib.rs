//! herald-core: the library every Herald function shares.
//!
//! `domain` is pure logic; `ports` are the small traits the use cases in `app` need; `aws` holds
//! the adapters that implement them on DynamoDB, SQS, Scheduler and HTTP.

pub mod app;
pub mod domain;
pub mod ports;

pub mod aws;
pub mod cache;
pub mod config;
pub mod lambda;
#[cfg(feature = "test-util")]
pub mod testing;
