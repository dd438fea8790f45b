//! The API's error envelope, in a JSON body or an SSE `error` event, and the
//! JSON pointer its message's dotted path names.

use serde_json::Value;

use crate::diagnose::view::ResponseView;

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
