//! Forwarding one exchange upstream and streaming the answer back.
//!
//! The request head is passed on as received except for what HTTP requires a
//! proxy to change: hop-by-hop headers (RFC 9110 §7.6.1) are dropped, and in
//! base-URL mode `Host` names the upstream instead of badreq. Both bodies go
//! through a [`TeeBody`], so the inspection copy never delays a byte.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Uri, Version};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::oneshot;
use tracing::Instrument;

use crate::error::{ConnectError, ProxyError};
use crate::exchange::{
    BodyRecord, Exchange, Failure, Head, Mode, Preflight, Record, RequestRecord, ResponseRecord,
    Timings,
};
use crate::proxy::{InFlight, Proxy};
use crate::respond;
use crate::tee::{BodyEnd, CapturedBody, Leftover, TeeBody};
use crate::upstream::{ConnInfo, UpstreamConnector};

/// The body type badreq answers clients with.
pub type ProxyBody = BoxBody<Bytes, hyper::Error>;

type UpstreamClient = Client<UpstreamConnector, TeeBody<Incoming>>;

/// The pooled HTTP/1.1 + HTTP/2 client for upstreams.
pub struct Forwarder {
    client: UpstreamClient,
    response_timeout: std::time::Duration,
}

impl Forwarder {
    pub fn new(connector: UpstreamConnector, response_timeout: std::time::Duration) -> Self {
        let client = Client::builder(TokioExecutor::new())
            .http1_preserve_header_case(true)
            .http1_title_case_headers(false)
            .build(connector);
        Forwarder {
            client,
            response_timeout,
        }
    }

    /// Sends `req` and waits for the response head, mapping failures to their cause.
    async fn send(
        &self,
        req: Request<TeeBody<Incoming>>,
    ) -> Result<Response<Incoming>, ProxyError> {
        let authority = req
            .uri()
            .authority()
            .map(|a| a.to_string())
            .unwrap_or_default();
        match tokio::time::timeout(self.response_timeout, self.client.request(req)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(classify(e, authority)),
            Err(_) => Err(ProxyError::ResponseTimeout {
                authority,
                secs: self.response_timeout.as_secs(),
            }),
        }
    }
}

fn classify(error: hyper_util::client::legacy::Error, authority: String) -> ProxyError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = source {
        if let Some(connect) = cause.downcast_ref::<ConnectError>() {
            return ProxyError::Connect {
                authority,
                source: connect.duplicate(),
            };
        }
        source = cause.source();
    }
    let mut reason = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        if !reason.is_empty() {
            reason.push_str(": ");
        }
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    if reason.is_empty() {
        reason = error.to_string();
    }
    ProxyError::UpstreamBroken { authority, reason }
}

/// Headers that describe one hop only and must not be forwarded (RFC 9110 §7.6.1).
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

/// Everything about an exchange known before the response body ends.
struct Pending {
    id: u64,
    started: Instant,
    started_at: SystemTime,
    client: SocketAddr,
    mode: Mode,
    request: RequestRecord,
}

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

/// What it takes to finish an exchange's record once its bodies are done.
struct Recording {
    proxy: Arc<Proxy>,
    in_flight: InFlight,
    pending: Pending,
    request_copy: oneshot::Receiver<CapturedBody>,
}

impl Recording {
    /// Finishes the record in the background; the response is not held back.
    fn spawn(self, timings: Timings, upstream: Upstream) {
        let Recording {
            proxy,
            in_flight,
            pending,
            request_copy,
        } = self;
        tokio::spawn(
            record(proxy, in_flight, pending, request_copy, timings, upstream).in_current_span(),
        );
    }
}

/// In base-URL mode the client addressed badreq, so `Host` must name the upstream.
fn retarget_host(headers: &mut HeaderMap, target: &Uri) {
    let Some(authority) = target.authority() else {
        return;
    };
    let host = match (target.scheme_str(), authority.port_u16()) {
        (Some("https"), Some(443)) | (Some("http"), Some(80)) => authority.host().to_owned(),
        _ => authority.as_str().to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&host) {
        headers.insert(header::HOST, value);
    }
}

enum Upstream {
    Answered {
        status: http::StatusCode,
        head: Head,
        copy: oneshot::Receiver<CapturedBody>,
    },
    Failed {
        leftover: Leftover<Incoming>,
        error: Failure,
        response: ResponseRecord,
    },
}

/// Waits for both body copies, then hands the finished exchange to the recorder.
async fn record(
    proxy: Arc<Proxy>,
    guard: InFlight,
    pending: Pending,
    request_copy: oneshot::Receiver<CapturedBody>,
    mut timings: Timings,
    mut upstream: Upstream,
) {
    let mut request = pending.request;
    let mut request_body = request_copy.await.unwrap_or_else(|_| CapturedBody::empty());
    if let Upstream::Failed { leftover, .. } = &mut upstream {
        read_leftover(
            &mut request_body,
            leftover,
            proxy.config.capture_limit_bytes,
        )
        .await;
    }
    request.body = request_body.into();
    let (response, failure) = match upstream {
        Upstream::Answered {
            status,
            head,
            mut copy,
        } => {
            let copy = match copy.try_recv() {
                Ok(done) => done,
                Err(_) => {
                    // The answer is still on its way: say now what the request alone shows.
                    proxy.send_record(Record::Preflight(Box::new(Preflight {
                        id: pending.id,
                        started_at: pending.started_at,
                        request: request.clone(),
                        findings: Vec::new(),
                    })));
                    copy.await.unwrap_or_else(|_| CapturedBody::empty())
                }
            };
            timings.total = copy.ended_at.saturating_duration_since(pending.started);
            timings.first_body_byte = copy
                .first_frame_at
                .map(|t| t.saturating_duration_since(pending.started));
            let failure = match &copy.end {
                BodyEnd::Failed(reason) => Some(Failure {
                    side: crate::error::Side::Upstream,
                    kind: "upstream_body_failed".into(),
                    message: format!("the upstream's response body broke off: {reason}"),
                }),
                BodyEnd::Abandoned => Some(Failure {
                    side: crate::error::Side::Client,
                    kind: "client_went_away".into(),
                    message: "the client closed the connection before the response ended".into(),
                }),
                BodyEnd::Complete => None,
            };
            let response = ResponseRecord {
                status,
                head,
                body: copy.into(),
                synthetic: false,
            };
            (Some(response), failure)
        }
        Upstream::Failed {
            error, response, ..
        } => {
            timings.total = pending.started.elapsed();
            (Some(response), Some(error))
        }
    };
    let exchange = Exchange {
        id: pending.id,
        started_at: pending.started_at,
        client: pending.client,
        mode: pending.mode,
        request,
        response,
        failure,
        timings,
        findings: Vec::new(),
    };
    proxy.send_record(Record::Exchange(Box::new(exchange)));
    drop(guard);
}

/// How long the recorder keeps reading a request body the upstream never took.
const LEFTOVER_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Completes the copy of a request body that was not sent because the upstream
/// failed, so the record (and its diagnosis) still sees the whole request.
async fn read_leftover(copy: &mut CapturedBody, leftover: &mut Leftover<Incoming>, limit: usize) {
    if copy.end != BodyEnd::Abandoned {
        return;
    }
    let Ok(mut rest) = leftover.await else {
        return;
    };
    let mut bytes = bytes::BytesMut::from(&copy.bytes[..]);
    let reading = async {
        while let Some(frame) = rest.frame().await {
            let Ok(frame) = frame else {
                return false;
            };
            if let Some(data) = frame.data_ref() {
                copy.total_len += data.len() as u64;
                let room = limit.saturating_sub(bytes.len());
                copy.truncated |= data.len() > room;
                bytes.extend_from_slice(&data[..data.len().min(room)]);
            }
        }
        true
    };
    if let Ok(true) = tokio::time::timeout(LEFTOVER_READ_LIMIT, reading).await {
        copy.end = BodyEnd::Complete;
    }
    copy.bytes = bytes.freeze();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_go_and_order_stays() {
        let mut headers = HeaderMap::new();
        headers.insert("x-first", HeaderValue::from_static("1"));
        headers.insert("connection", HeaderValue::from_static("keep-alive, x-hop"));
        headers.insert("x-hop", HeaderValue::from_static("h"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        headers.insert("te", HeaderValue::from_static("trailers"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("x-last", HeaderValue::from_static("2"));
        strip_hop_by_hop(&mut headers);
        let names: Vec<_> = headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-first", "x-api-key", "x-last"]);
    }

    #[test]
    fn base_url_mode_names_the_upstream_host() {
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("*/*"));
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        retarget_host(
            &mut headers,
            &"https://api.anthropic.com/v1/messages".parse().unwrap(),
        );
        let pairs: Vec<_> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("accept", "*/*"),
                ("host", "api.anthropic.com"),
                ("x-api-key", "k")
            ]
        );
    }
}
