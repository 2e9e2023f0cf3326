//! An SDK interceptor that writes down which AWS operations each function calls, so the template's
//! IAM policies can be checked against what the code really does (`scripts/check-iam`). herald-local
//! gives each function its own clients; with `HERALD_AWS_CALL_LOG` set, each appends
//! `<function> <service> <operation>` to that file the first time it calls an operation, and for a
//! DynamoDB write the partition key's shape (`TARGET#*`), for the policies' `dynamodb:LeadingKeys`.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Where herald-local's per-function clients write their operations, when set.
pub const CALL_LOG: &str = "HERALD_AWS_CALL_LOG";

#[derive(Clone, Debug)]
pub struct CallLog {
    function: &'static str,
    path: PathBuf,
    seen: Arc<Mutex<HashSet<String>>>,
}

impl CallLog {
    pub fn new(function: &'static str, path: PathBuf) -> Self {
        Self { function, path, seen: Arc::default() }
    }

    /// From `HERALD_AWS_CALL_LOG`, when set.
    pub fn from_env(function: &'static str) -> Option<Self> {
        std::env::var_os(CALL_LOG).map(|path| Self::new(function, PathBuf::from(path)))
    }
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(meta) = cfg.load::<Metadata>() else { return Ok(()) };
        let (service, operation) = (meta.service().to_owned(), meta.name().to_owned());
        let body = context.request().body().bytes().unwrap_or_default();
        let mut lines = vec![format!("{} {service} {operation}", self.function)];
        if service == "DynamoDB" {
            for shape in written_partitions(&operation, body) {
                lines.push(format!("{} {service} {operation} {shape}", self.function));
            }
        }
        for line in lines {
            if self.seen.lock().expect("lock").insert(line.clone()) {
                // One short line per write: appends from parallel test processes do not interleave.
                let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
                file.write_all(format!("{line}\n").as_bytes())?;
            }
        }
        Ok(())
    }
}

/// The partition keys a DynamoDB write touches, each as its shape: what follows a `#` becomes `*`.
fn written_partitions(operation: &str, body: &[u8]) -> Vec<String> {
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(body) else { return Vec::new() };
    let pk = |item: &serde_json::Value| item["PK"]["S"].as_str().map(shape);
    match operation {
        "PutItem" => pk(&request["Item"]).into_iter().collect(),
        "UpdateItem" | "DeleteItem" => pk(&request["Key"]).into_iter().collect(),
        "BatchWriteItem" => request["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|tables| tables.values())
            .filter_map(serde_json::Value::as_array)
            .flatten()
            .filter_map(|w| pk(&w["PutRequest"]["Item"]).or_else(|| pk(&w["DeleteRequest"]["Key"])))
            .collect(),
        _ => Vec::new(),
    }
}

fn shape(pk: &str) -> String {
    match pk.split_once('#') {
        Some((prefix, _)) => format!("{prefix}#*"),
        None => pk.to_owned(),
    }
}
