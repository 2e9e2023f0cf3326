//! The multipart reader ingest uses for Plex's and Emby's form webhooks
//! (`herald_app::multipart::json_part`).
//!
//! Input: `part name NUL content`; the content goes into a well-formed body between an attachment
//! and a trailing part, and the reader must give it back exactly (or refuse it only for its size, or
//! because the content contains the boundary). The raw input is also read as a body of its own:
//! whatever comes back is at most the part limit and appears in that body as it was sent.

use herald_app::multipart::json_part;

use crate::input::Input;

const BOUNDARY: &str = "herald-fuzz-boundary";
const MAX_PART: usize = 2048;

fn body(name: &str, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let part = |out: &mut Vec<u8>, name: &str, content: &[u8]| {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    };
    part(&mut out, "thumb", b"\x89PNG not really");
    part(&mut out, name, content);
    part(&mut out, "trailer", b"x");
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

fn read(body: &[u8], part: &str) -> Result<Vec<u8>, String> {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    futures::executor::block_on(json_part(&content_type, body, part, MAX_PART)).map_err(|e| e.to_string())
}

pub fn multipart(data: &[u8]) {
    let mut input = Input::new(data);
    let name: String =
        String::from_utf8_lossy(input.until_nul()).chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect();
    let name =
        if name.is_empty() || ["thumb", "trailer"].contains(&name.as_str()) { "payload".to_owned() } else { name };
    let content = input.rest();

    let well_formed = body(&name, content);
    let holds_boundary = content.windows(BOUNDARY.len()).any(|w| w == BOUNDARY.as_bytes());
    // Content holding the boundary may end the part early: what comes back is then checked below.
    match read(&well_formed, &name) {
        Ok(got) if !holds_boundary => assert_eq!(got, content, "the part comes back as sent"),
        Ok(_) => {}
        Err(e) => assert!(
            holds_boundary || content.len() > MAX_PART,
            "a {}-byte part without the boundary was refused: {e}",
            content.len()
        ),
    }

    // Any bytes as a body: a refusal, or a part no larger than allowed, copied from the body.
    if let Ok(got) = read(data, &name) {
        assert!(got.len() <= MAX_PART, "{} bytes passed a {MAX_PART}-byte limit", got.len());
        assert!(got.is_empty() || data.windows(got.len()).any(|w| w == got.as_slice()), "a part not in the body");
    }
}
