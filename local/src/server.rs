//! The HTTP side of herald-local, playing API Gateway: each request becomes the `lambda_http`
//! request the ingest function would get, with its path and query parameters.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use herald_core::app::ingest::Ingest;
use lambda_http::RequestExt;

/// Webhooks larger than this are cut off by API Gateway too (its payload limit is 10 MB; ours is 256 KiB).
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

pub fn router(ingest: Arc<Ingest>) -> Router {
    Router::new()
        .route("/hooks/{source_id}", post(hook))
        .route("/health", get(|| async { axum::Json(serde_json::json!({"ok": true})) }))
        .with_state(ingest)
}

/// Serves until the task is dropped; returns the bound address (port 0 picks one).
pub async fn serve(
    addr: SocketAddr,
    ingest: Arc<Ingest>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(ingest);
    Ok((
        bound,
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }),
    ))
}

async fn hook(State(ingest): State<Arc<Ingest>>, Path(source_id): Path<String>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response(),
    };
    let query: HashMap<String, String> =
        parts.uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let mut lambda_request = lambda_http::Request::new(lambda_http::Body::from(bytes.to_vec()));
    *lambda_request.method_mut() = parts.method;
    *lambda_request.uri_mut() = parts.uri;
    *lambda_request.headers_mut() = parts.headers;
    let lambda_request = lambda_request
        .with_path_parameters(HashMap::from([("source_id".to_owned(), source_id)]))
        .with_query_string_parameters(query);
    match herald_ingest::handler::handle(&ingest, lambda_request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, Body::from(body.to_vec()))
        }
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
