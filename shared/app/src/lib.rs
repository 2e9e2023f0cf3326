//! herald-app: the use cases (ingest, deliver, retry, admin) written against the ports only, one
//! small trait per capability (`ports`), and the in-memory caches in front of them. The in-memory
//! fakes of every port are in `testing`, behind the `test-util` feature.

pub mod admin;
mod backlog;
pub mod backoff;
pub mod cache;
pub mod deliver;
pub mod ingest;
pub mod journal;
pub mod multipart;
pub mod ports;
pub mod recent;
pub mod retry;
pub mod source_health;
#[cfg(feature = "test-util")]
pub mod testing;

#[cfg(test)]
mod isolation_tests;
