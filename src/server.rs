//! Startup, the accept loop and graceful shutdown.
//!
//! [`Server::start`] does everything that can fail at startup (CA, trust
//! roots, outputs, the listening socket) before the first client is accepted;
//! [`Server::serve`] then runs until the shutdown future resolves, lets
//! in-flight exchanges finish, and flushes the records.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

use crate::config::Config;
use crate::error::{FatalError, Side};
use crate::exchange::{ConnectionEvent, ConnectionWhat, Failure, Record};
use crate::output::har::HarSink;
use crate::output::jsonl::JsonlSink;
use crate::output::terminal::{Style, TerminalSink};
use crate::proxy::{self, Proxy};
use crate::recorder::{Recorder, Sink, Summary};
use crate::tls::{self, ca::CertificateAuthority, mint::LeafMinter};
use crate::upstream::{ConnectTo, UpstreamConnector};

/// How long shutdown waits for in-flight exchanges.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub struct Server {
    listener: TcpListener,
    proxy: Arc<Proxy>,
    recorder: Recorder,
}

impl Server {
    /// Loads the CA, prepares the upstream client and outputs, and binds the listener.
    /// `extra` sinks (e.g. `badreq run`'s JUnit report) get every record too.
    pub async fn start(
        config: Config,
        style: Style,
        extra: Vec<Box<dyn Sink>>,
    ) -> Result<Server, FatalError> {
        tls::install_crypto_provider();
        let ca = Arc::new(CertificateAuthority::load_or_create(&config.certs)?);
        let client_tls = tls::upstream::client_config(config.upstream_ca.as_deref())?;
        let rules = config
            .connect_to
            .iter()
            .map(|r| ConnectTo::parse(r).expect("validated with the config"))
            .collect();
        let connector = UpstreamConnector::new(client_tls, rules, config.connect_timeout());
        let mut sinks: Vec<Box<dyn Sink>> =
            vec![Box::new(TerminalSink::new(std::io::stderr(), style))];
        let output_error = |path: &std::path::Path| {
            let path = path.to_owned();
            move |source| FatalError::Output { path, source }
        };
        if let Some(path) = &config.jsonl {
            sinks.push(Box::new(JsonlSink::open(path).map_err(output_error(path))?));
        }
        if let Some(path) = &config.har {
            sinks.push(Box::new(HarSink::create(path).map_err(output_error(path))?));
        }
        sinks.extend(extra);
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| FatalError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| FatalError::Listen {
            addr: config.listen,
            source,
        })?;
        let recorder = Recorder::spawn(sinks);
        let minter = LeafMinter::new(ca);
        let proxy = Arc::new(Proxy::new(
            config,
            minter,
            connector,
            local_addr,
            recorder.sender(),
        ));
        Ok(Server {
            listener,
            proxy,
            recorder,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.proxy.local_addr
    }

    pub fn ca_path(&self) -> &std::path::Path {
        self.proxy.minter.ca().cert_path()
    }

    /// Serves clients until `shutdown` resolves, then drains and flushes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Summary {
        let Server {
            listener,
            proxy,
            recorder,
        } = self;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, client)) => spawn_connection(proxy.clone(), stream, client),
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        tracing::info!("shutting down: finishing in-flight exchanges");
        proxy.shut_down(SHUTDOWN_GRACE).await;
        recorder.finish()
    }
}

fn spawn_connection(proxy: Arc<Proxy>, stream: TcpStream, client: SocketAddr) {
    let Some(watcher) = proxy.watcher() else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let span = tracing::info_span!("conn", %client);
    tokio::spawn(
        async move {
            let started = (Instant::now(), SystemTime::now());
            let service_proxy = proxy.clone();
            let service = service_fn(move |req: Request<Incoming>| {
                let proxy = service_proxy.clone();
                async move { Ok::<_, Infallible>(proxy::route(proxy, req, client).await) }
            });
            let builder = proxy.server_builder();
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(error) = watcher.watch(connection.into_owned()).await {
                report_connection_error(&proxy, client, started, error.as_ref());
            }
        }
        .instrument(span),
    );
}

/// Malformed HTTP is worth a record; a peer hanging up is not.
fn report_connection_error(
    proxy: &Proxy,
    client: SocketAddr,
    started: (Instant, SystemTime),
    error: &(dyn std::error::Error + Send + Sync + 'static),
) {
    let parse_error = error
        .downcast_ref::<hyper::Error>()
        .is_some_and(|e| e.is_parse() || e.is_parse_too_large() || e.is_parse_status());
    if !parse_error {
        tracing::debug!(%client, %error, "client connection ended with an error");
        return;
    }
    tracing::debug!(%client, %error, "malformed HTTP from client");
    proxy.send_record(Record::Connection(ConnectionEvent {
        started_at: started.1,
        client,
        target: proxy.local_addr.to_string(),
        what: ConnectionWhat::Failed(Failure {
            side: Side::Client,
            kind: "malformed_http".into(),
            message: format!("the client sent something that is not valid HTTP: {error}"),
        }),
        duration: started.0.elapsed(),
    }));
}
