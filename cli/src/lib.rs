//! `herald`: configure and inspect Herald through its admin API. Human tables by default, `--json`
//! for scripts.

mod activity;
mod api;
mod commands;
mod render;
mod sources;
mod targets;

pub use commands::{Cli, Output, completions, run};
pub use render::printable;
