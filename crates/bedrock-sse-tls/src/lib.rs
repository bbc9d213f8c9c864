//! # bedrock-sse-tls
//!
//! One TLS trust for every `bedrock-sse` transport (reqwest, ureq, and any
//! rustls-based one), so that a server trusted by one is trusted by all:
//!
//! * [`TrustRoots`]: the certificates a transport trusts. By default the
//!   platform's store (or the files named by `SSL_CERT_FILE` and
//!   `SSL_CERT_DIR`, as OpenSSL and curl read them), with Mozilla's roots
//!   bundled in this crate as the fallback when the platform offers none;
//!   plus the CA files you add ([`TrustRootsBuilder::add_ca_file`]).
//! * [`tls_failure_kind`]: whether an HTTP client's error is a rejected
//!   server certificate ([`TransportErrorKind::Certificate`], which ends a
//!   watch at once) or another TLS failure ([`TransportErrorKind::Tls`]).
//!
//! ```
//! use bedrock_sse_tls::TrustRoots;
//!
//! let roots = TrustRoots::builder().build()?;
//! assert!(!roots.certificates().is_empty());
//! // Hand them to rustls directly, or to your HTTP client one by one.
//! let store = roots.root_store();
//! assert_eq!(store.len(), roots.certificates().len());
//! # Ok::<(), bedrock_sse_tls::TlsError>(())
//! ```
//!
//! The transports of `bedrock-sse-tokio` and `bedrock-sse-blocking` use this
//! crate; most programs only meet it through their builders' `add_ca_file`.
//!
//! ## Precedence
//!
//! 1. `SSL_CERT_FILE` / `SSL_CERT_DIR`, when set, *replace* the platform's
//!    store (the OpenSSL convention). A set `SSL_CERT_FILE` that cannot be
//!    read or holds no certificate is an error of
//!    [`TrustRootsBuilder::build`] (and a logged warning for
//!    [`TrustRoots::from_platform`]).
//! 2. Otherwise the platform's store (`rustls-native-certs`: the system
//!    bundle on Linux and BSD, the keychain on macOS, the certificate store
//!    on Windows).
//! 3. If neither yields a certificate (a bare container, say), Mozilla's
//!    roots bundled with this crate.
//! 4. The CA files added with [`TrustRootsBuilder::add_ca_file`] are
//!    trusted in every case, on top of the above.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod classify;
mod roots;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use classify::tls_failure_kind;
pub use roots::{CaFileError, RootsSource, TlsError, TrustRoots, TrustRootsBuilder};

pub use bedrock_sse_core::watch::TransportErrorKind;
/// The rustls version this crate speaks, for [`TrustRoots::root_store`]
/// and [`TrustRoots::client_config`].
pub use rustls;
/// DER certificates, as [`TrustRoots::certificates`] returns them.
pub use rustls_pki_types::CertificateDer;
