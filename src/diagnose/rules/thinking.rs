//! Extended thinking rules: budget, sampling, thinking blocks in tool loops.

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::{Sampling, knowledge};

use super::{block_at, block_type, blocks, role};

fn enabled_budget(req: &RequestView) -> Option<u64> {
    let thinking = req.messages_body()?.get("thinking")?;
    (thinking.get("type")?.as_str()? == "enabled")
        .then(|| thinking.get("budget_tokens")?.as_u64())?
}

pub fn budget_not_below_max_tokens(req: &RequestView, out: &mut Findings) {
    let Some(budget) = enabled_budget(req) else {
        return;
    };
    let Some(max_tokens) = req.max_tokens() else {
        return;
    };
    if req
        .betas()
        .iter()
        .any(|b| b.starts_with("interleaved-thinking"))
    {
        return; // interleaved thinking may exceed max_tokens
    }
    if budget >= max_tokens {
        let min = knowledge().api.thinking_min_budget;
        let finding = out
            .flag(
                "/thinking/budget_tokens",
                format!("budget_tokens {budget} must be below max_tokens {max_tokens}"),
            )
            .evidence(format!("{budget} ≥ {max_tokens}"));
        if max_tokens > min {
            let lowered = (max_tokens / 2).max(min);
            finding
                .fix(format!(
                    "lower budget_tokens (e.g. {lowered}) or raise max_tokens"
                ))
                .patch(Patch::set("/thinking/budget_tokens", Value::from(lowered)));
        } else {
            finding.fix(format!(
                "raise max_tokens above budget_tokens (the budget's minimum is {min})"
            ));
        }
    }
}

pub fn budget_below_minimum(req: &RequestView, out: &mut Findings) {
    let Some(budget) = enabled_budget(req) else {
        return;
    };
    let min = knowledge().api.thinking_min_budget;
    if budget < min {
        out.flag(
            "/thinking/budget_tokens",
            format!("budget_tokens {budget} is below the minimum of {min}"),
        )
        .evidence(budget.to_string())
        .fix(format!("set budget_tokens to at least {min}"))
        .patch(Patch::set("/thinking/budget_tokens", Value::from(min)));
    }
}

pub fn with_sampling(req: &RequestView, out: &mut Findings) {
    if !req.thinking_on() || req.sampling_rejected() {
        return;
    }
    let Some(body) = req.messages_body() else {
        return;
    };
    if let Some(t) = body.get("temperature").and_then(Value::as_f64)
        && t != 1.0
    {
        out.flag(
            "/temperature",
            format!("temperature {t} with thinking on; only 1 is allowed"),
        )
        .evidence(t.to_string())
        .fix("remove `temperature` while thinking is on")
        .patch(Patch::remove("/temperature"));
    }
    if body.contains_key("top_k") {
        out.flag("/top_k", "top_k cannot be used with thinking")
            .fix("remove `top_k`")
            .patch(Patch::remove("/top_k"));
    }
}

pub fn budget_removed_for_model(req: &RequestView, out: &mut Findings) {
    let Some(model) = req.model() else { return };
    if model.sampling == Sampling::Removed && enabled_budget(req).is_some() {
        out.flag(
            "/thinking",
            format!(
                "{} does not take `thinking.budget_tokens`; it thinks adaptively",
                model.id
            ),
        )
        .fix("use {\"type\": \"adaptive\"} (and output_config.effort to steer)")
        .patch(Patch::set(
            "/thinking",
            serde_json::json!({"type": "adaptive"}),
        ));
    }
}

/// The assistant turn the API checks for a thinking block: the last assistant
/// message, when the conversation ends in its tool results.
fn tool_loop_turn(messages: &[Value]) -> Option<usize> {
    let last = messages.len().checked_sub(1)?;
    let ends_in_results = role(&messages[last]) == Some("user")
        && blocks(&messages[last])
            .is_some_and(|b| b.iter().any(|x| block_type(x) == Some("tool_result")));
    if !ends_in_results || last == 0 {
        return None;
    }
    let turn = last - 1;
    (role(&messages[turn]) == Some("assistant")
        && blocks(&messages[turn])
            .is_some_and(|b| b.iter().any(|x| block_type(x) == Some("tool_use"))))
    .then_some(turn)
}

pub fn missing_in_tool_turn(req: &RequestView, out: &mut Findings) {
    if !req.thinking_on() {
        return;
    }
    let Some(messages) = req.messages() else {
        return;
    };
    let Some(turn) = tool_loop_turn(messages) else {
        return;
    };
    let first = blocks(&messages[turn]).and_then(|b| b.first());
    let kind = first.and_then(block_type).unwrap_or("");
    if !matches!(kind, "thinking" | "redacted_thinking") {
        out.flag(block_at(turn, 0), format!("with thinking on, the assistant turn of a tool loop must start with its thinking block, not `{kind}`"))
            .fix("pass the thinking blocks of the response back unchanged (some proxies and history trimmers drop them), or turn thinking off");
    }
}

/// The final message, when it is an assistant message.
fn final_assistant(req: &RequestView) -> Option<(usize, &Vec<Value>)> {
    let messages = req.messages()?;
    let last = messages.last()?;
    (role(last) == Some("assistant")).then(|| Some((messages.len() - 1, blocks(last)?)))?
}

pub fn in_final_assistant_when_disabled(req: &RequestView, out: &mut Findings) {
    if req.thinking_on() {
        return;
    }
    let Some((i, list)) = final_assistant(req) else {
        return;
    };
    if let Some(j) = list
        .iter()
        .position(|b| matches!(block_type(b), Some("thinking" | "redacted_thinking")))
    {
        let location = block_at(i, j);
        out.flag(
            location.clone(),
            "thinking blocks in the final assistant message while thinking is off",
        )
        .fix("enable `thinking`, or drop the thinking blocks from that message")
        .patch(Patch::remove(location));
    }
}

pub fn final_block(req: &RequestView, out: &mut Findings) {
    let Some((i, list)) = final_assistant(req) else {
        return;
    };
    if let Some(last) = list.last()
        && matches!(block_type(last), Some("thinking" | "redacted_thinking"))
    {
        let location = block_at(i, list.len() - 1);
        out.flag(location, "the final assistant message ends with a thinking block")
            .fix("a prefill cannot end in thinking: end with text, or end the conversation with a user message");
    }
}
