//! The pooled HTTP/1.1 + HTTP/2 client for upstreams, and what its failures mean.

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::{ConnectError, ProxyError};
use crate::tee::TeeBody;
use crate::upstream::UpstreamConnector;

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
    pub(super) async fn send(
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
