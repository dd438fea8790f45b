//! URL rules: host, scheme, path and method.

use crate::diagnose::Findings;
use crate::diagnose::view::RequestView;
use crate::knowledge::{closest, knowledge};

/// Path rules only speak for api.anthropic.com (or an unknown host in offline
/// checks); a gateway in base-URL mode may have paths of its own.
fn speaks_for_path(req: &RequestView) -> bool {
    req.host.is_none() || req.is_anthropic_host()
}

pub fn wrong_host(req: &RequestView, out: &mut Findings) {
    let Some(host) = req.host.as_deref() else {
        return;
    };
    if let Some((_, meant)) = knowledge().api.wrong_hosts.iter().find(|(h, _)| h == host) {
        out.flag("url", format!("`{host}` does not serve the API"))
            .evidence(host)
            .fix(format!("send API requests to https://{meant}{}", req.path));
    }
}

pub fn plain_http(req: &RequestView, out: &mut Findings) {
    if req.is_anthropic_host() && req.scheme.as_deref() == Some("http") {
        out.flag(
            "url",
            "the API is served over HTTPS only; this request used http://",
        )
        .fix("use https://api.anthropic.com");
    }
}

const BARE_PATHS: &[&str] = &["/messages", "/complete", "/models", "/files"];

pub fn missing_v1(req: &RequestView, out: &mut Findings) {
    if !speaks_for_path(req) {
        return;
    }
    let path = req.path.as_str();
    if BARE_PATHS
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        out.flag("url", format!("the path `{path}` lacks the `/v1` prefix; the API answers 404 Not Found"))
            .evidence(path)
            .fix(format!("use `/v1{path}` (a base URL of https://api.anthropic.com, without /v1, is what SDKs expect)"));
    }
}

pub fn double_v1(req: &RequestView, out: &mut Findings) {
    if speaks_for_path(req) && req.path.starts_with("/v1/v1/") {
        out.flag(
            "url",
            format!(
                "the path `{}` has `/v1` twice; the API answers 404 Not Found",
                req.path
            ),
        )
        .evidence(&req.path)
        .fix("drop `/v1` from the configured base URL: SDKs add it themselves");
    }
}

pub fn trailing_slash(req: &RequestView, out: &mut Findings) {
    let trimmed = req.path.trim_end_matches('/');
    if speaks_for_path(req)
        && req.path.len() > trimmed.len()
        && knowledge().endpoint(trimmed).is_some()
    {
        out.flag(
            "url",
            format!(
                "the path `{}` ends with `/`; the endpoint is `{trimmed}`",
                req.path
            ),
        )
        .evidence(&req.path)
        .fix(format!("use `{trimmed}`"));
    }
}

pub fn unknown_endpoint(req: &RequestView, out: &mut Findings) {
    let path = req.path.as_str();
    // Beta endpoints (agents, sessions, skills, ...) come and go under `?beta=true`;
    // cloud-provider paths have a rule of their own.
    if !speaks_for_path(req)
        || req.is_beta()
        || req.is_cloud_provider_path()
        || !(path == "/v1" || path.starts_with("/v1/"))
        || path.starts_with("/v1/v1/")
    {
        return;
    }
    let k = knowledge();
    if k.endpoint(path).is_some() || k.endpoint(path.trim_end_matches('/')).is_some() {
        return;
    }
    let candidates = k
        .endpoints
        .iter()
        .map(|e| e.path.as_str())
        .filter(|p| !p.contains('{') && !p.contains('*'));
    let finding = out
        .flag(
            "url",
            format!("`{path}` is not an API endpoint; the API answers 404 Not Found"),
        )
        .evidence(path);
    match closest(path, candidates, 4) {
        Some(meant) => finding.fix(format!("did you mean `{meant}`?")),
        None => finding.fix("see the endpoint list in docs/rules.md#url-unknown-endpoint"),
    };
}

pub fn wrong_method(req: &RequestView, out: &mut Findings) {
    if !speaks_for_path(req) || matches!(req.method.as_str(), "OPTIONS" | "HEAD") {
        return;
    }
    if let Some(endpoint) = req.endpoint()
        && !endpoint.methods.contains(&req.method)
    {
        out.flag(
            "url",
            format!(
                "`{} {}` is not allowed; this endpoint takes {}",
                req.method,
                req.path,
                endpoint.methods.join(" or ")
            ),
        )
        .evidence(format!("{} {}", req.method, req.path))
        .fix(format!("send it as {}", endpoint.methods[0]));
    }
}

pub fn cloud_provider_path(req: &RequestView, out: &mut Findings) {
    if req.is_anthropic_host() && req.is_cloud_provider_path() {
        let provider = if req.path.starts_with("/model/") {
            "Amazon Bedrock"
        } else {
            "Google Vertex AI"
        };
        out.flag("url", format!("`{}` is a {provider} path; api.anthropic.com does not serve it", req.path))
            .evidence(&req.path)
            .fix("use POST /v1/messages with the model in the body and `anthropic-version` as a header, or send this request to the provider's endpoint");
    }
}
