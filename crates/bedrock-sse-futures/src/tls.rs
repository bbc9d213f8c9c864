//! Whom the ready-made transport trusts.

use std::sync::Arc;

use futures_rustls::rustls::{self, ClientConfig, RootCertStore};

/// The default TLS configuration: rustls with the *ring* provider, the
/// bundled Mozilla roots (`webpki-roots`), HTTP/1.1 by ALPN, no client
/// certificate.
pub(crate) fn default_config() -> Result<Arc<ClientConfig>, rustls::Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    prepare(&mut config);
    Ok(Arc::new(config))
}

/// What the transport needs of any configuration: it speaks HTTP/1.1 only.
pub(crate) fn prepare(config: &mut ClientConfig) {
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_trusts_the_bundled_roots_and_asks_for_http1() {
        let config = default_config().expect("ring supports the default versions");
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    }
}
