//! Model rules: retired, deprecated, unknown and mistyped ids, output limits.

use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::{closest, knowledge};

fn model_field(req: &RequestView) -> Option<&str> {
    if !(req.is_messages_body() || req.kind() == Some(crate::knowledge::EndpointKind::Complete))
        || req.is_cloud_provider_path()
    {
        return None;
    }
    req.json.as_ref()?.get("model")?.as_str()
}

pub fn retired(req: &RequestView, out: &mut Findings) {
    let Some(id) = model_field(req) else { return };
    let Some(model) = knowledge().model(id) else {
        return;
    };
    if !model.is_retired(&req.as_of) {
        return;
    }
    let retired_on = model.retires.as_deref().unwrap_or("?");
    let finding = out
        .flag(
            "/model",
            format!("`{id}` was retired on {retired_on}; the API answers 404 `model: {id}`"),
        )
        .evidence(id);
    if let Some(next) = &model.replacement {
        finding
            .fix(format!("use `{next}`"))
            .patch(Patch::set("/model", Value::from(next.as_str())));
    }
}

pub fn deprecated(req: &RequestView, out: &mut Findings) {
    let Some(id) = model_field(req) else { return };
    let Some(model) = knowledge().model(id) else {
        return;
    };
    let Some(date) = &model.retires else { return };
    if model.is_retired(&req.as_of)
        || days_between(&req.as_of, date).is_none_or(|d| d > WARN_DAYS_BEFORE_RETIREMENT)
    {
        return;
    }
    let finding = out
        .flag(
            "/model",
            format!("`{id}` is deprecated and stops working on {date}"),
        )
        .evidence(id);
    if let Some(next) = &model.replacement {
        finding
            .fix(format!("move to `{next}` before {date}"))
            .patch(Patch::set("/model", Value::from(next.as_str())));
    }
}

/// How long before a retirement date requests start getting a warning.
const WARN_DAYS_BEFORE_RETIREMENT: i64 = 365;

/// Days from `from` to `to` (both YYYY-MM-DD).
fn days_between(from: &str, to: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let from = time::Date::parse(from, &format).ok()?;
    let to = time::Date::parse(to, &format).ok()?;
    Some((to - from).whole_days())
}

/// The id a Bedrock (`anthropic.…-v1:0`) or Vertex (`…@date`) id stands for, if it is one.
fn cloud_provider_id(id: &str) -> Option<String> {
    let stripped = id
        .trim_start_matches("us.")
        .trim_start_matches("eu.")
        .trim_start_matches("apac.")
        .trim_start_matches("global.");
    if let Some(rest) = stripped.strip_prefix("anthropic.") {
        let base = rest.rsplit_once("-v").map_or(rest, |(b, _)| b);
        return Some(base.to_owned());
    }
    id.split_once('@')
        .map(|(base, date)| format!("{base}-{date}"))
}

pub fn cloud_provider_id_rule(req: &RequestView, out: &mut Findings) {
    let Some(id) = model_field(req) else { return };
    if knowledge().model(id).is_some() {
        return;
    }
    if let Some(base) = cloud_provider_id(id) {
        let meant = knowledge()
            .model(&base)
            .map(|m| m.id.clone())
            .unwrap_or(base);
        out.flag("/model", format!("`{id}` is a Bedrock/Vertex AI model id; api.anthropic.com answers 404 `model: {id}`"))
            .evidence(id)
            .fix(format!("use the Anthropic id `{meant}`"))
            .patch(Patch::set("/model", Value::from(meant)));
    }
}

pub fn unknown(req: &RequestView, out: &mut Findings) {
    let Some(id) = model_field(req) else { return };
    let k = knowledge();
    if id.is_empty() || k.model(id).is_some() || cloud_provider_id(id).is_some() {
        return;
    }
    // Dated snapshots of known aliases (claude-x-YYYYMMDD) are left to the API.
    if let Some((base, date)) = id.rsplit_once('-')
        && date.len() == 8
        && date.chars().all(|c| c.is_ascii_digit())
        && k.model(base).is_some()
    {
        return;
    }
    let normalized = id.to_ascii_lowercase().replace(['.', '_', ' '], "-");
    let meant = k
        .model(&normalized)
        .map(|m| m.id.as_str())
        .or_else(|| closest(&normalized, k.all_model_ids(), 3));
    let finding = out
        .flag(
            "/model",
            format!("`{id}` is not a model the API knows; it answers 404 `model: {id}`"),
        )
        .evidence(id);
    match meant.and_then(|m| k.model(m)) {
        Some(model) => {
            let target = if model.is_retired(&req.as_of) {
                model.replacement.as_deref().unwrap_or(&model.id)
            } else {
                &model.id
            };
            finding
                .fix(format!("did you mean `{target}`?"))
                .patch(Patch::set("/model", Value::from(target)));
        }
        None => {
            finding.fix("use a model id from GET /v1/models, e.g. `claude-sonnet-4-6`");
        }
    }
}

pub fn max_tokens_exceeded(req: &RequestView, out: &mut Findings) {
    let Some(model) = req.model() else { return };
    let Some(limit) = model.max_output else {
        return;
    };
    let Some(max_tokens) = req.max_tokens() else {
        return;
    };
    // The 1M/300K-output betas raise the cap.
    if req.betas().iter().any(|b| b.starts_with("output-")) {
        return;
    }
    if max_tokens > limit {
        let finding = out
            .flag("/max_tokens", format!("max_tokens {max_tokens} is above {limit}, the most {} can write", model.id))
            .evidence(format!("{max_tokens} > {limit}"))
            .fix(format!("set max_tokens to {limit} or less (with thinking on, budget_tokens counts inside max_tokens)"))
            .patch(Patch::set("/max_tokens", Value::from(limit)));
        let budget = req
            .json
            .as_ref()
            .and_then(|b| b.pointer("/thinking/budget_tokens"))
            .and_then(Value::as_u64);
        if budget.is_some_and(|b| b >= limit) {
            finding.patch(Patch::set(
                "/thinking/budget_tokens",
                Value::from(limit / 2),
            ));
        }
    }
}
