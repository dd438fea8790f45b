//! JSON syntax rules, and the size of the body as a whole.

use crate::diagnose::Findings;
use crate::diagnose::view::RequestView;
use crate::knowledge::{EndpointKind, knowledge};

/// Whether this request must carry a JSON body.
fn expects_json(req: &RequestView) -> bool {
    req.method == "POST"
        && (req.is_messages_body()
            || matches!(
                req.kind(),
                Some(EndpointKind::Complete | EndpointKind::Batches)
            ))
}

/// JSON rules are moot for a compressed body (see headers::compressed_body_unlabelled).
fn readable(req: &RequestView) -> bool {
    expects_json(req)
        && !req.body_truncated
        && !req.has_header("content-encoding")
        && !matches!(req.body.first(), Some(0x1f | 0x28))
}

pub fn empty_body(req: &RequestView, out: &mut Findings) {
    if expects_json(req) && req.body_size == 0 {
        out.flag(
            "body",
            "the body is empty; this endpoint takes a JSON object",
        )
        .fix("send the request parameters as a JSON object");
    }
}

pub fn bom(req: &RequestView, out: &mut Findings) {
    if readable(req) && req.body.starts_with(&[0xEF, 0xBB, 0xBF]) {
        out.flag(
            "body",
            "the body starts with a UTF-8 byte order mark (EF BB BF), which is not valid JSON",
        )
        .fix("write the body without a BOM (e.g. encoding='utf-8', not 'utf-8-sig')");
    }
}

fn looks_form_encoded(body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    let text = text.trim();
    !text.starts_with(['{', '[', '"'])
        && text.contains('=')
        && !text.contains('\n')
        && text
            .split('&')
            .all(|pair| pair.contains('=') && !pair.starts_with('='))
}

pub fn form_encoded(req: &RequestView, out: &mut Findings) {
    if readable(req) && req.json.is_none() && looks_form_encoded(&req.body) {
        out.flag("body", "the body is form data (`key=value&…`), not JSON")
            .evidence(String::from_utf8_lossy(&req.body[..req.body.len().min(80)]))
            .fix("send a JSON object; with requests use json=..., with curl use --data-raw '{...}' and content-type: application/json");
    }
}

/// A few lines around (line, column), with a caret.
fn snippet(body: &[u8], line: usize, column: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let Some(source) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let chars: Vec<char> = source.chars().collect();
    let at = column.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(30);
    let end = (at + 30).min(chars.len());
    let shown: String = chars[start..end]
        .iter()
        .map(|c| if c.is_control() { '·' } else { *c })
        .collect();
    format!("{shown} ← column {column}")
}

/// A hint for the usual ways hand-made JSON goes wrong.
fn json_hint(req: &RequestView, error: &serde_json::Error) -> &'static str {
    let text = String::from_utf8_lossy(&req.body);
    let message = error.to_string();
    if message.contains("control character") {
        "a raw control character (newline, tab) sits inside a string; it must be escaped (\\n, \\t)"
    } else if text.contains("NaN") || text.contains("Infinity") {
        "NaN and Infinity are not JSON numbers"
    } else if message.contains("trailing comma") {
        "a trailing comma before `}` or `]`"
    } else if message.contains("key must be a string") && text.contains('\'') {
        "single quotes: JSON strings and keys use double quotes"
    } else if message.contains("key must be a string") {
        "an unquoted key: JSON keys must be double-quoted strings"
    } else if message.contains("EOF") {
        "the body ends early: it was cut off or built from pieces"
    } else {
        "build the body with a JSON serializer rather than by hand"
    }
}

pub fn invalid_json(req: &RequestView, out: &mut Findings) {
    if !readable(req) || req.body.starts_with(&[0xEF, 0xBB, 0xBF]) || looks_form_encoded(&req.body)
    {
        return;
    }
    let Some(error) = &req.json_error else { return };
    if is_surrogate_error(error) && lone_surrogate_at(&req.body).is_some() {
        return;
    }
    let (line, column) = (error.line(), error.column());
    out.flag("body", format!("the body is not valid JSON: {error}"))
        .evidence(snippet(&req.body, line, column))
        .fix(json_hint(req, error));
}

fn is_surrogate_error(error: &serde_json::Error) -> bool {
    let message = error.to_string();
    message.contains("surrogate") || message.contains("hex escape")
}

/// The byte offset of the first `\uD8xx`–`\uDFxx` escape that is not half of a pair.
fn lone_surrogate_at(body: &[u8]) -> Option<usize> {
    let escape = |at: usize| -> Option<u16> {
        let hex = body.get(at..at + 6)?;
        if &hex[..2] != b"\\u" {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let mut i = 0;
    while i + 6 <= body.len() {
        if body[i] == b'\\' && body.get(i + 1) == Some(&b'\\') {
            i += 2; // an escaped backslash
            continue;
        }
        match escape(i) {
            Some(0xD800..=0xDBFF) => {
                if !matches!(escape(i + 6), Some(0xDC00..=0xDFFF)) {
                    return Some(i);
                }
                i += 12;
            }
            Some(0xDC00..=0xDFFF) => return Some(i),
            Some(_) => i += 6,
            None => i += 1,
        }
    }
    None
}

pub fn lone_surrogate(req: &RequestView, out: &mut Findings) {
    if !readable(req) {
        return;
    }
    let Some(error) = &req.json_error else { return };
    if let Some(at) = lone_surrogate_at(&req.body) {
        let escape = String::from_utf8_lossy(&req.body[at..at + 6]).into_owned();
        let context =
            String::from_utf8_lossy(&req.body[at.saturating_sub(30)..(at + 6).min(req.body.len())])
                .into_owned();
        out.flag("body", format!("the body has a lone UTF-16 surrogate escape `{escape}` (half of an emoji or other character): {error}"))
            .evidence(format!("…{context}"))
            .fix("an emoji or other character was cut in half (often by truncating a string by UTF-16 length); truncate on character boundaries or drop the broken escape");
    }
}

pub fn request_too_large(req: &RequestView, out: &mut Findings) {
    let api = &knowledge().api;
    let limit = match req.kind() {
        Some(EndpointKind::Batches) => api.batches_body_limit,
        Some(EndpointKind::Files) => api.files_body_limit,
        Some(EndpointKind::Messages | EndpointKind::CountTokens | EndpointKind::Complete) => {
            api.messages_body_limit
        }
        _ => return,
    };
    if req.body_size > limit {
        out.flag("body", format!("the body is {} bytes; this endpoint takes at most {limit} (413 request_too_large, answered by Cloudflare)", req.body_size))
            .evidence(format!("{} > {limit}", req.body_size))
            .fix("send large files through the Files API and refer to them by id, or split the request");
    }
}
