//! herald-ingest: `POST /hooks/{source_id}` → deliveries on the queue.

pub mod handler;
