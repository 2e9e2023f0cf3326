//! herald-deliver: SQS batches of delivery messages → rendered, signed HTTP requests.

pub mod handler;
