//! The retry ladder (DESIGN §5): how long a target waits after its n-th consecutive failure.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    rungs: Vec<Duration>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LadderError {
    #[error("the ladder needs at least one rung")]
    Empty,
    #[error("rung {0:?} is not a duration (use e.g. 30s, 15m, 1h)")]
    Rung(String),
    #[error("rung {0:?} must be longer than zero")]
    Zero(String),
}

impl Default for Ladder {
    /// 30 s, 15 min, 1 h, 4 h, then every 24 h, as Kino does.
    fn default() -> Self {
        Self { rungs: [30, 15 * 60, 3600, 4 * 3600, 24 * 3600].map(Duration::from_secs).to_vec() }
    }
}

impl Ladder {
    /// `30s,15m,1h,4h,24h`.
    pub fn parse(text: &str) -> Result<Self, LadderError> {
        let rungs = text
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| {
                let d = humantime::parse_duration(r).map_err(|_| LadderError::Rung(r.to_owned()))?;
                if d.is_zero() { Err(LadderError::Zero(r.to_owned())) } else { Ok(d) }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if rungs.is_empty() {
            return Err(LadderError::Empty);
        }
        Ok(Self { rungs })
    }

    /// The wait after `failures` consecutive failures (1-based); the last rung repeats.
    pub fn delay(&self, failures: u32) -> Duration {
        let index = (failures.max(1) as usize - 1).min(self.rungs.len() - 1);
        self.rungs[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ladder_is_kinos() {
        let l = Ladder::default();
        let mins: Vec<u64> = (1..=7).map(|n| l.delay(n).as_secs()).collect();
        assert_eq!(mins, [30, 900, 3600, 14_400, 86_400, 86_400, 86_400]);
        assert_eq!(Ladder::parse("30s,15m,1h,4h,24h").unwrap(), l);
    }

    #[test]
    fn parse_errors_name_the_rung() {
        assert_eq!(Ladder::parse(" , "), Err(LadderError::Empty));
        assert_eq!(Ladder::parse("1s,soon"), Err(LadderError::Rung("soon".into())));
        assert_eq!(Ladder::parse("0s"), Err(LadderError::Zero("0s".into())));
        assert_eq!(Ladder::parse("1s, 2s").unwrap().delay(9), Duration::from_secs(2));
    }
}
