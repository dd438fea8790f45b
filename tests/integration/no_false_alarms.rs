//! Valid requests of every shape, built by the official SDKs themselves, get no
//! error or warning: a false alarm is a bug.

use std::process::Command;

use bytes::Bytes;
use serde_json::Value;

use badreq::diagnose::view::{RequestView, today};
use badreq::diagnose::{ExchangeView, Severity, diagnose};

use crate::support::sdk_python;

/// Runs tests/e2e/sdk_shapes.py with SDK `major` and returns each captured request.
fn shapes(major: u32) -> Vec<Value> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/sdk_shapes.py");
    let output = Command::new(sdk_python(major))
        .arg(script)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sdk_shapes.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn check(major: u32, expected_version: &str) {
    let requests = shapes(major);
    assert!(
        requests.len() >= 25,
        "only {} shapes captured",
        requests.len()
    );
    let mut alarms = Vec::new();
    for request in &requests {
        let headers: Vec<(String, String)> = request["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let version = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("anthropic-version"))
            .map(|(_, v)| v.as_str());
        assert_eq!(version, Some(expected_version), "{}", request["shape"]);
        let body = Bytes::from(request["body"].as_str().unwrap().to_owned());
        let size = body.len() as u64;
        let view = ExchangeView {
            request: RequestView::new(
                request["method"].as_str().unwrap(),
                request["url"].as_str().unwrap(),
                headers,
                body,
                size,
                false,
                today(),
            ),
            response: None,
        };
        for finding in diagnose(&view)
            .into_iter()
            .filter(|f| f.severity >= Severity::Warn)
        {
            alarms.push(format!(
                "{}: {} at {}: {}",
                request["shape"], finding.rule, finding.location, finding.message
            ));
        }
    }
    assert!(
        alarms.is_empty(),
        "false alarms on valid SDK {major}.x requests:\n{}",
        alarms.join("\n")
    );
}

#[test]
fn sdk_2x_requests_of_every_shape_get_no_error_or_warning() {
    check(2, "2026-10-21");
}

#[test]
fn sdk_1x_requests_of_every_shape_get_no_error_or_warning() {
    check(1, "2023-06-01");
}
