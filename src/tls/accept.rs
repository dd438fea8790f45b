//! The TLS handshake with a client inside an intercepted CONNECT tunnel.
//!
//! The ClientHello is read first so the leaf can follow the SNI the client
//! asked for (falling back to the CONNECT target when it sent none). The first
//! byte is looked at before TLS starts: one that cannot open a TLS record gets
//! a plain-text `400`, so a client that forgot `https://` learns why instead of
//! reading a TLS alert.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;

use super::mint::LeafMinter;
use crate::error::ProxyError;

/// What the client negotiated, for the exchange records.
#[derive(Debug, Clone)]
pub struct ClientTls {
    pub sni: Option<String>,
    pub alpn_h2: bool,
}

/// Who is on the other end of a tunnel, for messages about it.
#[derive(Debug, Clone)]
pub struct Peer {
    pub user_agent: Option<String>,
    pub address: std::net::SocketAddr,
    /// Where badreq's CA certificate is, for the advice.
    pub ca_path: String,
}

impl Peer {
    fn describe(&self) -> String {
        match &self.user_agent {
            Some(ua) => format!("the client `{ua}` ({})", self.address),
            None => format!("the client at {}", self.address),
        }
    }

    /// How to make this client's runtime trust badreq's CA.
    fn trust_advice(&self) -> String {
        let ca = &self.ca_path;
        let ua = self
            .user_agent
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        if ua.starts_with("curl") {
            format!("Run curl with --cacert {ca} (or CURL_CA_BUNDLE={ca}).")
        } else if ua.contains("python") || ua.contains("httpx") {
            format!(
                "For Python set SSL_CERT_FILE={ca} (httpx, the anthropic SDK) or REQUESTS_CA_BUNDLE={ca} (requests)."
            )
        } else if ua.contains("node") || ua.contains("/js") || ua.contains("undici") {
            format!("For Node set NODE_EXTRA_CA_CERTS={ca}.")
        } else if ua.contains("java") {
            format!("For Java import it: keytool -importcert -alias badreq -file {ca} -cacerts.")
        } else {
            format!(
                "Trust {ca}: curl --cacert, Python SSL_CERT_FILE, Node NODE_EXTRA_CA_CERTS, or the OS store (`badreq ca` shows how)."
            )
        }
    }
}

/// Completes the handshake with the client for `target_host` within `deadline`.
pub async fn accept<IO>(
    io: IO,
    target_host: &str,
    minter: &LeafMinter,
    deadline: Duration,
    peer: &Peer,
) -> Result<(TlsStream<Prefixed<IO>>, ClientTls), ProxyError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let timeout = || ProxyError::ClientTlsTimeout {
        target: target_host.to_owned(),
        secs: deadline.as_secs(),
    };
    tokio::time::timeout(deadline, handshake(io, target_host, minter, peer))
        .await
        .map_err(|_| timeout())?
}

/// The TLS record type of a handshake message: every ClientHello starts with it.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

async fn handshake<IO>(
    mut io: IO,
    target_host: &str,
    minter: &LeafMinter,
    peer: &Peer,
) -> Result<(TlsStream<Prefixed<IO>>, ClientTls), ProxyError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let client_tls = |reason: String| ProxyError::ClientTls {
        target: target_host.to_owned(),
        reason,
    };
    let mut first = [0u8; 1];
    match io.read(&mut first).await {
        Ok(0) => {
            return Err(client_tls(
                "the client closed the tunnel before sending anything".into(),
            ));
        }
        Ok(_) => {}
        Err(e) => return Err(client_tls(e.to_string())),
    }
    if first[0] != TLS_HANDSHAKE_RECORD {
        let _ = io.write_all(NOT_TLS_RESPONSE.as_bytes()).await;
        let _ = io.shutdown().await;
        return Err(ProxyError::ClientNotTls {
            target: target_host.to_owned(),
        });
    }
    let io = Prefixed {
        first: Some(first[0]),
        inner: io,
    };
    let acceptor = rustls::server::Acceptor::default();
    let start = LazyConfigAcceptor::new(acceptor, io)
        .await
        .map_err(|e| client_tls(e.to_string()))?;
    let sni = start.client_hello().server_name().map(str::to_owned);
    let name = sni.as_deref().unwrap_or(target_host);
    let config = minter.server_config(name)?;
    let stream = start
        .into_stream(config)
        .await
        .map_err(|e| match rejection_alert(&e) {
            Some(alert) => ProxyError::ClientRejectedCertificate {
                target: target_host.to_owned(),
                client: peer.describe(),
                alert,
                advice: peer.trust_advice(),
            },
            None => client_tls(e.to_string()),
        })?;
    let alpn_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok((stream, ClientTls { sni, alpn_h2 }))
}

/// The alert a client sends when it does not trust the certificate it got.
fn rejection_alert(e: &std::io::Error) -> Option<String> {
    use rustls::AlertDescription as A;
    let tls = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    match tls {
        rustls::Error::AlertReceived(
            alert @ (A::UnknownCA
            | A::BadCertificate
            | A::CertificateUnknown
            | A::UnsupportedCertificate
            | A::AccessDenied),
        ) => Some(format!("TLS alert {alert:?}")),
        _ => None,
    }
}

/// A stream that yields one already-read byte before the rest.
pub struct Prefixed<IO> {
    first: Option<u8>,
    inner: IO,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Prefixed<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(byte) = this.first {
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            buf.put_slice(&[byte]);
            this.first = None;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Prefixed<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

const NOT_TLS_RESPONSE: &str = "HTTP/1.1 400 Bad Request\r\n\
content-type: text/plain; charset=utf-8\r\n\
connection: close\r\n\
x-badreq-error: client_not_tls\r\n\
content-length: 150\r\n\
\r\n\
badreq: this CONNECT tunnel is intercepted and expects TLS, but the client sent plain HTTP. Use an https:// URL, or remove the host from `intercept`.\n";
