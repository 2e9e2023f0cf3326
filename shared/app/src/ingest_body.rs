//! What a webhook's event is: its JSON body, the JSON part of a multipart body, or a bodiless
//! request's query; and what its dedupe key is made of.

use serde_json::Value;

use herald_domain::adapters::{NormalizeError, parse_body};
use herald_domain::senders::BodyForm;
use herald_domain::{Source, SourceAuth, SourceKind};

use super::{IngestError, IngestRequest, MAX_BODY_BYTES};
use crate::multipart::{MAX_MULTIPART_BYTES, is_multipart, json_part};

/// The event's body and its dedupe material, within the size its form allows.
pub(super) async fn read_body(source: &Source, req: &IngestRequest<'_>) -> Result<(Value, KeyBody), IngestError> {
    let multipart = multipart_part(source, req)?;
    let limit = if multipart.is_some() { MAX_MULTIPART_BYTES } else { MAX_BODY_BYTES };
    if req.body.len() > limit {
        return Err(IngestError::TooLarge { bytes: req.body.len(), limit });
    }

    Ok(match multipart {
        Some((content_type, part)) => {
            let json = json_part(content_type, req.body, part, MAX_BODY_BYTES).await?;
            // A sender that put invalid UTF-8 in a name would not send it again: replaced, not refused.
            let body = match parse_body(source.kind, &json) {
                Err(NormalizeError::NotJson(_)) if std::str::from_utf8(&json).is_err() => {
                    parse_body(source.kind, String::from_utf8_lossy(&json).as_bytes())?
                }
                other => other?,
            };
            (body, KeyBody::Part(String::from_utf8_lossy(&json).into_owned()))
        }
        None => request_body(source, req)?,
    })
}

/// What the dedupe key is made of when the sender sends no delivery id.
pub(super) enum KeyBody {
    /// The body's bytes.
    Bytes,
    /// A bodiless request's fields, as JSON.
    Query(String),
    /// The JSON part of a multipart body (its attachments are not part of the event).
    Part(String),
}

/// The request's Content-Type and the name of its JSON part, when it is multipart and the sender
/// sends multipart.
fn multipart_part<'r>(
    source: &Source,
    req: &IngestRequest<'r>,
) -> Result<Option<(&'r str, &'static str)>, NormalizeError> {
    let content_type = req.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match (source.kind.sender().body, content_type) {
        (BodyForm::JsonOrMultipart { part }, Some(ct)) if is_multipart(Some(ct)) => Ok(Some((ct, part))),
        (BodyForm::Json, ct) if is_multipart(ct) => {
            let takers: Vec<&str> = SourceKind::ALL
                .iter()
                .filter(|k| matches!(k.sender().body, BodyForm::JsonOrMultipart { .. }))
                .map(|k| k.as_str())
                .collect();
            Err(NormalizeError::Multipart(format!(
                "a {} source takes a JSON body, not multipart/form-data (sources of kind {} take it)",
                source.kind.as_str(),
                takers.join(" or ")
            )))
        }
        _ => Ok(None),
    }
}

/// The event's body: the JSON body, or for JellyNext and generic sources with a token, a GET's
/// (or any bodiless request's) query parameters; their other query parameters fill in keys the
/// body lacks. `token` is never a field.
fn request_body(source: &Source, req: &IngestRequest<'_>) -> Result<(Value, KeyBody), IngestError> {
    let takes_query = source.kind.sender().query_is_event && matches!(source.auth, SourceAuth::Token { .. });
    let fields = || req.query.iter().filter(|(k, _)| k != "token" && !k.is_empty());
    let bodiless = req.body.iter().all(u8::is_ascii_whitespace);
    if takes_query && bodiless && fields().next().is_some() {
        let object: serde_json::Map<String, Value> =
            fields().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let object = Value::Object(object);
        let text = object.to_string();
        return Ok((object, KeyBody::Query(text)));
    }
    let mut body = parse_body(source.kind, req.body)?;
    if takes_query && let Value::Object(map) = &mut body {
        for (k, v) in fields() {
            map.entry(k.clone()).or_insert_with(|| Value::String(v.clone()));
        }
    }
    let key = if takes_query && fields().next().is_some() { KeyBody::Query(body.to_string()) } else { KeyBody::Bytes };
    Ok((body, key))
}
