//! The TLS handshake with a client inside an intercepted CONNECT tunnel.
//!
//! The ClientHello is read first so the leaf can follow the SNI the client
//! asked for (falling back to the CONNECT target when it sent none). Bytes that
//! are not TLS at all are answered with a plain-text `400` so a client that
//! forgot `https://` learns why, rather than seeing a silent close.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
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

/// Completes the handshake with the client for `target_host` within `deadline`.
pub async fn accept<IO>(
    io: IO,
    target_host: &str,
    minter: &LeafMinter,
    deadline: Duration,
) -> Result<(TlsStream<IO>, ClientTls), ProxyError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let timeout = || ProxyError::ClientTlsTimeout {
        target: target_host.to_owned(),
        secs: deadline.as_secs(),
    };
    tokio::time::timeout(deadline, handshake(io, target_host, minter))
        .await
        .map_err(|_| timeout())?
}

async fn handshake<IO>(
    io: IO,
    target_host: &str,
    minter: &LeafMinter,
) -> Result<(TlsStream<IO>, ClientTls), ProxyError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let acceptor = rustls::server::Acceptor::default();
    let mut lazy = LazyConfigAcceptor::new(acceptor, io);
    let start = match (&mut lazy).await {
        Ok(start) => start,
        Err(e) => {
            if is_not_tls(&e) {
                if let Some(mut io) = lazy.take_io() {
                    let _ = io.write_all(NOT_TLS_RESPONSE.as_bytes()).await;
                    let _ = io.shutdown().await;
                }
                return Err(ProxyError::ClientNotTls {
                    target: target_host.to_owned(),
                });
            }
            return Err(ProxyError::ClientTls {
                target: target_host.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let sni = start.client_hello().server_name().map(str::to_owned);
    let name = sni.as_deref().unwrap_or(target_host);
    let config = minter.server_config(name)?;
    let stream = start
        .into_stream(config)
        .await
        .map_err(|e| ProxyError::ClientTls {
            target: target_host.to_owned(),
            reason: e.to_string(),
        })?;
    let alpn_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok((stream, ClientTls { sni, alpn_h2 }))
}

fn is_not_tls(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|tls| {
            matches!(
                tls,
                rustls::Error::InvalidMessage(_)
                    | rustls::Error::InappropriateMessage { .. }
                    | rustls::Error::InappropriateHandshakeMessage { .. }
            )
        })
}

const NOT_TLS_RESPONSE: &str = "HTTP/1.1 400 Bad Request\r\n\
content-type: text/plain; charset=utf-8\r\n\
connection: close\r\n\
x-badreq-error: client_not_tls\r\n\
content-length: 150\r\n\
\r\n\
badreq: this CONNECT tunnel is intercepted and expects TLS, but the client sent plain HTTP. Use an https:// URL, or remove the host from `intercept`.\n";
