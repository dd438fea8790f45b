//! badreq's certificate authority: created once per install, loaded afterwards.
//!
//! The CA lives in the certs folder as `ca.pem` (public) and `ca-key.pem`
//! (private, mode 0600). The key is generated on the user's machine and never
//! leaves that folder. Leaves are signed through an [`rcgen::Issuer`] rebuilt
//! from the fixed subject name below and the stored key, which needs no X.509
//! parser.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use crate::error::FatalError;

pub const CERT_FILE: &str = "ca.pem";
pub const KEY_FILE: &str = "ca-key.pem";

/// The loaded CA: what clients trust and what signs the leaves.
pub struct CertificateAuthority {
    issuer: Issuer<'static, KeyPair>,
    cert_der: CertificateDer<'static>,
    cert_path: PathBuf,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "badreq local CA");
    name.push(DnType::OrganizationName, "badreq");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    params
}

impl CertificateAuthority {
    /// Loads the CA from `dir`, creating it first if neither file exists.
    pub fn load_or_create(dir: &Path) -> Result<CertificateAuthority, FatalError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        let fail = |reason: String| FatalError::Ca {
            dir: dir.to_owned(),
            reason,
        };
        match (cert_path.exists(), key_path.exists()) {
            (false, false) => Self::create(dir, &cert_path, &key_path).map_err(fail)?,
            (true, true) => {}
            (true, false) => {
                return Err(fail(format!(
                    "{KEY_FILE} is missing; delete {CERT_FILE} to make a new CA"
                )));
            }
            (false, true) => {
                return Err(fail(format!(
                    "{CERT_FILE} is missing; delete {KEY_FILE} to make a new CA"
                )));
            }
        }
        Self::load(&cert_path, &key_path).map_err(fail)
    }

    fn create(dir: &Path, cert_path: &Path, key_path: &Path) -> Result<(), String> {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create folder: {e}"))?;
        let key = KeyPair::generate().map_err(|e| format!("cannot generate key: {e}"))?;
        let cert = ca_params()
            .self_signed(&key)
            .map_err(|e| format!("cannot sign CA certificate: {e}"))?;
        write_private(key_path, key.serialize_pem().as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", key_path.display()))?;
        fs::write(cert_path, cert.pem())
            .map_err(|e| format!("cannot write {}: {e}", cert_path.display()))?;
        tracing::info!(path = %cert_path.display(), "created a new CA certificate");
        Ok(())
    }

    fn load(cert_path: &Path, key_path: &Path) -> Result<CertificateAuthority, String> {
        let key_pem = fs::read_to_string(key_path)
            .map_err(|e| format!("cannot read {}: {e}", key_path.display()))?;
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| format!("{} is not a usable key: {e}", key_path.display()))?;
        let cert_pem =
            fs::read(cert_path).map_err(|e| format!("cannot read {}: {e}", cert_path.display()))?;
        let cert_der = rustls_pemfile::certs(&mut cert_pem.as_slice())
            .next()
            .ok_or_else(|| format!("{} holds no certificate", cert_path.display()))?
            .map_err(|e| format!("{}: {e}", cert_path.display()))?;
        Ok(CertificateAuthority {
            issuer: Issuer::new(ca_params(), key),
            cert_der,
            cert_path: cert_path.to_owned(),
        })
    }

    pub fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// SHA-256 of the certificate, as colon-separated upper-case hex.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(self.cert_der.as_ref())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Writes a file readable by its owner only (0600 from the first byte on).
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_loads_the_same_ca() {
        let dir = std::env::temp_dir().join(format!("badreq-ca-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let first = CertificateAuthority::load_or_create(&dir).unwrap();
        let second = CertificateAuthority::load_or_create(&dir).unwrap();
        assert_eq!(first.fingerprint(), second.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other_dir = dir.join("other");
        let other = CertificateAuthority::load_or_create(&other_dir).unwrap();
        assert_ne!(
            first.fingerprint(),
            other.fingerprint(),
            "each install gets its own CA"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
