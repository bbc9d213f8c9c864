//! [`HyperTransport`]: what is sent where, and the retry for a response
//! head larger than the read buffer.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use bedrock_sse_tls::{CaFileError, TlsError, TrustRoots, TrustRootsBuilder};
use bytes::Bytes;
use http::header::{HOST, HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use http::{Method, Uri};
use http_body_util::Empty;
use hyper_util::client::proxy::matcher::Matcher;
use rustls::ClientConfig;

use crate::connection::{self, ExchangeError, HyperBody};
use crate::route::{Endpoint, Route, origin_form};
use crate::{BoxFuture, Runtime};

/// A transport over hyper's HTTP/1.1 client connection, on the TCP and TLS
/// of the runtime `R`.
///
/// - **HTTPS** with rustls (the *ring* provider), trusting what every
///   `bedrock-sse` transport trusts (`bedrock_sse_tls`): the platform's
///   store (or `SSL_CERT_FILE`/`SSL_CERT_DIR`), Mozilla's roots as the
///   fallback, and the CA files given to the [builder](Self::builder); or
///   your own rustls configuration ([`tls_config`](Self::tls_config)). A
///   rejected server certificate is a [`TransportErrorKind::Certificate`]
///   error, which ends the watch at once (`WatchError::Certificate`);
///   other TLS failures are [`TransportErrorKind::Tls`].
/// - **Proxies** from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
///   `NO_PROXY` (lower-case names too), read when the transport is made,
///   with the rules curl and reqwest follow: an `https` URL goes through a
///   `CONNECT` tunnel, an `http` URL is sent to the proxy in absolute form;
///   credentials in the proxy URL become `Proxy-Authorization: Basic`.
/// - **One connection per request**, closed when the response is dropped:
///   a connection the watch let go of is never reused.
/// - **Small buffers**: the connection runs inside the response body, not
///   as a task, and reads with a buffer of
///   [`DEFAULT_READ_BUFFER`](Self::DEFAULT_READ_BUFFER) bytes; see
///   [`read_buffer_size`](Self::read_buffer_size).
/// - Sends the watch's headers exactly (adding only `Host`), marks the
///   credential ones sensitive, follows no redirect, decompresses nothing.
///
/// Cheap to clone; clones share what they learnt of response heads.
pub struct HyperTransport<R> {
    /// The TLS configuration, or why none could be made (every https
    /// request then fails with that reason).
    tls: Result<Arc<ClientConfig>, TransportError>,
    proxies: Option<Arc<Matcher>>,
    read_buffer: usize,
    /// Set once a response head did not fit `read_buffer`: from then on,
    /// every connection reads with hyper's adaptive buffer.
    large_heads: Arc<AtomicBool>,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for HyperTransport<R> {
    fn clone(&self) -> Self {
        HyperTransport {
            tls: self.tls.clone(),
            proxies: self.proxies.clone(),
            read_buffer: self.read_buffer,
            large_heads: self.large_heads.clone(),
            runtime: PhantomData,
        }
    }
}

impl<R> fmt::Debug for HyperTransport<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The matcher's Debug shows proxy URLs but never their credentials.
        f.debug_struct("HyperTransport")
            .field("tls", &self.tls.as_ref().map(|_| "rustls"))
            .field("proxies", &self.proxies)
            .field("read_buffer", &self.read_buffer)
            .field("large_heads", &self.large_heads.load(Ordering::Relaxed))
            .finish()
    }
}

impl<R: Runtime> Default for HyperTransport<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// A response head and its body, as [`HyperTransport::send_request`] hands it over.
#[derive(Debug)]
pub struct HyperResponse<R: Runtime> {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, names in lower case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, chunk by chunk; it keeps the connection, and closes it
    /// when dropped.
    pub body: HyperBody<R>,
}

impl<R: Runtime> HyperTransport<R> {
    /// The read buffer of a connection by default, in bytes. A stream's
    /// events arrive in reads of at most this size; a response head must
    /// fit in it, or is asked for again with a larger buffer.
    pub const DEFAULT_READ_BUFFER: usize = 2048;

    /// A transport with the platform's trust (a set but unusable
    /// `SSL_CERT_FILE` is logged as a warning and left out; use
    /// [`builder`](Self::builder) to have it as an error) and the proxies
    /// of the environment as it is now.
    pub fn new() -> Self {
        let tls = tls_config(&TrustRoots::from_platform()).map_err(|error| {
            tracing::warn!(%error, "cannot make a TLS client; https requests will fail");
            TransportError::from_error(TransportErrorKind::Tls, &error)
        });
        Self::with_tls(tls)
    }

    fn with_tls(tls: Result<Arc<ClientConfig>, TransportError>) -> Self {
        HyperTransport {
            tls,
            proxies: Some(Arc::new(Matcher::from_env())),
            read_buffer: Self::DEFAULT_READ_BUFFER,
            large_heads: Arc::new(AtomicBool::new(false)),
            runtime: PhantomData,
        }
    }

    /// A builder, to add CA files to the trusted roots.
    pub fn builder() -> HyperTransportBuilder<R> {
        HyperTransportBuilder {
            roots: TrustRoots::builder(),
            runtime: PhantomData,
        }
    }

    /// Uses `config` for TLS instead: your roots, client certificates or
    /// crypto provider. Its ALPN protocols are replaced by `http/1.1`.
    pub fn tls_config(mut self, mut config: ClientConfig) -> Self {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        self.tls = Ok(Arc::new(config));
        self
    }

    /// Connects directly, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.proxies = None;
        self
    }

    /// Uses these proxy rules instead of the environment's, e.g.
    /// `ProxyMatcher::builder().https("http://proxy:3128").no("localhost").build()`.
    pub fn proxies(mut self, matcher: Matcher) -> Self {
        self.proxies = Some(Arc::new(matcher));
        self
    }

    /// Reads each connection with a buffer of exactly `bytes` (at least
    /// 512; default [`DEFAULT_READ_BUFFER`](Self::DEFAULT_READ_BUFFER)),
    /// or with hyper's adaptive buffer (8 KiB, growing to about 400 KB) if
    /// `None`.
    ///
    /// The buffer is what an idle connection keeps besides hyper's own
    /// state: with 2 KiB, a watch of the tokio fleet costs about 14 KiB,
    /// against about 19 KiB with reqwest's connection. The response head
    /// must fit in it: when one does not parse, the request is sent again,
    /// once, on a connection with the adaptive buffer (a head that is
    /// malformed, not large, thus costs two requests); when it parses
    /// there, this transport and its clones use the adaptive buffer from
    /// then on.
    pub fn read_buffer_size(mut self, bytes: Option<usize>) -> Self {
        match bytes {
            Some(bytes) => self.read_buffer = bytes.max(512),
            // A flag of its own: the clones made before keep their buffer.
            None => self.large_heads = Arc::new(AtomicBool::new(true)),
        }
        self
    }

    /// Sends `request` (method, URL and headers exactly as given, plus
    /// `Host`) on a connection of its own, and resolves once the response
    /// head arrives.
    pub fn send_request(
        &self,
        request: &Request,
    ) -> BoxFuture<Result<HyperResponse<R>, TransportError>> {
        let prepared = self.prepare(request);
        let tls = self.tls.clone();
        let read_buffer = self.read_buffer;
        let large_heads = self.large_heads.clone();
        Box::pin(async move {
            let prepared = prepared?;
            if !large_heads.load(Ordering::Relaxed) {
                match prepared.attempt::<R>(&tls, Some(read_buffer)).await {
                    Ok(response) => return Ok(response),
                    Err(ExchangeError::Failed(error)) => return Err(error),
                    Err(ExchangeError::Unparsed(error)) => {
                        tracing::debug!(
                            read_buffer,
                            %error,
                            "the response head did not parse; asking again with the adaptive buffer"
                        );
                    }
                }
            }
            let response = match prepared.attempt::<R>(&tls, None).await {
                Ok(response) => response,
                Err(ExchangeError::Failed(error) | ExchangeError::Unparsed(error)) => {
                    return Err(error);
                }
            };
            // It parsed with the larger buffer: it had not fitted the small one.
            large_heads.store(true, Ordering::Relaxed);
            Ok(response)
        })
    }

    /// The route and the hyper request for `request`, or why it cannot be
    /// sent.
    fn prepare(&self, request: &Request) -> Result<Prepared, TransportError> {
        let url: Uri = request
            .url()
            .parse()
            .map_err(|error| TransportError::from_error(TransportErrorKind::Other, &error))?;
        let target = Endpoint::of(&url)?;
        let intercept = self.proxies.as_ref().and_then(|m| m.intercept(&url));
        let (route, uri) = match intercept {
            None => (Route::Direct, origin_form(&url)?),
            Some(proxy) => {
                let via = Endpoint::of(proxy.uri())?;
                let auth = proxy.basic_auth().cloned().map(|mut value| {
                    value.set_sensitive(true);
                    value
                });
                tracing::debug!(proxy = %via, "through a proxy");
                if target.tls {
                    (Route::Tunnel { via, auth }, origin_form(&url)?)
                } else {
                    (Route::Forward { via, auth }, url.clone())
                }
            }
        };
        let mut headers = HeaderMap::new();
        let host = HeaderValue::try_from(Endpoint::host_header(&url))
            .map_err(|error| TransportError::from_error(TransportErrorKind::Other, &error))?;
        headers.insert(HOST, host);
        if let Route::Forward {
            auth: Some(auth), ..
        } = &route
        {
            headers.insert(PROXY_AUTHORIZATION, auth.clone());
        }
        for header in request.headers() {
            let (Ok(name), Ok(mut value)) = (
                HeaderName::from_bytes(header.name().as_bytes()),
                HeaderValue::from_str(header.value()),
            ) else {
                // The core builds only valid names and printable values (a
                // key with control characters is refused when the
                // credentials are made), so this is a defensive path.
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    format!("cannot send the {} header", header.name()),
                ));
            };
            value.set_sensitive(header.is_sensitive());
            headers.append(name, value);
        }
        let method = Method::from_bytes(request.method().as_bytes())
            .map_err(|error| TransportError::from_error(TransportErrorKind::Other, &error))?;
        Ok(Prepared {
            target,
            route,
            method,
            uri,
            headers,
        })
    }
}

/// A request ready to go, which can be sent more than once.
struct Prepared {
    target: Endpoint,
    route: Route,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Prepared {
    fn request(&self) -> http::Request<Empty<Bytes>> {
        let mut request = http::Request::new(Empty::new());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }

    /// One connection and one exchange on it.
    async fn attempt<R: Runtime>(
        &self,
        tls: &Result<Arc<ClientConfig>, TransportError>,
        read_buffer: Option<usize>,
    ) -> Result<HyperResponse<R>, ExchangeError> {
        let io = match &self.route {
            Route::Direct => connection::open::<R>(&self.target, tls).await?,
            Route::Forward { via, .. } => connection::open::<R>(via, tls).await?,
            Route::Tunnel { via, auth } => {
                let tunnel = connection::open::<R>(via, tls).await?;
                let tunnel =
                    connection::connect_tunnel::<R>(tunnel, &self.target, auth.clone()).await?;
                connection::handshake_tls::<R>(tunnel, &self.target, tls).await?
            }
        };
        let exchanged = connection::exchange::<R>(io, self.request(), read_buffer).await?;
        let headers = exchanged
            .head
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        Ok(HyperResponse {
            status: exchanged.head.status.as_u16(),
            headers,
            body: exchanged.body,
        })
    }
}

/// Builds a [`HyperTransport`] that also trusts your CA files.
pub struct HyperTransportBuilder<R> {
    roots: TrustRootsBuilder,
    runtime: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for HyperTransportBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransportBuilder")
            .field("roots", &self.roots)
            .finish()
    }
}

impl<R> Clone for HyperTransportBuilder<R> {
    fn clone(&self) -> Self {
        HyperTransportBuilder {
            roots: self.roots.clone(),
            runtime: PhantomData,
        }
    }
}

impl<R: Runtime> HyperTransportBuilder<R> {
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

    /// Loads the trusted roots and makes the transport, with the proxies
    /// of the environment as it is now. Fails when `SSL_CERT_FILE` is set
    /// but unusable ([`TlsError::Environment`]) or no TLS client can be
    /// made ([`TlsError::Client`]).
    pub fn build(self) -> Result<HyperTransport<R>, TlsError> {
        let roots = self.roots.build()?;
        Ok(HyperTransport::with_tls(Ok(tls_config(&roots)?)))
    }
}

/// A TLS configuration trusting `roots`, speaking HTTP/1.1.
fn tls_config(roots: &TrustRoots) -> Result<Arc<ClientConfig>, TlsError> {
    let mut config = roots.client_config()?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bedrock_sse_core::api::BaseUrl;
    use bedrock_sse_core::watch::{Action, Instant, Watch, WatchConfig};

    use super::*;

    /// A runtime that cannot connect: `prepare` never does.
    struct Offline;

    struct NoIo;

    impl hyper::rt::Read for NoIo {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: hyper::rt::ReadBufCursor<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Ready(Err(io::ErrorKind::NotConnected.into()))
        }
    }

    impl hyper::rt::Write for NoIo {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Err(io::ErrorKind::NotConnected.into()))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl Runtime for Offline {
        type Io = NoIo;

        fn connect(_: String, _: u16) -> BoxFuture<io::Result<NoIo>> {
            Box::pin(async { Err(io::ErrorKind::NotConnected.into()) })
        }

        fn handshake_tls(
            _: Arc<ClientConfig>,
            _: rustls::pki_types::ServerName<'static>,
            _: NoIo,
        ) -> BoxFuture<io::Result<NoIo>> {
            Box::pin(async { Err(io::ErrorKind::NotConnected.into()) })
        }
    }

    fn transport() -> HyperTransport<Offline> {
        HyperTransport::new()
    }

    /// The watch's first request for a job at `base_url`.
    fn request(base_url: &str) -> Request {
        let config = WatchConfig::builder("job_a")
            // Plain http to a name that is not loopback: through a proxy.
            .and_then(|b| b.base_url(BaseUrl::parse_allowing_http(base_url)?))
            .and_then(|b| b.bearer("sk_secret_key"))
            .expect("a config")
            .build();
        match Watch::new(config, Instant::ZERO, 1).poll_action() {
            Some(Action::Connect(request)) => request,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_direct_request_is_in_origin_form_with_its_headers_and_host() {
        let prepared = transport()
            .no_proxy()
            .prepare(&request("http://127.0.0.1:8787"))
            .expect("a request");
        assert!(matches!(prepared.route, Route::Direct));
        let request = prepared.request();
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.uri(), "/jobs/job_a/stream");
        assert_eq!(request.headers()["host"], "127.0.0.1:8787");
        assert_eq!(request.headers()["accept-encoding"], "identity");
        let auth = &request.headers()["authorization"];
        assert!(auth.is_sensitive());
        assert!(!request.headers()["accept"].is_sensitive());
    }

    #[test]
    fn an_http_request_through_a_proxy_is_in_absolute_form() {
        let proxies = Matcher::builder()
            .http("http://user:pass@proxy.example:3128")
            .build();
        let prepared = transport()
            .proxies(proxies)
            .prepare(&request("http://api.example"))
            .expect("a request");
        let Route::Forward { via, .. } = &prepared.route else {
            panic!("not forwarded")
        };
        assert_eq!(via.to_string(), "proxy.example:3128");
        let request = prepared.request();
        assert_eq!(request.uri(), "http://api.example/jobs/job_a/stream");
        let auth = &request.headers()["proxy-authorization"];
        assert!(auth.is_sensitive());
    }

    #[test]
    fn an_https_request_through_a_proxy_is_tunnelled() {
        let proxies = Matcher::builder()
            .https("http://proxy.example:3128")
            .no("internal.example")
            .build();
        let transport = transport().proxies(proxies);
        let prepared = transport
            .prepare(&request("https://api.example"))
            .expect("a request");
        assert!(matches!(prepared.route, Route::Tunnel { .. }));
        let tunnelled = prepared.request();
        assert_eq!(tunnelled.uri(), "/jobs/job_a/stream");
        assert!(!tunnelled.headers().contains_key("proxy-authorization"));
        let bypassed = transport
            .prepare(&request("https://internal.example"))
            .expect("a request");
        assert!(matches!(bypassed.route, Route::Direct));
    }

    #[test]
    fn debug_shows_no_proxy_credentials() {
        let proxies = Matcher::builder()
            .all("http://user:hunter2@proxy.example:3128")
            .build();
        let shown = format!("{:?}", transport().proxies(proxies));
        assert!(shown.contains("proxy.example"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn the_read_buffer_has_a_floor_and_none_means_adaptive() {
        let small = transport().read_buffer_size(Some(10));
        assert_eq!(small.read_buffer, 512);
        assert!(!small.large_heads.load(Ordering::Relaxed));
        let before = transport();
        let adaptive = before.clone().read_buffer_size(None);
        assert!(adaptive.large_heads.load(Ordering::Relaxed));
        assert!(
            !before.large_heads.load(Ordering::Relaxed),
            "an earlier clone keeps its buffer"
        );
    }
}
