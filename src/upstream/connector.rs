//! Dialing an upstream: `connect_to`, DNS, TCP and TLS, each failure told apart.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::Uri;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::error::ConnectError;

use super::ConnectTo;
use super::io::{MaybeTls, UpstreamIo};

/// Dials upstreams for the hyper-util client.
#[derive(Clone)]
pub struct UpstreamConnector {
    tls: TlsConnector,
    connect_to: Arc<Vec<ConnectTo>>,
    timeout: Duration,
}

impl UpstreamConnector {
    pub fn new(tls: Arc<ClientConfig>, connect_to: Vec<ConnectTo>, timeout: Duration) -> Self {
        UpstreamConnector {
            tls: TlsConnector::from(tls),
            connect_to: Arc::new(connect_to),
            timeout,
        }
    }

    /// The address to dial for `host:port` after `connect_to` rules (first match wins).
    pub fn resolve_target(&self, host: &str, port: u16) -> (String, u16) {
        self.connect_to
            .iter()
            .find_map(|rule| rule.apply(host, port))
            .unwrap_or_else(|| (host.to_owned(), port))
    }

    /// Opens a plain TCP connection to `host:port` (after `connect_to`), within the timeout.
    pub async fn dial(&self, host: &str, port: u16) -> Result<(TcpStream, String), ConnectError> {
        let (to_host, to_port) = self.resolve_target(host, port);
        let addr_text = format!("{to_host}:{to_port}");
        let secs = self.timeout.as_secs();
        let dialing = dial_tcp(to_host, to_port);
        match tokio::time::timeout(self.timeout, dialing).await {
            Ok(result) => result.map(|s| (s, addr_text)),
            Err(_) => Err(ConnectError::Timeout {
                addr: addr_text,
                secs,
            }),
        }
    }

    async fn connect(self, uri: Uri) -> Result<UpstreamIo, ConnectError> {
        let host = uri
            .host()
            .ok_or_else(|| ConnectError::Scheme {
                uri: uri.to_string(),
            })?
            .trim_matches(['[', ']'])
            .to_owned();
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(ConnectError::Scheme {
                    uri: uri.to_string(),
                });
            }
        };
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let started = Instant::now();
        let (tcp, remote) = self.dial(&host, port).await?;
        let _ = tcp.set_nodelay(true);
        let connect = started.elapsed();
        if !https {
            return Ok(UpstreamIo::new(
                MaybeTls::Plain(tcp),
                remote,
                connect,
                None,
                false,
            ));
        }
        let name = ServerName::try_from(host.clone())
            .map_err(|_| ConnectError::BadServerName { host: host.clone() })?;
        let handshake = self.tls.connect(name, tcp);
        let tls = match tokio::time::timeout(self.timeout, handshake).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(source)) => return Err(ConnectError::Tls { host, source }),
            Err(_) => {
                return Err(ConnectError::Timeout {
                    addr: remote,
                    secs: self.timeout.as_secs(),
                });
            }
        };
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let tls_time = started.elapsed() - connect;
        Ok(UpstreamIo::new(
            MaybeTls::Tls(Box::new(tls)),
            remote,
            connect,
            Some(tls_time),
            h2,
        ))
    }
}

async fn dial_tcp(host: String, port: u16) -> Result<TcpStream, ConnectError> {
    let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|source| ConnectError::Dns {
            host: host.clone(),
            source,
        })?
        .collect();
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some((addr, e)),
        }
    }
    match last {
        None => Err(ConnectError::NoAddress { host }),
        Some((addr, e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(ConnectError::Refused {
                addr: addr.to_string(),
            })
        }
        Some((addr, source)) => Err(ConnectError::Tcp {
            addr: addr.to_string(),
            source,
        }),
    }
}

impl tower_service::Service<Uri> for UpstreamConnector {
    type Response = UpstreamIo;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<UpstreamIo, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.clone().connect(uri))
    }
}
