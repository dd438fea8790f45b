//! Server-Sent Events, read back from a captured body.
//!
//! Only for inspection: the stream itself is forwarded byte for byte and never
//! parsed on the way.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SseEvent {
    /// The `event:` name (`None` when the event had no name).
    pub event: Option<String>,
    /// The `data:` lines, joined with newlines; JSON when it parses.
    pub data: serde_json::Value,
}

/// Splits an SSE body into events (a final partial event is kept too).
pub fn parse_events(body: &[u8]) -> Vec<SseEvent> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data: Vec<&str> = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            if event.is_none() && data.is_empty() {
                return None;
            }
            let joined = data.join("\n");
            let data = serde_json::from_str(&joined).unwrap_or(serde_json::Value::String(joined));
            Some(SseEvent { event, data })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_json_data() {
        let body = b"event: ping\ndata: {\"type\": \"ping\"}\n\nevent: error\r\ndata: {\"error\":{\"type\":\"overloaded_error\"}}\r\n\r\n: comment\n\n";
        let events = parse_events(body);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event.as_deref(), Some("ping"));
        assert_eq!(events[1].data["error"]["type"], "overloaded_error");
    }
}
