//! Every rule fires on its failing example (at the location it should report)
//! and stays silent on the corrected one; the API's verbatim answer confirms
//! it; the shared real-world cases are located; and `docs/rules.md` is the
//! catalogue generated from the same examples.
//!
//! Examples live in `tests/fixtures/rules.json`. Regenerate the catalogue with
//! `BADREQ_BLESS=1 cargo test --test rules`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use badreq::diagnose::view::{RequestView, ResponseView};
use badreq::diagnose::{ExchangeView, Finding, RULES, Severity, Status, diagnose, rule};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const TODAY: &str = "2026-11-25";

fn api_key() -> String {
    format!("sk-ant-api03-{}AA", "Xk3".repeat(31))
}

fn oauth_token() -> String {
    format!("sk-ant-oat01-{}AA", "Qz7".repeat(31))
}

fn fixtures() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("tests/fixtures/rules.json")).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    value.as_array().unwrap().iter().map(expand).collect()
}

/// Expands `{"$repeat": c, "times": n, "prefix", "suffix"}` into a long string.
fn expand(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.contains_key("$repeat") => {
            let text = format!(
                "{}{}{}",
                map["prefix"].as_str().unwrap_or(""),
                map["$repeat"]
                    .as_str()
                    .unwrap()
                    .repeat(map["times"].as_u64().unwrap() as usize),
                map["suffix"].as_str().unwrap_or("")
            );
            Value::String(text)
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), expand(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        other => other.clone(),
    }
}

fn default_body() -> Value {
    json!({"model": "claude-sonnet-4-6", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello"}]})
}

fn secret(text: &str) -> String {
    text.replace("$KEY", &api_key())
        .replace("$OAUTH", &oauth_token())
}

/// The request a fixture side describes: defaults plus its overrides.
fn build(spec: &Value) -> ExchangeView {
    let mut headers: Vec<(String, String)> = vec![
        ("x-api-key".into(), api_key()),
        ("anthropic-version".into(), "2023-06-01".into()),
        ("content-type".into(), "application/json".into()),
    ];
    if let Some(overrides) = spec.get("headers").and_then(Value::as_object) {
        for (name, value) in overrides {
            headers.retain(|(n, _)| n != name);
            if let Some(v) = value.as_str() {
                headers.push((name.clone(), secret(v)));
            }
        }
    }
    let body: Vec<u8> = if let Some(raw) = spec.get("body_raw").and_then(Value::as_str) {
        raw.as_bytes().to_vec()
    } else if spec.get("body_gzip").is_some() {
        let mut bytes = vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00];
        bytes.extend_from_slice(b"\x02\xffcompressed-bytes");
        bytes
    } else {
        let mut body = spec.get("body").cloned().unwrap_or_else(default_body);
        if let Some(patch) = spec.get("body_patch").and_then(Value::as_object) {
            let map: &mut Map<String, Value> = body.as_object_mut().unwrap();
            for (k, v) in patch {
                if v.is_null() {
                    map.remove(k);
                } else {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
        serde_json::to_vec(&body).unwrap()
    };
    if let Some((_, length)) = headers.iter_mut().find(|(n, _)| n == "content-length") {
        // A fixture sets a wrong length on purpose; keep it.
        let _ = length;
    }
    let size = body.len() as u64;
    let request = RequestView::new(
        spec.get("method").and_then(Value::as_str).unwrap_or("POST"),
        spec.get("url")
            .and_then(Value::as_str)
            .unwrap_or("https://api.anthropic.com/v1/messages"),
        headers,
        Bytes::from(body),
        size,
        false,
        spec.get("as_of")
            .and_then(Value::as_str)
            .unwrap_or(TODAY)
            .to_owned(),
    );
    let response = spec.get("response").map(response_from);
    ExchangeView { request, response }
}

fn response_from(spec: &Value) -> ResponseView {
    let status = spec["status"].as_u64().unwrap() as u16;
    let mut headers: Vec<(String, String)> = spec
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    headers.push(("request-id".into(), "req_011CFixture".into()));
    let body = if let Some(sse) = spec.get("sse").and_then(Value::as_str) {
        headers.push(("content-type".into(), "text/event-stream".into()));
        sse.to_owned()
    } else if status >= 400 {
        headers.push(("content-type".into(), "application/json".into()));
        json!({"type": "error", "error": {"type": spec["type"], "message": spec["message"]}, "request_id": "req_011CFixture"}).to_string()
    } else {
        headers.push(("content-type".into(), "application/json".into()));
        json!({"id": "msg_01", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "ok"}]}).to_string()
    };
    ResponseView {
        status,
        headers,
        body: Bytes::from(body),
        synthetic: false,
    }
}

fn describe(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} @ {} [{:?}]",
                f.severity.as_str(),
                f.rule,
                f.location,
                f.status
            )
        })
        .collect()
}

#[test]
fn every_rule_fires_on_its_example_and_is_silent_on_the_fix() {
    let mut failures = Vec::new();
    for fixture in fixtures() {
        let id = fixture["rule"].as_str().unwrap();
        let rule = rule(id).unwrap_or_else(|| panic!("fixture for unknown rule {id}"));
        let location = fixture["location"].as_str().unwrap();
        let failing = build(&fixture["fail"]);
        let found = diagnose(&failing);
        let hit = found
            .iter()
            .find(|f| f.rule == id && f.location == location);
        match hit {
            None => failures.push(format!(
                "{id}: did not fire at {location}; found {:?}",
                describe(&found)
            )),
            Some(f) if rule.check.is_some() && f.status != Status::Predicted => {
                failures.push(format!(
                    "{id}: a request-only finding should be predicted, got {:?}",
                    f.status
                ))
            }
            Some(_) => {}
        }
        if let Some(api) = fixture.get("api") {
            let mut answered = failing.clone();
            answered.response = Some(response_from(api));
            let found = diagnose(&answered);
            if !found
                .iter()
                .any(|f| f.rule == id && f.location == location && f.status == Status::Confirmed)
            {
                failures.push(format!(
                    "{id}: the API's verbatim answer did not confirm it; found {:?}",
                    describe(&found)
                ));
            }
        }
        let corrected = diagnose(&build(&fixture["pass"]));
        let noisy: Vec<&Finding> = corrected
            .iter()
            .filter(|f| f.severity >= Severity::Warn)
            .collect();
        if corrected.iter().any(|f| f.rule == id) || !noisy.is_empty() {
            failures.push(format!(
                "{id}: corrected request is not clean: {:?}",
                describe(&corrected)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_an_example() {
    let covered: BTreeSet<String> = fixtures()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !covered.contains(*id))
        .collect();
    assert!(missing.is_empty(), "rules without a fixture: {missing:?}");
    assert!(RULES.len() >= 40);
}

#[test]
fn a_prediction_the_api_accepts_is_marked_contradicted() {
    let fixture = fixtures()
        .into_iter()
        .find(|f| f["rule"] == "model-retired")
        .unwrap();
    let mut exchange = build(&fixture["fail"]);
    exchange.response = Some(response_from(&json!({"status": 200})));
    let found = diagnose(&exchange);
    let finding = found.iter().find(|f| f.rule == "model-retired").unwrap();
    assert_eq!(finding.status, Status::Contradicted);
    assert!(!badreq::diagnose::has_standing(&found, Severity::Error));
}

#[test]
fn a_rejection_no_rule_explains_is_unexplained() {
    let mut exchange = build(&json!({}));
    exchange.response = Some(response_from(
        &json!({"status": 400, "type": "invalid_request_error", "message": "something new"}),
    ));
    let found = diagnose(&exchange);
    assert_eq!(
        describe(&found),
        ["error api-unexplained @ body [Unexpected]".replace("Unexpected", "Unexplained")]
    );
}

#[test]
fn rules_that_changed_hold_only_for_their_dates() {
    for (id, today_silent) in [
        ("messages-system-role", true),
        ("messages-consecutive-same-role", true),
    ] {
        let fixture = fixtures().into_iter().find(|f| f["rule"] == id).unwrap();
        let mut spec = fixture["fail"].clone();
        spec["as_of"] = json!(TODAY);
        let found = diagnose(&build(&spec));
        assert_eq!(
            found.iter().any(|f| f.rule == id),
            !today_silent,
            "{id} today: {:?}",
            describe(&found)
        );
    }
}

/// The shared cases from public issue trackers, each with the location of its fault.
#[test]
fn shared_cases_are_located() {
    let dir = root().join("tests/fixtures/cases");
    let mut misses = Vec::new();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        count += 1;
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let expected = case["location"].as_str().unwrap();
        let options = badreq::check::BodyOptions {
            method: "POST".into(),
            url: badreq::check::DEFAULT_URL.into(),
            headers: vec![],
        };
        let checked = badreq::check::check_file(&path, &options).unwrap();
        let located = checked[0]
            .findings
            .iter()
            .any(|f| f.location.starts_with(expected) && f.status != Status::Contradicted);
        if !located {
            misses.push(format!(
                "{}: expected {expected}, got {:?}",
                path.display(),
                describe(&checked[0].findings)
            ));
        }
    }
    assert!(count >= 40, "only {count} cases found in {}", dir.display());
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

// ---- docs/rules.md, generated from the registry and the fixtures ----

fn shorten(value: &Value) -> Value {
    match value {
        Value::String(s) if s.chars().count() > 60 => Value::String(format!(
            "{}… ({} chars)",
            s.chars().take(40).collect::<String>(),
            s.chars().count()
        )),
        Value::Array(items) if items.len() > 6 => {
            let mut kept: Vec<Value> = items.iter().take(3).map(shorten).collect();
            kept.push(Value::String(format!("… {} more", items.len() - 3)));
            Value::Array(kept)
        }
        Value::Array(items) => Value::Array(items.iter().map(shorten).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shorten(v))).collect())
        }
        other => other.clone(),
    }
}

fn example_text(spec: &Value, exchange: &ExchangeView) -> String {
    let r = &exchange.request;
    let mut text = format!(
        "{} {}{}\n",
        r.method,
        r.host
            .as_deref()
            .map(|h| format!("{}://{h}", r.scheme.as_deref().unwrap_or("https")))
            .unwrap_or_default(),
        r.path
    );
    for (name, value) in &r.headers {
        text.push_str(&format!(
            "{name}: {}\n",
            badreq::redact::header_value(name, value)
        ));
    }
    if spec.get("as_of").is_some() {
        text.push_str(&format!("(sent on {})\n", r.as_of));
    }
    let body = match &r.json {
        Some(json) => serde_json::to_string_pretty(&shorten(json)).unwrap(),
        None if r.body.len() > 200 => format!("{:?}…", String::from_utf8_lossy(&r.body[..120])),
        None => format!("{:?}", String::from_utf8_lossy(&r.body)),
    };
    if !r.body.is_empty() || r.json.is_some() {
        text.push('\n');
        text.push_str(&body);
        text.push('\n');
    }
    if let Some(response) = &exchange.response {
        text.push_str(&format!(
            "\n→ {} {}\n",
            response.status,
            String::from_utf8_lossy(&response.body)
                .chars()
                .take(300)
                .collect::<String>()
        ));
    }
    text
}

const FAMILIES: &[(&str, &str)] = &[
    ("url", "URL"),
    ("auth", "Credentials"),
    ("headers", "Headers"),
    ("json", "JSON syntax"),
    ("schema", "Schema"),
    ("sampling", "Sampling parameters"),
    ("models", "Models"),
    ("messages", "Messages"),
    ("images", "Images"),
    ("tools", "Tools"),
    ("thinking", "Extended thinking"),
    ("caching", "Prompt caching"),
    ("legacy", "Legacy Text Completions"),
    ("size", "Size"),
    ("response", "Response rules"),
];

fn generate_catalogue() -> String {
    let fixtures = fixtures();
    let mut doc = String::from(
        "# Rules\n\n\
         Generated by `BADREQ_BLESS=1 cargo test --test rules` from `src/diagnose/registry.rs` and the examples in\n\
         `tests/fixtures/rules.json`; the same test fails when this file is out of date. `badreq rules` lists the\n\
         rules and `badreq explain ID` prints one section.\n\n\
         Severities: **error** = the API rejects it; **warn** = works today but is deprecated, wasteful or risky;\n\
         **info** = worth knowing. A request rule's finding is a *prediction*; when the response arrives it becomes\n\
         *confirmed* (the API agrees), *contradicted* (the API accepted the request: badreq's knowledge is stale),\n\
         or the response's own rule explains it; a rejection nothing explains is *unexplained*.\n\n\
         Locations are RFC 6901 JSON pointers into the body (`/messages/3/content/0`), `header:<name>`, `url`,\n\
         `body` (the body as a whole) or `account` (nothing in the request: the account, rate limits, capacity).\n\
         Facts that change (models, limits, versions, beta names, dates) come from `src/knowledge.toml`.\n\n",
    );
    doc.push_str("| family | rules |\n|---|---|\n");
    for (family, title) in FAMILIES {
        let ids: Vec<String> = RULES
            .iter()
            .filter(|r| r.family == *family)
            .map(|r| format!("[{0}](#{0})", r.id))
            .collect();
        doc.push_str(&format!(
            "| {title} ({}) | {} |\n",
            ids.len(),
            ids.join(", ")
        ));
    }
    doc.push('\n');
    for (family, title) in FAMILIES {
        doc.push_str(&format!("## {title}\n\n"));
        for rule in RULES.iter().filter(|r| r.family == *family) {
            let fixture = fixtures
                .iter()
                .find(|f| f["rule"] == rule.id)
                .expect("every rule has a fixture");
            let failing = build(&fixture["fail"]);
            let found = diagnose(&failing);
            let finding = found
                .iter()
                .find(|f| f.rule == rule.id)
                .expect("the fixture fires");
            doc.push_str(&format!("### {}\n\n", rule.id));
            doc.push_str(&format!("**Detects:** {}.  \n", rule.summary));
            doc.push_str(&format!(
                "**Severity:** {} · **Family:** {family}  \n",
                rule.severity.as_str()
            ));
            doc.push_str(&format!("**Holds for:** {}.\n\n", rule.holds));
            match fixture.get("api") {
                Some(api) => doc.push_str(&format!("**API's message** ({} `{}`):\n\n```text\n{}\n```\n\n", api["status"], api["type"].as_str().unwrap_or(""), api["message"].as_str().unwrap())),
                None if rule.check.is_none() => {}
                None => doc.push_str("**API's message:** no verbatim text is known; the finding is badreq's prediction.\n\n"),
            }
            doc.push_str(&format!(
                "**Failing example:**\n\n```text\n{}```\n\n",
                example_text(&fixture["fail"], &failing)
            ));
            doc.push_str(&format!(
                "**Reported:** `{}` — {}\n\n",
                finding.location,
                finding.message.replace('\n', " ")
            ));
            doc.push_str(&format!(
                "**Fix:** {}\n\n",
                finding.fix.as_deref().unwrap_or("see the message")
            ));
            if !finding.patch.is_empty() {
                let lines: Vec<String> = finding
                    .patch
                    .iter()
                    .flat_map(|p| p.diff_lines(&failing.request))
                    .collect();
                doc.push_str(&format!("```diff\n{}\n```\n\n", lines.join("\n")));
            }
            if let Some(note) = fixture.get("note").and_then(Value::as_str) {
                doc.push_str(&format!("*Note:* {note}\n\n"));
            }
        }
    }
    doc
}

#[test]
fn docs_rules_md_is_generated_from_the_rules() {
    let generated = generate_catalogue();
    let path = root().join("docs/rules.md");
    if std::env::var_os("BADREQ_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/rules.md is out of date: run `BADREQ_BLESS=1 cargo test --test rules`"
    );
}

#[test]
fn a_vertex_request_is_judged_by_its_body_not_its_path() {
    let path = root().join("tests/fixtures/cases/tool-use-without-result-vertex-1.json");
    let options = badreq::check::BodyOptions {
        method: "POST".into(),
        url: badreq::check::DEFAULT_URL.into(),
        headers: vec![],
    };
    let checked = badreq::check::check_file(&path, &options).unwrap();
    let rules: Vec<&str> = checked[0].findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        ["tool-use-without-result"],
        "{:?}",
        describe(&checked[0].findings)
    );
}

/// A request shaped like Claude Code's (OAuth token, its beta list, `?beta=true`,
/// cached system blocks, tools, streaming) is valid and must stay silent.
#[test]
fn a_claude_code_shaped_request_gets_no_error_or_warning() {
    let spec = json!({
        "url": "https://api.anthropic.com/v1/messages?beta=true",
        "headers": {
            "x-api-key": null,
            "authorization": "Bearer $OAUTH",
            "anthropic-beta": "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14",
            "x-app": "cli",
            "user-agent": "claude-cli/2.0.0 (external, cli)"
        },
        "body": {
            "model": "claude-sonnet-4-6",
            "max_tokens": 32000,
            "stream": true,
            "metadata": {"user_id": "user_abc_account_def_session_ghi"},
            "system": [
                {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Project instructions...", "cache_control": {"type": "ephemeral"}}
            ],
            "tools": [
                {"name": "Bash", "description": "Run a command", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}},
                {"name": "Read", "description": "Read a file", "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}
            ],
            "thinking": {"type": "enabled", "budget_tokens": 31999},
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Fix the failing test", "cache_control": {"type": "ephemeral"}}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Run the tests first.", "signature": "EqQBCkgIARAB"},
                    {"type": "tool_use", "id": "toolu_01X", "name": "Bash", "input": {"command": "cargo test"}}
                ]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01X", "content": "1 failed"}]}
            ]
        }
    });
    let found = diagnose(&build(&spec));
    let noisy: Vec<String> = describe(&found)
        .into_iter()
        .filter(|d| !d.starts_with("info"))
        .collect();
    assert!(noisy.is_empty(), "{noisy:?}");
}
