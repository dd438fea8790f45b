//! Snapshot tests of what people read: the terminal lines for a clean
//! exchange, a 400 with its diagnosis, a stream, and a 502 from an unreachable
//! upstream, with and without colour. Snapshots live in `tests/snapshots/`;
//! regenerate with `BADREQ_BLESS=1 cargo test --test output` and review the diff.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version};

use badreq::diagnose::{ExchangeView, diagnose};
use badreq::error::Side;
use badreq::exchange::{
    BodyRecord, Exchange, Failure, Head, Mode, RequestRecord, ResponseRecord, Timings,
};
use badreq::output::terminal::{Style, render_exchange};
use badreq::tee::BodyEnd;

const KEY: &str = "sk-ant-api03-Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3Xk3AA";

fn head(pairs: &[(&'static str, &str)]) -> Head {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_str(value).unwrap());
    }
    Head::from_headers(Version::HTTP_11, &map)
}

fn body(text: &str) -> BodyRecord {
    BodyRecord {
        bytes: Bytes::from(text.to_owned()),
        total_len: text.len() as u64,
        truncated: false,
        end: BodyEnd::Complete,
    }
}

fn exchange(
    id: u64,
    request_body: &str,
    response: Option<ResponseRecord>,
    failure: Option<Failure>,
    total_ms: u64,
) -> Exchange {
    let mut exchange = Exchange {
        id,
        started_at: UNIX_EPOCH + Duration::from_millis(1_764_064_800_123),
        client: SocketAddr::from(([127, 0, 0, 1], 50000)),
        mode: Mode::Intercept,
        request: RequestRecord {
            method: Method::POST,
            url: "https://api.anthropic.com/v1/messages".into(),
            head: head(&[
                ("x-api-key", KEY),
                ("anthropic-version", "2023-06-01"),
                ("content-type", "application/json"),
            ]),
            body: body(request_body),
        },
        response,
        failure,
        timings: Timings {
            total: Duration::from_millis(total_ms),
            ..Timings::default()
        },
        findings: Vec::new(),
    };
    let view = ExchangeView::from_exchange(&exchange);
    exchange.findings = diagnose(&view);
    exchange
}

fn response(status: u16, content_type: &str, text: &str) -> ResponseRecord {
    ResponseRecord {
        status: StatusCode::from_u16(status).unwrap(),
        head: head(&[
            ("content-type", content_type),
            ("request-id", "req_011CSnapshot"),
        ]),
        body: body(text),
        synthetic: false,
    }
}

fn cases() -> Vec<(&'static str, Exchange)> {
    let clean = exchange(
        1,
        r#"{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{"role":"user","content":"Hello"}]}"#,
        Some(response(
            200,
            "application/json",
            r#"{"type":"message","content":[{"type":"text","text":"Hi"}]}"#,
        )),
        None,
        812,
    );
    let rejected = exchange(
        2,
        r#"{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":""}]}]}"#,
        Some(response(
            400,
            "application/json",
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"messages: text content blocks must be non-empty"},"request_id":"req_011CSnapshot"}"#,
        )),
        None,
        95,
    );
    let mut streamed = exchange(
        3,
        r#"{"model":"claude-sonnet-4-6","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hello"}]}"#,
        Some(response(
            200,
            "text/event-stream",
            "event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        )),
        None,
        2140,
    );
    streamed.timings.first_body_byte = Some(Duration::from_millis(388));
    let unreachable = exchange(
        4,
        r#"{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{"role":"user","content":"Hello"}]}"#,
        Some(ResponseRecord {
            status: StatusCode::BAD_GATEWAY,
            head: head(&[
                ("content-type", "application/json"),
                ("x-badreq-error", "upstream_refused"),
            ]),
            body: body(
                r#"{"type":"error","error":{"type":"badreq_upstream_refused","message":"badreq: upstream api.anthropic.com: connection to 127.0.0.1:1 refused"}}"#,
            ),
            synthetic: true,
        }),
        Some(Failure {
            side: Side::Upstream,
            kind: "upstream_refused".into(),
            message: "upstream api.anthropic.com: connection to 127.0.0.1:1 refused".into(),
        }),
        2,
    );
    vec![
        ("clean", clean),
        ("diagnosed-400", rejected),
        ("stream", streamed),
        ("unreachable-502", unreachable),
    ]
}

#[test]
fn terminal_output_matches_the_snapshots() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut stale = Vec::new();
    for (name, exchange) in cases() {
        for (suffix, color) in [("plain", false), ("color", true)] {
            let style = Style {
                color,
                verbose: 0,
                quiet: false,
            };
            let text = render_exchange(&exchange, &style).join("\n") + "\n";
            if !color {
                for line in text.lines().filter(|l| !l.starts_with("      ")) {
                    assert!(
                        line.chars().count() <= 80,
                        "{name}: line over 80 columns: {line}"
                    );
                }
                assert!(!text.contains(KEY), "{name}: the key leaked");
            }
            let path = dir.join(format!("terminal-{name}-{suffix}.txt"));
            if std::env::var_os("BADREQ_BLESS").is_some() {
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(format!("{}:\n{text}", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (BADREQ_BLESS=1 to accept):\n{}",
        stale.join("\n")
    );
}

#[test]
fn quiet_mode_hides_clean_exchanges_only() {
    let cases = cases();
    assert!(!badreq::output::terminal::flagged(&cases[0].1));
    assert!(badreq::output::terminal::flagged(&cases[1].1));
    assert!(badreq::output::terminal::flagged(&cases[3].1));
    let _ = SystemTime::now();
}
