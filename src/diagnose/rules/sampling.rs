//! Sampling-parameter rules: temperature, top_p and top_k by API version and model.

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::{Sampling, knowledge};

use super::pointer;

/// Flags each of temperature, top_p and top_k present in the body, with the same fix: remove it.
fn flag_each_sampling_field(
    req: &RequestView,
    out: &mut Findings,
    message: impl Fn(&str) -> String,
    fix: impl Fn(&str) -> String,
) {
    let Some(body) = req.messages_body() else {
        return;
    };
    for name in &knowledge().messages_fields.sampling {
        if let Some(value) = body.get(name) {
            out.flag(pointer([name]), message(name))
                .evidence(format!("{name}: {value}"))
                .fix(fix(name))
                .patch(Patch::remove(pointer([name])));
        }
    }
}

pub fn sampling_rejected_by_version(req: &RequestView, out: &mut Findings) {
    if !req.sampling_rejected() {
        return;
    }
    flag_each_sampling_field(
        req,
        out,
        |name| {
            format!("`{name}` is rejected under anthropic-version 2026-10-21, even at its default")
        },
        |name| format!("remove `{name}` (or keep it and send anthropic-version 2023-06-01)"),
    );
}

pub fn sampling_removed_for_model(req: &RequestView, out: &mut Findings) {
    if req.sampling_rejected() {
        return;
    }
    let Some(model) = req.model() else { return };
    if model.sampling != Sampling::Removed {
        return;
    }
    flag_each_sampling_field(
        req,
        out,
        |name| format!("{} does not take `{name}`", model.id),
        |name| format!("remove `{name}`; steer output with the prompt or `output_config.effort`"),
    );
}

pub fn temperature_and_top_p(req: &RequestView, out: &mut Findings) {
    let Some(model) = req.model() else { return };
    let Some(body) = req.messages_body() else {
        return;
    };
    if model.sampling == Sampling::Exclusive
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
