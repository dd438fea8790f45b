//! HAR 1.2 capture: every exchange as an entry browser devtools can open.
//!
//! A HAR file is one JSON document, yet a CI job may be killed at any moment.
//! So the file is valid after every entry: the closing `]}}` is written after
//! each entry and overwritten by the next one. badreq's diagnoses ride along
//! in the `_diagnoses` field of each entry (HAR allows `_`-prefixed fields).

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use base64::Engine;
use serde_json::{Value, json};

use crate::exchange::{BodyRecord, Exchange, Head, Record};
use crate::recorder::Sink;

use super::rfc3339;

const FOOTER: &[u8] = b"\n]}}\n";

pub struct HarSink {
    file: File,
    /// Where the footer starts, i.e. where the next entry goes.
    end: u64,
    entries: u64,
}

impl HarSink {
    /// Creates (truncates) `path` and writes an empty, valid HAR document.
    pub fn create(path: &Path) -> std::io::Result<HarSink> {
        let mut file = File::create(path)?;
        let header = json!({"version": "1.2", "creator": {"name": "badreq", "version": env!("CARGO_PKG_VERSION")}});
        let mut head = serde_json::to_string(&header)?;
        head.pop(); // reopen the log object to add entries
        let start = format!("{{\"log\":{head},\"entries\":[");
        file.write_all(start.as_bytes())?;
        let end = start.len() as u64;
        file.write_all(FOOTER)?;
        file.flush()?;
        Ok(HarSink {
            file,
            end,
            entries: 0,
        })
    }
}

impl Sink for HarSink {
    fn write(&mut self, record: &Record) -> std::io::Result<()> {
        let Record::Exchange(exchange) = record else {
            return Ok(());
        };
        let mut text = String::from(if self.entries == 0 { "\n" } else { ",\n" });
        text.push_str(&serde_json::to_string(&entry(exchange))?);
        self.file.seek(SeekFrom::Start(self.end))?;
        self.file.write_all(text.as_bytes())?;
        self.end += text.len() as u64;
        self.file.write_all(FOOTER)?;
        self.file.flush()?;
        self.entries += 1;
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.file.sync_all()
    }
}

fn headers(head: &Head) -> Value {
    head.headers
        .iter()
        .map(|(name, value)| json!({"name": name, "value": crate::redact::header_value(name, value)}))
        .collect()
}

fn http_version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    }
}

fn query_string(url: &str) -> Value {
    let Some((_, query)) = url.split_once('?') else {
        return json!([]);
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({"name": name, "value": value})
        })
        .collect()
}

fn content(head: &Head, body: &BodyRecord) -> Value {
    let mime = head
        .header("content-type")
        .unwrap_or("application/octet-stream");
    let mut value = json!({"size": body.total_len, "mimeType": mime});
    match std::str::from_utf8(&body.bytes) {
        Ok(text) => value["text"] = json!(crate::redact::redact_text(text)),
        Err(_) => {
            value["text"] = json!(base64::engine::general_purpose::STANDARD.encode(&body.bytes));
            value["encoding"] = json!("base64");
        }
    }
    if body.truncated {
        value["comment"] = json!(format!(
            "badreq kept the first {} of {} bytes",
            body.bytes.len(),
            body.total_len
        ));
    }
    value
}

fn millis(d: Option<std::time::Duration>) -> f64 {
    d.map_or(-1.0, |d| {
        (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
    })
}

/// One HAR entry for an exchange.
pub fn entry(exchange: &Exchange) -> Value {
    let request = &exchange.request;
    let url = crate::redact::redact_text(&request.url);
    let mut req = json!({
        "method": request.method.as_str(),
        "url": url,
        "httpVersion": http_version(request.head.version),
        "cookies": [],
        "headers": headers(&request.head),
        "queryString": query_string(&request.url),
        "headersSize": -1,
        "bodySize": request.body.total_len,
    });
    if request.body.total_len > 0 {
        let mut post = content(&request.head, &request.body);
        post.as_object_mut().map(|o| o.remove("size"));
        req["postData"] = post;
    }
    let t = &exchange.timings;
    let connect = millis(t.connect);
    let ssl = millis(t.tls);
    let setup = connect.max(0.0) + ssl.max(0.0);
    let wait = t.ttfb.map_or(0.0, |d| (millis(Some(d)) - setup).max(0.0));
    let total = millis(Some(t.total));
    let receive = (total - setup - wait).max(0.0);
    let response = match &exchange.response {
        Some(r) => json!({
            "status": r.status.as_u16(),
            "statusText": r.status.canonical_reason().unwrap_or(""),
            "httpVersion": http_version(r.head.version),
            "cookies": [],
            "headers": headers(&r.head),
            "content": content(&r.head, &r.body),
            "redirectURL": r.head.header("location").unwrap_or(""),
            "headersSize": -1,
            "bodySize": r.body.total_len,
            "_badreq": {"synthetic": r.synthetic},
        }),
        None => json!({
            "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
            "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1,
        }),
    };
    json!({
        "startedDateTime": rfc3339(exchange.started_at),
        "time": total,
        "request": req,
        "response": response,
        "cache": {},
        "timings": {
            "blocked": -1, "dns": -1, "connect": if connect < 0.0 { -1.0 } else { connect + ssl.max(0.0) },
            "ssl": ssl, "send": 0, "wait": wait, "receive": receive,
        },
        "_id": exchange.id,
        "_mode": exchange.mode,
        "_failure": exchange.failure,
        "_diagnoses": exchange.findings,
    })
}
