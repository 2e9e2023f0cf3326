//! Human-readable output for each command.

use std::fmt::Write as _;

use serde_json::Value;

/// Text for a terminal: every control character but newline and tab (C0, DEL, C1: a stranger's
/// escape sequences in a receiver's answer or a sender's summary) is shown as `\u{1b}`, not obeyed.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<String>, out: &mut String| {
        let padded: Vec<String> = cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect(), &mut out);
    for row in rows {
        line(row, &mut out);
    }
    out
}

/// Each sender kind's events (chatty ones marked) with when each fires, then the presets.
pub fn catalog(v: &Value) -> String {
    let mut out = String::new();
    for kind in v["sources"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "{} ({})", s(&kind["kind"]), s(&kind["label"]));
        let rows: Vec<Vec<String>> = kind["events"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let chatty = match (e["chatty"].as_bool(), e.get("chatty_when")) {
                    (Some(true), _) => "chatty".to_owned(),
                    (_, Some(when)) => format!("chatty when {}", s(when)),
                    _ => String::new(),
                };
                vec![format!("  {}", s(&e["name"])), s(&e["fires_when"]), chatty]
            })
            .collect();
        if rows.is_empty() {
            out.push_str("  (the sender's own event names)\n");
        } else {
            out.push_str(&table(&["  event", "fires when", ""], rows));
        }
        out.push('\n');
    }
    let presets = v["presets"].as_array().into_iter().flatten();
    let rows = presets.map(|p| vec![s(&p["preset"]), s(&p["content_type"]), s(&p["limit"])]).collect();
    out.push_str(&table(&["preset", "content type", "limit"], rows));
    out
}

pub fn done(_: &Value) -> String {
    "done\n".into()
}

pub fn secret_rotated(v: &Value) -> String {
    let mut out = format!("target {}: new signing secret\nsecret:     {}\n", s(&v["id"]), s(&v["secret"]));
    match v["previous_until"].as_str() {
        Some(until) => {
            let _ = writeln!(
                out,
                "Until {until} each delivery carries both signatures: give the receiver the new secret before then."
            );
        }
        None => out.push_str("The old secret signs nothing from now on: give the receiver the new one now.\n"),
    }
    out.push_str("The secret is shown only now.\n");
    out
}

pub fn source_created(v: &Value) -> String {
    let c = &v["credential"];
    let mut out = format!(
        "source {} ({}) created\nURL:        {}\n",
        s(&v["id"]),
        s(&v["kind"]),
        s(v.get("url").unwrap_or(&v["path"]))
    );
    match c["type"].as_str() {
        Some("token") => {
            let _ = writeln!(
                out,
                "token:      {}  (send as Access-Token, Bearer, Basic password or ?token=)",
                s(&c["token"])
            );
        }
        Some("hmac_hex") => {
            let _ = writeln!(out, "secret:     {}  (sha256=<hex> in {})", s(&c["secret"]), s(&c["header"]));
        }
        _ => {
            let _ = writeln!(out, "secret:     {}  (Standard Webhooks)", s(&c["secret"]));
        }
    }
    out.push_str("The credential is shown only now.\n");
    out
}

pub fn sources(v: &Value) -> String {
    let rows = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            let accepted = &x["health"]["last_accepted"];
            let refused = &x["health"]["last_refused"];
            let last_accepted = if accepted.is_object() {
                format!("{} {}", s(&accepted["at"]), s(&accepted["event"]))
            } else {
                "never".into()
            };
            let last_refused = if refused.is_object() {
                format!("{} {}: {}", s(&refused["at"]), refused["status"], s(&refused["reason"]))
            } else {
                "never".into()
            };
            vec![s(&x["id"]), s(&x["kind"]), s(&x["auth"]["type"]), s(&x["path"]), last_accepted, last_refused]
        })
        .collect();
    table(&["ID", "KIND", "AUTH", "PATH", "LAST ACCEPTED", "LAST REFUSED"], rows)
}

/// One source: every setting, then its health.
pub fn source(v: &Value) -> String {
    let mut out = String::new();
    for (k, value) in v.as_object().into_iter().flatten().filter(|(k, _)| *k != "health") {
        let _ = writeln!(out, "{k:<19} {}", if value.is_string() { s(value) } else { value.to_string() });
    }
    let health = &v["health"];
    for (label, key) in [("last accepted", "last_accepted"), ("last refused", "last_refused")] {
        let shown = if health[key].is_object() { health[key].to_string() } else { "never".into() };
        let _ = writeln!(out, "{label:<19} {shown}");
    }
    out
}

pub fn targets(v: &Value) -> String {
    let rows = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let events =
                t["events"].as_array().map_or("(default)".into(), |e| e.iter().map(s).collect::<Vec<_>>().join(","));
            let enabled = if t["enabled"].as_bool() == Some(false) { "no" } else { "yes" };
            vec![s(&t["id"]), s(&t["name"]), s(&t["preset"]), s(&t["method"]), events, enabled.into()]
        })
        .collect();
    table(&["ID", "NAME", "PRESET", "METHOD", "EVENTS", "ENABLED"], rows)
}

pub fn target(v: &Value) -> String {
    let mut out = String::new();
    for (k, value) in v.as_object().into_iter().flatten() {
        let _ = writeln!(out, "{k:<17} {}", if value.is_string() { s(value) } else { value.to_string() });
    }
    out
}

pub fn test(v: &Value) -> String {
    let ms = s(&v["round_trip_ms"]);
    match (v["ok"].as_bool(), v["status"].as_u64()) {
        (Some(true), Some(status)) => format!("HTTP {status} in {ms} ms\n"),
        (_, Some(status)) => format!("HTTP {status} in {ms} ms: {}\n", s(&v["hint"])),
        _ => format!("{}: {}\n", s(&v["error"]), s(&v["hint"])),
    }
}

pub fn preview(v: &Value) -> String {
    let mut out = format!("{} {}\n", s(&v["method"]), s(&v["url"]));
    for (k, value) in v["headers"].as_object().into_iter().flatten() {
        let _ = writeln!(out, "{k}: {}", s(value));
    }
    let _ = writeln!(out, "\n{}", s(&v["body"]));
    out
}

pub fn status(v: &Value) -> String {
    let mut out = String::new();
    for key in [
        "failures",
        "holding",
        "next_attempt_at",
        "parked",
        "parked_expired",
        "rejected",
        "rejections_in_row",
        "last_status",
        "last_error",
        "last_success_at",
    ] {
        let _ = writeln!(out, "{key:<16} {}", s(&v[key]));
    }
    if let Some(failure) = v["last_failure"].as_object().filter(|f| f["recovered"] == true) {
        let _ =
            writeln!(out, "{:<16} {} ({}), recovered since", "last_failure", s(&failure["at"]), s(&failure["error"]));
    }
    out
}

pub fn replay(v: &Value) -> String {
    format!("replaying {} parked deliveries\n", s(&v["replaying"]))
}

pub fn rejected(v: &Value) -> String {
    let rows = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let why = format!("{} {}", s(&r["reason"]), r["response"].as_str().unwrap_or(""));
            vec![s(&r["delivery_id"]), s(&r["event"]), s(&r["rejected_at"]), why.trim().chars().take(80).collect()]
        })
        .collect();
    table(&["DELIVERY", "EVENT", "REJECTED AT", "WHY"], rows)
}

pub fn rejected_replayed(v: &Value) -> String {
    format!("replayed {} rejected deliveries\n", s(&v["replayed"]))
}

pub fn discarded(v: &Value) -> String {
    format!("discarded {} rejected deliveries\n", s(&v["discarded"]))
}

pub fn dead_letters(v: &Value) -> String {
    let rows = v["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| vec![s(&m["queue"]), s(&m["id"]), s(&m["receive_count"]), s(&m["summary"])])
        .collect();
    let mut out = table(&["QUEUE", "MESSAGE", "RECEIVES", "WHAT"], rows);
    let _ = writeln!(out, "{} in the deliveries DLQ, {} in the wakeups DLQ", s(&v["deliveries"]), s(&v["wakeups"]));
    out
}

pub fn redriven(v: &Value) -> String {
    format!("moved {} messages back to their queues\n", s(&v["redriven"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn test_results_read_like_kinos() {
        assert_eq!(test(&json!({"ok": true, "status": 204, "round_trip_ms": 143})), "HTTP 204 in 143 ms\n");
        let failed = json!({"ok": false, "status": 401, "round_trip_ms": 88, "hint": "your Authorization header is wrong, or the receiver rotated its URL: copy a fresh one"});
        assert_eq!(
            test(&failed),
            "HTTP 401 in 88 ms: your Authorization header is wrong, or the receiver rotated its URL: copy a fresh one\n"
        );
        let timeout = json!({"ok": false, "status": null, "round_trip_ms": 300, "error": "timed out after 300 ms", "hint": "no answer"});
        assert_eq!(test(&timeout), "timed out after 300 ms: no answer\n");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let hostile = "title\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\r\nnext\tcol";
        assert_eq!(printable(hostile), "title\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{d}\nnext\tcol");
    }

    #[test]
    fn tables_align() {
        let out = sources(&json!([{"id": "ombi", "kind": "ombi", "auth": {"type": "token"}, "path": "/hooks/ombi",
            "health": {"last_refused": {"at": "2026-11-23T10:00:00Z", "status": 401, "reason": "no credential"}}}]));
        assert_eq!(
            out,
            "ID    KIND  AUTH   PATH         LAST ACCEPTED  LAST REFUSED\n\
             ombi  ombi  token  /hooks/ombi  never          2026-11-23T10:00:00Z 401: no credential\n"
        );
    }
}
