//! Telling a rejected certificate from other TLS failures.

use std::error::Error;
use std::io;

use bedrock_sse_core::watch::TransportErrorKind;

/// How deep a chain of sources is followed; real chains are a handful.
const MAX_DEPTH: usize = 32;

/// The kind of a TLS failure found in `error` or its chain of sources:
/// [`TransportErrorKind::Certificate`] when rustls rejected the server's
/// certificate (unknown issuer, name mismatch, expired, revoked, bad
/// signature...), [`TransportErrorKind::Tls`] for any other rustls error
/// (a handshake the server broke off, no protocol in common), and `None`
/// when no rustls error is in the chain.
///
/// It looks through [`std::io::Error`]s, whose
/// [`source`](std::error::Error::source) skips the error they wrap, as
/// reqwest (hyper-rustls) and ureq both wrap rustls's errors in them.
///
/// ```
/// use bedrock_sse_tls::rustls::{CertificateError, Error as RustlsError};
/// use bedrock_sse_tls::{TransportErrorKind, tls_failure_kind};
///
/// let rejected = RustlsError::InvalidCertificate(CertificateError::UnknownIssuer);
/// let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rejected);
/// assert_eq!(tls_failure_kind(&io), Some(TransportErrorKind::Certificate));
///
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// assert_eq!(tls_failure_kind(&refused), None);
/// ```
pub fn tls_failure_kind(error: &(dyn Error + 'static)) -> Option<TransportErrorKind> {
    let mut next = Some(error);
    let mut depth = 0;
    while let Some(error) = next {
        depth += 1;
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(rustls) = error.downcast_ref::<rustls::Error>() {
            return Some(kind_of(rustls));
        }
        if let Some(inner) = error
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(kind) = tls_failure_kind(inner) {
                return Some(kind);
            }
        }
        next = error.source();
    }
    None
}

fn kind_of(error: &rustls::Error) -> TransportErrorKind {
    match error {
        rustls::Error::InvalidCertificate(_) => TransportErrorKind::Certificate,
        _ => TransportErrorKind::Tls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::{AlertDescription, CertificateError};

    #[derive(Debug)]
    struct Wrapper(Box<dyn Error + Send + Sync>);
    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error (Connect)")
        }
    }
    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn certificate_errors_are_found_through_wrappers_and_io_errors() {
        for cert in [
            CertificateError::UnknownIssuer,
            CertificateError::NotValidForName,
            CertificateError::Expired,
        ] {
            let io = io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(cert),
            );
            let wrapped = Wrapper(Box::new(io));
            assert_eq!(
                tls_failure_kind(&wrapped),
                Some(TransportErrorKind::Certificate)
            );
        }
    }

    #[test]
    fn other_rustls_errors_are_tls() {
        let alert = rustls::Error::AlertReceived(AlertDescription::HandshakeFailure);
        let wrapped = Wrapper(Box::new(io::Error::other(alert)));
        assert_eq!(tls_failure_kind(&wrapped), Some(TransportErrorKind::Tls));
    }

    #[test]
    fn errors_without_rustls_are_not_tls() {
        let wrapped = Wrapper(Box::new(io::Error::from(io::ErrorKind::ConnectionRefused)));
        assert_eq!(tls_failure_kind(&wrapped), None);
        let plain = io::Error::other("no");
        assert_eq!(tls_failure_kind(&plain), None);
    }
}
