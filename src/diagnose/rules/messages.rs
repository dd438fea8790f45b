//! Conversation rules: roles, turn order, empty content, prefill.

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::knowledge;

use super::{block_at, block_field, block_type, blocks, message_at, message_field, pointer, role};

pub fn empty(req: &RequestView, out: &mut Findings) {
    if req.messages().is_some_and(|m| m.is_empty()) {
        out.flag(
            "/messages",
            "`messages` is empty; a request needs at least one user message",
        )
        .fix("add {\"role\": \"user\", \"content\": \"...\"}");
    }
}

/// Roles from other APIs, and what Anthropic's API uses instead.
fn role_advice(role: &str) -> &'static str {
    match role {
        "tool" | "function" => "tool results go in a `user` message as `tool_result` blocks",
        "developer" => "use the top-level `system` field (or a `system` message)",
        "model" | "ai" | "bot" | "Assistant" => "use `assistant`",
        "human" | "Human" | "User" => "use `user`",
        _ => "roles are `user`, `assistant` and `system`",
    }
}

pub fn unknown_role(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        match message.get("role") {
            Some(Value::String(r)) if matches!(r.as_str(), "user" | "assistant" | "system") => {}
            Some(value) => {
                let shown = value.as_str().unwrap_or("(not a string)");
                out.flag(
                    message_field(i, "role"),
                    format!("role `{shown}` is not a Messages API role"),
                )
                .evidence(super::show(value))
                .fix(role_advice(shown));
            }
            None => {
                out.flag(message_field(i, "role"), "the message has no `role`")
                    .fix("add `role`: `user` or `assistant`");
            }
        }
    }
}

pub fn system_role(req: &RequestView, out: &mut Findings) {
    if req.as_of.as_str() >= knowledge().changes.system_role_accepted.as_str() {
        return;
    }
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        if role(message) == Some("system") {
            let finding = out
                .flag(message_field(i, "role"), "a `system` message inside `messages`; before 2026-05-28 the API took only a top-level `system`")
                .fix("move its text to the top-level `system` field (accepted inside `messages` since 2026-05-28)");
            if i == 0
                && let Some(text) = message.get("content")
            {
                finding
                    .patch(Patch::set("/system", text.clone()))
                    .patch(Patch::remove("/messages/0"));
            }
        }
    }
}

pub fn consecutive_same_role(req: &RequestView, out: &mut Findings) {
    if req.as_of.as_str() >= knowledge().changes.consecutive_roles_merged.as_str() {
        return;
    }
    let Some(messages) = req.messages() else {
        return;
    };
    for i in 1..messages.len() {
        let (prev, this) = (role(&messages[i - 1]), role(&messages[i]));
        if prev == this && matches!(this, Some("user" | "assistant")) {
            let r = this.unwrap_or("");
            out.flag(message_at(i), format!("two `{r}` messages in a row; before 2024-10-22 the API required alternating roles"))
                .fix("merge consecutive same-role messages (merged automatically since 2024-10-22)");
        }
    }
}

pub fn first_not_user(req: &RequestView, out: &mut Findings) {
    let Some(first) = req.messages().and_then(|m| m.first()) else {
        return;
    };
    if role(first) == Some("assistant") {
        out.flag(
            "/messages/0/role",
            "the conversation starts with an `assistant` message",
        )
        .fix("start with a `user` message (drop or move the greeting into `system`)");
    }
}

fn is_empty_content(content: Option<&Value>) -> bool {
    match content {
        None => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

pub fn empty_content(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    let last = messages.len().saturating_sub(1);
    for (i, message) in messages.iter().enumerate() {
        let final_assistant = i == last && role(message) == Some("assistant");
        if role(message) != Some("assistant") && role(message) != Some("user") || final_assistant {
            continue;
        }
        if is_empty_content(message.get("content")) {
            out.flag(
                message_field(i, "content"),
                format!(
                    "message {i} has empty content; only a final assistant message may be empty"
                ),
            )
            .evidence(
                message
                    .get("content")
                    .map(super::show)
                    .unwrap_or_else(|| "(missing)".into()),
            )
            .fix("drop the empty message, or give it content");
        }
    }
}

pub fn empty_text_block(req: &RequestView, out: &mut Findings) {
    if let Some(messages) = req.messages() {
        for (location, _, block) in super::all_blocks(messages) {
            if block_type(block) == Some("text")
                && block.get("text").and_then(Value::as_str) == Some("")
            {
                out.flag(location.clone(), "an empty text block (`\"text\": \"\"`)")
                    .fix("drop empty text blocks (often left next to tool_use when replaying a response)")
                    .patch(Patch::remove(location));
            }
        }
    }
    if let Some(system) = req
        .messages_body()
        .and_then(|b| b.get("system"))
        .and_then(Value::as_array)
    {
        for (j, block) in system.iter().enumerate() {
            if block.get("text").and_then(Value::as_str) == Some("") {
                let location = pointer(["system".to_string(), j.to_string()]);
                out.flag(location.clone(), "an empty text block in `system`")
                    .fix("drop it")
                    .patch(Patch::remove(location));
            }
        }
    }
}

pub fn whitespace_text(req: &RequestView, out: &mut Findings) {
    let blank = |s: &str| !s.is_empty() && s.trim().is_empty();
    if let Some(messages) = req.messages() {
        for (i, message) in messages.iter().enumerate() {
            if role(message) == Some("assistant") {
                continue;
            }
            if let Some(text) = message.get("content").and_then(Value::as_str)
                && blank(text)
            {
                out.flag(
                    message_field(i, "content"),
                    "the message's text is only whitespace",
                )
                .evidence(format!("{text:?}"));
            }
            for (j, block) in blocks(message).into_iter().flatten().enumerate() {
                if block_type(block) == Some("text")
                    && block.get("text").and_then(Value::as_str).is_some_and(blank)
                {
                    out.flag(block_at(i, j), "a text block made only of whitespace")
                        .fix("drop it or give it text");
                }
            }
        }
    }
    if let Some(system) = req.messages_body().and_then(|b| b.get("system")) {
        let blocks: Vec<(String, &str)> = match system {
            Value::Array(list) => list
                .iter()
                .enumerate()
                .filter_map(|(j, b)| {
                    Some((
                        pointer(["system".to_string(), j.to_string()]),
                        b.get("text")?.as_str()?,
                    ))
                })
                .collect(),
            _ => Vec::new(),
        };
        for (location, text) in blocks {
            if blank(text) {
                out.flag(location, "a `system` text block made only of whitespace")
                    .fix("drop it");
            }
        }
    }
}

/// The final message, when it is an assistant prefill.
fn prefill(req: &RequestView) -> Option<(usize, &Value)> {
    let messages = req.messages()?;
    let last = messages.last()?;
    (role(last) == Some("assistant")).then(|| (messages.len() - 1, last))
}

pub fn prefill_trailing_whitespace(req: &RequestView, out: &mut Findings) {
    let Some((i, message)) = prefill(req) else {
        return;
    };
    let ends_blank = |s: &str| s.ends_with(char::is_whitespace);
    match message.get("content") {
        Some(Value::String(text)) if ends_blank(text) && !text.trim().is_empty() => {
            out.flag(
                message_field(i, "content"),
                "the final assistant message (prefill) ends with whitespace",
            )
            .evidence(format!(
                "…{:?}",
                text.chars()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<String>()
            ))
            .fix("strip trailing spaces and newlines from the prefill")
            .patch(Patch::set(
                message_field(i, "content"),
                Value::from(text.trim_end()),
            ));
        }
        Some(Value::Array(list)) => {
            if let Some((j, block)) = list.iter().enumerate().next_back()
                && block_type(block) == Some("text")
                && let Some(text) = block.get("text").and_then(Value::as_str)
                && ends_blank(text)
                && !text.trim().is_empty()
            {
                let location = block_field(i, j, "text");
                out.flag(
                    block_at(i, j),
                    "the final assistant message (prefill) ends with whitespace",
                )
                .fix("strip trailing spaces and newlines from the prefill")
                .patch(Patch::set(location, Value::from(text.trim_end())));
            }
        }
        _ => {}
    }
}

pub fn prefill_unsupported(req: &RequestView, out: &mut Findings) {
    let Some((i, message)) = prefill(req) else {
        return;
    };
    let Some(model) = req.model() else { return };
    // A final assistant turn of tool_use/thinking blocks is a different fault.
    let text_prefill = match message.get("content") {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(list)) => list.iter().any(|b| block_type(b) == Some("text")),
        _ => false,
    };
    if model.prefill == Some(false) && text_prefill {
        out.flag(message_at(i), format!("{} does not accept a final assistant message (prefill)", model.id))
            .fix("end with a user message; ask for the format in the prompt or use output_config.format (structured outputs)")
            .patch(Patch::remove(message_at(i)));
    }
}
