//! `badreq check`: diagnose saved traffic offline.
//!
//! Reads HAR 1.2 files, badreq's own JSON-lines logs, the issue-tracker case
//! files under `shared/cases/`, or a bare request body; runs the same engine
//! as the proxy; prints text or JSON. Nothing touches the network.
//!
//! [`formats`] turns each kind of file into exchanges; [`report`] prints them.

mod formats;
mod report;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnose::{ExchangeView, Finding, diagnose};

use formats::{from_body, from_case, from_har, from_jsonl};
pub use report::{report_json, report_text};

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
