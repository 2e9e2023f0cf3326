//! AWS list prices and the cost model. Prices change: the table is dated, and every figure in
//! BENCHMARKS.md says which table it used.

/// us-east-1 list prices, on-demand, no free tier.
#[derive(Clone, Copy, Debug)]
pub struct Prices {
    pub as_of: &'static str,
    pub lambda_per_request: f64,
    pub lambda_per_gb_second_arm64: f64,
    /// API Gateway HTTP API, per request (up to 512 KiB).
    pub api_gateway_http_per_request: f64,
    /// SQS standard queue, per request, each 64 KiB chunk of payload billed as one request.
    pub sqs_per_request_chunk: f64,
    pub dynamodb_per_write_unit: f64,
    pub dynamodb_per_read_unit: f64,
    /// EventBridge Scheduler, per schedule invocation.
    pub scheduler_per_invocation: f64,
}

pub const PRICES: Prices = Prices {
    as_of: "2026-11-22",
    lambda_per_request: 0.20 / 1e6,
    lambda_per_gb_second_arm64: 0.000_013_333_4,
    api_gateway_http_per_request: 1.00 / 1e6,
    sqs_per_request_chunk: 0.40 / 1e6,
    dynamodb_per_write_unit: 0.625 / 1e6,
    dynamodb_per_read_unit: 0.125 / 1e6,
    scheduler_per_invocation: 1.00 / 1e6,
};

/// What a run used, in billing units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub lambda_invocations: f64,
    pub lambda_gb_seconds: f64,
    pub api_gateway_requests: f64,
    pub sqs_request_chunks: f64,
    pub dynamodb_write_units: f64,
    pub dynamodb_read_units: f64,
    pub scheduler_invocations: f64,
}

/// Dollars, by service.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    pub lambda: f64,
    pub api_gateway: f64,
    pub sqs: f64,
    pub dynamodb: f64,
    pub scheduler: f64,
}

impl Cost {
    pub fn total(&self) -> f64 {
        self.lambda + self.api_gateway + self.sqs + self.dynamodb + self.scheduler
    }

    pub fn scaled(&self, factor: f64) -> Cost {
        Cost {
            lambda: self.lambda * factor,
            api_gateway: self.api_gateway * factor,
            sqs: self.sqs * factor,
            dynamodb: self.dynamodb * factor,
            scheduler: self.scheduler * factor,
        }
    }
}

impl Usage {
    pub fn cost(&self, p: &Prices) -> Cost {
        Cost {
            lambda: self.lambda_invocations * p.lambda_per_request
                + self.lambda_gb_seconds * p.lambda_per_gb_second_arm64,
            api_gateway: self.api_gateway_requests * p.api_gateway_http_per_request,
            sqs: self.sqs_request_chunks * p.sqs_per_request_chunk,
            dynamodb: self.dynamodb_write_units * p.dynamodb_per_write_unit
                + self.dynamodb_read_units * p.dynamodb_per_read_unit,
            scheduler: self.scheduler_invocations * p.scheduler_per_invocation,
        }
    }
}

/// GB-seconds for `billed_ms` of a function configured with `memory_mb`.
pub fn gb_seconds(billed_ms: u64, memory_mb: u32) -> f64 {
    billed_ms as f64 / 1000.0 * f64::from(memory_mb) / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_of_each_costs_the_list_price() {
        let usage = Usage {
            lambda_invocations: 1e6,
            lambda_gb_seconds: 1e6,
            api_gateway_requests: 1e6,
            sqs_request_chunks: 1e6,
            dynamodb_write_units: 1e6,
            dynamodb_read_units: 1e6,
            scheduler_invocations: 1e6,
        };
        let cost = usage.cost(&PRICES);
        assert!((cost.lambda - (0.20 + 13.3334)).abs() < 1e-9);
        assert!((cost.api_gateway - 1.00).abs() < 1e-9);
        assert!((cost.sqs - 0.40).abs() < 1e-9);
        assert!((cost.dynamodb - 0.75).abs() < 1e-9);
        assert!((cost.scheduler - 1.00).abs() < 1e-9);
        assert!((cost.scaled(2.0).total() - 2.0 * cost.total()).abs() < 1e-9);
    }

    #[test]
    fn gb_seconds_follow_memory() {
        assert_eq!(gb_seconds(1000, 1024), 1.0);
        assert_eq!(gb_seconds(8, 128), 0.001);
    }
}
