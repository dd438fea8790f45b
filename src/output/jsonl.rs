//! JSON lines: one object per record, flushed as it is written.
//!
//! The format is versioned by its `schema` field and described in
//! `docs/log-format.md`. Secrets are masked unless redaction is turned off.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use base64::Engine;
use serde_json::{Value, json};

use crate::exchange::{BodyRecord, ConnectionWhat, Exchange, Head, Record};
use crate::recorder::Sink;

use super::rfc3339;

pub const SCHEMA: &str = "badreq.exchange/1";

pub struct JsonlSink {
    out: BufWriter<File>,
}

impl JsonlSink {
    /// Opens `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<JsonlSink> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(JsonlSink {
            out: BufWriter::new(file),
        })
    }
}

impl Sink for JsonlSink {
    fn write(&mut self, record: &Record) -> std::io::Result<()> {
        // The log holds finished exchanges; predictions are in them.
        if matches!(record, Record::Preflight(_)) {
            return Ok(());
        }
        let value = record_json(record);
        serde_json::to_writer(&mut self.out, &value)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()
    }
}

pub fn record_json(record: &Record) -> Value {
    match record {
        Record::Exchange(exchange) => exchange_json(exchange),
        Record::Preflight(preflight) => json!({
            "schema": SCHEMA,
            "kind": "preflight",
            "id": preflight.id,
            "diagnoses": preflight.findings,
        }),
        Record::Connection(event) => {
            let mut value = json!({
                "schema": SCHEMA,
                "kind": "connection",
                "started_at": rfc3339(event.started_at),
                "client": event.client.to_string(),
                "target": event.target,
                "duration_ms": millis(event.duration),
            });
            match &event.what {
                ConnectionWhat::Tunnel { up, down } => {
                    value["tunnel"] = json!({"bytes_up": up, "bytes_down": down});
                }
                ConnectionWhat::Failed(failure) => value["failure"] = json!(failure),
                ConnectionWhat::Notice { kind, message } => {
                    value["notice"] = json!({"kind": kind, "message": message});
                }
            }
            value
        }
    }
}

fn exchange_json(exchange: &Exchange) -> Value {
    let t = &exchange.timings;
    json!({
        "schema": SCHEMA,
        "kind": "exchange",
        "id": exchange.id,
        "started_at": rfc3339(exchange.started_at),
        "client": exchange.client.to_string(),
        "mode": exchange.mode,
        "request": {
            "method": exchange.request.method.as_str(),
            "url": crate::redact::redact_text(&exchange.request.url),
            "http_version": format!("{:?}", exchange.request.head.version),
            "headers": headers_json(&exchange.request.head),
            "body": body_json(&exchange.request.body),
        },
        "response": exchange.response.as_ref().map(|r| {
            let mut response = json!({
                "status": r.status.as_u16(),
                "synthetic": r.synthetic,
                "headers": headers_json(&r.head),
                "body": body_json(&r.body),
            });
            if r.head.header("content-type").is_some_and(|c| c.starts_with("text/event-stream")) {
                let events = crate::sse::parse_events(&r.body.bytes);
                response["events"] = serde_json::from_str(&crate::redact::redact_text(&json!(events).to_string())).unwrap_or_default();
            }
            response
        }),
        "failure": exchange.failure,
        "diagnoses": exchange.findings,
        "timings_ms": {
            "connect": t.connect.map(millis),
            "tls": t.tls.map(millis),
            "ttfb": t.ttfb.map(millis),
            "first_body_byte": t.first_body_byte.map(millis),
            "total": millis(t.total),
        },
    })
}

fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn headers_json(head: &Head) -> Value {
    head.headers
        .iter()
        .map(|(name, value)| json!([name, crate::redact::header_value(name, value)]))
        .collect()
}

fn body_json(body: &BodyRecord) -> Value {
    let mut value = json!({
        "size": body.total_len,
        "captured": body.bytes.len(),
        "truncated": body.truncated,
        "end": body.end,
    });
    match std::str::from_utf8(&body.bytes) {
        Ok(text) => value["text"] = json!(crate::redact::redact_text(text)),
        Err(_) => {
            value["base64"] = json!(base64::engine::general_purpose::STANDARD.encode(&body.bytes))
        }
    }
    value
}
