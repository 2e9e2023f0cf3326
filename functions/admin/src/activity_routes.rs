//! The activity log's routes: events and deliveries, newest first, with the same filters as the
//! CLI and the page (`?source=&target=&outcome=&name=&q=&id=&since=&until=&before=&limit=`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use herald_app::admin::views::Count;
use herald_app::admin::views::{ActivityFilter, DeliveryPage, DeliveryView, EventPage, EventView};
use herald_domain::activity::Refusal;
use serde::Deserialize;

use crate::router::{AdminState, Answer, parsed};

pub(crate) fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/events", get(events))
        .route("/admin/events/{id}", get(event))
        .route("/admin/deliveries", get(deliveries))
        .route("/admin/deliveries/{id}", get(delivery))
        .route("/admin/deliveries/{id}/replay", post(replay_delivery))
        .route("/admin/targets/{id}/recover", post(recover))
        .route("/admin/sources/{id}/refused", get(refused))
}

async fn events(
    State(s): State<AdminState>,
    query: Result<Query<ActivityFilter>, QueryRejection>,
) -> Answer<EventPage> {
    Ok(Json(s.admin.events(&parsed(query, "query")?).await?))
}

async fn event(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<EventView> {
    Ok(Json(s.admin.event(&id).await?))
}

async fn deliveries(
    State(s): State<AdminState>,
    query: Result<Query<ActivityFilter>, QueryRejection>,
) -> Answer<DeliveryPage> {
    Ok(Json(s.admin.deliveries(&parsed(query, "query")?).await?))
}

async fn delivery(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<DeliveryView> {
    Ok(Json(s.admin.delivery(&id).await?))
}

async fn replay_delivery(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<Count> {
    Ok(Json(s.admin.replay_delivery(&id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Since {
    since: DateTime<Utc>,
}

/// Everything the target's receiver rejected since `?since=` (RFC 3339), sent again.
async fn recover(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    query: Result<Query<Since>, QueryRejection>,
) -> Answer<Count> {
    let Since { since } = parsed(query, "since")?;
    Ok(Json(s.admin.replay_failed_since(&id, since).await?))
}

/// What the source's URL refused (up to 100, newest first), for the activity log's retention.
async fn refused(State(s): State<AdminState>, Path(id): Path<String>) -> Answer<Vec<Refusal>> {
    Ok(Json(s.admin.refused(&id, 100).await?))
}
