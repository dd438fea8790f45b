//! Header rules: `anthropic-version`, `anthropic-beta`, content headers.

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::{EndpointKind, closest, knowledge};

fn is_native_api_call(req: &RequestView) -> bool {
    req.endpoint()
        .is_some_and(|e| e.kind != EndpointKind::OpenaiCompat)
        && !req.is_cloud_provider_path()
}

pub fn version_missing(req: &RequestView, out: &mut Findings) {
    if !is_native_api_call(req) || req.has_header("anthropic-version") {
        return;
    }
    let bearer_key = req
        .header("authorization")
        .is_some_and(|v| v.contains("sk-ant-api"));
    let version = if bearer_key {
        "2026-10-21"
    } else {
        "2023-06-01"
    };
    out.flag(
        "header:anthropic-version",
        "the required `anthropic-version` header is missing",
    )
    .fix(format!("send `anthropic-version: {version}`"))
    .patch(Patch::set_header("anthropic-version", version));
}

pub fn version_unknown(req: &RequestView, out: &mut Findings) {
    let Some(raw) = req.header("anthropic-version") else {
        return;
    };
    let k = knowledge();
    if k.version(raw).is_some() {
        return;
    }
    let values = k.versions.iter().map(|v| v.value.as_str());
    let meant = k
        .version(raw.trim())
        .map(|v| v.value.as_str())
        .or_else(|| closest(raw.trim(), values, 3));
    let finding = out
        .flag(
            "header:anthropic-version",
            format!("`{raw}` is not an API version"),
        )
        .evidence(raw);
    match meant {
        Some(meant) => {
            finding
                .fix(format!("send `anthropic-version: {meant}`"))
                .patch(Patch::set_header("anthropic-version", meant));
        }
        None => {
            finding.fix("send `anthropic-version: 2023-06-01` (x-api-key clients) or `2026-10-21` (current SDKs)");
        }
    }
}

pub fn content_type(req: &RequestView, out: &mut Findings) {
    if req.method != "POST"
        || req.body_size == 0
        || !req.is_messages_body() && req.kind() != Some(EndpointKind::Complete)
    {
        return;
    }
    // A missing content-type is left alone: what the API does then is unconfirmed.
    let Some(value) = req.header("content-type") else {
        return;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" {
        let shown = value;
        out.flag("header:content-type", format!("the body is sent as `{shown}`; the API expects `application/json`"))
            .evidence(shown)
            .fix("send `content-type: application/json` (curl's -d sends form encoding unless told otherwise)")
            .patch(Patch::set_header("content-type", "application/json"));
    }
}

pub fn beta_unknown(req: &RequestView, out: &mut Findings) {
    let k = knowledge();
    for (name, value) in req.headers.iter().filter(|(n, _)| n == "anthropic-beta") {
        let _ = name;
        if value.trim().is_empty() {
            out.flag(
                "header:anthropic-beta",
                "`anthropic-beta` is empty; the API rejects an empty value",
            )
            .fix("remove the header or name a beta")
            .patch(Patch::remove_header("anthropic-beta"));
            continue;
        }
        let names: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .collect();
        let unknown: Vec<&str> = names
            .iter()
            .copied()
            .filter(|b| !k.beta_known(b) && !b.contains([';', ' ']))
            .collect();
        if unknown.is_empty() {
            continue;
        }
        let suggestions: Vec<String> = unknown
            .iter()
            .filter_map(|b| {
                closest(b, k.betas.known.iter().map(String::as_str), 3)
                    .map(|m| format!("`{b}` → `{m}`"))
            })
            .collect();
        let kept: Vec<&str> = names
            .iter()
            .copied()
            .filter(|b| !unknown.contains(b))
            .collect();
        let finding = out
            .flag("header:anthropic-beta", format!("unknown or expired beta name(s): {}", unknown.join(", ")))
            .evidence(value)
            .fix(if suggestions.is_empty() {
                "remove the names the API does not know (betas that became generally available are dropped from the list)".to_owned()
            } else {
                format!("did you mean {}?", suggestions.join(", "))
            });
        if kept.is_empty() {
            finding.patch(Patch::remove_header("anthropic-beta"));
        } else {
            finding.patch(Patch::set_header("anthropic-beta", &kept.join(",")));
        }
    }
}

pub fn beta_malformed(req: &RequestView, out: &mut Findings) {
    for (_, value) in req.headers.iter().filter(|(n, _)| n == "anthropic-beta") {
        let bad_separator = value.contains(';')
            || value
                .split(',')
                .any(|b| b.trim().contains(char::is_whitespace));
        let quoted = value.contains(['"', '[', ']']);
        if bad_separator || quoted {
            let fixed: Vec<String> = value
                .split([',', ';', ' ', '"', '[', ']'])
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
                .collect();
            out.flag(
                "header:anthropic-beta",
                "`anthropic-beta` must be a comma-separated list of bare names",
            )
            .evidence(value)
            .fix(format!("send `anthropic-beta: {}`", fixed.join(",")))
            .patch(Patch::set_header("anthropic-beta", &fixed.join(",")));
        }
    }
}

pub fn content_length_mismatch(req: &RequestView, out: &mut Findings) {
    let Some(declared) = req.header("content-length") else {
        return;
    };
    let Ok(declared) = declared.trim().parse::<u64>() else {
        out.flag(
            "header:content-length",
            format!("`content-length: {declared}` is not a number"),
        )
        .evidence(declared);
        return;
    };
    if declared != req.body_size && !req.body_truncated {
        out.flag("header:content-length", format!("`content-length` says {declared} bytes but the body has {}", req.body_size))
            .evidence(format!("{declared} ≠ {}", req.body_size))
            .fix("let the HTTP library compute content-length; do not set it by hand after changing the body")
            .patch(Patch::set_header("content-length", &req.body_size.to_string()));
    }
}

/// Magic numbers of compressed data.
fn compression_of(body: &[u8]) -> Option<&'static str> {
    match body {
        [0x1f, 0x8b, ..] => Some("gzip"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("zstd"),
        [b'B', b'Z', b'h', ..] => Some("bzip2"),
        _ => None,
    }
}

pub fn compressed_body_unlabelled(req: &RequestView, out: &mut Findings) {
    if req.has_header("content-encoding") {
        return;
    }
    if let Some(kind) = compression_of(&req.body) {
        out.flag("body", format!("the body is {kind}-compressed but no `content-encoding` says so; the API reads it as (invalid) JSON"))
            .fix(format!("send `content-encoding: {kind}`, or send the JSON uncompressed"));
    }
}
