//! herald-bench: what a delivery costs in AWS calls, dollars, latency and cold start.

pub mod cold;
pub mod coldrun;
pub mod cost;
pub mod counting;
pub mod drain;
pub mod endtoend;
pub mod load;
pub mod report;
pub mod svix;
pub mod warm;
