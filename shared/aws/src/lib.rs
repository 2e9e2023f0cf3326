//! herald-aws: the adapters from herald-app's ports to AWS (DynamoDB, SQS, Scheduler) and to the
//! network (reqwest with its SSRF guard), the settings, telemetry and Lambda glue, and `wiring`,
//! the one place that puts adapters into use cases.

pub mod clients;
pub mod deadletters;
pub mod dynamodb;
pub mod http;
pub mod lambda;
pub mod metrics;
pub mod netguard;
pub mod settings;
pub mod sqs;
pub mod ssm;
pub mod system;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod wakeups;
pub mod wiring;

pub use clients::Clients;
