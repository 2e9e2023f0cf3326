//! herald-local: the whole of Herald in one process against a local AWS emulator.
//!
//! It plays API Gateway (HTTP routes to the ingest handler), the Lambda event source mapping
//! (polls the queues and calls the handlers with real `SqsEvent` batches, honouring partial batch
//! responses), and creates the stack's resources with the SDK under the names template.yaml uses.

pub mod aws;
pub mod batching;
pub mod config_file;
pub mod demo;
pub mod poller;
pub mod run;
pub mod schedules;
pub mod server;
pub mod stack;
pub mod status;
