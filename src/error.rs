//! Errors, sorted by the side of the exchange that failed.
//!
//! A proxy sits between two peers, so the first question about any failure is
//! *whose* it is: the client's (bad HTTP, no TLS), the upstream's (refused,
//! reset, bad certificate, too slow) or badreq's own (CA files, listener).
//! [`ProxyError::side`] answers it, [`ProxyError::kind`] gives a stable
//! machine-readable name, and `Display` gives the sentence shown to people.

use std::path::PathBuf;

/// Which peer a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Client,
    Upstream,
    Proxy,
}

/// A failure while connecting to an upstream, raised by the connector.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("could not resolve {host}: {source}")]
    Dns {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{host} resolved to no address")]
    NoAddress { host: String },
    #[error("connection to {addr} refused")]
    Refused { addr: String },
    #[error("could not connect to {addr}: {source}")]
    Tcp {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("timed out after {secs}s connecting to {addr}")]
    Timeout { addr: String, secs: u64 },
    #[error("TLS handshake with {host} failed: {source}")]
    Tls {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{host} is not a valid TLS server name")]
    BadServerName { host: String },
    #[error("unsupported URL scheme in {uri}")]
    Scheme { uri: String },
}

impl ConnectError {
    /// A copy for reporting; the client keeps the original inside its own error.
    pub fn duplicate(&self) -> ConnectError {
        let io = |e: &std::io::Error| std::io::Error::new(e.kind(), e.to_string());
        match self {
            ConnectError::Dns { host, source } => ConnectError::Dns {
                host: host.clone(),
                source: io(source),
            },
            ConnectError::NoAddress { host } => ConnectError::NoAddress { host: host.clone() },
            ConnectError::Refused { addr } => ConnectError::Refused { addr: addr.clone() },
            ConnectError::Tcp { addr, source } => ConnectError::Tcp {
                addr: addr.clone(),
                source: io(source),
            },
            ConnectError::Timeout { addr, secs } => ConnectError::Timeout {
                addr: addr.clone(),
                secs: *secs,
            },
            ConnectError::Tls { host, source } => ConnectError::Tls {
                host: host.clone(),
                source: io(source),
            },
            ConnectError::BadServerName { host } => {
                ConnectError::BadServerName { host: host.clone() }
            }
            ConnectError::Scheme { uri } => ConnectError::Scheme { uri: uri.clone() },
        }
    }
}

/// Everything that can go wrong while serving one exchange or tunnel.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("upstream {authority}: {source}")]
    Connect {
        authority: String,
        #[source]
        source: ConnectError,
    },
    #[error("upstream {authority} sent no response head within {secs}s")]
    ResponseTimeout { authority: String, secs: u64 },
    #[error("upstream {authority} failed before answering: {reason}")]
    UpstreamBroken { authority: String, reason: String },
    #[error("the request is not valid for forwarding: {reason}")]
    BadRequest { reason: String },
    #[error("client sent something other than TLS into the tunnel to {target}")]
    ClientNotTls { target: String },
    #[error("TLS handshake with the client for {target} failed: {reason}")]
    ClientTls { target: String, reason: String },
    #[error(
        "{client} rejected badreq's certificate for {target} ({alert}): it does not trust badreq's CA. {advice}"
    )]
    ClientRejectedCertificate {
        target: String,
        /// The client as far as known: its User-Agent, else its address.
        client: String,
        alert: String,
        /// How to make that runtime trust certs/ca.pem.
        advice: String,
    },
    #[error("client did not finish the TLS handshake for {target} within {secs}s")]
    ClientTlsTimeout { target: String, secs: u64 },
    #[error("could not mint a certificate for {host}: {reason}")]
    Mint { host: String, reason: String },
    #[error("CONNECT upgrade failed: {0}")]
    Upgrade(#[source] hyper::Error),
    #[error("tunnel I/O: {0}")]
    TunnelIo(#[source] std::io::Error),
}

impl ProxyError {
    pub fn side(&self) -> Side {
        match self {
            ProxyError::Connect { .. }
            | ProxyError::ResponseTimeout { .. }
            | ProxyError::UpstreamBroken { .. }
            | ProxyError::TunnelIo(_) => Side::Upstream,
            ProxyError::BadRequest { .. }
            | ProxyError::ClientNotTls { .. }
            | ProxyError::ClientTls { .. }
            | ProxyError::ClientRejectedCertificate { .. }
            | ProxyError::ClientTlsTimeout { .. }
            | ProxyError::Upgrade(_) => Side::Client,
            ProxyError::Mint { .. } => Side::Proxy,
        }
    }

    /// A stable snake_case name, used in the `x-badreq-error` header and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ProxyError::Connect { source, .. } => match source {
                ConnectError::Dns { .. } | ConnectError::NoAddress { .. } => "upstream_dns",
                ConnectError::Refused { .. } => "upstream_refused",
                ConnectError::Tcp { .. } => "upstream_unreachable",
                ConnectError::Timeout { .. } => "upstream_connect_timeout",
                ConnectError::Tls { .. } | ConnectError::BadServerName { .. } => "upstream_tls",
                ConnectError::Scheme { .. } => "bad_upstream_url",
            },
            ProxyError::ResponseTimeout { .. } => "upstream_timeout",
            ProxyError::UpstreamBroken { .. } => "upstream_closed",
            ProxyError::BadRequest { .. } => "bad_request",
            ProxyError::ClientNotTls { .. } => "client_not_tls",
            ProxyError::ClientTls { .. } => "client_tls",
            ProxyError::ClientRejectedCertificate { .. } => "client_rejected_certificate",
            ProxyError::ClientTlsTimeout { .. } => "client_tls_timeout",
            ProxyError::Mint { .. } => "mint_failed",
            ProxyError::Upgrade(_) => "upgrade_failed",
            ProxyError::TunnelIo(_) => "tunnel_io",
        }
    }

    /// The HTTP status a client gets for this failure when a response can still be sent.
    pub fn status(&self) -> http::StatusCode {
        match self {
            ProxyError::ResponseTimeout { .. }
            | ProxyError::Connect {
                source: ConnectError::Timeout { .. },
                ..
            } => http::StatusCode::GATEWAY_TIMEOUT,
            ProxyError::BadRequest { .. } | ProxyError::ClientNotTls { .. } => {
                http::StatusCode::BAD_REQUEST
            }
            _ => http::StatusCode::BAD_GATEWAY,
        }
    }

    /// The full cause chain on one line, for people.
    pub fn describe(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        if let Some(hint) = self.hint() {
            text.push_str(" — ");
            text.push_str(hint);
        }
        text
    }

    /// What to try, for the failures where the next step is not obvious.
    fn hint(&self) -> Option<&'static str> {
        match self.kind() {
            "upstream_tls" => {
                Some("if a corporate gateway re-signs TLS, trust its CA with --upstream-ca")
            }
            "upstream_dns" => Some("check the host name, or map it with --connect-to"),
            "upstream_refused" => Some("nothing listens there; check --upstream or --connect-to"),
            "upstream_timeout" => {
                Some("the upstream may still be working: raise --response-timeout or use streaming")
            }
            "upstream_connect_timeout" => Some("check the network path and --connect-timeout"),
            _ => None,
        }
    }
}

/// Bad command-line or config input; `main` prints it on one line and exits 2.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("cannot read config file {}: {reason}", path.display())]
    ConfigUnreadable { path: PathBuf, reason: String },
    #[error("config file {}: {reason}", path.display())]
    ConfigInvalid { path: PathBuf, reason: String },
    #[error("bad value {value:?} for `{key}`: {reason}")]
    BadValue {
        key: &'static str,
        value: String,
        reason: String,
    },
}

/// A fatal error at startup or shutdown; `main` prints it and exits 1.
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("certificate authority in {}: {reason}", dir.display())]
    Ca { dir: PathBuf, reason: String },
    #[error("upstream CA file {}: {reason}", path.display())]
    UpstreamCa { path: PathBuf, reason: String },
    #[error("cannot open {}: {source}", path.display())]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
