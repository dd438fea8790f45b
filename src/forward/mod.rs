//! Forwarding one exchange upstream and streaming the answer back.
//!
//! The request head is passed on as received except for what HTTP requires a
//! proxy to change: hop-by-hop headers (RFC 9110 §7.6.1) are dropped, and in
//! base-URL mode `Host` names the upstream instead of badreq. Both bodies go
//! through a [`TeeBody`], so the inspection copy never delays a byte.

mod client;
mod head;
mod record;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{Request, Response, Uri, Version};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use tracing::Instrument;

use crate::error::ProxyError;
use crate::exchange::{BodyRecord, Failure, Head, Mode, RequestRecord, ResponseRecord, Timings};
use crate::proxy::Proxy;
use crate::respond;
use crate::tee::{BodyEnd, Leftover, TeeBody};
use crate::upstream::ConnInfo;

pub use client::Forwarder;
use head::{retarget_host, strip_hop_by_hop};
use record::{Pending, Recording, Upstream};

/// The body type badreq answers clients with.
pub type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// Forwards one request to `target` and returns the response to send the client.
pub async fn handle(
    proxy: Arc<Proxy>,
    req: Request<Incoming>,
    target: Uri,
    mode: Mode,
    client: SocketAddr,
) -> Response<ProxyBody> {
    let id = proxy.next_exchange_id();
    let span = tracing::info_span!("exchange", id, method = %req.method(), url = %target);
    exchange(proxy, req, target, mode, client, id)
        .instrument(span)
        .await
}

async fn exchange(
    proxy: Arc<Proxy>,
    req: Request<Incoming>,
    target: Uri,
    mode: Mode,
    client: SocketAddr,
    id: u64,
) -> Response<ProxyBody> {
    let in_flight = proxy.in_flight();
    let started = Instant::now();
    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if mode == Mode::BaseUrl {
        retarget_host(&mut parts.headers, &target);
    }
    let pending = Pending {
        id,
        started,
        started_at: SystemTime::now(),
        client,
        mode,
        request: RequestRecord {
            method: parts.method.clone(),
            url: target.to_string(),
            head: Head::from_headers(parts.version, &parts.headers),
            body: BodyRecord::empty(),
        },
    };
    let limit = proxy.config.capture_limit_bytes;
    let (request_body, request_copy, leftover) = TeeBody::with_leftover(body, limit);
    parts.uri = target;
    parts.version = Version::HTTP_11;
    let sent = proxy
        .forwarder
        .send(Request::from_parts(parts, request_body))
        .await;
    let ttfb = started.elapsed();
    let recording = Recording {
        proxy,
        in_flight,
        pending,
        request_copy,
    };
    match sent {
        Ok(response) => {
            let (response, timings, upstream) = stream_back(response, ttfb, limit);
            recording.spawn(timings, upstream);
            response
        }
        Err(error) => {
            tracing::debug!(error = %error.describe(), "upstream failed");
            let (response, upstream) = answer_failure(&error, leftover);
            recording.spawn(Timings::default(), upstream);
            response
        }
    }
}

/// Prepares the upstream's response for the client: hop-by-hop headers go and
/// the body is tee'd; it streams from here on.
fn stream_back(
    response: Response<Incoming>,
    ttfb: std::time::Duration,
    limit: usize,
) -> (Response<ProxyBody>, Timings, Upstream) {
    let setup = response
        .extensions()
        .get::<ConnInfo>()
        .and_then(ConnInfo::claim_setup);
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    parts.version = Version::HTTP_11;
    let status = parts.status;
    let head = Head::from_headers(parts.version, &parts.headers);
    let (response_body, copy) = TeeBody::new(body, limit);
    tracing::debug!(status = status.as_u16(), "response head forwarded");
    let timings = Timings {
        connect: setup.map(|(c, _)| c),
        tls: setup.and_then(|(_, t)| t),
        ttfb: Some(ttfb),
        ..Timings::default()
    };
    let upstream = Upstream::Answered { status, head, copy };
    (
        Response::from_parts(parts, response_body.boxed()),
        timings,
        upstream,
    )
}

/// badreq's own 502/504 for `error`, and how the exchange is recorded.
fn answer_failure(
    error: &ProxyError,
    leftover: Leftover<Incoming>,
) -> (Response<ProxyBody>, Upstream) {
    let (response, body) = respond::proxy_error(error);
    let synthetic = ResponseRecord {
        status: response.status(),
        head: Head::from_headers(Version::HTTP_11, response.headers()),
        body: BodyRecord {
            total_len: body.len() as u64,
            bytes: body,
            truncated: false,
            end: BodyEnd::Complete,
        },
        synthetic: true,
    };
    let upstream = Upstream::Failed {
        leftover,
        error: Failure {
            side: error.side(),
            kind: error.kind().to_owned(),
            message: error.describe(),
        },
        response: synthetic,
    };
    (response, upstream)
}
