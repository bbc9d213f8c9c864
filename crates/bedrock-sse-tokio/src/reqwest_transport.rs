//! The ready-made transport over reqwest.

use std::path::Path;
use std::pin::Pin;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use bedrock_sse_tls::{CaFileError, TlsError, TrustRoots, TrustRootsBuilder, tls_failure_kind};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderName, HeaderValue};

use crate::transport::{Response, Transport};

/// A [`Transport`] over a [`reqwest::Client`] (rustls, HTTP/1.1).
///
/// It trusts the platform's certificate store (or `SSL_CERT_FILE`), with
/// Mozilla's roots as the fallback, plus the CA files given to its
/// [builder](ReqwestTransport::builder); see `bedrock_sse_tls` for the
/// precedence. It goes through the proxies named by `HTTPS_PROXY`,
/// `HTTP_PROXY` and `ALL_PROXY` (or their lower-case forms), except for the
/// hosts in `NO_PROXY`, as read when the transport is made.
///
/// A rejected server certificate is reported as
/// [`TransportErrorKind::Certificate`], which ends the watch at once
/// (`WatchError::Certificate`); other TLS failures are
/// [`TransportErrorKind::Tls`].
///
/// Cheap to clone; share one client between many watches so they share its
/// connection pool.
///
/// ```no_run
/// use bedrock_sse_tokio::ReqwestTransport;
///
/// // The platform's trust, SSL_CERT_FILE, and a private CA:
/// let transport = ReqwestTransport::builder()
///     .add_ca_file("/etc/bedrock/ca.pem")?
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    /// The client, or why none could be built (every request then fails
    /// with that reason: never a fallback client that would follow
    /// redirects).
    client: Result<reqwest::Client, String>,
}

impl Default for ReqwestTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl ReqwestTransport {
    /// A transport with its own client: the platform's trust (a set but
    /// unusable `SSL_CERT_FILE` is logged as a warning and left out; use
    /// [`builder`](Self::builder) to have it as an error), proxies from the
    /// environment, no redirects followed (the watch decides them), no
    /// timeouts (the watch keeps its own), no automatic decompression.
    pub fn new() -> Self {
        let roots = TrustRoots::from_platform();
        let client = client(&roots).or_else(|error| {
            tracing::warn!(%error, "cannot trust the platform's roots; using the client's own");
            base()
                .build()
                .map_err(|e| TransportError::from_error(TransportErrorKind::Other, &e).to_string())
        });
        ReqwestTransport { client }
    }

    /// A builder, to add CA files to the trusted roots.
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder {
            roots: TrustRoots::builder(),
        }
    }

    /// A transport over your own client. Build it with
    /// `.redirect(reqwest::redirect::Policy::none())`, so that redirects
    /// reach the watch, which refuses to send credentials to another origin;
    /// and with no total request timeout: a stream legitimately lasts
    /// minutes. Its TLS trust and proxies are yours: use
    /// `bedrock_sse_tls::TrustRoots` for the ones this crate uses.
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client: Ok(client) }
    }
}

/// Builds a [`ReqwestTransport`] that also trusts your CA files.
///
/// ```no_run
/// use bedrock_sse_tokio::ReqwestTransport;
///
/// let transport = ReqwestTransport::builder()
///     .add_ca_file("/etc/bedrock/ca.pem")?
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransportBuilder {
    roots: TrustRootsBuilder,
}

impl ReqwestTransportBuilder {
    /// Also trusts the certificates of the PEM file at `path`, read now;
    /// the error names the file and says what is wrong with it.
    pub fn add_ca_file(mut self, path: impl AsRef<Path>) -> Result<Self, CaFileError> {
        self.roots = self.roots.add_ca_file(path)?;
        Ok(self)
    }

    /// Whether the platform's store (or `SSL_CERT_FILE`, or the bundled
    /// fallback) is trusted; on by default. Off, only the added CA files
    /// are.
    pub fn platform_roots(mut self, on: bool) -> Self {
        self.roots = self.roots.platform_roots(on);
        self
    }

    /// Loads the trusted roots and builds the client. Fails when
    /// `SSL_CERT_FILE` is set but unusable ([`TlsError::Environment`]) or
    /// the client cannot be built ([`TlsError::Client`]).
    pub fn build(self) -> Result<ReqwestTransport, TlsError> {
        let roots = self.roots.build()?;
        Ok(ReqwestTransport {
            client: Ok(client(&roots)?),
        })
    }
}

/// What every client of this crate is: rustls, proxies from the
/// environment (reqwest's default), no redirects, no reuse of a connection
/// the watch let go of.
fn base() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        // Redirects are the watch's decision: it follows them only
        // within the base URL's origin, so credentials never leave it.
        .redirect(reqwest::redirect::Policy::none())
        // A reconnect never reuses the connection of a stream that ended:
        // after a graceful shutdown it would lead back to the server that
        // is going away.
        .pool_max_idle_per_host(0)
}

/// The client with `roots` as its only trust.
fn client(roots: &TrustRoots) -> Result<reqwest::Client, TlsError> {
    let mut builder = base().tls_built_in_root_certs(false);
    for cert in roots.certificates() {
        let cert = reqwest::Certificate::from_der(cert.as_ref())
            .map_err(|error| TlsError::Client(error.to_string()))?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|error| {
        TlsError::Client(
            TransportError::from_error(TransportErrorKind::Other, &error)
                .message()
                .to_owned(),
        )
    })
}

type Body = Pin<Box<dyn Stream<Item = Result<Bytes, TransportError>> + Send>>;

impl Transport for ReqwestTransport {
    type Body = Body;

    fn send(
        &self,
        request: &Request,
    ) -> BoxFuture<'static, Result<Response<Body>, TransportError>> {
        let client = match &self.client {
            Ok(client) => client,
            Err(reason) => {
                let error = TransportError::new(
                    TransportErrorKind::Other,
                    format!("no HTTP client: {reason}"),
                );
                return Box::pin(async { Err(error) });
            }
        };
        let mut builder = client.get(request.url());
        for header in request.headers() {
            let (Ok(name), Ok(mut value)) = (
                HeaderName::from_bytes(header.name().as_bytes()),
                HeaderValue::from_str(header.value()),
            ) else {
                // The core builds only valid names and printable values (a
                // key with control characters is refused when the
                // credentials are made), so this is a defensive path.
                let error = TransportError::new(
                    TransportErrorKind::Other,
                    format!("cannot send the {} header", header.name()),
                );
                return Box::pin(async { Err(error) });
            };
            value.set_sensitive(header.is_sensitive());
            builder = builder.header(name, value);
        }
        Box::pin(async move {
            let response = builder.send().await.map_err(|e| classify(&e))?;
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
                .collect();
            Ok(Response {
                status: response.status().as_u16(),
                headers,
                body: Box::pin(
                    response
                        .bytes_stream()
                        .map(|chunk| chunk.map_err(|e| classify(&e))),
                ) as Body,
            })
        })
    }
}

/// A reqwest error as the watch takes it: its kind, and its words with
/// their sources (the OS error included).
fn classify(error: &reqwest::Error) -> TransportError {
    let kind = if let Some(tls) = tls_failure_kind(error) {
        tls
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() {
        TransportErrorKind::Reset
    } else if error.is_request() {
        TransportErrorKind::Protocol
    } else {
        TransportErrorKind::Other
    };
    TransportError::from_error(kind, error)
}
