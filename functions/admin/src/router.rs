//! The admin API as an axum [`Router`]: Lambda serves it through `lambda_http::run`, as
//! aws-lambda-rust-runtime's `http-axum` example does, and herald-local serves the same router
//! as-is. Bearer-token auth in front of every route (unknown ones too), every answer JSON, errors
//! `{"error", "field"?}` through [`ApiError`]'s `IntoResponse`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use herald_app::admin::inputs::{self, DraftPreview, PreviewInput, TargetInput};
use herald_app::admin::views::{
    Count, CreatedSource, DeadLettersView, PreviewView, RejectedView, SourceView, StatusView, TargetView, TestReport,
};
use herald_app::admin::{Admin, AdminError, ErrorBody, SourceSettings, parse_new_source};
use herald_aws::ssm::AdminToken;
use herald_domain::Secret;
use herald_domain::catalog::Catalog;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Clone)]
pub(crate) struct AdminState {
    pub(crate) admin: Arc<Admin>,
    token: Arc<AdminToken>,
}

/// What `GET /admin/ping` answers, with no token: the CLI's proof it talks to Herald's admin API.
pub const PING_SERVICE: &str = "herald-admin";

/// `token`: a [`Secret`] (fixed) or an [`AdminToken`] read from SSM and re-read after its TTL.
pub fn router(admin: Arc<Admin>, token: impl Into<AdminToken>) -> Router {
    let state = AdminState { admin, token: Arc::new(token.into()) };
    let api = Router::new()
        .route("/admin/sources", get(list_sources).post(create_source))
        .route("/admin/sources/{id}", get(get_source).patch(update_source).delete(delete_source))
        .route("/admin/targets", get(list_targets).post(create_target))
        .route("/admin/targets/{id}", get(get_target).put(update_target).delete(delete_target))
        .route("/admin/targets/{id}/test", post(test))
        .route("/admin/targets/{id}/preview", post(preview))
        .route("/admin/preview", post(preview_draft))
        .route("/admin/targets/{id}/status", get(status))
        .route("/admin/status", get(statuses))
        .route("/admin/targets/{id}/replay", post(replay))
        .route("/admin/targets/{id}/pause", post(pause))
        .route("/admin/targets/{id}/resume", post(resume))
        .route("/admin/targets/{id}/rejected", get(rejected).delete(discard_rejected))
        .route("/admin/targets/{id}/rejected/replay", post(replay_rejected))
        .route("/admin/targets/{id}/rejected/{delivery}", delete(discard_one_rejected))
        .route("/admin/targets/{id}/rejected/{delivery}/replay", post(replay_one_rejected))
        .route("/admin/catalog", get(catalog))
        .route("/admin/dead-letters", get(dead_letters))
        .route("/admin/dead-letters/redrive", post(redrive))
        .merge(crate::activity_routes::routes())
        .merge(crate::rotation_routes::routes())
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state);
    // The page holds no data, so it needs no token: it asks for one. Nor does the ping, which
    // tells the CLI it talks to Herald before it sends the token anywhere.
    let ping = Router::new().route("/admin/ping", get(|| async { Json(serde_json::json!({"service": PING_SERVICE})) }));
    let app = crate::page::routes().merge(ping).merge(api);
    // Outside the routing, which adds `Allow` to an answer for a method a path does not take even
    // when the guard refused it: a stranger learns no route map.
    let app = tower::ServiceExt::<Request>::map_response(app, hide_routes_from_strangers);
    Router::new().fallback_service(app)
}

fn hide_routes_from_strangers(mut response: Response) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        response.headers_mut().remove(axum::http::header::ALLOW);
    }
    response
}

/// A use case's refusal or failure as an answer; our own failures say nothing of their internals.
pub struct ApiError(AdminError);

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // HTTP's words for the use case's: the use case knows no status codes.
        let status = match self.0 {
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::Store(_) | AdminError::Schedule(_) | AdminError::Queue(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        if status.is_server_error() {
            tracing::error!(error = %self.0, "admin request failed");
        }
        (status, Json(self.0.body())).into_response()
    }
}

pub(crate) type Answer<T> = Result<Json<T>, ApiError>;

/// A JSON body as the use case's input type; a malformed one is a 422 naming the field at fault.
struct Input<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Input<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let input = read_json(request, state).await?.ok_or_else(|| invalid("a JSON body is required"))?;
        Ok(Self(input))
    }
}

/// Like [`Input`], but an empty body is the input's default.
pub(crate) struct OptionalInput<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalInput<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(read_json(request, state).await?.unwrap_or_default()))
    }
}

/// The body parsed as `T`; `None` when it is empty (or only whitespace).
async fn read_json<S: Send + Sync, T: DeserializeOwned>(request: Request, state: &S) -> Result<Option<T>, ApiError> {
    let bytes = Bytes::from_request(request, state).await.map_err(|e| invalid(&format!("could not read it: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Ok(Some(inputs::parse(&bytes)?))
}

pub(crate) fn invalid(message: &str) -> ApiError {
    ApiError(AdminError::Invalid { field: "body".into(), message: message.into() })
}

fn authorized(headers: &HeaderMap, token: &Secret) -> bool {
    // A token too short to be one (empty, by a misconfiguration) opens nothing, whoever built the router.
    if token.expose().trim().chars().count() < herald_aws::settings::MIN_ADMIN_TOKEN {
        return false;
    }
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or("");
    // Hashing first makes the comparison constant-time whatever the lengths.
    Sha256::digest(given.trim().as_bytes()).ct_eq(&Sha256::digest(token.expose().as_bytes())).into()
}

/// Before every route: the admin token; after it, one log line (never a header or a body).
async fn guard(State(state): State<AdminState>, request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let mut response = if authorized(request.headers(), &state.token.current().await) {
        next.run(request).await
    } else {
        let error =
            ErrorBody { error: "missing or wrong admin token (Authorization: Bearer <token>)".into(), field: None };
        (StatusCode::UNAUTHORIZED, Json(error)).into_response()
    };
    let headers = response.headers_mut();
    // Answers carry sources, targets and the activity log: no cache keeps them, no browser sniffs them.
    headers.insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    headers.insert(axum::http::header::X_CONTENT_TYPE_OPTIONS, axum::http::HeaderValue::from_static("nosniff"));
    tracing::info!(%method, path, status = response.status().as_u16(), "admin request");
    response
}

async fn no_route(request: Request) -> (StatusCode, Json<ErrorBody>) {
    let error = format!("no route {} {}", request.method(), request.uri().path());
    (StatusCode::NOT_FOUND, Json(ErrorBody { error, field: None }))
}

/// `If-Match: "3"` (or `3`, or `W/"3"`): the version a PUT (a target) or PATCH (a source) replaces.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("if-match") else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim().trim_start_matches("W/").trim_matches('"');
    text.parse().map(Some).map_err(|_| {
        ApiError(AdminError::Invalid {
            field: "If-Match".into(),
            message: "give the version you read, e.g. If-Match: \"3\"".into(),
        })
    })
}

async fn list_sources(State(s): State<AdminState>) -> Answer<Vec<SourceView>> {
    Ok(Json(s.admin.list_sources().await?))
}

async fn create_source(
    State(s): State<AdminState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedSource>), ApiError> {
    let (new, settings) = parse_new_source(&body)?;
    let mut created = s.admin.create_source(new, settings).await?;
    with_url(&mut created, &headers);
    Ok((StatusCode::CREATED, Json(created)))
}

/// The full ingest URL, from the host the request came to.
pub(crate) fn with_url(created: &mut CreatedSource, headers: &HeaderMap) {
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    if let Some(host) = header("host") {
        // API Gateway says https in X-Forwarded-Proto; herald-local serves plain http and says nothing.
        let scheme = header("x-forwarded-proto").filter(|p| matches!(*p, "http" | "https")).unwrap_or("http");
        let url = format!("{scheme}://{host}{}", created.source.path);
        created.at_url(url);
    }
}

async fn get_source(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<SourceView> {
    Ok(Json(s.admin.get_source(&id).await?))
}

async fn update_source(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Input(settings): Input<SourceSettings>,
) -> Answer<SourceView> {
    Ok(Json(s.admin.update_source(&id, settings, if_match(&headers)?).await?))
}

async fn delete_source(State(s): State<AdminState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.admin.delete_source(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_targets(State(s): State<AdminState>) -> Answer<Vec<TargetView>> {
    Ok(Json(s.admin.list_targets().await?))
}

async fn create_target(
    State(s): State<AdminState>,
    Input(input): Input<TargetInput>,
) -> Result<(StatusCode, Json<TargetView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.admin.create_target(input).await?)))
}

async fn get_target(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<TargetView> {
    Ok(Json(s.admin.get_target(&id).await?))
}

async fn update_target(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Input(input): Input<TargetInput>,
) -> Answer<TargetView> {
    Ok(Json(s.admin.update_target(&id, input, if_match(&headers)?).await?))
}

async fn delete_target(State(s): State<AdminState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.admin.delete_target(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    OptionalInput(input): OptionalInput<PreviewInput>,
) -> Answer<TestReport> {
    Ok(Json(s.admin.test(&id, input).await?))
}

async fn preview(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    OptionalInput(input): OptionalInput<PreviewInput>,
) -> Answer<PreviewView> {
    Ok(Json(s.admin.preview(&id, input).await?))
}

async fn preview_draft(State(s): State<AdminState>, Input(draft): Input<DraftPreview>) -> Answer<PreviewView> {
    Ok(Json(s.admin.preview_draft(draft).await?))
}

async fn status(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<StatusView> {
    Ok(Json(s.admin.status(&id).await?))
}

async fn replay(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<Count> {
    Ok(Json(s.admin.replay(&id).await?))
}

async fn statuses(State(s): State<AdminState>) -> Answer<std::collections::BTreeMap<String, StatusView>> {
    Ok(Json(s.admin.statuses().await?))
}

async fn pause(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<StatusView> {
    Ok(Json(s.admin.pause(&id).await?))
}

async fn resume(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<StatusView> {
    Ok(Json(s.admin.resume(&id).await?))
}

/// A query string that does not parse is a 422 naming `field` and what is wrong, like every other
/// bad input.
pub(crate) fn parsed<T>(query: Result<Query<T>, QueryRejection>, field: &str) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError(AdminError::Invalid { field: field.into(), message: e.body_text() }))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectedPage {
    after: Option<String>,
    limit: Option<usize>,
}

/// `?after=<delivery id>&limit=<n>`: the page after the one that ended with that delivery.
async fn rejected(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    query: Result<Query<RejectedPage>, QueryRejection>,
) -> Answer<Vec<RejectedView>> {
    let page = parsed(query, "query")?;
    Ok(Json(s.admin.rejected(&id, page.after.as_deref(), page.limit).await?))
}

async fn replay_rejected(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<Count> {
    Ok(Json(s.admin.replay_rejected(&id, None).await?))
}

async fn replay_one_rejected(
    State(s): State<AdminState>,
    Path((id, delivery)): Path<(String, String)>,
) -> Answer<Count> {
    Ok(Json(s.admin.replay_rejected(&id, Some(&delivery)).await?))
}

async fn discard_rejected(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<Count> {
    Ok(Json(s.admin.discard_rejected(&id, None).await?))
}

async fn discard_one_rejected(
    State(s): State<AdminState>,
    Path((id, delivery)): Path<(String, String)>,
) -> Answer<Count> {
    Ok(Json(s.admin.discard_rejected(&id, Some(&delivery)).await?))
}

async fn catalog(State(s): State<AdminState>) -> Answer<Catalog> {
    Ok(Json(s.admin.catalog()))
}

async fn dead_letters(State(s): State<AdminState>) -> Answer<DeadLettersView> {
    Ok(Json(s.admin.dead_letters().await?))
}

async fn redrive(State(s): State<AdminState>) -> Answer<Count> {
    Ok(Json(s.admin.redrive().await?))
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
