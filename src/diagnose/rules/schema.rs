//! Schema rules: required fields, types, unknown and foreign fields, value ranges.

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::{EndpointKind, closest, knowledge};

use super::pointer;

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
