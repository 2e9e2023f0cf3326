//! `herald`: configure and inspect Herald through its admin API. Human tables by default, `--json`
//! for scripts.

mod activity;
mod commands;
mod render;

pub use commands::{Cli, completions, run};
pub use render::printable;
