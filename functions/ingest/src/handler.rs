//! API Gateway request → [`Ingest`] → one-line JSON answer.

use herald_app::ingest::{Ingest, IngestError, IngestRequest};
use herald_aws::metrics::Metrics;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::json;

pub async fn handle(ingest: &Ingest, request: Request) -> Result<Response<Body>, Error> {
    let mut metrics = Metrics::default();
    let response = respond(ingest, request, &mut metrics).await;
    metrics.emit("ingest");
    response
}

/// [`handle`], adding the webhook's outcome to `metrics`: accepted (by source kind), or refused by reason.
pub async fn respond(ingest: &Ingest, request: Request, metrics: &mut Metrics) -> Result<Response<Body>, Error> {
    let path_params = request.path_parameters();
    // API Gateway names the source in a path parameter; a Function URL (HookFrontDoor=FunctionUrl)
    // passes the whole path, which must be /hooks/<source_id>.
    let source_id = match path_params.first("source_id") {
        Some(id) => id.to_owned(),
        None => match request.uri().path().strip_prefix("/hooks/").map(|id| id.trim_end_matches('/')) {
            Some(id) if !id.is_empty() && !id.contains('/') => id.to_owned(),
            _ => {
                metrics.count("Webhooks", &[("Outcome", "no_route")]);
                return reply(StatusCode::NOT_FOUND, json!({"error": "webhooks go to /hooks/<source_id>"}));
            }
        },
    };
    let query = query_pairs(&request);
    let result = ingest
        .handle(IngestRequest {
            source_id: &source_id,
            method: request.method(),
            headers: request.headers(),
            query: &query,
            body: request.body().as_ref(),
        })
        .await;
    match result {
        Ok(accepted) => {
            let kind = accepted.source_kind.map_or("unknown", |k| k.as_str());
            if accepted.duplicate {
                metrics.count("Webhooks", &[("SourceKind", kind), ("Outcome", "duplicate")]);
            } else if !accepted.counted_on_delivery {
                // Routed to no target (or queued again after an earlier attempt failed): no
                // delivery carries its count to the deliver function's line.
                metrics.count("WebhooksAccepted", &[("SourceKind", kind)]);
            }
            if accepted.unlogged {
                metrics.count("ActivityLogMisses", &[]);
            }
            let status = if accepted.duplicate { StatusCode::OK } else { StatusCode::ACCEPTED };
            reply(status, json!(accepted))
        }
        Err(e) => {
            metrics.count("Webhooks", &[("Outcome", refusal(&e))]);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                tracing::error!(error = %e, error_source = ?std::error::Error::source(&e), source_id, "ingest failed");
            } else {
                tracing::info!(%status, reason = %e.reason(), source_id, "webhook refused");
            }
            reply(status, json!({"error": e.public_message()}))
        }
    }
}

/// The `Outcome` dimension of a refused webhook: why, in a word.
fn refusal(e: &IngestError) -> &'static str {
    match e {
        IngestError::UnknownSource | IngestError::Unauthorized(_) => "unauthorized",
        IngestError::MethodNotAllowed(_) => "method_not_allowed",
        IngestError::TooLarge { .. } | IngestError::TooLargeQueued(_) => "too_large",
        IngestError::BadBody(_) => "bad_body",
        IngestError::InProgress => "in_progress",
        IngestError::Store(_) | IngestError::Queue(_) => "error",
    }
}

/// The URL's query in order, decoded: from the raw query string when the request has one (API
/// Gateway's parsed parameters lose the order and repeated keys), else from the parsed ones.
fn query_pairs(request: &Request) -> Vec<(String, String)> {
    match request.uri().query().filter(|q| !q.is_empty()) {
        Some(raw) => url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect(),
        None => {
            let parsed = request.query_string_parameters();
            let mut pairs: Vec<(String, String)> = parsed.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            pairs.sort();
            pairs
        }
    }
}

fn reply(status: StatusCode, body: serde_json::Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use herald_app::testing::{FixedClock, MemoryQueue, MemoryStore};
    use herald_domain::source::SourceAuth;
    use herald_domain::{Source, SourceId, SourceKind};

    use super::*;
    use lambda_http::http::Method;

    fn ingest() -> (Arc<MemoryQueue>, Ingest) {
        let (queue, ingest, _) = ingest_and_store();
        (queue, ingest)
    }

    fn ingest_and_store() -> (Arc<MemoryQueue>, Ingest, Arc<MemoryStore>) {
        let source =
            Source::new(SourceId::parse("ombi").unwrap(), SourceKind::Ombi, SourceAuth::token("ombi-demo-token"));
        let target = serde_json::from_value(json!({"id": "t", "name": "T", "url": "https://t.example"})).unwrap();
        let store = MemoryStore::new(vec![source], vec![target]);
        let queue = Arc::new(MemoryQueue::default());
        let ingest = Ingest {
            sources: store.clone(),
            targets: store.clone(),
            log: store.clone(),
            queue: queue.clone(),
            health: store.clone(),
            ids: Arc::new(herald_app::testing::SequentialIds),
            health_throttle: Default::default(),
            refusals: Default::default(),
            clock: FixedClock::at(chrono::DateTime::UNIX_EPOCH),
            dedupe_window: Duration::from_secs(60),
            dedupe_lease: Duration::from_secs(30),
            retention: Duration::from_secs(3600),
        };
        (queue, ingest, store)
    }

    fn event(name: &str) -> Request {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/");
        lambda_http::request::from_str(&std::fs::read_to_string(format!("{path}{name}")).unwrap()).unwrap()
    }

    async fn answer(ingest: &Ingest, request: Request) -> (u16, serde_json::Value) {
        let response = handle(ingest, request).await.unwrap();
        (response.status().as_u16(), serde_json::from_slice(response.body().as_ref()).unwrap())
    }

    #[tokio::test]
    async fn api_gateway_event_is_accepted_with_202() {
        let (queue, ingest, store) = ingest_and_store();
        let (status, body) = answer(&ingest, event("ingest-ombi-tv-new-request.json")).await;
        assert_eq!(status, 202);
        assert_eq!(body["deliveries"], 1);
        assert_eq!(body["event_id"].as_str(), Some(queue.sent()[0].event.id.to_string().as_str()));
        let (status, _) = answer(&ingest, event("ingest-ombi-tv-new-request.json")).await;
        assert_eq!(status, 503, "while the first attempt's deliveries are not handled yet");
        store.handled(&queue);
        let (status, body) = answer(&ingest, event("ingest-ombi-tv-new-request.json")).await;
        assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    }

    #[tokio::test]
    async fn a_function_url_path_other_than_hooks_id_is_not_found() {
        let (queue, ingest) = ingest();
        for path in ["/ombi", "/x/ombi", "/hooks/", "/hooks/ombi/extra"] {
            let mut request = Request::new(Body::from(herald_domain::sample::OMBI_REQUEST_AVAILABLE));
            *request.method_mut() = Method::POST;
            *request.uri_mut() = format!("https://h.example{path}?token=ombi-demo-token").parse().unwrap();
            assert_eq!(answer(&ingest, request).await.0, 404, "{path}");
        }
        assert!(queue.sent().is_empty());
    }

    /// CloudWatch Logs bills what the functions write. An accepted webhook writes nothing at the
    /// default level: no line of its own, and its count rides on a delivery to the deliver
    /// function's shared metrics line (goal: at most 150 bytes a webhook, all told).
    #[tokio::test]
    async fn an_accepted_webhook_writes_nothing_at_the_default_level() {
        let (captured, _guard) = herald_aws::telemetry::capture_logs("info");
        let (queue, ingest) = ingest();
        let mut metrics = Metrics::default();
        let response = respond(&ingest, event("ingest-ombi-tv-new-request.json"), &mut metrics).await.unwrap();
        assert_eq!(response.status().as_u16(), 202);
        assert_eq!(captured.bytes(), 0, "no line of its own: {}", captured.text());
        assert!(metrics.is_empty(), "no metrics line: {:?}", metrics.lines("ingest", 0));
        assert_eq!(queue.sent().iter().filter(|d| d.counts_webhook).count(), 1, "its count is on a delivery");
        // A refusal does log, at the level that is meant to be read.
        let mut wrong = event("ingest-ombi-tv-new-request.json");
        wrong.headers_mut().insert("access-token", "not-the-token".parse().unwrap());
        respond(&ingest, wrong, &mut metrics).await.unwrap();
        assert!(captured.bytes() > 0 && !captured.text().contains("not-the-token"), "{}", captured.text());
    }

    #[tokio::test]
    async fn each_webhook_ingest_answers_for_is_an_emf_metric_by_kind_or_refusal() {
        let (queue, ingest, store) = ingest_and_store();
        let mut metrics = Metrics::default();
        for _ in 0..2 {
            respond(&ingest, event("ingest-ombi-tv-new-request.json"), &mut metrics).await.unwrap();
            store.handled(&queue);
        }
        // Routed to no target: no delivery carries its count, so ingest writes it.
        store.targets.lock().unwrap().clear();
        let mut other = event("ingest-ombi-tv-new-request.json");
        *other.body_mut() = Body::from(herald_domain::sample::OMBI_REQUEST_AVAILABLE);
        respond(&ingest, other, &mut metrics).await.unwrap();
        let mut wrong = event("ingest-ombi-tv-new-request.json");
        wrong.headers_mut().insert("access-token", "not-the-token".parse().unwrap());
        respond(&ingest, wrong, &mut metrics).await.unwrap();
        let mut log = Vec::new();
        metrics.write("ingest", 0, &mut log);
        let text = String::from_utf8(log).unwrap();
        let docs: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let find = |outcome: &str| docs.iter().find(|d| d["Outcome"] == outcome).cloned().unwrap_or_default();
        let accepted = docs.iter().find(|d| d.get("WebhooksAccepted").is_some()).cloned().unwrap_or_default();
        assert_eq!(
            (accepted["WebhooksAccepted"].as_f64(), accepted["SourceKind"].as_str()),
            (Some(1.0), Some("ombi")),
            "only the unrouted one: {text}"
        );
        assert_eq!(find("duplicate")["Webhooks"], 1.0);
        assert_eq!(find("unauthorized")["Webhooks"], 1.0, "{text}");
        assert_eq!(
            find("unauthorized")["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Outcome"]])
        );
        assert!(!text.contains("ombi-demo-token") && !text.contains("not-the-token"), "no credential in a metric");
    }

    #[tokio::test]
    async fn token_in_the_query_and_source_from_the_path_without_parameters() {
        let (_, ingest) = ingest();
        let mut request = Request::new(Body::from(herald_domain::sample::OMBI_REQUEST_AVAILABLE));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = "https://h.example/hooks/ombi?token=ombi-demo-token".parse().unwrap();
        assert_eq!(answer(&ingest, request).await.0, 202);
    }

    #[tokio::test]
    async fn other_methods_are_refused_and_errors_are_json() {
        let (queue, ingest) = ingest();
        let mut request = event("ingest-ombi-tv-new-request.json");
        *request.method_mut() = Method::DELETE;
        let (status, body) = answer(&ingest, request).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (405, Some("webhooks are sent with POST, PUT, PATCH or GET, not DELETE"))
        );
        let mut request = event("ingest-ombi-tv-new-request.json");
        request.headers_mut().remove("access-token");
        let (status, body) = answer(&ingest, request).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("missing or wrong credential for this source")));
        assert!(queue.sent().is_empty());
    }
}
