//! Reading the API's answer and holding the predictions up against it.
//!
//! The API's error envelope (`{"type":"error","error":{"type","message"},
//! "request_id"}`) is the truth about a rejected request. Its message usually
//! starts with a dotted path (`messages.3.content.0.tool_use.input: ...`),
//! which [`message_pointer`] turns into a JSON pointer by walking the request
//! body and skipping the union tags (`tool_use`, `custom`, `base64`, ...).

use serde_json::Value;

use super::registry::{RULES, Rule, rule};
use super::view::{RequestView, ResponseView};
use super::{Finding, Severity, Status, check_rule};

/// An error the API answered with (status ≥ 400, or `event: error` in a stream).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub kind: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// Arrived as an SSE `error` event after a 200.
    pub in_stream: bool,
}

/// The API's error, if the response is one. badreq's own 502/504 are not.
pub fn api_error(response: &ResponseView) -> Option<ApiError> {
    if response.synthetic {
        return None;
    }
    let header_id = response.header("request-id").map(str::to_owned);
    if response.status >= 400 {
        let json: Option<Value> = serde_json::from_slice(&response.body).ok();
        let error = json.as_ref().and_then(|j| j.get("error"));
        let message = error
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&response.body[..response.body.len().min(300)])
                    .trim()
                    .to_owned()
            });
        return Some(ApiError {
            status: response.status,
            kind: error
                .and_then(|e| e.get("type"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            message,
            request_id: json
                .as_ref()
                .and_then(|j| j.get("request_id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or(header_id),
            in_stream: false,
        });
    }
    let is_sse = response
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/event-stream"));
    if is_sse {
        return stream_error(&response.body).map(|(kind, message)| ApiError {
            status: response.status,
            kind,
            message,
            request_id: header_id,
            in_stream: true,
        });
    }
    None
}

/// The first `event: error` of an SSE body: (error.type, error.message).
fn stream_error(body: &[u8]) -> Option<(Option<String>, String)> {
    let event = crate::sse::parse_events(body)
        .into_iter()
        .find(|e| e.event.as_deref() == Some("error"))?;
    let kind = event
        .data
        .pointer("/error/type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let message = match event.data.pointer("/error/message").and_then(Value::as_str) {
        Some(m) => m.to_owned(),
        None => event.data.to_string(),
    };
    Some((kind, message))
}

/// Union tags that appear in the API's paths but not in the body.
const TAGS: &[&str] = &[
    "custom",
    "enabled",
    "adaptive",
    "disabled",
    "base64",
    "url",
    "ephemeral",
    "pdf",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
    "image",
    "document",
    "search_result",
    "server_tool_use",
    "auto",
    "any",
    "tool",
    "none",
];

/// The JSON pointer the message's leading dotted path names, if it has one.
pub fn message_pointer(message: &str, body: Option<&Value>) -> Option<String> {
    let (path, _) = message.split_once(": ")?;
    let valid = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '`'));
    if !valid || path.contains('-') && !path.contains('.') {
        return None;
    }
    let mut pointer = String::new();
    let mut node = body;
    for segment in path.split('.').map(|s| s.trim_matches('`')) {
        if let Ok(index) = segment.parse::<usize>() {
            pointer.push_str(&format!("/{index}"));
            if body.is_some() {
                // An index the body does not have: the path speaks of another body.
                node = Some(node.and_then(|n| n.get(index))?);
            }
            continue;
        }
        match node {
            // `…content.0.thinking.cache_control`: the block's type names the union member.
            Some(Value::Object(map))
                if map.get("type").and_then(Value::as_str) == Some(segment) => {}
            Some(Value::Object(map)) if map.contains_key(segment) => {
                pointer.push_str(&format!("/{segment}"));
                node = map.get(segment);
            }
            _ if TAGS.contains(&segment) => {}
            _ => {
                pointer.push_str(&format!("/{segment}"));
                node = None;
            }
        }
    }
    (!pointer.is_empty()).then_some(pointer)
}

/// Whether a finding's location and the API's pointer speak of the same place.
fn same_place(location: &str, pointer: &str) -> bool {
    let parent = |p: &str| {
        p.rsplit_once('/')
            .map(|(head, _)| head.to_owned())
            .unwrap_or_default()
    };
    location == pointer
        || location.starts_with(&format!("{pointer}/"))
        || pointer.starts_with(&format!("{location}/"))
        || (!parent(location).is_empty() && parent(location) == parent(pointer))
}

fn fragment_matches(rule: &Rule, message: &str) -> bool {
    rule.api_messages.iter().any(|f| message.contains(f))
}

/// Holds the predictions against the response and adds what the response says.
pub fn correlate(
    request: &RequestView,
    response: &ResponseView,
    mut findings: Vec<Finding>,
) -> Vec<Finding> {
    if response.synthetic {
        return findings;
    }
    let Some(error) = api_error(response) else {
        if (200..400).contains(&response.status) {
            for finding in findings
                .iter_mut()
                .filter(|f| f.severity == Severity::Error)
            {
                finding.status = Status::Contradicted;
            }
        }
        return findings;
    };
    let pointer = message_pointer(&error.message, request.json.as_ref());
    let mut explained = false;
    for finding in findings.iter_mut() {
        let Some(rule) = rule(finding.rule) else {
            continue;
        };
        let at_pointer = pointer
            .as_deref()
            .is_none_or(|p| !finding.location.starts_with('/') || same_place(&finding.location, p));
        if fragment_matches(rule, &error.message) && at_pointer {
            confirm(finding, &error);
            explained = true;
        }
    }
    if !explained {
        explained = locate_with_rule(request, &error, None, &mut findings);
    }
    let mut from_response = explain_response(request, response, &error, pointer.as_deref());
    if explained {
        from_response.retain(|f| is_account_level(f.rule));
    }
    if !explained && from_response.is_empty() {
        explained = locate_with_rule(request, &error, pointer.as_deref(), &mut findings);
    }
    if !explained && from_response.is_empty() {
        let mut finding = Finding::new(
            "api-unexplained",
            if error.status >= 500 {
                Severity::Warn
            } else {
                Severity::Error
            },
            pointer.clone().unwrap_or_else(|| "body".into()),
            format!(
                "the API rejected the request ({}); no rule explains it",
                error.status
            ),
        );
        finding.status = Status::Unexplained;
        finding.api_message = Some(error.message.clone());
        finding.request_id = error.request_id.clone();
        finding.fix("read the API's message; if badreq should have caught this, the rule is missing (please report it)");
        from_response.push(finding);
    }
    findings.extend(from_response);
    findings
}

fn confirm(finding: &mut Finding, error: &ApiError) {
    finding.status = Status::Confirmed;
    finding.severity = Severity::Error;
    finding.api_message = Some(error.message.clone());
    finding.request_id = error.request_id.clone();
}

/// A rule that recognises the message but predicted nothing: its fault was
/// accepted on the request's date (re-run it as of the day before the change),
/// or, when `pointer` is given, its data did not cover this request (report it
/// at the API's pointer). Either way the API confirmed it.
fn locate_with_rule(
    request: &RequestView,
    error: &ApiError,
    pointer: Option<&str>,
    findings: &mut Vec<Finding>,
) -> bool {
    // Rules that changed over time first: their fragments are the most specific.
    let candidates = RULES
        .iter()
        .filter(|r| r.before.is_some())
        .chain(RULES.iter().filter(|r| r.before.is_none()))
        .filter(|r| r.check.is_some() && fragment_matches(r, &error.message));
    for rule in candidates {
        let mut located = match rule.before {
            Some(day) => {
                let mut earlier = request.clone();
                earlier.as_of = day.to_owned();
                check_rule(rule, &earlier)
            }
            None => Vec::new(),
        };
        if located.is_empty() {
            let Some(pointer) = pointer else { continue };
            if rule.before.is_some() {
                continue;
            }
            let mut finding = Finding::new(
                rule.id,
                Severity::Error,
                pointer,
                format!(
                    "{} (badreq's data did not predict it for this request)",
                    rule.summary
                ),
            );
            finding.fix("see `badreq explain ".to_owned() + rule.id + "`");
            located.push(finding);
        }
        for mut finding in located {
            if rule.before.is_some() {
                finding.message.push_str(&format!(
                    "; the API rejected it, so it is judged by the API before {}",
                    day_after(rule.before.unwrap_or(""))
                ));
            }
            confirm(&mut finding, error);
            findings.push(finding);
        }
        return true;
    }
    false
}

fn day_after(day: &str) -> String {
    match day {
        "2026-05-27" => "2026-05-28".into(),
        "2024-10-21" => "2024-10-22".into(),
        other => other.into(),
    }
}

fn is_account_level(rule: &str) -> bool {
    matches!(
        rule,
        "api-rate-limited"
            | "api-overloaded"
            | "api-server-error"
            | "api-stream-error"
            | "api-credit-balance"
            | "api-permission-denied"
    )
}

fn response_finding(
    id: &'static str,
    location: impl Into<String>,
    message: impl Into<String>,
    fix: &str,
    error: &ApiError,
) -> Finding {
    let severity = rule(id).map_or(Severity::Error, |r| r.severity);
    let mut finding = Finding::new(id, severity, location, message);
    finding.status = Status::Confirmed;
    finding.api_message = Some(error.message.clone());
    finding.request_id = error.request_id.clone();
    finding.fix(fix);
    finding
}

/// What the response says on its own: status, error type and message.
fn explain_response(
    request: &RequestView,
    response: &ResponseView,
    error: &ApiError,
    pointer: Option<&str>,
) -> Vec<Finding> {
    let m = error.message.as_str();
    let kind = error.kind.as_deref().unwrap_or("");
    let mut out = Vec::new();
    if error.in_stream {
        let (id, fix) = if kind == "overloaded_error" {
            (
                "api-overloaded",
                "retry with exponential backoff; the 200 status does not mean success when an error event follows",
            )
        } else {
            (
                "api-stream-error",
                "treat the stream as failed and retry; check the event's error type",
            )
        };
        out.push(response_finding(
            id,
            "account",
            format!("the stream failed after it started: `event: error` ({kind})"),
            fix,
            error,
        ));
        return out;
    }
    let finding = match (error.status, kind) {
        (401, _) if m.contains("invalid x-api-key") => response_finding(
            "api-invalid-api-key",
            "header:x-api-key",
            "the API does not accept the key in x-api-key",
            "check the key in the console (revoked? another workspace?), and that it is an API key, not an OAuth token",
            error,
        ),
        (401, _) if m.contains("Invalid bearer token") => {
            let hint = if request
                .header("authorization")
                .is_some_and(|a| a.contains("sk-ant-api"))
                && !request.bearer_api_keys()
            {
                "an API key as Bearer needs anthropic-version 2026-10-21; otherwise send it in x-api-key"
            } else {
                "the OAuth token is invalid or expired: log in again, or use an API key in x-api-key"
            };
            response_finding(
                "api-invalid-bearer-token",
                "header:authorization",
                "the API does not accept the Bearer token",
                hint,
                error,
            )
        }
        (401, _) if m.contains("OAuth authentication is currently not supported") => {
            response_finding(
                "api-oauth-not-supported",
                "header:authorization",
                "OAuth tokens are not accepted for this request",
                "add `anthropic-beta: oauth-2025-04-20`, or use an API key",
                error,
            )
        }
        (_, _) if m.contains("credit balance is too low") => response_finding(
            "api-credit-balance",
            "account",
            "the organisation is out of prepaid credit (the API says so with a 400)",
            "buy credits or raise the limit under Plans & Billing; nothing in the request is wrong",
            error,
        ),
        (403, _) | (_, "permission_error") => response_finding(
            "api-permission-denied",
            "account",
            format!(
                "the API refused access ({})",
                if m.is_empty() { "403" } else { m }
            ),
            "check the key's workspace permissions, the model's availability to the organisation, and the region you call from",
            error,
        ),
        (404, _) if m.starts_with("model:") => response_finding(
            "api-not-found",
            "/model",
            format!(
                "the API does not know the model `{}`",
                m.trim_start_matches("model:").trim()
            ),
            "use a current model id (GET /v1/models lists them); retired models answer 404",
            error,
        ),
        (404, _) => response_finding(
            "api-not-found",
            "url",
            format!("the API has no endpoint at {}", request.path),
            "check the path: /v1/messages, /v1/messages/count_tokens, /v1/models, ...",
            error,
        ),
        (413, _) | (_, "request_too_large") => response_finding(
            "api-request-too-large",
            "body",
            format!(
                "the body ({} bytes) is over the size limit",
                request.body_size
            ),
            "upload large files with the Files API, or split the request",
            error,
        ),
        (429, _) | (_, "rate_limit_error") => rate_limited(response, error),
        (529, _) | (_, "overloaded_error") => response_finding(
            "api-overloaded",
            "account",
            "the API is overloaded (529); the request itself may be fine",
            "retry with exponential backoff (the SDKs retry twice by default)",
            error,
        ),
        (s, _) if s >= 500 => response_finding(
            "api-server-error",
            "account",
            format!("the API failed with {s}"),
            "retry later; report the request id if it persists",
            error,
        ),
        _ if m.contains("prompt is too long") => response_finding(
            "api-prompt-too-long",
            "/messages",
            "the prompt is longer than the model's context window",
            "trim or summarise older turns, or use a model/beta with a larger context window",
            error,
        ),
        _ if m.contains("Invalid `signature`") => response_finding(
            "api-thinking-signature-invalid",
            format!("{}/signature", pointer.unwrap_or("/messages")),
            "a thinking block's signature does not verify: it was edited, or comes from another model or provider",
            "pass thinking blocks back exactly as received, and only to the model that wrote them",
            error,
        ),
        _ if m.contains("PDF pages may be provided") => response_finding(
            "api-pdf-too-many-pages",
            pointer.unwrap_or("/messages").to_owned(),
            "a PDF has more pages than the API takes (100)",
            "split the PDF or send only the pages needed",
            error,
        ),
        _ => return out,
    };
    out.push(finding);
    out
}

fn rate_limited(response: &ResponseView, error: &ApiError) -> Finding {
    let retry = response
        .header("retry-after")
        .map(|s| format!("retry after {s}s"))
        .unwrap_or_else(|| "retry with backoff".into());
    let remaining: Vec<String> = response
        .headers
        .iter()
        .filter(|(n, _)| n.starts_with("anthropic-ratelimit-") && n.ends_with("-remaining"))
        .map(|(n, v)| format!("{}={v}", n.trim_start_matches("anthropic-ratelimit-")))
        .collect();
    let mut finding = response_finding(
        "api-rate-limited",
        "account",
        "a rate limit was hit (requests or tokens per minute)",
        &format!("{retry}; lower concurrency or prompt size, or ask for a higher limit"),
        error,
    );
    if !remaining.is_empty() {
        finding.evidence(remaining.join(", "));
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_become_pointers_through_union_tags() {
        let body = json!({"messages": [{"role":"user","content":"x"}, {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":"oops"}]}], "tools":[{"name":"a b","input_schema":{}}]});
        assert_eq!(
            message_pointer(
                "messages.1.content.0.tool_use.input: Input should be a valid dictionary",
                Some(&body)
            )
            .as_deref(),
            Some("/messages/1/content/0/input")
        );
        assert_eq!(
            message_pointer(
                "tools.0.custom.input_schema.type: Field required",
                Some(&body)
            )
            .as_deref(),
            Some("/tools/0/input_schema/type")
        );
        assert_eq!(
            message_pointer("max_tokens: Field required", None).as_deref(),
            Some("/max_tokens")
        );
        assert_eq!(message_pointer("x-api-key header is required", None), None);
        assert_eq!(
            message_pointer("anthropic-version: header is required", None),
            None
        );
    }

    #[test]
    fn sse_error_event_is_found() {
        let body = b"event: message_start\ndata: {}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let (kind, message) = stream_error(body).unwrap();
        assert_eq!(kind.as_deref(), Some("overloaded_error"));
        assert_eq!(message, "Overloaded");
    }
}
