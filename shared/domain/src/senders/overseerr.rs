//! Overseerr and Jellyseerr (and Seerr): the default JSON template, filled by `parseKeys` in
//! `server/lib/notifications/agents/webhook.ts` (`sct/overseerr` v1.34.0, `Fallenbagel/jellyseerr`
//! v2.3.0, the same template and keys in both); names from `server/lib/notifications/index.ts`.
//! Every value is a string; a missing `media`/`request`/`issue`/`comment` is `null`; the year is
//! only inside `subject` ("Inception (2010)"); seasons are in `extra`. The credential is the
//! `Authorization` header exactly as typed in its settings.

use serde_json::{Map, Value};

use super::{BodyForm, DefaultAuth, Sender, event};
use crate::event::flatten_map;
use crate::normalized::{Input, NormalizeError, Normalized, fill, object, text, with_detail};

pub const SENDER: Sender = Sender {
    label: "Overseerr / Jellyseerr",
    selectable: true,
    events: &[
        event("MEDIA_PENDING", "a user requests something and it waits for approval"),
        event("MEDIA_AUTO_APPROVED", "a request from a user with auto-approve is submitted"),
        event("MEDIA_APPROVED", "a request is approved"),
        event("MEDIA_DECLINED", "a request is declined"),
        event("MEDIA_FAILED", "an approved request could not be sent to Radarr or Sonarr"),
        event("MEDIA_AVAILABLE", "requested media becomes available"),
        event("ISSUE_CREATED", "a user reports an issue"),
        event("ISSUE_COMMENT", "someone replies on an issue"),
        event("ISSUE_RESOLVED", "an issue is resolved"),
        event("ISSUE_REOPENED", "an issue is reopened"),
        event("TEST_NOTIFICATION", "the Test button in the webhook settings is pressed"),
    ],
    sample: PENDING,
    test: Some(TEST),
    auth: DefaultAuth::Token,
    dedupes: true,
    drop_pointers: &[],
    query_is_event: false,
    body: BodyForm::Json,
    json_hint: None,
    setup: &[
        "Overseerr (or Jellyseerr) → Settings → Notifications → Webhook: enable it.",
        "Webhook URL: {url}",
        "Authorization Header: Bearer {token}",
        "JSON Payload: keep the default. Tick the notification types you want, press Test, then Save.",
    ],
    normalize,
};

/// A movie request awaiting approval, with the default template.
pub const PENDING: &str = r#"{"notification_type":"MEDIA_PENDING","event":"New Movie Request","subject":"Inception (2010)","message":"Cobb, a skilled thief who commits corporate espionage by infiltrating the subconscious of his targets is offered a chance to regain his old life.","image":"https://image.tmdb.org/t/p/w600_and_h900_bestv2/ljsZTbVsrQSqZgWeep2B1QiDKuh.jpg","media":{"media_type":"movie","tmdbId":"27205","tvdbId":"","status":"PENDING","status4k":"UNKNOWN"},"request":{"request_id":"42","requestedBy_email":"alice@example.com","requestedBy_username":"alice","requestedBy_avatar":"","requestedBy_settings_discordId":"","requestedBy_settings_telegramChatId":""},"issue":null,"comment":null,"extra":[]}"#;

/// The Test button (`sendTestNotification` in `server/routes/settings/notifications.ts`).
pub const TEST: &str = r#"{"notification_type":"TEST_NOTIFICATION","event":"","subject":"Test Notification","message":"Check check, 1, 2, 3. Are we coming in clear?","image":"","media":null,"request":null,"issue":null,"comment":null,"extra":[]}"#;

fn normalize(input: &Input<'_>, fields: &mut Map<String, Value>) -> Result<Normalized, NormalizeError> {
    let root = input.root;
    let name = text(root, "notification_type").to_owned();
    if name.is_empty() {
        return Err(NormalizeError::NoEventName("overseerr body has no \"notification_type\" string".into()));
    }
    flatten_map("", root, fields);
    // Overseerr's `event` is a headline ("New Movie Request"): `{{event}}` is the notification type.
    if let Some(headline) = fields.shift_remove("event") {
        fields.insert("headline".into(), headline);
    }
    let subject = text(root, "subject").trim();
    let (title, year) = split_year(subject);
    let (media, request, issue, comment) =
        (object(root, "media"), object(root, "request"), object(root, "issue"), object(root, "comment"));
    let extra = |label: &str| -> String {
        let items = root.get("extra").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        items
            .iter()
            .filter_map(Value::as_object)
            .find(|e| text(e, "name") == label)
            .map(|e| text(e, "value").to_owned())
            .unwrap_or_default()
    };
    let four_k = if text(root, "event").starts_with("4K ") { " in 4K" } else { "" };
    let what = if subject.is_empty() { "a request".to_owned() } else { format!("{subject}{four_k}") };
    let seasons = extra("Requested Seasons");
    let seasons_note = if seasons.is_empty() { String::new() } else { format!(" (seasons {seasons})") };
    let requester = text(request, "requestedBy_username");
    let by = if requester.is_empty() { String::new() } else { format!(" by {requester}") };
    let message = text(root, "message");
    let issue_kind = match text(issue, "issue_type") {
        "" | "OTHER" => String::new(),
        kind => format!("{} ", kind.to_lowercase()),
    };
    let article = if issue_kind.starts_with(['a', 'e', 'i', 'o', 'u']) || issue_kind.is_empty() { "an" } else { "a" };
    let (season, episode) = (extra("Affected Season"), extra("Affected Episode"));
    let on = match crate::normalized::episode_code(&season, &episode) {
        code if code.is_empty() => what.clone(),
        code => format!("{what} {code}"),
    };
    let summary = match name.as_str() {
        "MEDIA_PENDING" if requester.is_empty() => format!("{what}{seasons_note} was requested and awaits approval"),
        "MEDIA_PENDING" => format!("{requester} requested {what}{seasons_note}; it awaits approval"),
        "MEDIA_AUTO_APPROVED" => format!("The request for {what}{seasons_note}{by} was approved automatically"),
        "MEDIA_APPROVED" => format!("The request for {what}{seasons_note}{by} was approved"),
        "MEDIA_DECLINED" => format!("The request for {what}{seasons_note}{by} was declined"),
        "MEDIA_FAILED" => format!("The request for {what}{by} could not be sent to Radarr or Sonarr"),
        "MEDIA_AVAILABLE" => format!("{what}{seasons_note} is now available"),
        "ISSUE_CREATED" => match text(issue, "reportedBy_username") {
            "" => with_detail(format!("New {issue_kind}issue on {on}"), message),
            user => with_detail(format!("{user} reported {article} {issue_kind}issue on {on}"), message),
        },
        "ISSUE_COMMENT" => match text(comment, "commentedBy_username") {
            "" => with_detail(format!("New comment on the issue on {what}"), text(comment, "comment_message")),
            user => with_detail(format!("{user} commented on the issue on {what}"), text(comment, "comment_message")),
        },
        "ISSUE_RESOLVED" => format!("The issue on {on} was resolved"),
        "ISSUE_REOPENED" => format!("The issue on {on} was reopened"),
        "TEST_NOTIFICATION" => "Test notification from Overseerr".to_owned(),
        other => with_detail(format!("Overseerr {other}"), subject),
    };
    // A new comment is this event's message, not the issue's first report.
    if name == "ISSUE_COMMENT" && !text(comment, "comment_message").is_empty() {
        fields.insert("message".into(), Value::String(text(comment, "comment_message").to_owned()));
    }
    let user = [text(request, "requestedBy_username"), text(comment, "commentedBy_username"), text(issue, "reportedBy_username")]
        .into_iter()
        .find(|u| !u.is_empty())
        .unwrap_or("");
    let mut canonical = vec![
        ("title", title.to_owned()),
        ("year", year.to_owned()),
        ("message", message.to_owned()),
        ("user", user.to_owned()),
        ("tmdb_id", text(media, "tmdbId").to_owned()),
        ("tvdb_id", text(media, "tvdbId").to_owned()),
    ];
    if text(media, "media_type") == "tv" {
        canonical.extend([("show", title.to_owned()), ("season", if season.is_empty() { seasons } else { season })]);
        canonical.push(("episode", episode));
    } else {
        canonical.push(("movie_id", text(media, "tmdbId").to_owned()));
    }
    fill(fields, canonical);
    Ok(Normalized { name, summary: summary.trim().to_owned(), chatty: false })
}

/// "Inception (2010)" → ("Inception", "2010"); a subject with no year stays whole.
fn split_year(subject: &str) -> (&str, &str) {
    subject
        .strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .filter(|(_, year)| year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or((subject, ""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_year_comes_out_of_the_subject() {
        assert_eq!(super::split_year("Inception (2010)"), ("Inception", "2010"));
        assert_eq!(super::split_year("Untitled (Director's Cut)"), ("Untitled (Director's Cut)", ""));
        assert_eq!(super::split_year(""), ("", ""));
    }
}
