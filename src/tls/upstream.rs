//! Trust settings for connections to upstream servers.

use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

use crate::error::FatalError;

/// The client TLS configuration: the system's roots, plus `extra_ca` if given.
pub fn client_config(extra_ca: Option<&Path>) -> Result<Arc<ClientConfig>, FatalError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::debug!(%error, "skipping an unreadable system root certificate");
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, "loaded system root certificates");
    if let Some(path) = extra_ca {
        let fail = |reason: String| FatalError::UpstreamCa {
            path: path.to_owned(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let mut count = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| fail(e.to_string()))?;
            roots.add(cert).map_err(|e| fail(e.to_string()))?;
            count += 1;
        }
        if count == 0 {
            return Err(fail("holds no PEM certificate".into()));
        }
    }
    let mut config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
