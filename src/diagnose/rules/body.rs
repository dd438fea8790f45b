//! Body rules: JSON syntax, the Messages schema, value ranges, size.

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::{EndpointKind, closest, knowledge};

use super::pointer;

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

/// The known top-level fields for this request, and whether `name` is one.
fn field_allowed(req: &RequestView, name: &str) -> bool {
    let fields = &knowledge().messages_fields;
    let list: &[String] = if req.kind() == Some(EndpointKind::CountTokens) {
        &fields.count_tokens
    } else {
        &fields.required
    };
    let in_list = |l: &[String]| l.iter().any(|f| f == name);
    if req.kind() == Some(EndpointKind::CountTokens) {
        return in_list(list) || in_list(&fields.sampling);
    }
    in_list(&fields.required) || in_list(&fields.optional) || in_list(&fields.sampling)
}

/// Fields other rules speak about (legacy, OpenAI, beta, cloud-provider).
fn handled_elsewhere(name: &str) -> bool {
    let k = knowledge();
    matches!(name, "prompt" | "max_tokens_to_sample")
        || k.openai_fields.contains_key(name)
        || k.messages_fields.beta_only.iter().any(|b| b[0] == name)
        || k.messages_fields.cloud_provider.iter().any(|f| f == name)
}

pub fn missing_field(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    let required: &[&str] = if req.kind() == Some(EndpointKind::CountTokens) {
        &["model", "messages"]
    } else {
        &["model", "max_tokens", "messages"]
    };
    for field in required {
        // Bedrock and Vertex AI take the model in the URL.
        if body.contains_key(*field) || (*field == "model" && req.is_cloud_provider_path()) {
            continue;
        }
        // The legacy rules explain a Text Completions body better.
        if (*field == "max_tokens" && body.contains_key("max_tokens_to_sample"))
            || (*field == "messages" && body.contains_key("prompt"))
            || (*field == "max_tokens" && body.contains_key("max_completion_tokens"))
        {
            continue;
        }
        let finding = out.flag(pointer([field]), format!("`{field}` is required"));
        if *field == "max_tokens" {
            finding
                .fix("set `max_tokens` (the most output tokens to generate; e.g. 1024)")
                .patch(Patch::set("/max_tokens", Value::from(1024)));
        } else {
            finding.fix(format!("add `{field}`"));
        }
    }
}

fn type_problem(name: &str, value: &Value) -> Option<&'static str> {
    let ok = match name {
        "model" => value.is_string(),
        "max_tokens" | "top_k" => value.as_u64().is_some() || value.as_i64().is_some(),
        "messages" | "tools" | "stop_sequences" => value.is_array(),
        "stream" => value.is_boolean(),
        "system" => value.is_string() || value.is_array(),
        "temperature" | "top_p" => value.is_number(),
        "metadata" | "thinking" | "tool_choice" | "output_config" => value.is_object(),
        _ => true,
    };
    if ok {
        return None;
    }
    Some(match name {
        "model" => "a string",
        "max_tokens" | "top_k" => "an integer",
        "messages" | "tools" => "an array",
        "stop_sequences" => "an array of strings",
        "stream" => "a boolean",
        "system" => "a string or an array of text blocks",
        "temperature" | "top_p" => "a number",
        _ => "an object",
    })
}

pub fn wrong_type(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    for (name, value) in body {
        if let Some(expected) = type_problem(name, value) {
            let finding = out
                .flag(
                    pointer([name]),
                    format!("`{name}` must be {expected}, not {}", super::show(value)),
                )
                .evidence(super::show(value));
            if let Some(n) = value.as_str().and_then(|s| s.trim().parse::<u64>().ok()) {
                finding
                    .fix(format!("send the number {n}, not the string"))
                    .patch(Patch::set(pointer([name]), Value::from(n)));
            } else if name == "tool_choice" && value.is_string() {
                finding
                    .fix(format!("use an object: {{\"type\": {value}}}"))
                    .patch(Patch::set(
                        "/tool_choice",
                        serde_json::json!({"type": value}),
                    ));
            } else if name == "stop_sequences" && value.is_string() {
                finding.fix("wrap it in an array").patch(Patch::set(
                    "/stop_sequences",
                    Value::Array(vec![value.clone()]),
                ));
            }
        }
    }
    if let Some(stops) = body.get("stop_sequences").and_then(Value::as_array) {
        for (i, stop) in stops.iter().enumerate() {
            if !stop.is_string() {
                out.flag(
                    pointer(["stop_sequences".to_string(), i.to_string()]),
                    "each stop sequence must be a string",
                )
                .evidence(super::show(stop));
            }
        }
    }
}

pub fn unknown_field(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    let fields = &knowledge().messages_fields;
    for name in body.keys() {
        if field_allowed(req, name) || handled_elsewhere(name) {
            continue;
        }
        let known = fields
            .required
            .iter()
            .chain(&fields.optional)
            .chain(&fields.sampling)
            .map(String::as_str);
        let meant = closest(name, known, 2).filter(|m| !body.contains_key(*m));
        // The beta API grows fields faster than any list: there, only near-misses
        // of known fields (typos) are called out.
        if req.is_beta() && meant.is_none() {
            continue;
        }
        let finding = out
            .flag(pointer([name]), format!("`{name}` is not a field of this request; the API answers `{name}: Extra inputs are not permitted`"))
            .evidence(name);
        match meant {
            Some(meant) => {
                finding
                    .fix(format!("did you mean `{meant}`?"))
                    .patch(Patch::rename(pointer([name]), pointer([meant])));
            }
            None => {
                finding
                    .fix(format!("remove `{name}`"))
                    .patch(Patch::remove(pointer([name])));
            }
        }
    }
}

pub fn openai_field(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    for (name, advice) in &knowledge().openai_fields {
        let Some(value) = body.get(name) else {
            continue;
        };
        let finding = out
            .flag(
                pointer([name]),
                format!(
                    "`{name}` is an OpenAI Chat Completions field; the Messages API rejects it"
                ),
            )
            .evidence(format!("{name}: {}", super::show(value)))
            .fix(advice.clone());
        match name.as_str() {
            "max_completion_tokens" if !body.contains_key("max_tokens") => {
                finding.patch(Patch::rename("/max_completion_tokens", "/max_tokens"));
            }
            "stop" if !body.contains_key("stop_sequences") => {
                let stops = if value.is_string() {
                    Value::Array(vec![value.clone()])
                } else {
                    value.clone()
                };
                finding
                    .patch(Patch::remove("/stop"))
                    .patch(Patch::set("/stop_sequences", stops));
            }
            _ => {
                finding.patch(Patch::remove(pointer([name])));
            }
        }
    }
}

pub fn beta_field_without_header(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    let betas = req.betas();
    for entry in &knowledge().messages_fields.beta_only {
        let (name, allowed_by) = (&entry[0], &entry[1..]);
        if !body.contains_key(name) {
            continue;
        }
        let allowed = if allowed_by.is_empty() {
            req.is_beta()
        } else {
            allowed_by.iter().any(|b| betas.contains(&b.as_str()))
        };
        if !allowed {
            let finding = out
                .flag(pointer([name]), format!("`{name}` exists only in the beta API; without its beta header the API answers `{name}: Extra inputs are not permitted`"))
                .evidence(name);
            match allowed_by.last() {
                Some(beta) => finding
                    .fix(format!(
                        "send `anthropic-beta: {beta}` (the SDK's client.beta.messages does)"
                    ))
                    .patch(Patch::set_header("anthropic-beta", beta)),
                None => finding
                    .fix("call the beta endpoint (`?beta=true`, client.beta.messages in the SDK)"),
            };
        }
    }
}

pub fn cloud_provider_field(req: &RequestView, out: &mut Findings) {
    if req.is_cloud_provider_path() || (req.host.is_some() && !req.is_anthropic_host()) {
        return;
    }
    let Some(body) = req.messages_body() else {
        return;
    };
    for name in &knowledge().messages_fields.cloud_provider {
        if let Some(value) = body.get(name) {
            let header = name.replace('_', "-");
            out.flag(pointer([name]), format!("`{name}` is the Bedrock/Vertex AI body format; api.anthropic.com takes `{header}` as a header"))
                .evidence(format!("{name}: {}", super::show(value)))
                .fix(format!("remove `{name}` from the body and send the `{header}` header"))
                .patch(Patch::remove(pointer([name])));
        }
    }
}

pub fn value_out_of_range(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    for (name, low, high) in [("temperature", 0.0, 1.0), ("top_p", 0.0, 1.0)] {
        if let Some(v) = body.get(name).and_then(Value::as_f64)
            && !(low..=high).contains(&v)
        {
            let clamped = v.clamp(low, high);
            out.flag(pointer([name]), format!("`{name}` is {v}; it must be between {low} and {high}"))
                .evidence(v.to_string())
                .fix(format!("use a value from {low} to {high} (OpenAI's temperature goes to 2; Anthropic's stops at 1)"))
                .patch(Patch::set(pointer([name]), serde_json::json!(clamped)));
        }
    }
    if let Some(v) = body.get("top_k").and_then(Value::as_i64)
        && v < 0
    {
        out.flag("/top_k", format!("`top_k` is {v}; it must be 0 or more"))
            .evidence(v.to_string());
    }
    if let Some(v) = body.get("max_tokens").and_then(Value::as_i64)
        && v < 0
    {
        out.flag(
            "/max_tokens",
            format!("`max_tokens` is {v}; it must be 0 or more"),
        )
        .evidence(v.to_string());
    }
}

pub fn stop_sequence_whitespace(req: &RequestView, out: &mut Findings) {
    let Some(stops) = req
        .messages_body()
        .and_then(|b| b.get("stop_sequences"))
        .and_then(Value::as_array)
    else {
        return;
    };
    for (i, stop) in stops.iter().enumerate() {
        if let Some(text) = stop.as_str()
            && text.trim().is_empty()
        {
            out.flag(
                pointer(["stop_sequences".to_string(), i.to_string()]),
                "a stop sequence made only of whitespace is rejected",
            )
            .evidence(format!("{stop}"))
            .fix("remove it, or stop on visible text (e.g. \"\\n\\nHuman:\")")
            .patch(Patch::remove(pointer([
                "stop_sequences".to_string(),
                i.to_string(),
            ])));
        }
    }
}

pub fn sampling_rejected_by_version(req: &RequestView, out: &mut Findings) {
    if !req.sampling_rejected() {
        return;
    }
    let Some(body) = req.messages_body() else {
        return;
    };
    for name in &knowledge().messages_fields.sampling {
        if let Some(value) = body.get(name) {
            out.flag(
                pointer([name]),
                format!(
                    "`{name}` is rejected under anthropic-version 2026-10-21, even at its default"
                ),
            )
            .evidence(format!("{name}: {value}"))
            .fix(format!(
                "remove `{name}` (or keep it and send anthropic-version 2023-06-01)"
            ))
            .patch(Patch::remove(pointer([name])));
        }
    }
}

pub fn sampling_removed_for_model(req: &RequestView, out: &mut Findings) {
    if req.sampling_rejected() {
        return;
    }
    let Some(model) = req.model() else { return };
    if model.sampling != crate::knowledge::Sampling::Removed {
        return;
    }
    let Some(body) = req.messages_body() else {
        return;
    };
    for name in &knowledge().messages_fields.sampling {
        if let Some(value) = body.get(name) {
            out.flag(
                pointer([name]),
                format!("{} does not take `{name}`", model.id),
            )
            .evidence(format!("{name}: {value}"))
            .fix(format!(
                "remove `{name}`; steer output with the prompt or `output_config.effort`"
            ))
            .patch(Patch::remove(pointer([name])));
        }
    }
}

pub fn temperature_and_top_p(req: &RequestView, out: &mut Findings) {
    let Some(model) = req.model() else { return };
    let Some(body) = req.messages_body() else {
        return;
    };
    if model.sampling == crate::knowledge::Sampling::Exclusive
        && body.contains_key("temperature")
        && body.contains_key("top_p")
        && !req.sampling_rejected()
    {
        out.flag(
            "/top_p",
            format!("{} takes `temperature` or `top_p`, not both", model.id),
        )
        .evidence(format!(
            "temperature: {}, top_p: {}",
            body["temperature"], body["top_p"]
        ))
        .fix("send only one of them (usually temperature)")
        .patch(Patch::remove("/top_p"));
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
