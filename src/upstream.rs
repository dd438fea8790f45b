//! Reaching upstream servers: the base URL, `connect_to` overrides and the connector.
//!
//! The connector is badreq's own rather than hyper-util's `HttpConnector` so that
//! it can (a) send `HOST:PORT` to another address while TLS still checks `HOST`,
//! as curl's `--connect-to` does, (b) tell DNS, refusal, timeout and TLS
//! failures apart for the client's 502/504, and (c) time the TCP and TLS steps
//! for the exchange record.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::error::ConnectError;

/// The `upstream` base URL used for requests addressed to badreq itself.
#[derive(Debug, Clone)]
pub struct UpstreamBase {
    pub scheme: http::uri::Scheme,
    pub authority: http::uri::Authority,
    /// Path prefix without a trailing slash ("" for none).
    pub prefix: String,
}

impl UpstreamBase {
    pub fn parse(text: &str) -> Result<UpstreamBase, String> {
        let uri: Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
        let scheme = uri.scheme().cloned().ok_or("missing http:// or https://")?;
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(format!("scheme {scheme} is not http or https"));
        }
        let authority = uri.authority().cloned().ok_or("missing host")?;
        if uri.query().is_some() {
            return Err("a base URL cannot carry a query string".into());
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(UpstreamBase {
            scheme,
            authority,
            prefix,
        })
    }

    /// The upstream URL for an origin-form `path_and_query` sent to badreq.
    pub fn join(&self, path_and_query: &str) -> Result<Uri, http::Error> {
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(format!("{}{}", self.prefix, path_and_query))
            .build()
    }
}

/// One `HOST:PORT:HOST2:PORT2` override; empty parts match anything / keep the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    host: Option<String>,
    port: Option<u16>,
    to_host: Option<String>,
    to_port: Option<u16>,
}

impl ConnectTo {
    pub fn parse(text: &str) -> Result<ConnectTo, String> {
        let parts = split_connect_to(text)?;
        let port = |s: &str, what: &str| -> Result<Option<u16>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| format!("{what} port {s:?} is not a number from 0 to 65535"))
            }
        };
        let host =
            |s: &str| (!s.is_empty()).then(|| s.trim_matches(['[', ']']).to_ascii_lowercase());
        Ok(ConnectTo {
            host: host(&parts[0]),
            port: port(&parts[1], "source")?,
            to_host: host(&parts[2]),
            to_port: port(&parts[3], "target")?,
        })
    }

    /// The address to dial for `host:port`, if this rule applies.
    pub fn apply(&self, host: &str, port: u16) -> Option<(String, u16)> {
        let host_matches = self
            .host
            .as_deref()
            .is_none_or(|h| h.eq_ignore_ascii_case(host));
        let port_matches = self.port.is_none_or(|p| p == port);
        (host_matches && port_matches).then(|| {
            (
                self.to_host.clone().unwrap_or_else(|| host.to_owned()),
                self.to_port.unwrap_or(port),
            )
        })
    }
}

/// Splits on the three colons that are not inside `[...]` (IPv6 literals).
fn split_connect_to(text: &str) -> Result<Vec<String>, String> {
    let mut parts = vec![String::new()];
    let mut in_brackets = false;
    for c in text.chars() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            ':' if !in_brackets => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("never empty").push(c);
    }
    if parts.len() != 4 {
        return Err("expected HOST:PORT:HOST2:PORT2".into());
    }
    Ok(parts)
}

/// How one upstream connection was made; carried into each response's extensions.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote: String,
    pub connect: Duration,
    pub tls: Option<Duration>,
    /// Set by the first exchange that uses the connection; later ones reuse it.
    claimed: Arc<AtomicBool>,
}

impl ConnInfo {
    /// The connection's setup timings, for the first exchange only.
    pub fn claim_setup(&self) -> Option<(Duration, Option<Duration>)> {
        (!self.claimed.swap(true, Ordering::Relaxed)).then_some((self.connect, self.tls))
    }
}

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

/// A TCP stream, with or without TLS.
pub enum MaybeTls {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for MaybeTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The connection handed to hyper, with its setup facts.
pub struct UpstreamIo {
    io: TokioIo<MaybeTls>,
    info: ConnInfo,
    h2: bool,
}

impl UpstreamIo {
    fn new(
        stream: MaybeTls,
        remote: String,
        connect: Duration,
        tls: Option<Duration>,
        h2: bool,
    ) -> UpstreamIo {
        UpstreamIo {
            io: TokioIo::new(stream),
            info: ConnInfo {
                remote,
                connect,
                tls,
                claimed: Arc::new(AtomicBool::new(false)),
            },
            h2,
        }
    }
}

impl Connection for UpstreamIo {
    fn connected(&self) -> Connected {
        let connected = Connected::new().extra(self.info.clone());
        if self.h2 {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

impl hyper::rt::Read for UpstreamIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for UpstreamIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_matches_like_curl() {
        let rule = ConnectTo::parse("api.anthropic.com:443:127.0.0.1:9443").unwrap();
        assert_eq!(
            rule.apply("api.anthropic.com", 443),
            Some(("127.0.0.1".into(), 9443))
        );
        assert_eq!(rule.apply("api.anthropic.com", 80), None);
        assert_eq!(rule.apply("example.com", 443), None);
        let any = ConnectTo::parse("::127.0.0.1:").unwrap();
        assert_eq!(any.apply("x.test", 8443), Some(("127.0.0.1".into(), 8443)));
        let v6 = ConnectTo::parse("h:1:[::1]:2").unwrap();
        assert_eq!(v6.apply("h", 1), Some(("::1".into(), 2)));
        assert!(ConnectTo::parse("a:1:b").is_err());
        assert!(ConnectTo::parse("a:x:b:1").is_err());
    }

    #[test]
    fn base_url_joins_prefix() {
        let base = UpstreamBase::parse("https://gw.example.com/anthropic/").unwrap();
        assert_eq!(
            base.join("/v1/messages?beta=true").unwrap().to_string(),
            "https://gw.example.com/anthropic/v1/messages?beta=true"
        );
        assert!(UpstreamBase::parse("ftp://x").is_err());
        assert!(UpstreamBase::parse("api.anthropic.com").is_err());
    }
}
