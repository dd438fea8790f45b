//! The record of one request/response pair, as the inspection side sees it.
//!
//! The proxy fills an [`Exchange`] while bytes flow and sends it to the
//! recorder once both bodies are finished (or abandoned). Nothing on the
//! forwarding path waits for the recorder.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Version};

use crate::error::Side;
use crate::tee::{BodyEnd, CapturedBody};

/// How the request reached badreq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Absolute-form request to a forward proxy (`HTTP_PROXY`).
    Forward,
    /// Decrypted inside a CONNECT tunnel (`HTTPS_PROXY`).
    Intercept,
    /// Origin-form request to badreq itself (base-URL mode).
    BaseUrl,
}

/// A request or response head, as it was forwarded.
#[derive(Debug, Clone)]
pub struct Head {
    pub version: Version,
    /// In wire order; names are lower-case as HTTP/2 and hyper keep them.
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn from_headers(version: Version, headers: &HeaderMap) -> Head {
        Head {
            version,
            headers: headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }
}

/// The first value of header `name` (case-insensitive) in a list of pairs.
pub fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A body's inspected copy and how it ended.
#[derive(Debug, Clone)]
pub struct BodyRecord {
    pub bytes: Bytes,
    pub total_len: u64,
    pub truncated: bool,
    pub end: BodyEnd,
}

impl From<CapturedBody> for BodyRecord {
    fn from(c: CapturedBody) -> Self {
        BodyRecord {
            bytes: c.bytes,
            total_len: c.total_len,
            truncated: c.truncated,
            end: c.end,
        }
    }
}

impl BodyRecord {
    pub fn empty() -> BodyRecord {
        CapturedBody::empty().into()
    }
}

#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub method: Method,
    /// The full URL the request was sent to upstream.
    pub url: String,
    pub head: Head,
    pub body: BodyRecord,
}

#[derive(Debug, Clone)]
pub struct ResponseRecord {
    pub status: StatusCode,
    pub head: Head,
    pub body: BodyRecord,
    /// Made by badreq (a 502/504), not by the upstream.
    pub synthetic: bool,
}

/// A failure on the way, whose side says who to blame.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    pub side: Side,
    pub kind: String,
    pub message: String,
}

/// Durations measured for one exchange.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// TCP connect to the upstream; `None` when a pooled connection was reused.
    pub connect: Option<Duration>,
    pub tls: Option<Duration>,
    /// From the request's arrival to the upstream's response head.
    pub ttfb: Option<Duration>,
    /// From the request's arrival to the last response byte.
    pub total: Duration,
    /// From the request's arrival to the first response body byte (first SSE event).
    pub first_body_byte: Option<Duration>,
}

/// One request and its response, with everything badreq learned about them.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub id: u64,
    pub started_at: SystemTime,
    pub client: SocketAddr,
    pub mode: Mode,
    pub request: RequestRecord,
    pub response: Option<ResponseRecord>,
    pub failure: Option<Failure>,
    pub timings: Timings,
    /// Filled in by the recorder: what the diagnosis engine found.
    pub findings: Vec<crate::diagnose::Finding>,
}

/// A CONNECT tunnel that badreq did not decrypt, or a connection that failed
/// before any exchange could be read from it.
#[derive(Debug, Clone)]
pub struct ConnectionEvent {
    pub started_at: SystemTime,
    pub client: SocketAddr,
    pub target: String,
    pub what: ConnectionWhat,
    pub duration: Duration,
}

#[derive(Debug, Clone)]
pub enum ConnectionWhat {
    /// A blind tunnel and the bytes it carried each way.
    Tunnel { up: u64, down: u64 },
    /// The connection failed; no exchange could be read.
    Failed(Failure),
    /// Worth knowing, but the connection went on (e.g. a client sent no SNI).
    Notice { kind: String, message: String },
}

/// A request whose body is complete while its response is still on the way:
/// what the request alone shows can be said before the answer arrives.
#[derive(Debug, Clone)]
pub struct Preflight {
    pub id: u64,
    pub started_at: SystemTime,
    pub request: RequestRecord,
    /// Filled in by the recorder: the request rules' predictions.
    pub findings: Vec<crate::diagnose::Finding>,
}

/// What the recorder receives.
#[derive(Debug, Clone)]
pub enum Record {
    Exchange(Box<Exchange>),
    Preflight(Box<Preflight>),
    Connection(ConnectionEvent),
}
