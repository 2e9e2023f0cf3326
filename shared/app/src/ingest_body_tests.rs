//! What a webhook's event is made of: a bodiless GET's query, and what pruning leaves of a body.

use super::*;

#[tokio::test]
async fn jellynext_get_query_is_the_event_and_its_token_is_no_field() {
    let w = world();
    let query = [("token", "secret-token"), ("tmdbId", "438631"), ("title", "Dune"), ("year", "2021")];
    let accepted = send(&w, &http::Method::GET, "jn", &HeaderMap::new(), &query, "").await.unwrap();
    assert_eq!(accepted.deliveries, 2, "discord's `when` does not narrow an event without a status");
    let event = &w.queue.sent()[0].event;
    assert_eq!(event.name, "download.movie");
    assert_eq!(event.fields["movie_id"], json!("438631"));
    assert!(!event.fields.contains_key("token") && !event.raw.get().contains("secret-token"));
    let err = send(&w, &http::Method::DELETE, "jn", &HeaderMap::new(), &query, "").await.unwrap_err();
    assert_eq!(err.status(), 405);
    let broken = r#"{"tmdbId": "1", "title": "Say "Hi"", "year": "2020"}"#;
    let err = send(&w, &http::Method::POST, "jn", &HeaderMap::new(), &query[..1], broken).await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.public_message().contains("line 1 column 32") && err.public_message().contains("JellyNext"));
}

#[tokio::test]
async fn a_kiosk_bodys_secrets_reach_no_queue_message() {
    let w = world();
    let body = json!({"meta": {"source": "immich-kiosk"}, "event": "user.like.info_overlay", "clientName": "pi",
        "assets": [{"id": "a1", "originalFileName": "IMG_1.jpg"}],
        "config": {"webhooks": [{"url": "https://h.example/hooks/kiosk", "secret": KIOSK_SECRET}],
                   "weather": {"locations": [{"API": "owm-key-0123456789"}]}},
        "note": format!("echoes {KIOSK_SECRET}")})
    .to_string();
    let mut headers = HeaderMap::new();
    let signature = herald_domain::signature::hex_signature(KIOSK_SECRET.as_bytes(), body.as_bytes());
    headers.insert("x-kiosk-signature-256", HeaderValue::from_str(&signature).unwrap());
    post(&w, "kiosk", &headers, &body).await.unwrap();
    let sent = w.queue.sent();
    let wire = sent[0].to_wire();
    for secret in [KIOSK_SECRET, "owm-key-0123456789", "webhooks"] {
        assert!(!wire.contains(secret), "{secret} in {wire}");
    }
    assert_eq!(sent[0].event.fields["summary"], json!("Kiosk pi: IMG_1.jpg was liked"));
}
