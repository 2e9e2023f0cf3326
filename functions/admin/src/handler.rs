//! Bearer-token auth and routing for `/admin/...`; every answer is JSON, errors `{"error", "field"?}`.

use herald_app::admin::{Admin, AdminError};
use herald_domain::Secret;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

fn authorized(request: &Request, token: &Secret) -> bool {
    // A token too short to be one (empty, by a misconfiguration) opens nothing, whoever built the handler.
    if token.expose().trim().chars().count() < herald_aws::settings::MIN_ADMIN_TOKEN {
        return false;
    }
    let given = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or("");
    // Hashing first makes the comparison constant-time whatever the lengths.
    Sha256::digest(given.trim().as_bytes()).ct_eq(&Sha256::digest(token.expose().as_bytes())).into()
}

pub async fn handle(admin: &Admin, token: &Secret, request: Request) -> Result<Response<Body>, Error> {
    let method = request.method().clone();
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let (status, body) = if !authorized(&request, token) {
        (StatusCode::UNAUTHORIZED, json!({"error": "missing or wrong admin token (Authorization: Bearer <token>)"}))
    } else {
        match route(admin, &request, &method, &path).await {
            Ok(answer) => answer,
            Err(e) => {
                if e.status() >= 500 {
                    tracing::error!(error = %e, %method, path, "admin request failed");
                }
                (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.body())
            }
        }
    };
    tracing::info!(%method, path, status = status.as_u16(), "admin request");
    let body = if status == StatusCode::NO_CONTENT { Body::Empty } else { Body::Text(body.to_string()) };
    Ok(Response::builder().status(status).header("content-type", "application/json").body(body)?)
}

fn json_body(request: &Request) -> Result<Option<Value>, AdminError> {
    let bytes = request.body().as_ref();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| AdminError::Invalid { field: "body".into(), message: format!("body is not valid JSON: {e}") })
}

fn required(body: Option<Value>) -> Result<Value, AdminError> {
    body.ok_or_else(|| AdminError::Invalid { field: "body".into(), message: "a JSON body is required".into() })
}

/// `If-Match: "3"` (or `3`, or `W/"3"`): the target version a PUT replaces.
fn if_match(request: &Request) -> Result<Option<u64>, AdminError> {
    let Some(value) = request.headers().get("if-match") else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim().trim_start_matches("W/").trim_matches('"');
    text.parse().map(Some).map_err(|_| AdminError::Invalid {
        field: "If-Match".into(),
        message: "give the version you read, e.g. If-Match: \"3\"".into(),
    })
}

async fn route(
    admin: &Admin,
    request: &Request,
    method: &Method,
    path: &str,
) -> Result<(StatusCode, Value), AdminError> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let body = json_body(request)?;
    let ok = |v: Value| Ok((StatusCode::OK, v));
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["admin", "sources"]) => ok(admin.list_sources().await?),
        ("POST", ["admin", "sources"]) => {
            let mut created = admin.create_source(required(body)?).await?;
            if let (Some(host), Some(p)) =
                (request.headers().get("host").and_then(|h| h.to_str().ok()), created["path"].as_str())
            {
                created["url"] = json!(format!("https://{host}{p}"));
            }
            Ok((StatusCode::CREATED, created))
        }
        ("GET", ["admin", "sources", id]) => ok(admin.get_source(id).await?),
        ("PATCH", ["admin", "sources", id]) => ok(admin.update_source(id, required(body)?).await?),
        ("DELETE", ["admin", "sources", id]) => {
            admin.delete_source(id).await.map(|()| (StatusCode::NO_CONTENT, Value::Null))
        }
        ("GET", ["admin", "targets"]) => ok(admin.list_targets().await?),
        ("POST", ["admin", "targets"]) => Ok((StatusCode::CREATED, admin.create_target(required(body)?).await?)),
        ("GET", ["admin", "targets", id]) => ok(admin.get_target(id).await?),
        ("PUT", ["admin", "targets", id]) => ok(admin.update_target(id, required(body)?, if_match(request)?).await?),
        ("DELETE", ["admin", "targets", id]) => {
            admin.delete_target(id).await.map(|()| (StatusCode::NO_CONTENT, Value::Null))
        }
        ("POST", ["admin", "targets", id, "test"]) => ok(admin.test(id).await?),
        ("POST", ["admin", "targets", id, "preview"]) => ok(admin.preview(id, body).await?),
        ("GET", ["admin", "targets", id, "status"]) => ok(admin.status(id).await?),
        ("POST", ["admin", "targets", id, "replay"]) => ok(admin.replay(id).await?),
        ("GET", ["admin", "targets", id, "rejected"]) => ok(admin.rejected(id).await?),
        ("POST", ["admin", "targets", id, "rejected", "replay"]) => ok(admin.replay_rejected(id, None).await?),
        ("POST", ["admin", "targets", id, "rejected", delivery, "replay"]) => {
            ok(admin.replay_rejected(id, Some(delivery)).await?)
        }
        ("DELETE", ["admin", "targets", id, "rejected"]) => ok(admin.discard_rejected(id, None).await?),
        ("DELETE", ["admin", "targets", id, "rejected", delivery]) => {
            ok(admin.discard_rejected(id, Some(delivery)).await?)
        }
        ("GET", ["admin", "dead-letters"]) => ok(admin.dead_letters().await?),
        ("POST", ["admin", "dead-letters", "redrive"]) => ok(admin.redrive().await?),
        _ => Ok((StatusCode::NOT_FOUND, json!({"error": format!("no route {method} {path}")}))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(auth: Option<&str>) -> Request {
        let mut request = Request::new(Body::Empty);
        if let Some(auth) = auth {
            request.headers_mut().insert("authorization", auth.parse().unwrap());
        }
        request
    }

    #[test]
    fn an_empty_or_short_configured_token_never_authorizes() {
        for configured in ["", " ", "x", "fifteen-chars!!"] {
            let token = Secret::new(configured);
            assert!(!authorized(&request(Some(&format!("Bearer {configured}"))), &token), "{configured:?}");
            assert!(!authorized(&request(Some("Bearer ")), &token));
            assert!(!authorized(&request(None), &token));
        }
        let token = Secret::new("a-long-enough-admin-token");
        assert!(authorized(&request(Some("Bearer a-long-enough-admin-token")), &token));
        assert!(!authorized(&request(Some("Bearer a-long-enough-admin-tokeN")), &token));
    }
}
