//! Content rules: message fields and block types from other APIs, and the
//! content rules anthropic-version 2026-10-21 added.

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::knowledge;

use super::{block_at, block_field, block_type, blocks, message_at, message_field, role};

pub fn extra_message_field(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        let Some(map) = message.as_object() else {
            out.flag(
                message_at(i),
                "a message must be an object with `role` and `content`",
            )
            .evidence(super::show(message));
            continue;
        };
        for key in map
            .keys()
            .filter(|k| !matches!(k.as_str(), "role" | "content"))
        {
            let advice = match key.as_str() {
                "tool_calls" | "function_call" => {
                    "tool calls are `tool_use` blocks inside the assistant's `content`"
                }
                "tool_call_id" => {
                    "tool results are `tool_result` blocks with `tool_use_id`, inside a user message"
                }
                "name" => "messages have no `name`; put speaker names in the text",
                _ => "a message has only `role` and `content`",
            };
            out.flag(message_field(i, key), format!("`{key}` is not a message field (OpenAI shape?); the API answers Extra inputs are not permitted"))
                .fix(advice)
                .patch(Patch::remove(message_field(i, key)));
        }
    }
}

pub fn unknown_block_type(req: &RequestView, out: &mut Findings) {
    if req.is_beta() {
        return;
    }
    let Some(messages) = req.messages() else {
        return;
    };
    let known = &knowledge().content.blocks;
    for (location, _, block) in super::all_blocks(messages) {
        let Some(kind) = block_type(block) else {
            out.flag(location, "a content block without `type`")
                .evidence(super::show(block));
            continue;
        };
        if kind == "image_url" || known.iter().any(|k| k == kind) {
            continue;
        }
        let advice = match kind {
            "input_text" | "output_text" => {
                "use `{\"type\": \"text\", \"text\": ...}` (OpenAI Responses shape)"
            }
            "input_image" => "use an `image` block with a `source`",
            "function" | "function_call" => "use a `tool_use` block",
            _ => "see the block types in docs/rules.md#messages-unknown-block-type",
        };
        out.flag(
            format!("{location}/type"),
            format!("`{kind}` is not a content block type"),
        )
        .evidence(kind)
        .fix(advice);
    }
}

pub fn openai_image_url(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (location, _, block) in super::all_blocks(messages) {
        if block_type(block) != Some("image_url") {
            continue;
        }
        let url = block
            .pointer("/image_url/url")
            .or_else(|| block.get("image_url"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let converted = match url
            .strip_prefix("data:")
            .and_then(|rest| rest.split_once(";base64,"))
        {
            Some((media_type, data)) => {
                serde_json::json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}})
            }
            None => serde_json::json!({"type": "image", "source": {"type": "url", "url": url}}),
        };
        out.flag(location.clone(), "`image_url` is OpenAI's image block; the Messages API uses `image` with a `source`")
            .fix("use {\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":...,\"data\":...}} or a url source")
            .patch(Patch::set(location, converted));
    }
}

/// Whether the version sent has 2026-10-21's stricter content rules.
fn strict_content(req: &RequestView) -> bool {
    req.api_version()
        .and_then(|v| knowledge().version(v))
        .is_some_and(|v| v.assistant_documents_rejected)
}

pub fn assistant_document_2026(req: &RequestView, out: &mut Findings) {
    if !strict_content(req) {
        return;
    }
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        if role(message) != Some("assistant") {
            continue;
        }
        for (j, block) in blocks(message).into_iter().flatten().enumerate() {
            if block_type(block) == Some("document") {
                out.flag(block_at(i, j), "a `document` block in an assistant message is rejected under anthropic-version 2026-10-21")
                    .fix("move the document into a user message");
            }
        }
    }
}

pub fn user_text_citations_2026(req: &RequestView, out: &mut Findings) {
    if !strict_content(req) {
        return;
    }
    let Some(messages) = req.messages() else {
        return;
    };
    for (i, message) in messages.iter().enumerate() {
        if role(message) != Some("user") {
            continue;
        }
        for (j, block) in blocks(message).into_iter().flatten().enumerate() {
            if block_type(block) == Some("text")
                && block
                    .get("citations")
                    .and_then(Value::as_array)
                    .is_some_and(|c| !c.is_empty())
            {
                let location = block_field(i, j, "citations");
                out.flag(location.clone(), "a user text block with `citations` is rejected under anthropic-version 2026-10-21")
                    .fix("drop `citations` from user text blocks (they belong to assistant output)")
                    .patch(Patch::remove(location));
            }
        }
    }
}
