//! `badreq check`, `rules` and `explain` as a user runs them.

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::support::{Env, TempDir, assert_success, curl, read_jsonl, wait_for};

fn badreq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_badreq"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `badreq check` on `body` saved as a file, with `-H` for each header.
fn check_body(name: &str, body: &str, headers: &[&str]) -> Output {
    let dir = TempDir::new(name);
    let path = dir.path().join("request.json");
    std::fs::write(&path, body).unwrap();
    let mut args = vec!["check", path.to_str().unwrap()];
    for header in headers {
        args.extend(["-H", header]);
    }
    badreq(&args)
}

fn json_out(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn check_reports_the_location_of_a_shared_case_and_exits_1() {
    let case = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cases/orphan-tool-result-3.json"
    );
    let out = badreq(&["check", "--format", "json", case]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_out(&out);
    let findings = report["exchanges"][0]["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "tool-result-orphan" && f["location"] == "/messages/3/content/0")
    );
    assert!(findings.iter().all(|f| {
        ["predicted", "confirmed", "contradicted", "unexplained"]
            .contains(&f["status"].as_str().unwrap())
    }));
}

#[test]
fn check_of_a_valid_body_is_clean_and_exits_0() {
    let out = check_body(
        "check-valid",
        r#"{"model":"claude-sonnet-4-6","max_tokens":256,"messages":[{"role":"user","content":"Hi"}]}"#,
        &[
            "anthropic-version: 2023-06-01",
            "x-api-key: sk-ant-api03-REDACTED",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no findings"));
}

#[test]
fn check_shows_a_corrected_curl_line() {
    let out = check_body(
        "check-fix",
        r#"{"model":"claude-sonnet-4-6","max_tokens_to_sample":256,"messages":[{"role":"user","content":"Hi"}]}"#,
        &[
            "anthropic-version: 2023-06-01",
            "x-api-key: sk-ant-api03-secretsecretsecret",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("complete-max-tokens-to-sample /max_tokens_to_sample"),
        "{text}"
    );
    assert!(text.contains("+ /max_tokens: 256"), "{text}");
    assert!(text.contains("\"x-api-key: $ANTHROPIC_API_KEY\""), "{text}");
    assert!(!text.contains("secretsecret"), "the key leaked: {text}");
}

#[test]
fn check_reads_har_files() {
    let dir = TempDir::new("check-har");
    let har = json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [{
        "startedDateTime": "2026-11-20T10:00:00.000Z",
        "request": {"method": "POST", "url": "https://api.anthropic.com/v1/messages", "httpVersion": "HTTP/1.1",
            "headers": [{"name": "x-api-key", "value": "sk-ant-api03-REDACTED"}, {"name": "anthropic-version", "value": "2023-06-01"}],
            "postData": {"mimeType": "application/json", "text": "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":2}"}},
        "response": {"status": 400, "headers": [{"name": "request-id", "value": "req_har"}],
            "content": {"mimeType": "application/json", "text": "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"n: Extra inputs are not permitted\"}}"}}
    }]}});
    let path = dir.path().join("capture.har");
    std::fs::write(&path, har.to_string()).unwrap();
    let out = badreq(&["check", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let finding = &json_out(&out)["exchanges"][0]["findings"][0];
    assert_eq!(finding["rule"], "schema-openai-field");
    assert_eq!(finding["location"], "/n");
    assert_eq!(finding["status"], "confirmed");
}

#[test]
fn check_reads_badreqs_own_jsonl_log() {
    let env = Env::new("check-jsonl");
    let (proxy, jsonl) = env.badreq_logged(&[]);
    let out = curl(&[
        "-H",
        "anthropic-version: 2023-06-01",
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"model":"claude-2.1","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#,
        &format!("{}/v1/messages", proxy.url()),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("model: claude-2.1"));
    wait_for(1, || read_jsonl(&jsonl));
    let out = badreq(&["check", "--format", "json", jsonl.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let findings = json_out(&out)["exchanges"][0]["findings"].clone();
    let retired = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "model-retired")
        .unwrap();
    assert_eq!(retired["status"], "confirmed");
    assert_eq!(retired["patch"][0]["value"], "claude-sonnet-4-6");
}

#[test]
fn unreadable_input_and_unknown_rules_exit_2() {
    assert_eq!(
        badreq(&["check", "/nonexistent/file.har"]).status.code(),
        Some(2)
    );
    assert_eq!(badreq(&["explain", "no-such-rule"]).status.code(), Some(2));
    assert_eq!(badreq(&["--listen", "nowhere"]).status.code(), Some(2));
    let out = badreq(&["--config", "/nonexistent.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.toml"));
}

#[test]
fn rules_and_explain_print_the_catalogue() {
    let out = badreq(&["rules"]);
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.lines().count() >= 40);
    assert!(listing.contains("tool-result-orphan"));
    let out = badreq(&["explain", "tool-result-orphan"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("### tool-result-orphan"));
    assert!(text.contains("**Fix:**"));
}

#[test]
fn env_prints_shell_lines_for_bash_and_fish() {
    let dir = TempDir::new("env");
    let certs = dir.path().join("certs");
    let out = badreq(&[
        "env",
        "--certs",
        certs.to_str().unwrap(),
        "--listen",
        "127.0.0.1:9999",
    ]);
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("export HTTPS_PROXY='http://127.0.0.1:9999'"),
        "{text}"
    );
    assert!(text.contains("export NODE_USE_ENV_PROXY='1'"), "{text}");
    let bundle = certs.join("bundle.pem");
    assert!(
        text.contains(&format!(
            "export SSL_CERT_FILE='{}'",
            std::fs::canonicalize(&bundle).unwrap().display()
        )),
        "{text}"
    );
    let pem = std::fs::read_to_string(&bundle).unwrap();
    let ca = std::fs::read_to_string(certs.join("ca.pem")).unwrap();
    assert!(pem.ends_with(&ca), "the bundle ends with badreq's CA");
    let out = badreq(&["env", "--shell", "fish", "--certs", certs.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("set -gx HTTPS_PROXY 'http://127.0.0.1:8080';")
    );
}

#[test]
fn export_writes_a_redacted_support_bundle_by_request_id() {
    let env = Env::new("export");
    let (proxy, jsonl) = env.badreq_logged(&[]);
    curl(&[
        "-H",
        "anthropic-version: 2023-06-01",
        "-H",
        &format!("x-api-key: {}", crate::support::TEST_KEY),
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"model":"claude-sonnet-4-6","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}"#,
        &format!("{}/v1/messages", proxy.url()),
    ]);
    wait_for(1, || read_jsonl(&jsonl));
    let bundle_path = env.path("support.json");
    let out = badreq(&[
        "export",
        "--from",
        jsonl.to_str().unwrap(),
        "--request-id",
        "req_011CTestUpstream0000000001",
        "-o",
        bundle_path.to_str().unwrap(),
    ]);
    assert_success(&out);
    let text = std::fs::read_to_string(&bundle_path).unwrap();
    assert!(
        !text.contains(crate::support::TEST_KEY),
        "the key leaked into the bundle"
    );
    let bundle: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(bundle["request_id"], "req_011CTestUpstream0000000001");
    assert_eq!(bundle["response"]["status"], 400);
    assert_eq!(bundle["diagnoses"][0]["rule"], "messages-empty-text-block");
    let missing = badreq(&[
        "export",
        "--from",
        jsonl.to_str().unwrap(),
        "--exchange",
        "99",
        "-o",
        bundle_path.to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn ca_prints_path_fingerprint_and_how_to_trust_it() {
    let dir = TempDir::new("ca-cmd");
    let certs = dir.path().join("certs");
    let out = badreq(&["ca", "--certs", certs.to_str().unwrap()]);
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    let path = std::fs::canonicalize(certs.join("ca.pem")).unwrap();
    assert!(text.contains(&path.display().to_string()), "{text}");
    let fingerprint = text
        .lines()
        .find(|l| l.starts_with("SHA-256 fingerprint:"))
        .unwrap();
    assert_eq!(
        fingerprint
            .split_whitespace()
            .last()
            .unwrap()
            .split(':')
            .count(),
        32,
        "{fingerprint}"
    );
    for needle in [
        "--cacert",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
        "update-ca-certificates",
        "badreq env",
    ] {
        assert!(text.contains(needle), "missing {needle}: {text}");
    }
    // The key is private to its owner.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(certs.join("ca-key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn help_explains_every_proxy_flag() {
    let out = badreq(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--config",
        "--listen",
        "--certs",
        "--intercept",
        "--upstream",
        "--upstream-ca",
        "--connect-to",
        "--jsonl",
        "--har",
        "--no-redact",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
    let out = badreq(&["--connect-to", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("connect_to") && message.lines().count() == 1,
        "{message}"
    );
}
