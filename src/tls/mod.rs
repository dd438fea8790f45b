//! TLS on both sides: the local CA, per-host leaf certificates, the handshake with
//! clients inside intercepted tunnels, and the trust settings for upstreams.

pub mod accept;
pub mod ca;
pub mod mint;
pub mod upstream;

/// Installs `ring` as rustls' process-wide crypto provider (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
