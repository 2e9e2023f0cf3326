//! The HTTP side of herald-local, playing API Gateway: a webhook becomes the `lambda_http` request
//! the ingest function would get, with its path and query parameters; `/admin` is the admin
//! function's own axum router, served as-is.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use herald_app::admin::Admin;
use herald_app::ingest::Ingest;
use herald_domain::Secret;
use lambda_http::RequestExt;

/// Webhooks larger than this are cut off by API Gateway too (its payload limit is 10 MB; ours is 256 KiB).
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// What the routes call: the use cases behind the ingest and admin functions.
#[derive(Clone)]
pub struct Apps {
    pub ingest: Arc<Ingest>,
    pub admin: Arc<Admin>,
    pub admin_token: Secret,
}

pub fn router(apps: Apps) -> Router {
    let admin = herald_admin::router::router(apps.admin.clone(), apps.admin_token.clone());
    Router::new()
        .route("/hooks/{source_id}", any(hook))
        .route("/health", get(|| async { axum::Json(serde_json::json!({"ok": true})) }))
        .with_state(apps)
        .merge(admin)
}

/// Serves until the task is dropped; returns the bound address (port 0 picks one).
pub async fn serve(addr: SocketAddr, apps: Apps) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(apps);
    Ok((
        bound,
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }),
    ))
}

/// The request API Gateway would hand the function.
async fn to_lambda(request: Request) -> Result<lambda_http::Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_REQUEST_BYTES)
        .await
        .map_err(|_| (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response())?;
    let query: HashMap<String, String> =
        parts.uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let mut lambda_request = lambda_http::Request::new(lambda_http::Body::from(bytes.to_vec()));
    *lambda_request.method_mut() = parts.method;
    *lambda_request.uri_mut() = parts.uri;
    *lambda_request.headers_mut() = parts.headers;
    Ok(lambda_request.with_query_string_parameters(query))
}

fn from_lambda(result: Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>) -> Response {
    match result {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, Body::from(body.to_vec()))
        }
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn hook(State(apps): State<Apps>, Path(source_id): Path<String>, request: Request) -> Response {
    let lambda_request = match to_lambda(request).await {
        Ok(r) => r.with_path_parameters(HashMap::from([("source_id".to_owned(), source_id)])),
        Err(response) => return response,
    };
    from_lambda(herald_ingest::handler::handle(&apps.ingest, lambda_request).await)
}
