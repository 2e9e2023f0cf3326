#!/usr/bin/env python3
"""Regenerates events/*.json: API Gateway HTTP API (v2) requests and SQS batches, as Lambda gets
them. The sources' tokens match local/demo.json, so every file also works against herald-local."""
import base64, json, pathlib

out = pathlib.Path(__file__).resolve().parent.parent / "events"
out.mkdir(exist_ok=True)

def apigw(source, body, headers, query=""):
    path = f"/hooks/{source}"
    ua = headers.get("user-agent", "curl/8")
    return {
        "version": "2.0",
        "routeKey": "POST /hooks/{source_id}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json", **headers},
        "requestContext": {
            "accountId": "123456789012", "apiId": "h3r4ld", "domainName": "h3r4ld.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "h3r4ld",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.10", "userAgent": ua},
            "requestId": "Kx1abcDEFgHIJ=", "routeKey": "POST /hooks/{source_id}", "stage": "$default",
            "time": "22/Nov/2026:06:00:00 +0000", "timeEpoch": 1795240800000,
        },
        "pathParameters": {"source_id": source},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }

basic = "Basic " + base64.b64encode(b"kinescope:kinescope-demo-token").decode()
kinescope = {
    "media-done": {"event": "media.update.status", "data": {"id": "7127f2d7-0e96-40d0-9a03-2e987c096466", "status": "done"}},
    "media-error": {"event": "media.update.status", "data": {"id": "12706830-0e96-40d0-9a03-2e987c096466", "status": "error",
                    "message": "import error: code=610100, message=cannot download link: https://example.ru/test.mp4, http_code=404"}},
    "media-processing": {"event": "media.update.status", "data": {"id": "7127f2d7-0e96-40d0-9a03-2e987c096466", "status": "processing"}},
    "live-created": {"event": "live.created", "data": {"event_id": "abc123-def456-ghi789"}},
    "live-connected": {"event": "live.connected", "data": {"event_id": "abc123-def456-ghi789"}},
    "live-disconnected": {"event": "live.disconnected", "data": {"event_id": "abc123-def456-ghi789"}},
    "live-finished": {"event": "live.finished", "data": {"event_id": "abc123-def456-ghi789", "video_id": "7127f2d7-0e96-40d0-9a03-2e987c096466"}},
    "live-cancelled": {"event": "live.cancelled", "data": {"event_id": "abc123-def456-ghi789"}},
    "live-enabled": {"event": "live.enabled", "data": {"event_id": "abc123-def456-ghi789"}},
}
for name, body in kinescope.items():
    (out / f"ingest-kinescope-{name}.json").write_text(json.dumps(apigw("kinescope", body, {"authorization": basic}), indent=2) + "\n")

ombi_base = {
    "requestId": "123", "requestedUser": "username", "title": "Example Movie", "requestedDate": "Saturday, January 1, 2024",
    "type": "Movie", "additionalInformation": "", "longDate": "Saturday, January 1, 2024", "shortDate": "1/1/2024",
    "longTime": "12:00:00 PM", "shortTime": "12:00 PM",
    "overview": "An example movie about a protagonist who goes on an adventure and learns valuable lessons along the way.",
    "year": "2024", "episodesList": None, "seasonsList": None, "posterImage": "https://image.tmdb.org/t/p/w300/example123.jpg",
    "applicationName": "Ombi", "applicationUrl": "https://ombi.yourdomain.com", "issueDescription": "", "issueCategory": "",
    "issueStatus": "", "issueSubject": "", "newIssueComment": "", "issueUser": "username", "userName": "username",
    "alias": "username", "requestedByAlias": None, "userPreference": None, "denyReason": None,
    "availableDate": "Saturday, January 1, 2024", "requestStatus": "Available", "providerId": "123456",
    "partiallyAvailableEpisodeNumbers": None, "partiallyAvailableSeasonNumber": None, "partiallyAvailableEpisodesList": None,
    "partiallyAvailableEpisodeCount": None, "notificationType": "RequestAvailable",
}
ombi = {
    "movie-request-available": {},
    "tv-new-request": {"title": "Severance", "type": "TV Show", "year": "2022", "providerId": "95396", "requestStatus": "Processing Request",
                        "notificationType": "NewRequest", "seasonsList": "1,2", "episodesList": "1,1,2,2,3,3"},
    # TV: seasonsList and episodesList are "," joined, sorted, no spaces (NotificationMessageCurlys.cs).
    "tv-partially-available": {"title": "Severance", "type": "TV Show", "year": "2022", "providerId": "95396",
                               "seasonsList": "2", "episodesList": "1,2",
                               "partiallyAvailableSeasonNumber": "2", "partiallyAvailableEpisodeNumbers": "1, 2",
                               "partiallyAvailableEpisodesList": "2x1, 2x2", "partiallyAvailableEpisodeCount": "2",
                               "notificationType": "PartiallyAvailable"},
    "movie-request-declined": {"requestStatus": "Denied", "denyReason": "Already in the library", "notificationType": "RequestDeclined"},
}
ombi_headers = {"access-token": "ombi-demo-token", "user-agent": "Ombi/4.47.1 (https://ombi.io/)"}
for name, changes in ombi.items():
    body = {**ombi_base, **changes}
    (out / f"ingest-ombi-{name}.json").write_text(json.dumps(apigw("ombi", body, ombi_headers), indent=2) + "\n")

def sqs_record(i, body, queue):
    return {
        "messageId": f"0e8f7c2a-5b1d-4c7e-9a3f-00000000000{i}", "receiptHandle": f"AQEB-demo-receipt-{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795240800000", "SenderId": "AIDAEXAMPLE",
                       "ApproximateFirstReceiveTimestamp": "1795240800100"},
        "messageAttributes": {}, "md5OfBody": "0" * 32, "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-1:123456789012:{queue}", "awsRegion": "eu-west-1",
    }

event = {
    "id": "01JDZ3M0000000000000000001", "source_id": "kinescope", "source_kind": "kinescope", "name": "media.update.status",
    "received_at": "2026-11-22T06:00:00.000Z", "chatty": False,
    "fields": {"id": "7127f2d7-0e96-40d0-9a03-2e987c096466", "status": "done", "event": "media.update.status",
               "summary": "Video 7127f2d7-0e96-40d0-9a03-2e987c096466 is ready to watch", "source": "kinescope",
               "source_kind": "kinescope", "event_id": "01JDZ3M0000000000000000001",
               "herald_event_id": "01JDZ3M0000000000000000001", "timestamp": "2026-11-22T06:00:00.000Z"},
    "raw": kinescope["media-done"],
}
deliveries = [
    {"v": 1, "kind": "deliver", "delivery_id": "01JDZ3M00000000000000000D1", "target_id": "discord", "event": event},
    {"v": 1, "kind": "deliver", "delivery_id": "01JDZ3M00000000000000000D2", "target_id": "generic", "event": event},
]
records = [sqs_record(i, json.dumps(d), "herald-deliveries") for i, d in enumerate(deliveries)]
records.append(sqs_record(len(records), "{\"v\":1,\"kind\":\"deliver\",\"truncated", "herald-deliveries"))
(out / "deliver-batch.json").write_text(json.dumps({"Records": records}, indent=2) + "\n")

wakeups = [{"v": 1, "kind": "wakeup", "target_id": "discord", "epoch": 3}, {"v": 1, "kind": "wakeup", "target_id": "generic", "epoch": 1}]
records = [sqs_record(i, json.dumps(w), "herald-wakeups") for i, w in enumerate(wakeups)]
(out / "wakeup-batch.json").write_text(json.dumps({"Records": records}, indent=2) + "\n")
