//! Leaf certificates for intercepted hosts, minted on demand and cached.
//!
//! Each host gets its own key pair (never the CA's) and a certificate valid for
//! that name only. The resulting rustls `ServerConfig` is cached per host, so a
//! host costs one key generation per badreq run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::ca::CertificateAuthority;
use crate::error::ProxyError;

/// Mints and caches TLS server configurations per host name.
pub struct LeafMinter {
    ca: Arc<CertificateAuthority>,
    cache: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl LeafMinter {
    pub fn new(ca: Arc<CertificateAuthority>) -> LeafMinter {
        LeafMinter {
            ca,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// The server configuration presenting a certificate for `host`.
    pub fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, ProxyError> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(config) = self.cache.lock().expect("leaf cache poisoned").get(&host) {
            return Ok(config.clone());
        }
        let config = Arc::new(self.mint(&host)?);
        self.cache
            .lock()
            .expect("leaf cache poisoned")
            .insert(host, config.clone());
        Ok(config)
    }

    fn mint(&self, host: &str) -> Result<ServerConfig, ProxyError> {
        let fail = |reason: String| ProxyError::Mint {
            host: host.to_owned(),
            reason,
        };
        let mut params =
            CertificateParams::new(vec![host.to_owned()]).map_err(|e| fail(e.to_string()))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, host);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(365);
        let key = KeyPair::generate().map_err(|e| fail(e.to_string()))?;
        let cert = params
            .signed_by(&key, self.ca.issuer())
            .map_err(|e| fail(e.to_string()))?;
        let chain = vec![cert.der().clone(), self.ca.cert_der().clone()];
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map_err(|e| fail(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}
