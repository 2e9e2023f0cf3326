//! Replacing a credential with an overlap: a source's (the sender keeps working with the old one
//! for a while) and a target's signing secret (deliveries carry both signatures for a while).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use herald_app::admin::RotatedSecret;
use herald_app::admin::views::CreatedSource;

use crate::router::{AdminState, Answer, OptionalInput, if_match, with_url};

pub(crate) fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/sources/{id}/credential", post(rotate_credential))
        .route("/admin/targets/{id}/secret", post(rotate_target_secret))
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Rotation {
    /// Hours the old credential stays accepted (default 24; 0: refused at once).
    overlap_hours: Option<u64>,
}

const DEFAULT_OVERLAP_HOURS: u64 = 24;

fn hours(h: u64) -> Duration {
    Duration::from_secs(h.saturating_mul(3600))
}

async fn rotate_credential(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    OptionalInput(rotation): OptionalInput<Rotation>,
) -> Answer<CreatedSource> {
    let overlap = hours(rotation.overlap_hours.unwrap_or(DEFAULT_OVERLAP_HOURS));
    let mut created = s.admin.rotate_credential(&id, overlap).await?;
    with_url(&mut created, &headers);
    Ok(Json(created))
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SecretRotation {
    /// Hours deliveries carry the old secret's signature too (default 24 for Standard Webhooks
    /// targets; a hex target takes only 0, its default).
    overlap_hours: Option<u64>,
    /// The new secret (default: generated in the target's scheme).
    secret: Option<String>,
}

async fn rotate_target_secret(
    State(s): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    OptionalInput(rotation): OptionalInput<SecretRotation>,
) -> Answer<RotatedSecret> {
    let overlap = rotation.overlap_hours.map(hours);
    Ok(Json(s.admin.rotate_target_secret(&id, overlap, rotation.secret, if_match(&headers)?).await?))
}
