//! Use cases, written against the ports only.

pub mod admin;
pub mod backoff;
pub mod deliver;
pub mod ingest;
pub mod retry;
