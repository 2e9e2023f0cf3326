//! API Gateway request → [`Ingest`] → one-line JSON answer.

use herald_core::app::ingest::{Ingest, IngestRequest};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::json;

pub async fn handle(ingest: &Ingest, request: Request) -> Result<Response<Body>, Error> {
    if request.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, json!({"error": "webhooks must be POSTed"}));
    }
    let path_params = request.path_parameters();
    let source_id = match path_params.first("source_id") {
        Some(id) => id.to_owned(),
        None => request.uri().path().trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned(),
    };
    let query = request.query_string_parameters();
    let query_token = query.first("token").map(str::to_owned).or_else(|| {
        let raw = request.uri().query()?;
        url::form_urlencoded::parse(raw.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
    });
    let result = ingest
        .handle(IngestRequest {
            source_id: &source_id,
            headers: request.headers(),
            query_token: query_token.as_deref(),
            body: request.body().as_ref(),
        })
        .await;
    match result {
        Ok(accepted) if accepted.duplicate => reply(StatusCode::OK, json!(accepted)),
        Ok(accepted) => reply(StatusCode::ACCEPTED, json!(accepted)),
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                tracing::error!(error = %e, error_source = ?std::error::Error::source(&e), source_id, "ingest failed");
            } else {
                tracing::info!(%status, error = %e, source_id, "webhook refused");
            }
            reply(status, json!({"error": e.public_message()}))
        }
    }
}

fn reply(status: StatusCode, body: serde_json::Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))?)
}
