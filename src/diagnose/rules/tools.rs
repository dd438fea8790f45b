//! Tool rules: tool definitions, tool_use / tool_result pairing, tool_choice.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::knowledge;

use super::{block_at, block_field, block_type, blocks, message_at, pointer, role};

fn tools(req: &RequestView) -> Option<&Vec<Value>> {
    req.messages_body()?.get("tools")?.as_array()
}

/// A custom (client) tool: no `type`, or `type: "custom"`. Versioned server tools
/// (`web_search_20250305`, ...) have fixed names.
fn is_custom(tool: &Value) -> bool {
    match tool.get("type").and_then(Value::as_str) {
        None | Some("custom") => true,
        Some(_) => false,
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= knowledge().api.tool_name_max_len
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn invalid_name(req: &RequestView, out: &mut Findings) {
    let Some(tools) = tools(req) else { return };
    for (i, tool) in tools.iter().enumerate().filter(|(_, t)| is_custom(t)) {
        let Some(name) = tool.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !valid_name(name) {
            let fixed: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(knowledge().api.tool_name_max_len)
                .collect();
            let location = pointer(["tools".to_string(), i.to_string(), "name".into()]);
            out.flag(
                location.clone(),
                format!("tool name `{name}` must match ^[a-zA-Z0-9_-]{{1,64}}$"),
            )
            .evidence(name)
            .fix(format!(
                "rename it, e.g. `{fixed}`, and map the name back when the tool is called"
            ))
            .patch(Patch::set(location, Value::from(fixed)));
        }
    }
}

pub fn duplicate_name(req: &RequestView, out: &mut Findings) {
    let Some(tools) = tools(req) else { return };
    let mut seen = HashMap::new();
    for (i, tool) in tools.iter().enumerate() {
        let Some(name) = tool.get("name").and_then(Value::as_str) else {
            continue;
        };
        if let Some(first) = seen.insert(name, i) {
            out.flag(
                pointer(["tools".to_string(), i.to_string(), "name".into()]),
                format!("tool name `{name}` is used twice (tools {first} and {i})"),
            )
            .evidence(name)
            .fix("tool names must be unique: drop the duplicate or rename it")
            .patch(Patch::remove(pointer(["tools".to_string(), i.to_string()])));
            seen.insert(name, first);
        }
    }
}

pub fn input_schema_invalid(req: &RequestView, out: &mut Findings) {
    let Some(tools) = tools(req) else { return };
    for (i, tool) in tools.iter().enumerate().filter(|(_, t)| is_custom(t)) {
        if tool.get("function").is_some() {
            continue; // the OpenAI-shape rule speaks for it
        }
        let base = pointer(["tools".to_string(), i.to_string(), "input_schema".into()]);
        match tool.get("input_schema") {
            None => {
                let finding = out.flag(base.clone(), "a custom tool needs `input_schema`");
                if let Some(parameters) = tool.get("parameters") {
                    finding
                        .fix("rename `parameters` to `input_schema` (OpenAI's name)")
                        .patch(Patch::rename(
                            pointer(["tools".to_string(), i.to_string(), "parameters".into()]),
                            base.clone(),
                        ));
                    let _ = parameters;
                } else {
                    finding.fix("add {\"type\": \"object\", \"properties\": {...}}");
                }
            }
            Some(schema) => match schema.get("type") {
                Some(Value::String(t)) if t == "object" => {}
                Some(other) => {
                    out.flag(
                        format!("{base}/type"),
                        format!("`input_schema.type` must be \"object\", not {other}"),
                    )
                    .patch(Patch::set(format!("{base}/type"), Value::from("object")));
                }
                None => {
                    out.flag(
                        format!("{base}/type"),
                        "`input_schema` lacks `\"type\": \"object\"`",
                    )
                    .fix("add \"type\": \"object\" at the top of the schema")
                    .patch(Patch::set(format!("{base}/type"), Value::from("object")));
                }
            },
        }
    }
}

pub fn openai_function_shape(req: &RequestView, out: &mut Findings) {
    let Some(tools) = tools(req) else { return };
    for (i, tool) in tools.iter().enumerate() {
        let Some(function) = tool.get("function") else {
            continue;
        };
        let mut converted = serde_json::json!({
            "name": function.get("name").cloned().unwrap_or(Value::Null),
            "input_schema": function.get("parameters").cloned().unwrap_or(serde_json::json!({"type": "object"})),
        });
        if let Some(description) = function.get("description") {
            converted["description"] = description.clone();
        }
        let location = pointer(["tools".to_string(), i.to_string()]);
        out.flag(
            location.clone(),
            "an OpenAI-style tool ({type: function, function: {...}})",
        )
        .fix("declare tools as {name, description, input_schema}")
        .patch(Patch::set(location, converted));
    }
}

/// `tool_use` ids in a message's content.
fn tool_use_ids(message: &Value) -> Vec<&str> {
    blocks(message)
        .into_iter()
        .flatten()
        .filter(|b| block_type(b) == Some("tool_use"))
        .filter_map(|b| b.get("id")?.as_str())
        .collect()
}

pub fn result_orphan(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        if role(message) != Some("user") {
            continue;
        }
        let previous: HashSet<&str> = match i.checked_sub(1).map(|p| &messages[p]) {
            Some(prev) if role(prev) == Some("assistant") => {
                tool_use_ids(prev).into_iter().collect()
            }
            _ => HashSet::new(),
        };
        let list = blocks(message).map(Vec::as_slice).unwrap_or_default();
        let orphans: Vec<(usize, &str)> = list
            .iter()
            .enumerate()
            .filter(|(_, b)| block_type(b) == Some("tool_result"))
            .map(|(j, b)| {
                (
                    j,
                    b.get("tool_use_id").and_then(Value::as_str).unwrap_or(""),
                )
            })
            .filter(|(_, id)| !previous.contains(id))
            .collect();
        let whole_message = orphans.len() == list.len();
        for (j, id) in &orphans {
            let location = block_at(i, *j);
            let patch = if whole_message {
                Patch::remove(message_at(i))
            } else {
                Patch::remove(location.clone())
            };
            let finding = out
                .flag(location, format!("tool_result `{id}` has no matching tool_use in the message just before it"))
                .evidence(*id)
                .fix("keep each tool_use and its tool_result in adjacent messages; when trimming history, drop them as a pair");
            if *j == orphans[0].0 || !whole_message {
                finding.patch(patch);
            }
        }
    }
}

pub fn use_without_result(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        if role(message) != Some("assistant") || i + 1 >= messages.len() {
            continue;
        }
        let next = &messages[i + 1];
        let answered: HashSet<&str> = blocks(next)
            .into_iter()
            .flatten()
            .filter(|b| block_type(b) == Some("tool_result"))
            .filter_map(|b| b.get("tool_use_id")?.as_str())
            .collect();
        for (j, block) in blocks(message).into_iter().flatten().enumerate() {
            if block_type(block) != Some("tool_use") {
                continue;
            }
            let id = block.get("id").and_then(Value::as_str).unwrap_or("");
            if role(next) != Some("user") || !answered.contains(id) {
                out.flag(block_at(i, j), format!("tool_use `{id}` has no tool_result in the next message"))
                    .evidence(id)
                    .fix("answer every tool_use with a tool_result block at the start of the next user message (is_error: true if the tool failed)");
            }
        }
    }
}

pub fn result_not_first(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        let mut seen_other = false;
        for (j, block) in blocks(message).into_iter().flatten().enumerate() {
            match block_type(block) {
                Some("tool_result") if seen_other => {
                    out.flag(
                        block_at(i, j),
                        "a tool_result comes after other content in its message",
                    )
                    .fix("put all tool_result blocks first in the user message, then any text");
                    break;
                }
                Some("tool_result") => {}
                _ => seen_other = true,
            }
        }
    }
}

pub fn duplicate_use_id(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    let mut seen = HashSet::new();
    for (i, message) in messages.iter().enumerate() {
        for (j, block) in blocks(message).into_iter().flatten().enumerate() {
            if block_type(block) != Some("tool_use") {
                continue;
            }
            if let Some(id) = block.get("id").and_then(Value::as_str)
                && !seen.insert(id)
            {
                out.flag(block_field(i, j, "id"), format!("tool_use id `{id}` appears twice"))
                    .evidence(id)
                    .fix("each tool_use keeps the id the API gave it; a repeated id means a turn was duplicated");
            }
        }
    }
}

pub fn choice_unknown_tool(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    let Some(choice) = body.get("tool_choice") else {
        return;
    };
    if choice.get("type").and_then(Value::as_str) != Some("tool") {
        return;
    }
    let name = choice.get("name").and_then(Value::as_str).unwrap_or("");
    let names: Vec<&str> = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name")?.as_str())
        .collect();
    if !names.contains(&name) {
        out.flag(
            "/tool_choice/name",
            format!("tool_choice names `{name}`, which is not in `tools`"),
        )
        .evidence(name)
        .fix(format!(
            "name one of: {}",
            if names.is_empty() {
                "(no tools declared)".to_owned()
            } else {
                names.join(", ")
            }
        ));
    }
}

pub fn use_input_not_object(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        for (j, block) in blocks(message).into_iter().flatten().enumerate() {
            if block_type(block) != Some("tool_use") {
                continue;
            }
            let input = block.get("input");
            if !input.is_some_and(Value::is_object) {
                let location = block_field(i, j, "input");
                let finding = out
                    .flag(location.clone(), "tool_use `input` must be a JSON object")
                    .evidence(input.map(super::show).unwrap_or_else(|| "(missing)".into()));
                match input
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str::<Value>(s).ok())
                    .filter(Value::is_object)
                {
                    Some(parsed) => {
                        finding
                            .fix("send the parsed object, not a JSON string")
                            .patch(Patch::set(location, parsed));
                    }
                    None => {
                        finding.fix("send the arguments as an object ({} if none); a stream cut mid-tool-call leaves partial JSON").patch(Patch::set(location, serde_json::json!({})));
                    }
                }
            }
        }
    }
}
