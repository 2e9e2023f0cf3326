//! What each fuzz target checks. One `pub fn <target>(data: &[u8])` per target in `fuzz/fuzz_targets/`:
//! cargo-fuzz calls it with libFuzzer's inputs, and `tests/replay.rs` calls it with every file of
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`, so a plain `cargo test` (stable)
//! replays what the fuzzers found. Each function drives `herald-domain` and asserts what the code
//! promises (round trips, escaping, verification), not just that nothing panics.

mod adapters;
mod address;
mod duplicates;
mod input;
mod message;
mod multipart;
mod retry_after;
mod signatures;
mod template;

pub use adapters::adapters;
pub use address::{address, differs_from_std_as_documented};
pub use duplicates::duplicates;
pub use message::message;
pub use multipart::multipart;
pub use retry_after::retry_after;
pub use signatures::signatures;
pub use template::template;

use chrono::{DateTime, Utc};
use ulid::Ulid;

/// The id and arrival time every normalized event gets (the domain takes both as arguments).
pub(crate) fn fixed_id() -> Ulid {
    Ulid::from_parts(1_795_240_800_000, 42)
}

pub(crate) fn fixed_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_240_800, 0).expect("in range")
}

pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
