//! An SDK interceptor that makes chosen AWS calls fail, at a seeded rate, the way the network and
//! the services do: refused before anything was sent (throttling, a 5xx), or lost after the request
//! went out (a timeout: the service may well have done the work). The errors reach Herald's own
//! handling (the SDK does not retry an interceptor's error), which is what they are here to test.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Where a fault strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// Refused before sending: nothing happened at the service.
    Throttled,
    ServerError,
    /// The answer was lost after sending: the call may or may not have taken effect.
    TimedOut,
}

#[derive(Debug)]
struct State {
    /// xorshift64*: reproducible from the seed, with no dependency.
    rng: u64,
    per_million: u64,
    /// `(service, operation)`s to strike; empty means every one.
    only: Vec<(String, String)>,
    injected: BTreeMap<(String, String, Fault), u64>,
}

/// Cheap to clone; every clone shares the seed's sequence and the count.
#[derive(Clone, Debug)]
pub struct Faults(Arc<Mutex<State>>);

impl Faults {
    /// Each attempt fails with probability `rate` (0 to 1), the kind drawn from the same sequence.
    pub fn new(seed: u64, rate: f64) -> Self {
        let per_million = (rate.clamp(0.0, 1.0) * 1_000_000.0) as u64;
        Self(Arc::new(Mutex::new(State { rng: seed.max(1), per_million, only: Vec::new(), injected: BTreeMap::new() })))
    }

    /// Only these operations, as `("DynamoDB", "PutItem")`.
    pub fn only(self, operations: &[(&str, &str)]) -> Self {
        self.0.lock().expect("lock").only =
            operations.iter().map(|(s, o)| ((*s).to_owned(), (*o).to_owned())).collect();
        self
    }

    /// `seed:rate`, e.g. `7:0.03` (herald-local's `HERALD_LOCAL_FAULTS`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (seed, rate) = text.split_once(':').ok_or_else(|| format!("{text:?}: expected seed:rate, e.g. 7:0.03"))?;
        let seed = seed.trim().parse::<u64>().map_err(|_| format!("{seed:?} is not a whole number"))?;
        let rate = rate.trim().parse::<f64>().ok().filter(|r| (0.0..=1.0).contains(r));
        let rate = rate.ok_or_else(|| "the rate must be a number from 0 to 1".to_owned())?;
        Ok(Self::new(seed, rate))
    }

    /// Faults injected so far, by `(service, operation, kind)`.
    pub fn injected(&self) -> BTreeMap<(String, String, Fault), u64> {
        self.0.lock().expect("lock").injected.clone()
    }

    pub fn total(&self) -> u64 {
        self.injected().values().sum()
    }

    fn strike(&self, cfg: &ConfigBag, at: &[Fault]) -> Result<(), BoxError> {
        let Some(meta) = cfg.load::<Metadata>() else { return Ok(()) };
        let mut s = self.0.lock().expect("lock");
        if !s.only.is_empty() && !s.only.iter().any(|(svc, op)| svc == meta.service() && op == meta.name()) {
            return Ok(());
        }
        s.rng ^= s.rng << 13;
        s.rng ^= s.rng >> 7;
        s.rng ^= s.rng << 17;
        let draw = s.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        // Half the rate before sending, half after: each hook gets its own share.
        if draw % 2_000_000 >= s.per_million {
            return Ok(());
        }
        let fault = at[(draw / 2_000_000) as usize % at.len()];
        *s.injected.entry((meta.service().to_owned(), meta.name().to_owned(), fault)).or_default() += 1;
        Err(format!("injected fault ({fault:?}) in {} {}", meta.service(), meta.name()).into())
    }
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.strike(cfg, &[Fault::Throttled, Fault::ServerError])
    }

    fn read_before_deserialization(
        &self,
        _: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.strike(cfg, &[Fault::TimedOut])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_parses_and_refuses_nonsense() {
        assert!(Faults::parse("7:0.03").is_ok());
        for bad in ["7", "x:0.1", "7:2", "7:-0.1", "7:lots"] {
            assert!(Faults::parse(bad).is_err(), "{bad}");
        }
    }
}
