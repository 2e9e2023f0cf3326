//! herald-domain: Herald's rules and types. Pure: no I/O, no AWS SDK, no async runtime, and no
//! clock or randomness (chrono without `clock`, ulid without `std`, so `Utc::now()` and
//! `Ulid::new()` do not compile here): times and ids are passed in. Tested beside its code.

pub mod activity;
pub mod adapters;
pub mod address;
pub mod catalog;
pub mod event;
pub mod filter;
pub mod health;
pub mod ids;
pub mod ladder;
pub mod message;
pub mod normalized;
pub mod outcome;
pub mod preset;
pub mod redact;
pub mod rejection;
pub mod request;
pub mod retry_after;
pub mod sample;
pub mod secret;
pub mod senders;
pub mod signature;
pub mod source;
pub mod source_health;
pub mod state;
pub mod target;
pub mod template;
pub mod validate;

pub use event::{Event, SourceKind};
pub use ids::{SourceId, TargetId};
pub use secret::Secret;
pub use source::{Source, SourceAuth};
pub use target::Target;
