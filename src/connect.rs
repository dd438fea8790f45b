//! CONNECT: decrypt the tunnel for intercepted hosts, pass it through blind otherwise.
//!
//! The decision is made on the CONNECT target. For a blind tunnel badreq dials
//! the upstream *before* answering, so a client learns about a refused or
//! unresolvable host from a 502 instead of a tunnel that dies at once.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tracing::Instrument;

use crate::error::ProxyError;
use crate::exchange::{ConnectionEvent, ConnectionWhat, Failure, Mode, Record};
use crate::forward::{self, ProxyBody};
use crate::proxy::Proxy;
use crate::{respond, tls, tunnel};

/// Answers a CONNECT and spawns the task that serves the tunnel.
pub async fn handle(
    proxy: Arc<Proxy>,
    req: Request<Incoming>,
    client: SocketAddr,
) -> Response<ProxyBody> {
    let Some(authority) = req.uri().authority().cloned() else {
        return respond::bad_request("CONNECT needs a host:port target");
    };
    let host = authority.host().trim_matches(['[', ']']).to_owned();
    let port = authority.port_u16().unwrap_or(443);
    let peer = tls::accept::Peer {
        user_agent: req
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        address: client,
        ca_path: proxy.minter.ca().cert_path().display().to_string(),
    };
    let target = format!("{host}:{port}");
    let span = tracing::info_span!("connect", %client, %target);
    if proxy.config.intercepts(&host) {
        tokio::spawn(
            async move {
                let started = (Instant::now(), SystemTime::now());
                if let Err(error) = intercept(proxy.clone(), req, &host, port, &peer).await {
                    report_failure(&proxy, client, &target, started, &error);
                }
            }
            .instrument(span),
        );
        return respond::tunnel_established();
    }
    let started = (Instant::now(), SystemTime::now());
    match proxy.connector.dial(&host, port).await {
        Ok((upstream, _)) => {
            tokio::spawn(
                async move {
                    let result = match hyper::upgrade::on(req).await {
                        Ok(upgraded) => tunnel::run(upgraded, upstream)
                            .await
                            .map_err(ProxyError::TunnelIo),
                        Err(e) => Err(ProxyError::Upgrade(e)),
                    };
                    match result {
                        Ok((up, down)) => proxy.send_record(Record::Connection(ConnectionEvent {
                            started_at: started.1,
                            client,
                            target,
                            what: ConnectionWhat::Tunnel { up, down },
                            duration: started.0.elapsed(),
                        })),
                        Err(error) => report_failure(&proxy, client, &target, started, &error),
                    }
                }
                .instrument(span),
            );
            respond::tunnel_established()
        }
        Err(source) => {
            let error = ProxyError::Connect {
                authority: target.clone(),
                source,
            };
            report_failure(&proxy, client, &target, started, &error);
            respond::proxy_error(&error).0
        }
    }
}

/// Serves a decrypted tunnel: TLS with a minted leaf, then HTTP/1.1 or HTTP/2.
async fn intercept(
    proxy: Arc<Proxy>,
    req: Request<Incoming>,
    host: &str,
    port: u16,
    peer: &tls::accept::Peer,
) -> Result<(), ProxyError> {
    let client = peer.address;
    let upgraded = hyper::upgrade::on(req).await.map_err(ProxyError::Upgrade)?;
    let deadline = proxy.config.handshake_timeout();
    let (tls, negotiated) =
        tls::accept::accept(TokioIo::new(upgraded), host, &proxy.minter, deadline, peer).await?;
    if negotiated.sni.is_none() {
        proxy.send_record(Record::Connection(ConnectionEvent {
            started_at: SystemTime::now(),
            client,
            target: format!("{host}:{port}"),
            what: ConnectionWhat::Notice {
                kind: "client_no_sni".into(),
                message: format!(
                    "{} sent no SNI; badreq answered with a certificate for {host}, the CONNECT target. Clients that connect to an IP address behave so; if this one should have named a host, check its TLS settings.",
                    peer.user_agent.as_deref().map_or_else(|| format!("the client at {client}"), |ua| format!("`{ua}`"))
                ),
            },
            duration: std::time::Duration::ZERO,
        }));
    }
    tracing::debug!(sni = ?negotiated.sni, h2 = negotiated.alpn_h2, "client TLS established");
    let authority = if port == 443 {
        host.to_owned()
    } else {
        format!("{host}:{port}")
    };
    let inner = proxy.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let proxy = inner.clone();
        let authority = authority.clone();
        async move {
            let response = match tunnel_target(&req, &authority) {
                Ok(target) => forward::handle(proxy, req, target, Mode::Intercept, client).await,
                Err(e) => respond::bad_request(&format!("cannot build the upstream URL: {e}")),
            };
            Ok::<_, Infallible>(response)
        }
    });
    let builder = proxy.server_builder();
    let connection = builder.serve_connection(TokioIo::new(tls), service);
    let served = match proxy.watcher() {
        Some(watcher) => watcher.watch(connection.into_owned()).await,
        None => connection.await,
    };
    if let Err(e) = served {
        tracing::debug!(error = %e, "intercepted connection ended with an error");
    }
    Ok(())
}

/// The upstream URL for a request read inside a tunnel to `authority`.
fn tunnel_target(req: &Request<Incoming>, authority: &str) -> Result<Uri, http::Error> {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    Uri::builder()
        .scheme("https")
        .authority(authority)
        .path_and_query(path)
        .build()
}

fn report_failure(
    proxy: &Proxy,
    client: SocketAddr,
    target: &str,
    started: (Instant, SystemTime),
    error: &ProxyError,
) {
    tracing::debug!(%client, %target, error = %error.describe(), "tunnel failed");
    proxy.send_record(Record::Connection(ConnectionEvent {
        started_at: started.1,
        client,
        target: target.to_owned(),
        what: ConnectionWhat::Failed(Failure {
            side: error.side(),
            kind: error.kind().to_owned(),
            message: error.describe(),
        }),
        duration: started.0.elapsed(),
    }));
}
