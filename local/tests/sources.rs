//! Sources through the admin API against the emulator: a credential shown once, rotated with an
//! overlap, writes made over the version read, and a source created again starting afresh.

mod common;

use std::time::Duration;

use common::{WAIT, World, world};
use serde_json::{Value, json};

#[tokio::test]
async fn sources_are_created_with_a_credential_shown_once() {
    let w = world(json!({"sources": [{"id": "k", "kind": "kinescope", "token": "t"}]})).await;
    let (status, created) = w.admin("POST", "/admin/sources", Some(json!({"id": "ombi", "kind": "ombi"}))).await;
    assert_eq!(status, 201, "{created}");
    let token = created["credential"]["token"].as_str().unwrap().to_owned();
    assert_eq!(created["url"], w.running.url("/hooks/ombi"), "herald-local serves http: the URL says so");
    let body = herald_domain::sample::OMBI_REQUEST_AVAILABLE;
    assert_eq!(w.post("ombi", &[("access-token", &token)], body).await.0, 202, "the new token works");
    let (_, listed) = w.admin("GET", "/admin/sources", None).await;
    assert!(!listed.to_string().contains(&token), "shown only once");
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(w.admin("POST", "/admin/sources", Some(json!({"id": "ombi", "kind": "ombi"}))).await.0, 409);
    let (status, bad) = w.admin("POST", "/admin/sources", Some(json!({"id": "no/slash", "kind": "ombi"}))).await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("id")));
    let (_, hmac) = w.admin(
        "POST",
        "/admin/sources",
        Some(
            json!({"id": "kiosk", "kind": "generic", "auth": {"type": "hmac_hex", "header": "X-Kiosk-Signature-256"}}),
        ),
    )
    .await;
    assert_eq!(hmac["credential"]["header"], "X-Kiosk-Signature-256");
    assert_eq!(w.admin("DELETE", "/admin/sources/ombi", None).await.0, 204);
    assert_eq!(w.admin("DELETE", "/admin/sources/ombi", None).await.0, 404);
    // Ingest caches a source for HERALD_TARGET_CACHE_TTL (1 s here): gone within it, then told as a stranger is.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let status = w.post("ombi", &[("access-token", &token)], body).await.0;
        if status == 401 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "a deleted source still accepted after its cache TTL: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_rotated_source_credential_overlaps_then_the_old_one_is_refused() {
    // Ingest keeps each source for the cache's TTL: a second, so a rotation shows at once here.
    let w = common::world_with(json!({"sources": [{"id": "g", "kind": "generic", "token": "g-first-token"}]}), |o| {
        o.tuning.target_cache_ttl = Duration::from_millis(200);
    })
    .await;
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let post = |token: String| {
        let (w, n) = (&w, sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        // A new body each time: a repeat would be a duplicate (200), not a new event.
        async move {
            w.post("g", &[("authorization", &format!("Bearer {token}"))], format!(r#"{{"event": "x{n}"}}"#)).await.0
        }
    };
    let (status, rotated) = w.admin("POST", "/admin/sources/g/credential", None).await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["credential"]["token"].as_str().unwrap().to_owned();
    assert!(rotated["previous_until"].is_string(), "the old one's end is shown: {rotated}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(post("g-first-token".into()).await, 202, "the old token overlaps (24 h by default)");
    assert_eq!(post(second.clone()).await, 202, "the new token works at once");
    // A leaked credential: no overlap.
    let (_, again) = w.admin("POST", "/admin/sources/g/credential", Some(json!({"overlap_hours": 0}))).await;
    let third = again["credential"]["token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(post(second).await, 401, "with no overlap the replaced token is refused at once");
    assert_eq!(post("g-first-token".into()).await, 401, "and the first one long since");
    assert_eq!(post(third).await, 202);
    let (status, too_long) = w.admin("POST", "/admin/sources/g/credential", Some(json!({"overlap_hours": 1000}))).await;
    assert_eq!((status, too_long["field"].as_str()), (422, Some("overlap_hours")), "{too_long}");
}

/// A PATCH of a source with `If-Match`.
async fn patch_source(w: &World, id: &str, version: &str, body: Value) -> (u16, Value) {
    let request = w.http.patch(w.running.url(&format!("/admin/sources/{id}")));
    let response = request
        .bearer_auth(w.running.admin_token.expose())
        .header("if-match", version)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn source_writes_are_conditional_and_a_source_created_again_shares_no_dedupe_with_the_old() {
    let w =
        common::world_with(json!({"sources": []}), |o| o.tuning.target_cache_ttl = Duration::from_millis(200)).await;
    let create = || w.admin("POST", "/admin/sources", Some(json!({"id": "s", "kind": "generic"})));
    let (status, created) = create().await;
    assert_eq!((status, created["version"].as_u64()), (201, Some(1)), "{created}");

    // Two edits of the version both read: one is written, the other told to read again.
    let (a, b) = tokio::join!(
        patch_source(&w, "s", "\"1\"", json!({"summary": "A: {{event}}"})),
        patch_source(&w, "s", "\"1\"", json!({"summary": "B: {{event}}"}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let (_, read) = w.admin("GET", "/admin/sources/s", None).await;
    assert_eq!(read["version"], 2);
    let winner = if a.0 == 200 { "A: {{event}}" } else { "B: {{event}}" };
    assert_eq!(read["summary"], winner);
    // An edit made with the version read before a rotation does not bring the old credential back.
    let (_, rotated) = w.admin("POST", "/admin/sources/s/credential", Some(json!({"overlap_hours": 0}))).await;
    let token = rotated["credential"]["token"].as_str().unwrap().to_owned();
    let (status, stale) = patch_source(&w, "s", "\"2\"", json!({"summary": null})).await;
    assert_eq!(status, 409, "{stale}");
    assert!(stale["error"].as_str().unwrap().contains("version 3"), "{stale}");

    // Accepted, then a duplicate; deleted and created again, the same body is a new event.
    let send = |token: String| {
        let w = &w;
        async move {
            let deadline = std::time::Instant::now() + WAIT;
            loop {
                let (status, answer) = w
                    .post("s", &[("authorization", &format!("Bearer {token}"))], r#"{"event": "same"}"#.to_owned())
                    .await;
                // Ingest's copy of the source follows the table within its cache's TTL.
                if status != 401 || std::time::Instant::now() > deadline {
                    return (status, answer);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let (status, first) = send(token.clone()).await;
    assert_eq!(status, 202, "{first}");
    let (status, again) = send(token).await;
    assert_eq!((status, &again["event_id"]), (200, &first["event_id"]), "a repeat is a duplicate: {again}");
    assert_eq!(w.admin("DELETE", "/admin/sources/s", None).await.0, 204);
    let (_, recreated) = create().await;
    let (status, fresh) = send(recreated["credential"]["token"].as_str().unwrap().to_owned()).await;
    assert_eq!(status, 202, "the new source's first webhook is an event, not its predecessor's duplicate: {fresh}");
    assert_ne!(fresh["event_id"], first["event_id"]);
}
