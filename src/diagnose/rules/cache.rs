//! Prompt-caching rules.

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::knowledge;

use super::{block_type, pointer};

/// Every `cache_control` in tools, system and messages, in the order the API counts them.
fn breakpoints(req: &RequestView) -> Vec<String> {
    let Some(body) = req.messages_body() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (i, tool) in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if tool.get("cache_control").is_some() {
            found.push(pointer([
                "tools".to_string(),
                i.to_string(),
                "cache_control".into(),
            ]));
        }
    }
    for (i, block) in body
        .get("system")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if block.get("cache_control").is_some() {
            found.push(pointer([
                "system".to_string(),
                i.to_string(),
                "cache_control".into(),
            ]));
        }
    }
    if let Some(messages) = req.messages() {
        for (location, _, block) in super::all_blocks(messages) {
            if block.get("cache_control").is_some() {
                found.push(format!("{location}/cache_control"));
            }
        }
    }
    found
}

pub fn too_many_breakpoints(req: &RequestView, out: &mut Findings) {
    let found = breakpoints(req);
    let max = knowledge().api.max_cache_breakpoints;
    if found.len() > max {
        let extra = &found[max];
        out.flag(extra.clone(), format!("{} cache_control breakpoints; at most {max} are allowed", found.len()))
            .evidence(format!("{} > {max}", found.len()))
            .fix("keep the last breakpoint of each stable prefix (tools, system, older turns) and drop the rest")
            .patch(Patch::remove(extra.clone()));
    }
}

pub fn control_on_empty_block(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (location, _, block) in super::all_blocks(messages) {
        if block_type(block) == Some("text")
            && block.get("cache_control").is_some()
            && block
                .get("text")
                .and_then(Value::as_str)
                .is_some_and(str::is_empty)
        {
            out.flag(location.clone(), "cache_control on an empty text block")
                .fix("put the breakpoint on the last non-empty block, and drop the empty one")
                .patch(Patch::remove(location));
        }
    }
}

pub fn control_on_thinking(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    for (location, _, block) in super::all_blocks(messages) {
        if matches!(block_type(block), Some("thinking" | "redacted_thinking"))
            && block.get("cache_control").is_some()
        {
            out.flag(
                format!("{location}/cache_control"),
                "cache_control on a thinking block is not allowed",
            )
            .fix("remove it; thinking blocks are cached with the turn around them")
            .patch(Patch::remove(format!("{location}/cache_control")));
        }
    }
}
