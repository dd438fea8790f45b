//! What an API answer means on its own: bad keys, billing, permissions, rate
//! limits, overload, server errors, and messages no request rule owns.

use crate::diagnose::registry::rule;
use crate::diagnose::view::{RequestView, ResponseView};
use crate::diagnose::{Finding, Severity, Status};

use super::ApiError;

pub(super) fn is_account_level(rule: &str) -> bool {
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
pub(super) fn explain_response(
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
