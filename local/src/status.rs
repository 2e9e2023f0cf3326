//! `herald-local status`: each target's state, as the retry ladder sees it.

use std::fmt::Write as _;

use anyhow::Result;
use herald_app::ports::{StateStore, TargetStore};
use herald_aws::dynamodb::Table;

pub async fn report(table: &Table) -> Result<String> {
    let mut out = String::new();
    writeln!(
        out,
        "{:<20} {:<24} {:>8} {:<22} {:>6} {:>8}  last error",
        "target", "name", "failures", "next attempt", "parked", "expired"
    )?;
    for target in table.list_targets().await?.iter() {
        let s = table.get_state(&target.id).await?;
        let next = s.next_attempt_at.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
        let error =
            if s.failures == 0 && s.next_attempt_at.is_none() { "" } else { s.last_error.as_deref().unwrap_or("") };
        let state = if target.enabled { "" } else { " (disabled)" };
        writeln!(
            out,
            "{:<20} {:<24} {:>8} {:<22} {:>6} {:>8}  {}",
            target.id.as_str(),
            format!("{}{state}", target.name),
            s.failures,
            next,
            s.parked,
            s.parked_expired,
            error.chars().take(80).collect::<String>()
        )?;
    }
    Ok(out)
}
