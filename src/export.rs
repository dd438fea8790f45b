//! `badreq export`: one exchange as a file to hand to the API provider's support.
//!
//! Reads badreq's JSON-lines log (already redacted), finds the exchange by the
//! API's request id or by badreq's exchange number, and writes the request, the
//! response, the timestamps, the request id and the diagnoses into one JSON file.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no exchange with {what} in {}", path.display())]
    NotFound { what: String, path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Which exchange to export.
pub enum Selector {
    RequestId(String),
    Exchange(u64),
}

/// The API's request id of a logged exchange: the `request-id` header, else the error body's.
pub fn request_id(record: &Value) -> Option<String> {
    let response = record.get("response")?;
    let from_header = response["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| {
            h[0].as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("request-id"))
        })
        .and_then(|h| h[1].as_str())
        .map(str::to_owned);
    from_header.or_else(|| {
        let body: Value = serde_json::from_str(response.pointer("/body/text")?.as_str()?).ok()?;
        body.get("request_id")?.as_str().map(str::to_owned)
    })
}

/// Finds the exchange in `log` and writes the bundle to `out`; returns the bundle.
pub fn export(log: &Path, selector: &Selector, out: &Path) -> Result<Value, ExportError> {
    let text = std::fs::read_to_string(log).map_err(|source| ExportError::Read {
        path: log.to_owned(),
        source,
    })?;
    let record = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["kind"] == "exchange")
        .find(|r| match selector {
            Selector::RequestId(id) => request_id(r).as_deref() == Some(id.as_str()),
            Selector::Exchange(n) => r["id"].as_u64() == Some(*n),
        })
        .ok_or_else(|| ExportError::NotFound {
            what: match selector {
                Selector::RequestId(id) => format!("request id {id}"),
                Selector::Exchange(n) => format!("exchange #{n}"),
            },
            path: log.to_owned(),
        })?;
    let bundle = json!({
        "badreq_support_bundle": 1,
        "created_by": format!("badreq {}", env!("CARGO_PKG_VERSION")),
        "exported_at": crate::output::rfc3339(std::time::SystemTime::now()),
        "request_id": request_id(&record),
        "started_at": record["started_at"],
        "timings_ms": record["timings_ms"],
        "request": record["request"],
        "response": record["response"],
        "diagnoses": record["diagnoses"],
        "note": "API keys and tokens are masked (prefix and length kept).",
    });
    let pretty = serde_json::to_string_pretty(&bundle).unwrap_or_default();
    std::fs::write(out, pretty).map_err(|source| ExportError::Write {
        path: out.to_owned(),
        source,
    })?;
    Ok(bundle)
}
