//! The official Python SDK, configured the way users configure it, through badreq.

use crate::support::{Env, TEST_KEY, read_jsonl, run_python, wait_for};

fn proxy_env(badreq: &crate::support::Badreq) -> Vec<(&'static str, String)> {
    vec![
        ("HTTPS_PROXY", badreq.url()),
        ("SSL_CERT_FILE", badreq.ca_pem().display().to_string()),
        ("ANTHROPIC_API_KEY", TEST_KEY.to_owned()),
    ]
}

#[test]
fn sdk_2x_gets_the_upstreams_exact_error_body() {
    let env = Env::new("sdk-error");
    let (badreq, jsonl) = env.badreq_logged(&[]);
    let out = run_python(2, "sdk_messages.py", &["error"], &proxy_env(&badreq));
    assert!(out["sdk_version"].as_str().unwrap().starts_with("2."));
    let error = &out["error"];
    assert_eq!(error["class"], "BadRequestError");
    assert_eq!(error["status"], 400);
    assert_eq!(error["request_id"], "req_011CTestUpstream0000000001");
    assert_eq!(
        error["body"],
        serde_json::json!({
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "messages: text content blocks must be non-empty"},
            "request_id": "req_011CTestUpstream0000000001",
        })
    );
    // What today's SDK sends, as the upstream saw it.
    let seen = env.upstream.log.all();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TEST_KEY}").as_str())
    );
    assert_eq!(seen[0].header("anthropic-version"), Some("2026-10-21"));
    assert!(seen[0].header("x-api-key").is_none());
    // The record has the exchange, with the key masked.
    let records = wait_for(1, || read_jsonl(&jsonl));
    assert_eq!(records[0]["response"]["status"], 400);
    // The diagnosis predicted the fault and the API's answer confirmed it.
    let diagnoses = records[0]["diagnoses"].as_array().unwrap();
    let finding = diagnoses
        .iter()
        .find(|d| d["rule"] == "messages-empty-text-block")
        .unwrap_or_else(|| panic!("no messages-empty-text-block finding: {diagnoses:?}"));
    assert_eq!(finding["location"], "/messages/0/content/0");
    assert_eq!(finding["status"], "confirmed");
    assert_eq!(finding["request_id"], "req_011CTestUpstream0000000001");
    badreq.wait_for_line("messages-empty-text-block /messages/0/content/0 (confirmed)");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(
        !text.contains(TEST_KEY),
        "the API key leaked into the JSONL log"
    );
}

#[test]
fn sdk_2x_stream_arrives_event_by_event() {
    let env = Env::new("sdk-stream");
    let (badreq, jsonl) = env.badreq_logged(&[]);
    let out = run_python(2, "sdk_messages.py", &["stream"], &proxy_env(&badreq));
    assert_eq!(out["text"], "Hello world");
    let events = out["events"].as_array().unwrap();
    assert_eq!(events.len(), 7, "{events:?}");
    // Nothing on the way held the stream back: the first event reached the SDK
    // before the upstream sent the second, and every event but the last reached
    // it before the upstream sent the last one (events go out 400 ms apart).
    let received = |i: usize| events[i]["received_at"].as_f64().unwrap();
    let sent = |i: usize| events[i]["sent_at"].as_f64().unwrap();
    assert!(
        received(0) < sent(1),
        "the first event waited for the second: {events:?}"
    );
    let last = sent(events.len() - 1);
    for (i, event) in events[..events.len() - 1].iter().enumerate() {
        let arrived = event["received_at"].as_f64().unwrap();
        assert!(
            arrived < last,
            "event {i} ({}) arrived at {arrived}, after the upstream sent the last event at {last}",
            event["type"]
        );
    }
    // The log holds the stream reassembled event by event, and the terminal line
    // gives the time to the first event.
    let records = wait_for(1, || read_jsonl(&jsonl));
    let logged: Vec<&str> = records[0]["response"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(logged.len(), 7);
    assert_eq!(logged[0], "message_start");
    assert_eq!(logged[6], "message_stop");
    badreq.wait_for_line("stream (first event");
}

#[test]
fn sdk_2x_in_base_url_mode() {
    let env = Env::new("sdk-base-url");
    let badreq = env.badreq(&[]);
    let env_vars = vec![("ANTHROPIC_API_KEY", TEST_KEY.to_owned())];
    let out = run_python(2, "sdk_messages.py", &["ok", &badreq.url()], &env_vars);
    assert_eq!(out["text"], "Hello from the test upstream.");
    let seen = env.upstream.log.all();
    assert_eq!(seen[0].path, "/v1/messages");
}

#[test]
fn sdk_1x_sends_x_api_key_and_the_old_version() {
    let env = Env::new("sdk-1x");
    let badreq = env.badreq(&[]);
    let out = run_python(1, "sdk_messages.py", &["ok"], &proxy_env(&badreq));
    assert!(out["sdk_version"].as_str().unwrap().starts_with("1."));
    assert_eq!(out["text"], "Hello from the test upstream.");
    let seen = env.upstream.log.all();
    assert_eq!(seen[0].header("x-api-key"), Some(TEST_KEY));
    assert_eq!(seen[0].header("anthropic-version"), Some("2023-06-01"));
}
