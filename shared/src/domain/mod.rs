//! Pure logic: no I/O, no clocks, no AWS. Everything here is tested beside its code.

pub mod adapters;
pub mod event;
pub mod filter;
pub mod health;
pub mod ids;
pub mod ladder;
pub mod message;
pub mod outcome;
pub mod preset;
pub mod request;
pub mod sample;
pub mod secret;
pub mod signature;
pub mod source;
pub mod state;
pub mod target;
pub mod template;
pub mod validate;

pub use event::{Event, SourceKind};
pub use ids::{SourceId, TargetId};
pub use secret::Secret;
pub use source::{Source, SourceAuth};
pub use target::Target;
