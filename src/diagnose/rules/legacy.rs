//! Legacy Text Completions (`/v1/complete`) and bodies sent to the wrong API.

use serde_json::{Value, json};

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::{EndpointKind, knowledge};

const HUMAN: &str = "\n\nHuman:";
const ASSISTANT: &str = "\n\nAssistant:";

fn complete_body(req: &RequestView) -> Option<&serde_json::Map<String, Value>> {
    if req.kind() != Some(EndpointKind::Complete) {
        return None;
    }
    req.json.as_ref()?.as_object()
}

pub fn prompt_format(req: &RequestView, out: &mut Findings) {
    let Some(prompt) = complete_body(req)
        .and_then(|b| b.get("prompt"))
        .and_then(Value::as_str)
    else {
        return;
    };
    let human = prompt.find(HUMAN);
    let assistant = prompt.find(ASSISTANT);
    let problem = match (human, assistant) {
        (None, _) => Some("it has no `\\n\\nHuman:` turn"),
        (Some(h), Some(a)) if a < h => {
            Some("an `\\n\\nAssistant:` turn comes before the first `\\n\\nHuman:` turn")
        }
        _ if !prompt.trim_end_matches(' ').ends_with(ASSISTANT) => {
            Some("it does not end with `\\n\\nAssistant:`")
        }
        _ => None,
    };
    if let Some(problem) = problem {
        out.flag("/prompt", format!("the prompt is not in Text Completions format: {problem}"))
            .evidence(format!("{:?}", prompt.chars().take(60).collect::<String>()))
            .fix("write \"\\n\\nHuman: <question>\\n\\nAssistant:\" (an optional system prompt may come first) — or better, move to /v1/messages");
    }
}

pub fn model_not_on_complete(req: &RequestView, out: &mut Findings) {
    let Some(id) = complete_body(req)
        .and_then(|b| b.get("model"))
        .and_then(Value::as_str)
    else {
        return;
    };
    if let Some(model) = knowledge().model(id)
        && !model.legacy_complete
    {
        out.flag("/model", format!("`{id}` is not served on /v1/complete; Claude 3 and later only work through the Messages API"))
            .evidence(id)
            .fix("send the conversation to POST /v1/messages (see complete-prompt-on-messages for the body)");
    }
}

pub fn max_tokens_to_sample_on_messages(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    if body.contains_key("max_tokens_to_sample") {
        let finding = out
            .flag("/max_tokens_to_sample", "`max_tokens_to_sample` is the Text Completions name; the Messages API calls it `max_tokens`")
            .fix("rename it to `max_tokens`");
        if body.contains_key("max_tokens") {
            finding.patch(Patch::remove("/max_tokens_to_sample"));
        } else {
            finding.patch(Patch::rename("/max_tokens_to_sample", "/max_tokens"));
        }
    }
}

/// Turns a `\n\nHuman: … \n\nAssistant: …` prompt into Messages.
fn prompt_to_messages(prompt: &str) -> (Option<String>, Vec<Value>) {
    let mut messages = Vec::new();
    let first = prompt.find(HUMAN).unwrap_or(prompt.len());
    let system = prompt[..first].trim();
    let mut rest = &prompt[first..];
    while !rest.is_empty() {
        let (role, marker) = if rest.starts_with(HUMAN) {
            ("user", HUMAN)
        } else {
            ("assistant", ASSISTANT)
        };
        rest = &rest[marker.len()..];
        let next = [rest.find(HUMAN), rest.find(ASSISTANT)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(rest.len());
        let text = rest[..next].trim();
        if !text.is_empty() {
            messages.push(json!({"role": role, "content": text}));
        }
        rest = &rest[next..];
    }
    ((!system.is_empty()).then(|| system.to_owned()), messages)
}

pub fn prompt_on_messages(req: &RequestView, out: &mut Findings) {
    let Some(body) = req.messages_body() else {
        return;
    };
    let Some(prompt) = body.get("prompt") else {
        return;
    };
    let finding = out
        .flag(
            "/prompt",
            "`prompt` is the Text Completions body; the Messages API takes `messages`",
        )
        .fix("send the turns as `messages`: [{\"role\": \"user\", \"content\": ...}]");
    if !body.contains_key("messages")
        && let Some(text) = prompt.as_str()
    {
        let (system, messages) = prompt_to_messages(text);
        finding
            .patch(Patch::remove("/prompt"))
            .patch(Patch::set("/messages", Value::Array(messages)));
        if let Some(system) = system {
            finding.patch(Patch::set("/system", Value::from(system)));
        }
    }
}

pub fn messages_on_complete(req: &RequestView, out: &mut Findings) {
    let Some(body) = complete_body(req) else {
        return;
    };
    if body.contains_key("messages") && !body.contains_key("prompt") {
        out.flag(
            "/messages",
            "a Messages body was sent to the legacy /v1/complete endpoint",
        )
        .fix("send it to POST /v1/messages");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_converts_to_messages() {
        let (system, messages) = prompt_to_messages(
            "Be brief.\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant:",
        );
        assert_eq!(system.as_deref(), Some("Be brief."));
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[2], json!({"role": "user", "content": "Joke?"}));
    }
}
