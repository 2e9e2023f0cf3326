//! What a webhook carries can forge no duplicate and leak no secret, against the emulator and a
//! recording receiver: duplicate keys, a credential echoed in another encoding, a replayed request
//! with a fresh delivery id, and a preview that would sign a chosen body.

mod common;

use base64::Engine as _;
use common::{WAIT, World, world};
use serde_json::{Value, json};

const TOKEN: &str = "k-token-1234-abcd";

fn config() -> Value {
    json!({"sources": [{"id": "g", "kind": "generic", "token": TOKEN}],
           "targets": [{"id": "raw", "name": "Raw", "url": "{receiver}/raw", "events": ["g:*"],
                        "body": "{\"raw\": {{raw}}}"}]})
}

/// What `{{raw}}` forwarded (a JSON string in the target's JSON body).
fn raw(delivered: &herald_aws::testing::Recorded) -> Value {
    serde_json::from_str(delivered.json()["raw"].as_str().expect("raw is a string")).unwrap()
}

async fn post(w: &World, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    w.post("g", headers, body.to_owned()).await
}

#[tokio::test]
async fn a_body_with_a_key_twice_is_refused_and_nothing_travels() {
    let w = world(config()).await;
    let body = format!(r#"{{"event": "x", "note": "{TOKEN}", "note": "harmless"}}"#);
    let (status, answer) = post(&w, &[("access-token", TOKEN)], &body).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("\"note\" twice"), "{answer}");
    let (status, _) = post(&w, &[("access-token", TOKEN)], r#"{"event": "clean"}"#).await;
    assert_eq!(status, 202);
    let got = w.receiver.wait_for("/raw", 1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert!(!got[0].text().contains(TOKEN));
}

#[tokio::test]
async fn a_basic_auth_credential_echoed_in_any_form_is_not_relayed() {
    let w = world(config()).await;
    let blob = base64::engine::general_purpose::STANDARD.encode(format!("sonarr:{TOKEN}"));
    let basic = format!("Basic {blob}");
    let body = json!({"event": "grab", "title": "Dune", "echo": format!("Authorization: {basic}"),
        "upper": TOKEN.to_uppercase(), "percent": TOKEN.replace('-', "%2D"),
        "b64": base64::engine::general_purpose::STANDARD.encode(TOKEN), "keep": "me"})
    .to_string();
    let (status, answer) = post(&w, &[("authorization", &basic)], &body).await;
    assert_eq!(status, 202, "{answer}");
    let got = w.receiver.wait_for("/raw", 1, WAIT).await;
    assert_eq!(raw(&got[0]), json!({"event": "grab", "title": "Dune", "keep": "me"}));
}

#[tokio::test]
async fn a_replay_with_a_fresh_delivery_id_is_a_duplicate_and_a_genuine_webhook_is_never_suppressed() {
    let w = world(config()).await;
    let old = r#"{"event": "push", "n": 1}"#;
    let (status, _) = post(&w, &[("access-token", TOKEN), ("x-github-delivery", "d-1")], old).await;
    assert_eq!(status, 202);
    w.receiver.wait_for("/raw", 1, WAIT).await;
    // A captured request replayed with the sender's next id: the same body, a duplicate.
    let (status, answer) = w.post_again("g", &[("access-token", TOKEN), ("x-github-delivery", "d-2")], old).await;
    assert_eq!((status, answer["duplicate"].as_bool()), (200, Some(true)), "{answer}");
    // The genuine webhook that really carries d-2 goes through.
    let genuine = r#"{"event": "push", "n": 2}"#;
    let (status, answer) = post(&w, &[("access-token", TOKEN), ("x-github-delivery", "d-2")], genuine).await;
    assert_eq!(status, 202, "{answer}");
    let got = w.receiver.wait_for("/raw", 2, WAIT).await;
    assert_eq!(raw(&got[1])["n"], 2);
}

#[tokio::test]
async fn a_preview_never_shows_an_hmac_of_a_chosen_body_under_a_stored_secret() {
    let w = world(config()).await;
    let target = json!({"name": "Sig", "url": w.receiver.url("/sig"), "secret": "stored-secret-value",
        "signature": "hex", "signature_header": "User-Agent"});
    let (status, answer) = w.admin("POST", "/admin/targets", Some(target.clone())).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["field"], "headers", "{answer}");
    let (status, answer) = w.admin("POST", "/admin/preview", Some(json!({"target": target}))).await;
    assert_eq!(status, 422, "{answer}");
    assert!(!answer.to_string().contains("sha256="), "{answer}");
}

#[tokio::test]
async fn a_saved_targets_preview_of_a_chosen_body_shows_no_signature_under_its_stored_secret() {
    use hmac::{KeyInit as _, Mac as _};
    let w = world(config()).await;
    for (id, scheme, header, secret) in [
        ("hex", "hex", "X-Sig", "stored-secret-value-0123"),
        ("std", "standard", "webhook-signature", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ] {
        let mut target =
            json!({"id": id, "name": id, "url": w.receiver.url("/sig"), "secret": secret, "signature": scheme});
        if scheme == "hex" {
            target["signature_header"] = json!(header);
        }
        let (status, saved) = w.admin("POST", "/admin/targets", Some(target.clone())).await;
        assert_eq!(status, 201, "{saved}");
        // The saved target's preview of a webhook body of one's own, and a draft of it (its stored
        // secret kept) with a body template of one's own.
        let mut draft = target.clone();
        (draft["secret"], draft["body"]) = (json!("[redacted]"), json!(r#"{"an": "attacker's chosen body"}"#));
        let previews = [
            w.admin(
                "POST",
                &format!("/admin/targets/{id}/preview"),
                Some(json!({"body": {"event": "chosen", "an": "attacker's"}})),
            )
            .await,
            w.admin("POST", "/admin/preview", Some(json!({"target": draft}))).await,
        ];
        for (status, preview) in previews {
            assert_eq!(status, 200, "{preview}");
            let headers = preview["headers"].as_object().unwrap();
            let shown = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case(header)).map(|(_, v)| v.clone());
            assert_eq!(shown, Some(json!("[redacted]")), "{scheme}: {preview}");
            // No HMAC of the body it shows, under the stored secret, anywhere in the answer.
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(preview["body"].as_str().unwrap().as_bytes());
            let hex_mac = hex::encode(mac.finalize().into_bytes());
            let text = preview.to_string();
            assert!(!text.contains(&hex_mac) && !text.contains(secret) && !text.contains("v1,"), "{scheme}: {text}");
        }
    }
}
