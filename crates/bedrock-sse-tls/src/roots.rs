//! Gathering the certificates a transport trusts.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The environment variable naming a PEM file of trusted certificates
/// that replaces the platform's store (the OpenSSL convention).
const ENV_CERT_FILE: &str = "SSL_CERT_FILE";
/// The environment variable naming directories of trusted certificates.
const ENV_CERT_DIR: &str = "SSL_CERT_DIR";

/// Where the base set of a [`TrustRoots`] came from (the CA files added
/// with [`TrustRootsBuilder::add_ca_file`] come on top of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootsSource {
    /// The platform's certificate store.
    Platform,
    /// The files named by `SSL_CERT_FILE` and/or `SSL_CERT_DIR`.
    Environment,
    /// Mozilla's roots bundled with this crate: the platform offered none.
    Bundled,
    /// None: [`TrustRootsBuilder::platform_roots`] was turned off.
    Disabled,
}

/// The certificates a transport trusts as roots, already checked to be
/// usable as trust anchors and without duplicates. See the
/// [crate documentation](crate) for where they come from.
///
/// ```
/// use bedrock_sse_tls::{RootsSource, TrustRoots};
///
/// let roots = TrustRoots::from_platform();
/// assert!(!roots.certificates().is_empty());
/// assert_ne!(roots.source(), RootsSource::Disabled);
/// ```
#[derive(Debug, Clone)]
pub struct TrustRoots {
    certificates: Vec<CertificateDer<'static>>,
    source: RootsSource,
    added: usize,
}

impl TrustRoots {
    /// A builder: the platform's store (or `SSL_CERT_FILE`), with the
    /// bundled roots as its fallback, and the CA files you add.
    pub fn builder() -> TrustRootsBuilder {
        TrustRootsBuilder::default()
    }

    /// What [`TrustRoots::builder().build()`](TrustRootsBuilder::build)
    /// gives, but never failing: a set `SSL_CERT_FILE` that cannot be used
    /// is logged as a `tracing` warning and left out (the rest of the
    /// platform's store, or the bundled roots, are still trusted).
    pub fn from_platform() -> Self {
        TrustRootsBuilder::default()
            .gather(false)
            .unwrap_or_else(|error| {
                // Not reachable when not strict; keep the bundled roots anyway.
                tracing::warn!(%error, "cannot load the trusted certificates");
                TrustRoots::bundled_only()
            })
    }

    fn bundled_only() -> Self {
        let mut certificates = Vec::new();
        let mut seen = HashSet::new();
        for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
            push_anchor(&mut certificates, &mut seen, cert.clone());
        }
        TrustRoots {
            certificates,
            source: RootsSource::Bundled,
            added: 0,
        }
    }

    /// The trusted certificates, DER-encoded: the base set first, then the
    /// added CA files' ones.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certificates
    }

    /// Where the base set came from.
    pub fn source(&self) -> RootsSource {
        self.source
    }

    /// How many certificates the added CA files contributed (not counting
    /// ones already in the base set).
    pub fn added(&self) -> usize {
        self.added
    }

    /// The certificates as a rustls root store.
    pub fn root_store(&self) -> RootCertStore {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(self.certificates.iter().cloned());
        store
    }

    /// A rustls client configuration trusting these roots, with the `ring`
    /// provider, rustls's safe default protocol versions, no client
    /// certificate and no ALPN protocols (set `alpn_protocols` yourself).
    ///
    /// ```
    /// use bedrock_sse_tls::TrustRoots;
    ///
    /// let mut config = TrustRoots::from_platform().client_config()?;
    /// config.alpn_protocols = vec![b"http/1.1".to_vec()];
    /// # Ok::<(), bedrock_sse_tls::TlsError>(())
    /// ```
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| TlsError::Client(error.to_string()))?
            .with_root_certificates(self.root_store())
            .with_no_client_auth())
    }
}

/// Builds [`TrustRoots`]: what the platform trusts, plus your CA files.
///
/// ```no_run
/// use bedrock_sse_tls::TrustRoots;
///
/// let roots = TrustRoots::builder()
///     .add_ca_file("/etc/bedrock/ca.pem")?
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TrustRootsBuilder {
    platform: bool,
    added: Vec<CertificateDer<'static>>,
}

impl Default for TrustRootsBuilder {
    fn default() -> Self {
        TrustRootsBuilder {
            platform: true,
            added: Vec::new(),
        }
    }
}

impl TrustRootsBuilder {
    /// Also trusts every certificate of the PEM file at `path` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks; other blocks, such as keys,
    /// are skipped). The file is read now, and any problem is an error that
    /// names it: unreadable, not PEM, no certificate in it, or a
    /// certificate that cannot be a trust anchor.
    pub fn add_ca_file(mut self, path: impl AsRef<Path>) -> Result<Self, CaFileError> {
        let certs = read_ca_file(path.as_ref())?;
        self.added.extend(certs);
        Ok(self)
    }

    /// Whether the platform's store (or `SSL_CERT_FILE`/`SSL_CERT_DIR`,
    /// or the bundled fallback) is trusted at all; on by default. Off,
    /// only the added CA files are trusted: for a private deployment that
    /// must trust nothing else.
    pub fn platform_roots(mut self, on: bool) -> Self {
        self.platform = on;
        self
    }

    /// Loads the platform's store and gathers everything.
    ///
    /// Fails only when `SSL_CERT_FILE` is set (and not empty) but cannot be
    /// used: [`TlsError::Environment`] names the variable and the file.
    pub fn build(self) -> Result<TrustRoots, TlsError> {
        self.gather(true)
    }

    fn gather(self, strict: bool) -> Result<TrustRoots, TlsError> {
        let mut certificates = Vec::new();
        let mut seen = HashSet::new();
        let mut source = RootsSource::Disabled;
        if self.platform {
            let env_file = env_path(ENV_CERT_FILE);
            if let Some(path) = &env_file {
                match read_ca_file(path) {
                    Ok(certs) => {
                        for cert in certs {
                            push_anchor(&mut certificates, &mut seen, cert);
                        }
                    }
                    Err(error) if strict => {
                        return Err(TlsError::Environment {
                            variable: ENV_CERT_FILE,
                            source: error,
                        });
                    }
                    Err(error) => {
                        tracing::warn!(%error, "{ENV_CERT_FILE} is left out");
                    }
                }
            }
            // Reads SSL_CERT_FILE (again: duplicates are dropped) and
            // SSL_CERT_DIR when set, and the platform's store otherwise.
            let native = rustls_native_certs::load_native_certs();
            for error in &native.errors {
                tracing::debug!(%error, "a trusted certificate could not be loaded");
            }
            for cert in native.certs {
                push_anchor(&mut certificates, &mut seen, cert);
            }
            let from_env = env_file.is_some() || env_path(ENV_CERT_DIR).is_some();
            source = if from_env {
                RootsSource::Environment
            } else {
                RootsSource::Platform
            };
            if certificates.is_empty() {
                tracing::debug!("no certificate in the platform's store: using the bundled roots");
                for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
                    push_anchor(&mut certificates, &mut seen, cert.clone());
                }
                source = RootsSource::Bundled;
            }
        }
        let base = certificates.len();
        for cert in self.added {
            push_anchor(&mut certificates, &mut seen, cert);
        }
        Ok(TrustRoots {
            added: certificates.len() - base,
            certificates,
            source,
        })
    }
}

/// The value of `variable` as a path, if it is set and not empty.
fn env_path(variable: &str) -> Option<PathBuf> {
    std::env::var_os(variable)
        .filter(|value: &OsString| !value.is_empty())
        .map(PathBuf::from)
}

/// Adds `cert` unless it is already there or is not a usable anchor.
fn push_anchor(
    certificates: &mut Vec<CertificateDer<'static>>,
    seen: &mut HashSet<Vec<u8>>,
    cert: CertificateDer<'static>,
) {
    if seen.contains(cert.as_ref()) || anchor_check(&cert).is_err() {
        return;
    }
    seen.insert(cert.as_ref().to_vec());
    certificates.push(cert);
}

/// Whether `cert` can be a trust anchor, as rustls will judge it.
fn anchor_check(cert: &CertificateDer<'static>) -> Result<(), rustls::Error> {
    RootCertStore::empty().add(cert.clone())
}

/// The certificates of the PEM file at `path`, each a usable anchor.
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    let bytes = std::fs::read(path).map_err(|source| CaFileError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let mut certs = Vec::new();
    for (index, cert) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let cert = cert.map_err(|error| CaFileError::BadPem {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
        anchor_check(&cert).map_err(|source| CaFileError::NotATrustAnchor {
            path: path.to_owned(),
            index: index + 1,
            source,
        })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(CaFileError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// A CA file that cannot be trusted: which file, and what is wrong.
///
/// ```
/// use bedrock_sse_tls::{CaFileError, TrustRoots};
///
/// let error = TrustRoots::builder().add_ca_file("/no/such/ca.pem").unwrap_err();
/// assert!(matches!(error, CaFileError::Unreadable { .. }));
/// assert!(error.to_string().starts_with("cannot read the CA file /no/such/ca.pem: "));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaFileError {
    /// The file could not be read (missing, a directory, no permission).
    #[error("cannot read the CA file {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file holds no PEM certificate (a DER file must be converted:
    /// `openssl x509 -inform der -in ca.der -out ca.pem`).
    #[error(
        "no certificate in the CA file {}: expected PEM \"-----BEGIN CERTIFICATE-----\" blocks",
        path.display()
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A PEM block of the file is broken (bad base64, no end line).
    #[error("the CA file {} is not valid PEM: {reason}", path.display())]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What the PEM parser said.
        reason: String,
    },
    /// A certificate of the file cannot be used as a trust anchor (it is
    /// not a well-formed X.509 certificate).
    #[error("certificate {index} of the CA file {} cannot be trusted: {source}", path.display())]
    NotATrustAnchor {
        /// The file.
        path: PathBuf,
        /// Which certificate, counting from 1.
        index: usize,
        /// Why rustls refused it.
        source: rustls::Error,
    },
}

impl CaFileError {
    /// The file at fault.
    pub fn path(&self) -> &Path {
        match self {
            CaFileError::Unreadable { path, .. }
            | CaFileError::NoCertificate { path }
            | CaFileError::BadPem { path, .. }
            | CaFileError::NotATrustAnchor { path, .. } => path,
        }
    }
}

/// Why trusted certificates, or a transport trusting them, could not be
/// set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A CA file you added cannot be trusted.
    #[error(transparent)]
    CaFile(#[from] CaFileError),
    /// The CA file named by an environment variable (`SSL_CERT_FILE`)
    /// cannot be trusted. Fix or unset the variable.
    #[error("{variable}: {source}")]
    Environment {
        /// The variable, e.g. `SSL_CERT_FILE`.
        variable: &'static str,
        /// What is wrong with its file.
        source: CaFileError,
    },
    /// The HTTP client or TLS configuration refused to be built; the
    /// client's words.
    #[error("cannot set up the TLS client: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "bedrock-sse-tls-unit-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, contents).expect("a temp file");
        path
    }

    #[test]
    fn a_missing_file_is_unreadable_and_named() {
        let error = TrustRoots::builder()
            .add_ca_file("/nonexistent/ca.pem")
            .unwrap_err();
        assert!(matches!(error, CaFileError::Unreadable { .. }), "{error}");
        assert_eq!(error.path(), Path::new("/nonexistent/ca.pem"));
    }

    #[test]
    fn a_file_without_certificates_says_so() {
        let path = temp_file("empty.pem", b"hello, not a certificate\n");
        let error = TrustRoots::builder().add_ca_file(&path).unwrap_err();
        assert!(
            matches!(error, CaFileError::NoCertificate { .. }),
            "{error}"
        );
        assert!(error.to_string().contains(&*path.to_string_lossy()));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn broken_pem_is_bad_pem() {
        let path = temp_file(
            "broken.pem",
            b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
        );
        let error = TrustRoots::builder().add_ca_file(&path).unwrap_err();
        assert!(matches!(error, CaFileError::BadPem { .. }), "{error}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_pem_block_that_is_no_certificate_is_refused() {
        let path = temp_file(
            "garbage.pem",
            b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
        );
        let error = TrustRoots::builder().add_ca_file(&path).unwrap_err();
        assert!(
            matches!(error, CaFileError::NotATrustAnchor { index: 1, .. }),
            "{error}"
        );
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn bundled_roots_are_all_usable() {
        let roots = TrustRoots::bundled_only();
        assert_eq!(
            roots.certificates().len(),
            webpki_root_certs::TLS_SERVER_ROOT_CERTS.len()
        );
    }

    #[test]
    fn without_platform_roots_only_added_ones_are_trusted() {
        let key = rcgen::KeyPair::generate().expect("a key");
        let mut params = rcgen::CertificateParams::new(Vec::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).expect("a CA");
        let path = temp_file("one.pem", ca.pem().as_bytes());
        let roots = TrustRoots::builder()
            .platform_roots(false)
            .add_ca_file(&path)
            .and_then(|b| b.add_ca_file(&path))
            .expect("a valid file")
            .build()
            .expect("no environment read");
        assert_eq!(roots.source(), RootsSource::Disabled);
        assert_eq!(roots.certificates(), std::slice::from_ref(ca.der()));
        assert_eq!(roots.added(), 1);
        let _ = std::fs::remove_file(path);
    }
}
