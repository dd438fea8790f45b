//! `badreq check`: diagnose saved traffic offline.
//!
//! Reads HAR 1.2 files, badreq's own JSON-lines logs, the issue-tracker case
//! files under `shared/cases/`, or a bare request body; runs the same engine
//! as the proxy; prints text or JSON. Nothing touches the network.

use std::path::{Path, PathBuf};

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::diagnose::view::{RequestView, ResponseView, today};
use crate::diagnose::{ExchangeView, Finding, Severity, Status, diagnose, has_standing};

/// Where a bare body is assumed to go unless `--url` says otherwise.
pub const DEFAULT_URL: &str = "https://api.anthropic.com/v1/messages";

/// Options for a bare request body.
#[derive(Debug, Clone)]
pub struct BodyOptions {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Format { path: PathBuf, reason: String },
}

/// One exchange read from a file, with where it came from.
pub struct Checked {
    pub source: String,
    pub view: ExchangeView,
    pub findings: Vec<Finding>,
}

/// Reads every exchange in `path` and diagnoses it.
pub fn check_file(path: &Path, options: &BodyOptions) -> Result<Vec<Checked>, CheckError> {
    let bytes = std::fs::read(path).map_err(|source| CheckError::Read {
        path: path.to_owned(),
        source,
    })?;
    let views = load(path, &bytes, options)?;
    Ok(views
        .into_iter()
        .enumerate()
        .map(|(i, view)| Checked {
            source: format!("{}#{}", path.display(), i + 1),
            findings: diagnose(&view),
            view,
        })
        .collect())
}

fn load(path: &Path, bytes: &[u8], options: &BodyOptions) -> Result<Vec<ExchangeView>, CheckError> {
    let format_error = |reason: String| CheckError::Format {
        path: path.to_owned(),
        reason,
    };
    let text = String::from_utf8_lossy(bytes);
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        return text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .filter_map(|(i, line)| match serde_json::from_str::<Value>(line) {
                Ok(v) if v["kind"] == "exchange" => {
                    Some(from_jsonl(&v).map_err(|e| format_error(format!("line {}: {e}", i + 1))))
                }
                Ok(_) => None,
                Err(e) => Some(Err(format_error(format!("line {}: not JSON: {e}", i + 1)))),
            })
            .collect();
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.pointer("/log/entries").is_some() => from_har(&v).map_err(format_error),
        Ok(v) if v.get("request").and_then(|r| r.get("path")).is_some() => Ok(vec![from_case(&v)]),
        _ => Ok(vec![from_body(bytes, options)]),
    }
}

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

fn request(
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

fn from_har(har: &Value) -> Result<Vec<ExchangeView>, String> {
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

fn from_jsonl(v: &Value) -> Result<ExchangeView, String> {
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
fn from_case(v: &Value) -> ExchangeView {
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

fn from_body(bytes: &[u8], options: &BodyOptions) -> ExchangeView {
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

/// The machine-readable report.
pub fn report_json(checked: &[Checked]) -> Value {
    let exchanges: Vec<Value> = checked
        .iter()
        .map(|c| {
            let r = &c.view.request;
            json!({
                "source": c.source,
                "method": r.method,
                "url": format!("{}{}", r.host.as_deref().map(|h| format!("https://{h}")).unwrap_or_default(), r.path),
                "status": c.view.response.as_ref().map(|r| r.status),
                "findings": c.findings,
            })
        })
        .collect();
    let count = |status: Status| {
        checked
            .iter()
            .flat_map(|c| &c.findings)
            .filter(|f| f.status == status)
            .count()
    };
    json!({
        "exchanges": exchanges,
        "summary": {
            "exchanges": checked.len(),
            "with_errors": checked.iter().filter(|c| has_standing(&c.findings, Severity::Error)).count(),
            "confirmed": count(Status::Confirmed),
            "contradicted": count(Status::Contradicted),
            "unexplained": count(Status::Unexplained),
            "predicted": count(Status::Predicted),
        }
    })
}

/// The error rules the corrected request still trips (fixes that are not mechanical).
fn still_failing(
    original: &RequestView,
    headers: Vec<(String, String)>,
    body: Option<Value>,
) -> Vec<&'static str> {
    let bytes = body
        .map(|b| Bytes::from(b.to_string()))
        .unwrap_or_else(|| original.body.clone());
    let url = match (&original.scheme, &original.host) {
        (Some(scheme), Some(host)) => format!("{scheme}://{host}{}", original.path),
        _ => original.path.clone(),
    };
    let mut corrected = request(
        &original.method,
        &url,
        headers,
        bytes,
        original.body_truncated,
        original.as_of.clone(),
    );
    corrected.headers_known = original.headers_known;
    let mut ids: Vec<&'static str> = crate::diagnose::check_request(&corrected)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect();
    ids.dedup();
    ids
}

/// The text report, with a corrected curl line where fixes are mechanical.
pub fn report_text(checked: &[Checked]) -> String {
    let mut out = String::new();
    for c in checked {
        let r = &c.view.request;
        let status = c
            .view
            .response
            .as_ref()
            .map(|r| r.status.to_string())
            .unwrap_or_else(|| "(no response)".into());
        out.push_str(&format!(
            "{}  {} {} → {}\n",
            c.source, r.method, r.path, status
        ));
        if c.findings.is_empty() {
            out.push_str("    no findings\n");
        }
        let style = crate::output::terminal::Style::default();
        for line in c
            .findings
            .iter()
            .flat_map(|f| crate::output::terminal::finding_lines(f, &style))
        {
            out.push_str(&line);
            out.push('\n');
        }
        let patches: Vec<_> = c
            .findings
            .iter()
            .filter(|f| f.status != Status::Contradicted)
            .flat_map(|f| f.patch.clone())
            .collect();
        if !patches.is_empty() {
            out.push_str("    corrected request:\n");
            for patch in &patches {
                for line in patch.diff_lines(r) {
                    out.push_str(&format!("      {line}\n"));
                }
            }
            let (headers, body) = crate::diagnose::fix::apply(r, &patches);
            let text = body.as_ref().map(Value::to_string);
            for line in crate::diagnose::fix::curl_line(r, &headers, text.as_deref()).lines() {
                out.push_str(&format!("      {line}\n"));
            }
            let remaining = still_failing(r, headers, body);
            if !remaining.is_empty() {
                out.push_str(&format!(
                    "      (not a full fix: the corrected request still trips {})\n",
                    remaining.join(", ")
                ));
            }
        }
    }
    out
}
