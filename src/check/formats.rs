//! Saved traffic in its formats: HAR 1.2, badreq's JSON lines, the shared case
//! files, and a bare request body.

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::diagnose::ExchangeView;
use crate::diagnose::view::{RequestView, ResponseView, today};

use super::BodyOptions;

fn header_pairs(value: &Value) -> Vec<(String, String)> {
    match value {
        // HAR: [{"name","value"}]; badreq JSONL: [[name, value]]
        Value::Array(items) => items
            .iter()
            .filter_map(|h| match h {
                Value::Array(pair) => Some((
                    pair.first()?.as_str()?.to_owned(),
                    pair.get(1)?.as_str()?.to_owned(),
                )),
                Value::Object(o) => Some((
                    o.get("name")?.as_str()?.to_owned(),
                    o.get("value")?.as_str()?.to_owned(),
                )),
                _ => None,
            })
            .collect(),
        // case files: {"name": "value"}
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}

fn day(text: Option<&str>) -> String {
    text.filter(|t| t.len() >= 10)
        .map(|t| t[..10].to_owned())
        .unwrap_or_else(today)
}

pub(super) fn request(
    method: &str,
    url: &str,
    headers: Vec<(String, String)>,
    body: Bytes,
    truncated: bool,
    as_of: String,
) -> RequestView {
    let size = body.len() as u64;
    RequestView::new(method, url, headers, body, size, truncated, as_of)
}

pub(super) fn from_har(har: &Value) -> Result<Vec<ExchangeView>, String> {
    let entries = har
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or("log.entries is not an array")?;
    entries
        .iter()
        .map(|entry| {
            let req = entry.get("request").ok_or("an entry has no request")?;
            let body = req
                .pointer("/postData/text")
                .and_then(Value::as_str)
                .unwrap_or("");
            let request = request(
                req.get("method").and_then(Value::as_str).unwrap_or("GET"),
                req.get("url").and_then(Value::as_str).unwrap_or("/"),
                header_pairs(req.get("headers").unwrap_or(&Value::Null)),
                Bytes::from(body.to_owned()),
                false,
                day(entry.get("startedDateTime").and_then(Value::as_str)),
            );
            let response = entry
                .get("response")
                .filter(|r| r["status"].as_u64().unwrap_or(0) > 0)
                .map(|r| {
                    let text = r
                        .pointer("/content/text")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let body = if r.pointer("/content/encoding").and_then(Value::as_str)
                        == Some("base64")
                    {
                        base64::engine::general_purpose::STANDARD
                            .decode(text)
                            .unwrap_or_default()
                    } else {
                        text.as_bytes().to_vec()
                    };
                    ResponseView {
                        status: r["status"].as_u64().unwrap_or(0) as u16,
                        headers: header_pairs(r.get("headers").unwrap_or(&Value::Null)),
                        body: Bytes::from(body),
                        synthetic: r
                            .pointer("/_badreq/synthetic")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    }
                });
            Ok(ExchangeView { request, response })
        })
        .collect()
}

fn jsonl_body(body: &Value) -> (Bytes, bool) {
    let truncated = body["truncated"].as_bool().unwrap_or(false)
        || body
            .pointer("/end/state")
            .and_then(Value::as_str)
            .is_some_and(|s| s != "complete");
    let bytes = match (
        body.get("text").and_then(Value::as_str),
        body.get("base64").and_then(Value::as_str),
    ) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    (Bytes::from(bytes), truncated)
}

pub(super) fn from_jsonl(v: &Value) -> Result<ExchangeView, String> {
    let req = v.get("request").ok_or("no request")?;
    let (body, truncated) = jsonl_body(&req["body"]);
    let mut request = request(
        req["method"].as_str().unwrap_or("GET"),
        req["url"].as_str().unwrap_or("/"),
        header_pairs(&req["headers"]),
        body,
        truncated,
        day(v["started_at"].as_str()),
    );
    request.body_size = req
        .pointer("/body/size")
        .and_then(Value::as_u64)
        .unwrap_or(request.body_size);
    let response = v
        .get("response")
        .filter(|r| !r.is_null())
        .map(|r| ResponseView {
            status: r["status"].as_u64().unwrap_or(0) as u16,
            headers: header_pairs(&r["headers"]),
            body: jsonl_body(&r["body"]).0,
            synthetic: r["synthetic"].as_bool().unwrap_or(false),
        });
    Ok(ExchangeView { request, response })
}

/// A case file from `shared/cases/`: the request and the API's answer as quoted.
pub(super) fn from_case(v: &Value) -> ExchangeView {
    let req = &v["request"];
    let body = match (req.get("body"), req.get("body_raw").and_then(Value::as_str)) {
        (_, Some(raw)) => raw.as_bytes().to_vec(),
        (Some(body), None) if !body.is_null() => serde_json::to_vec(body).unwrap_or_default(),
        _ => Vec::new(),
    };
    let path = req["path"].as_str().unwrap_or("/");
    let url = if path.starts_with("/v1/projects/") {
        path.to_owned()
    } else {
        format!("https://api.anthropic.com{path}")
    };
    let request = request(
        req["method"].as_str().unwrap_or("POST"),
        &url,
        header_pairs(&req["headers"]),
        Bytes::from(body),
        false,
        today(),
    );
    let response = v.get("response").map(|r| {
        let body = match r.get("body") {
            Some(b) if !b.is_null() => b.to_string(),
            _ => json!({"type": "error", "error": {"type": "unknown", "message": r["message"].as_str().unwrap_or("")}}).to_string(),
        };
        ResponseView {
            status: r["status"].as_u64().unwrap_or(0) as u16,
            headers: header_pairs(r.get("headers").unwrap_or(&Value::Null)),
            body: Bytes::from(body),
            synthetic: false,
        }
    });
    ExchangeView { request, response }
}

pub(super) fn from_body(bytes: &[u8], options: &BodyOptions) -> ExchangeView {
    let mut request = request(
        &options.method,
        &options.url,
        options.headers.clone(),
        Bytes::from(bytes.to_vec()),
        false,
        today(),
    );
    request.headers_known = !options.headers.is_empty();
    ExchangeView {
        request,
        response: None,
    }
}
