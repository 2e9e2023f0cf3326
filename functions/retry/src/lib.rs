//! herald-retry: wake-ups from the wakeups queue → probe, recover and release, or the next rung.

pub mod handler;
