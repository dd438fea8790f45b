//! Shared proxy state and the first decision about each request: which way in.
//!
//! One listener serves three kinds of request: `CONNECT` (tunnel or intercept),
//! absolute-form (`HTTP_PROXY` for `http://` URLs) and origin-form (badreq used
//! as a base URL). [`route`] tells them apart and hands each to its module.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Method, Request, Response, Uri};
use hyper::body::Incoming;
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::exchange::{Mode, Record};
use crate::forward::{self, Forwarder, ProxyBody};
use crate::recorder::Message;
use crate::tls::mint::LeafMinter;
use crate::upstream::{UpstreamBase, UpstreamConnector};
use crate::{connect, respond};

/// Everything the connection tasks share.
pub struct Proxy {
    pub config: Config,
    pub minter: LeafMinter,
    pub forwarder: Forwarder,
    pub connector: UpstreamConnector,
    pub upstream_base: UpstreamBase,
    pub local_addr: SocketAddr,
    records: mpsc::UnboundedSender<Message>,
    next_id: AtomicU64,
    in_flight: Arc<AtomicUsize>,
    graceful: Mutex<Option<GracefulShutdown>>,
}

/// Counts an exchange whose record is not yet with the recorder.
pub struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Proxy {
    pub fn new(
        config: Config,
        minter: LeafMinter,
        connector: UpstreamConnector,
        local_addr: SocketAddr,
        records: mpsc::UnboundedSender<Message>,
    ) -> Proxy {
        let upstream_base =
            UpstreamBase::parse(&config.upstream).expect("validated with the config");
        let forwarder = Forwarder::new(connector.clone(), config.response_timeout());
        Proxy {
            config,
            minter,
            forwarder,
            connector,
            upstream_base,
            local_addr,
            records,
            next_id: AtomicU64::new(1),
            in_flight: Arc::new(AtomicUsize::new(0)),
            graceful: Mutex::new(Some(GracefulShutdown::new())),
        }
    }

    pub fn next_exchange_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn in_flight(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.in_flight.clone())
    }

    /// Hands a record to the recorder; never blocks the caller.
    pub fn send_record(&self, record: Record) {
        if self.records.send(Message::Record(record)).is_err() {
            tracing::debug!("recorder already stopped; record dropped");
        }
    }

    /// A watcher for graceful shutdown, or `None` once shutdown has begun.
    pub fn watcher(&self) -> Option<Watcher> {
        self.graceful
            .lock()
            .expect("graceful lock poisoned")
            .as_ref()
            .map(GracefulShutdown::watcher)
    }

    /// Asks every watched connection to finish its in-flight exchanges and close,
    /// waits up to `grace` for them, then up to `grace` for their records.
    pub async fn shut_down(&self, grace: Duration) {
        let graceful = self.graceful.lock().expect("graceful lock poisoned").take();
        if let Some(graceful) = graceful
            && tokio::time::timeout(grace, graceful.shutdown())
                .await
                .is_err()
        {
            tracing::warn!("some connections were still busy after {grace:?}; closing them");
        }
        let deadline = tokio::time::Instant::now() + grace;
        while self.in_flight.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The HTTP/1.1 + HTTP/2 server settings used on every client connection.
    pub fn server_builder(&self) -> auto::Builder<TokioExecutor> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .preserve_header_case(true)
            .title_case_headers(false)
            .keep_alive(true);
        builder
    }
}

/// Routes one request arriving on the listener.
pub async fn route(
    proxy: Arc<Proxy>,
    req: Request<Incoming>,
    client: SocketAddr,
) -> Response<ProxyBody> {
    if req.method() == Method::CONNECT {
        return connect::handle(proxy, req, client).await;
    }
    let uri = req.uri().clone();
    // A client with both HTTP_PROXY and a base URL of badreq (common under
    // `badreq run`) sends absolute-form requests for badreq itself: those are
    // base-URL requests, not a loop.
    if uri.scheme().is_some() && uri.authority().is_some() && !points_at_self(&proxy, &uri) {
        return forward::handle(proxy, req, uri, Mode::Forward, client).await;
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match proxy.upstream_base.join(path) {
        Ok(target) => forward::handle(proxy, req, target, Mode::BaseUrl, client).await,
        Err(e) => respond::bad_request(&format!("cannot build the upstream URL: {e}")),
    }
}

fn points_at_self(proxy: &Proxy, uri: &Uri) -> bool {
    let Some(authority) = uri.authority() else {
        return false;
    };
    let port = authority.port_u16().unwrap_or(80);
    let host = authority.host().trim_matches(['[', ']']);
    port == proxy.local_addr.port()
        && host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip == proxy.local_addr.ip() || ip.is_loopback())
}
