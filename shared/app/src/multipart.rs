//! `multipart/form-data` webhooks (Plex, Emby's form option): one part is the JSON event; the
//! others (a poster thumbnail) are read past and never kept, stored or relayed.

use std::convert::Infallible;

use bytes::Bytes;
use multer::{Constraints, Multipart, SizeLimit};

use herald_domain::adapters::NormalizeError;

/// The most a multipart webhook may be, its attachments included: Plex's posters are tens of KB,
/// and a Lambda request body must stay under 6 MB once base64-encoded.
pub const MAX_MULTIPART_BYTES: usize = 4 * 1024 * 1024;

/// Whether a request's `Content-Type` says multipart/form-data.
pub fn is_multipart(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The bytes of the part named `part`, at most `max_part` of them.
pub async fn json_part(
    content_type: &str,
    body: &[u8],
    part: &str,
    max_part: usize,
) -> Result<Vec<u8>, NormalizeError> {
    let bad = |why: String| NormalizeError::Multipart(format!("multipart body: {why}"));
    let boundary = multer::parse_boundary(content_type).map_err(|_| bad("the Content-Type has no boundary".into()))?;
    let limits = SizeLimit::new().whole_stream(MAX_MULTIPART_BYTES as u64).for_field(part, max_part as u64);
    let stream = futures::stream::once(std::future::ready(Ok::<_, Infallible>(Bytes::copy_from_slice(body))));
    let mut multipart = Multipart::with_constraints(stream, boundary, Constraints::new().size_limit(limits));
    let mut found: Option<Bytes> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(bad(reason(&e, part, max_part))),
        };
        if field.name() != Some(part) {
            // An attachment: read past, bounded by the whole body's limit.
            continue;
        }
        if found.is_some() {
            return Err(bad(format!("two parts are named {part:?}; send the event once")));
        }
        found = Some(field.bytes().await.map_err(|e| bad(reason(&e, part, max_part)))?);
    }
    found.map(|b| b.to_vec()).ok_or_else(|| bad(format!("no part named {part:?} (the JSON event)")))
}

fn reason(e: &multer::Error, part: &str, max_part: usize) -> String {
    match e {
        multer::Error::FieldSizeExceeded { .. } => format!("the {part:?} part is over {max_part} bytes"),
        multer::Error::StreamSizeExceeded { .. } => format!("over {MAX_MULTIPART_BYTES} bytes"),
        multer::Error::IncompleteStream | multer::Error::IncompleteFieldData { .. } => {
            "it ends before its closing boundary".into()
        }
        multer::Error::IncompleteHeaders | multer::Error::ReadHeaderFailed(_) => {
            "a part's headers are malformed".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, content) in parts {
            out.extend_from_slice(
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
            out.extend_from_slice(content);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        out
    }

    #[tokio::test]
    async fn the_named_part_is_the_event_and_attachments_are_dropped() {
        let b = body(&[("payload", br#"{"event":"media.play"}"#), ("thumb", &[0xff, 0xd8, 0xff, 0xe0, 0, 1])]);
        assert_eq!(json_part(CT, &b, "payload", 1024).await.unwrap(), br#"{"event":"media.play"}"#);
        let first = body(&[("thumb", &[0xff; 300]), ("payload", b"{}")]);
        assert_eq!(json_part(CT, &first, "payload", 1024).await.unwrap(), b"{}");
    }

    #[tokio::test]
    async fn malformed_bodies_get_specific_errors() {
        let cases: [(&str, Vec<u8>, &str); 6] = [
            ("multipart/form-data", body(&[("payload", b"{}")]), "no boundary"),
            (CT, body(&[("thumb", b"x")]), "no part named \"payload\""),
            (CT, body(&[("payload", b"{}"), ("payload", b"{}")]), "two parts"),
            (CT, b"--XyZ\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n{}".to_vec(), "ends before"),
            (CT, body(&[("payload", &[b' '; 2000])]), "over 1024 bytes"),
            (CT, b"not multipart at all".to_vec(), "multipart body"),
        ];
        for (ct, b, expected) in cases {
            let e = json_part(ct, &b, "payload", 1024).await.unwrap_err().to_string();
            assert!(e.contains(expected), "{expected}: {e}");
        }
    }

    #[test]
    fn only_form_data_is_multipart() {
        assert!(is_multipart(Some("multipart/form-data; boundary=x")));
        assert!(is_multipart(Some("Multipart/Form-Data;boundary=x")));
        assert!(!is_multipart(Some("application/json")));
        assert!(!is_multipart(None));
    }
}
