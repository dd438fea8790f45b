//! Credential rules: which header carries what, for which API version.

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};

const API_KEY_PREFIX: &str = "sk-ant-api";
const OAUTH_PREFIX: &str = "sk-ant-oat";
const ADMIN_PREFIX: &str = "sk-ant-admin";
/// `sk-ant-api03-` keys are 108 characters; far shorter ones were cut off.
const API_KEY_MIN_LEN: usize = 100;

fn bearer_token(req: &RequestView) -> Option<&str> {
    let value = req.header("authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn needs_auth(req: &RequestView) -> bool {
    req.endpoint().is_some() || req.is_messages_body()
}

/// The header a key of this kind belongs in, given the version sent.
fn key_patches(req: &RequestView) -> Vec<Patch> {
    if req.bearer_api_keys() {
        vec![Patch::set_header(
            "authorization",
            "Bearer $ANTHROPIC_API_KEY",
        )]
    } else {
        vec![Patch::set_header("x-api-key", "$ANTHROPIC_API_KEY")]
    }
}

pub fn missing(req: &RequestView, out: &mut Findings) {
    if !needs_auth(req) || req.has_header("x-api-key") || req.has_header("authorization") {
        return;
    }
    let finding = out
        .flag("header:x-api-key", "no credentials: neither `x-api-key` nor `Authorization` was sent")
        .fix(if req.bearer_api_keys() {
            "send `Authorization: Bearer <key>` (anthropic-version 2026-10-21) or `x-api-key: <key>`"
        } else {
            "send the API key as `x-api-key: <key>`"
        });
    for patch in key_patches(req) {
        finding.patch(patch);
    }
}

pub fn bearer_api_key_old_version(req: &RequestView, out: &mut Findings) {
    let Some(token) = bearer_token(req) else {
        return;
    };
    if token.starts_with(API_KEY_PREFIX) && !req.bearer_api_keys() {
        let version = req.api_version().unwrap_or("(none)");
        out.flag(
            "header:authorization",
            format!("an API key sent as `Authorization: Bearer` under anthropic-version {version}; only 2026-10-21 accepts API keys as Bearer"),
        )
        .evidence(crate::redact::header_value("authorization", req.header("authorization").unwrap_or("")))
        .fix("send the key as `x-api-key: <key>`, or send `anthropic-version: 2026-10-21` (what Python SDK 2.x and TypeScript SDK 1.x do)")
        .patch(Patch::remove_header("authorization"))
        .patch(Patch::set_header("x-api-key", "$ANTHROPIC_API_KEY"));
    }
}

pub fn oauth_in_x_api_key(req: &RequestView, out: &mut Findings) {
    let Some(key) = req.header("x-api-key") else {
        return;
    };
    if key.trim().starts_with(OAUTH_PREFIX) {
        out.flag("header:x-api-key", "an OAuth access token (`sk-ant-oat…`) was sent in `x-api-key`, which only takes API keys")
            .evidence(crate::redact::mask(key))
            .fix("send OAuth tokens as `Authorization: Bearer <token>` (with `anthropic-beta: oauth-2025-04-20`)")
            .patch(Patch::remove_header("x-api-key"))
            .patch(Patch::set_header("authorization", "Bearer $ANTHROPIC_API_KEY"));
    }
}

pub fn oauth_without_beta(req: &RequestView, out: &mut Findings) {
    let Some(token) = bearer_token(req) else {
        return;
    };
    if token.starts_with(OAUTH_PREFIX) && !req.betas().contains(&"oauth-2025-04-20") {
        out.flag("header:anthropic-beta", "an OAuth token without `anthropic-beta: oauth-2025-04-20`; the API may answer that OAuth is not supported")
            .fix("add `oauth-2025-04-20` to `anthropic-beta`, or use an API key");
    }
}

/// What is wrong with a credential's text, if anything.
fn malformed(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    if value != value.trim() {
        Some("it has leading or trailing whitespace")
    } else if value.contains(['"', '\'']) {
        Some("it contains quote characters (copied with quotes from a .env or JSON file?)")
    } else if value.contains("\\n") || value.contains("\\r") || value.contains(['\n', '\r']) {
        Some("it contains a newline")
    } else if lower.starts_with("bearer ") {
        Some("`x-api-key` takes the bare key, without `Bearer `")
    } else if value.starts_with('$')
        || value.starts_with("${")
        || value.starts_with('<')
        || lower.contains("your") && lower.contains("key")
    {
        Some("it is a placeholder, not a key (an unexpanded variable or template text)")
    } else if value.starts_with("sk-") && !value.starts_with("sk-ant-") {
        Some(
            "it is not an Anthropic key (Anthropic keys start with `sk-ant-`; `sk-…`/`sk-proj-…` are OpenAI's)",
        )
    } else {
        None
    }
}

pub fn key_malformed(req: &RequestView, out: &mut Findings) {
    let candidates = [
        ("x-api-key", req.header("x-api-key")),
        (
            "authorization",
            bearer_token(req).map(|_| req.header("authorization").unwrap_or("")),
        ),
    ];
    for (name, value) in candidates {
        let Some(value) = value else { continue };
        let checked = if name == "authorization" {
            value.split_once(' ').map_or(value, |(_, t)| t)
        } else {
            value
        };
        if let Some(problem) = malformed(checked) {
            out.flag(format!("header:{name}"), format!("the credential in `{name}` is malformed: {problem}"))
                .evidence(crate::redact::header_value(name, value))
                .fix("send the key exactly as the console shows it: `sk-ant-api03-…`, no quotes, spaces or prefix");
        }
    }
}

pub fn key_truncated(req: &RequestView, out: &mut Findings) {
    let key = req.header("x-api-key").or_else(|| bearer_token(req));
    let Some(key) = key.map(str::trim) else {
        return;
    };
    let redacted =
        key.contains("REDACTED") || key.contains("...") || key.contains('…') || key.contains("xxx");
    if key.starts_with("sk-ant-api03-") && key.len() < API_KEY_MIN_LEN && !redacted {
        out.flag("header:x-api-key", format!("the API key is {} characters; keys are about 108, so it was probably cut off", key.len()))
            .evidence(crate::redact::mask(key))
            .fix("copy the whole key again (it ends with `AA`), and check the variable or secret store it comes from");
    }
}

pub fn admin_key(req: &RequestView, out: &mut Findings) {
    let key = req.header("x-api-key").or_else(|| bearer_token(req));
    if key.is_some_and(|k| k.trim().starts_with(ADMIN_PREFIX))
        && req.kind() != Some(crate::knowledge::EndpointKind::Admin)
        && req.endpoint().is_some()
    {
        out.flag(
            "header:x-api-key",
            "an Admin API key (`sk-ant-admin…`) only works on /v1/organizations/… endpoints",
        )
        .fix("use a regular API key (`sk-ant-api03-…`) for this endpoint");
    }
}

pub fn both_headers(req: &RequestView, out: &mut Findings) {
    if req.has_header("x-api-key") && req.has_header("authorization") {
        out.flag("header:authorization", "both `x-api-key` and `Authorization` were sent; Anthropic's guidance says the API rejects the pair")
            .fix("send one credential: unset ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY")
            .patch(Patch::remove_header("authorization"));
    }
}

pub fn cors_opt_in(req: &RequestView, out: &mut Findings) {
    if !req.has_header("origin") {
        return;
    }
    let opted_in = req
        .header("anthropic-dangerous-direct-browser-access")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !opted_in {
        out.flag("header:origin", "a browser request (it has `Origin`) without `anthropic-dangerous-direct-browser-access: true`")
            .evidence(req.header("origin").unwrap_or(""))
            .fix("call the API from a server, or opt in with `anthropic-dangerous-direct-browser-access: true` (the key is then visible to the page)")
            .patch(Patch::set_header("anthropic-dangerous-direct-browser-access", "true"));
    }
}
