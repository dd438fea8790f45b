//! Finishing an exchange's record once both bodies are done, off the forwarding path.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::oneshot;
use tracing::Instrument;

use crate::exchange::{
    Exchange, Failure, Head, Mode, Preflight, Record, RequestRecord, ResponseRecord, Timings,
};
use crate::proxy::{InFlight, Proxy};
use crate::tee::{BodyEnd, CapturedBody, Leftover};

/// Everything about an exchange known before the response body ends.
pub(super) struct Pending {
    pub(super) id: u64,
    pub(super) started: Instant,
    pub(super) started_at: SystemTime,
    pub(super) client: SocketAddr,
    pub(super) mode: Mode,
    pub(super) request: RequestRecord,
}

pub(super) enum Upstream {
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

/// What it takes to finish an exchange's record once its bodies are done.
pub(super) struct Recording {
    pub(super) proxy: Arc<Proxy>,
    pub(super) in_flight: InFlight,
    pub(super) pending: Pending,
    pub(super) request_copy: oneshot::Receiver<CapturedBody>,
}

impl Recording {
    /// Finishes the record in the background; the response is not held back.
    pub(super) fn spawn(self, timings: Timings, upstream: Upstream) {
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
