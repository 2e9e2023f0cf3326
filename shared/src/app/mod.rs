//! Use cases, written against the ports only.

pub mod deliver;
pub mod ingest;
