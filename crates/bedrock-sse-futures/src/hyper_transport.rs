//! The ready-made transport: hyper's HTTP/1.1 client connection over
//! `async-net` TCP, TLS by `futures-rustls`, proxies from the environment.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::path::Path;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use async_net::TcpStream;
use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use bedrock_sse_tls::{CaFileError, TlsError, TrustRoots, TrustRootsBuilder, tls_failure_kind};
use bytes::Bytes;
use futures_core::Stream;
use futures_core::future::BoxFuture;
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use futures_rustls::rustls::{ClientConfig, pki_types::ServerName};
use http::header::{HOST, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use http::{Method, Uri};
use http_body::Body as _;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::client::proxy::matcher::Matcher;
use smol_hyper::rt::FuturesIo;

use crate::transport::{Response, Transport};

/// A [`Transport`] over hyper's HTTP/1.1 client connection, on `async-net`
/// TCP and `futures-rustls` TLS: no tokio runtime needed.
///
/// - **HTTPS** with rustls (the *ring* provider), trusting what the other
///   transports trust (`bedrock_sse_tls`): the platform's store (or
///   `SSL_CERT_FILE`/`SSL_CERT_DIR`), Mozilla's roots as the fallback, and
///   the CA files given to the [builder](Self::builder); or your own
///   rustls configuration ([`tls_config`](Self::tls_config)). A rejected
///   server certificate is a [`TransportErrorKind::Certificate`] error,
///   which ends the watch at once (`WatchError::Certificate`); other TLS
///   failures are [`TransportErrorKind::Tls`].
/// - **Proxies** from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
///   `NO_PROXY` (lower-case names too), read when the transport is made,
///   with the rules curl and reqwest follow: an `https` URL goes through a
///   `CONNECT` tunnel, an `http` URL is sent to the proxy in absolute form;
///   credentials in the proxy URL become `Proxy-Authorization: Basic`.
/// - **One connection per request**, closed when the response is dropped:
///   a connection the watch let go of is never reused.
/// - Sends the watch's headers exactly (adding only `Host`), marks the
///   credential ones sensitive, follows no redirect, decompresses nothing.
///
/// Cheap to clone.
///
/// ```no_run
/// use bedrock_sse_futures::HyperTransport;
///
/// // The platform's trust, SSL_CERT_FILE, and a private CA:
/// let transport = HyperTransport::builder()
///     .add_ca_file("/etc/bedrock/ca.pem")?
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    /// The TLS client, or why none could be made (every https request
    /// then fails with that reason).
    tls: Result<TlsConnector, TransportError>,
    proxies: Option<Arc<Matcher>>,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The matcher's Debug shows proxy URLs but never their credentials.
        f.debug_struct("HyperTransport")
            .field("tls", &self.tls.as_ref().map(|_| "rustls"))
            .field("proxies", &self.proxies)
            .finish()
    }
}

impl Default for HyperTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HyperTransport {
    /// A transport with the platform's trust (a set but unusable
    /// `SSL_CERT_FILE` is logged as a warning and left out; use
    /// [`builder`](Self::builder) to have it as an error) and the proxies
    /// of the environment as it is now.
    pub fn new() -> Self {
        HyperTransport {
            tls: connector(&TrustRoots::from_platform()).map_err(|error| {
                tracing::warn!(%error, "cannot make a TLS client; https requests will fail");
                TransportError::from_error(TransportErrorKind::Tls, &error)
            }),
            proxies: Some(Arc::new(Matcher::from_env())),
        }
    }

    /// A builder, to add CA files to the trusted roots.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder {
            roots: TrustRoots::builder(),
        }
    }

    /// Uses `config` for TLS instead: your roots, client certificates or
    /// crypto provider. Its ALPN protocols are replaced by `http/1.1`.
    pub fn tls_config(mut self, mut config: ClientConfig) -> Self {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        self.tls = Ok(TlsConnector::from(Arc::new(config)));
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
        let mut builder = http::Request::builder()
            .method(request.method())
            .uri(uri)
            .header(HOST, target.host_header(&url));
        if let Route::Forward {
            auth: Some(auth), ..
        } = &route
        {
            builder = builder.header(PROXY_AUTHORIZATION, auth.clone());
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
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Empty::new())
            .map_err(|error| TransportError::from_error(TransportErrorKind::Other, &error))?;
        Ok(Prepared {
            target,
            route,
            request,
        })
    }
}

/// Builds a [`HyperTransport`] that also trusts your CA files.
#[derive(Debug, Clone)]
pub struct HyperTransportBuilder {
    roots: TrustRootsBuilder,
}

impl HyperTransportBuilder {
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
    pub fn build(self) -> Result<HyperTransport, TlsError> {
        let roots = self.roots.build()?;
        Ok(HyperTransport {
            tls: Ok(connector(&roots)?),
            proxies: Some(Arc::new(Matcher::from_env())),
        })
    }
}

/// A TLS client trusting `roots`, speaking HTTP/1.1.
fn connector(roots: &TrustRoots) -> Result<TlsConnector, TlsError> {
    let mut config = roots.client_config()?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

impl Transport for HyperTransport {
    type Chunk = Bytes;
    type Body = HyperBody;

    fn send(
        &self,
        request: &Request,
    ) -> BoxFuture<'static, Result<Response<HyperBody>, TransportError>> {
        let prepared = self.prepare(request);
        let tls = self.tls.clone();
        Box::pin(async move {
            let Prepared {
                target,
                route,
                request,
            } = prepared?;
            let io = match route {
                Route::Direct => open(&target, &tls).await?,
                Route::Forward { via, .. } => open(&via, &tls).await?,
                Route::Tunnel { via, auth } => {
                    let tunnel = open(&via, &tls).await?;
                    let tunnel = connect_tunnel(tunnel, &target, auth).await?;
                    handshake_tls(tunnel, &target, &tls).await?
                }
            };
            exchange(io, request).await
        })
    }
}

/// A response body read from a connection of its own, which it keeps
/// going, and closes when dropped.
pub struct HyperBody {
    conn: Option<Pin<Box<Conn>>>,
    body: Incoming,
    /// Kept so that the connection stays open until the body is dropped.
    _sender: http1::SendRequest<Empty<Bytes>>,
}

impl fmt::Debug for HyperBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperBody").finish_non_exhaustive()
    }
}

impl Stream for HyperBody {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        poll_conn(&mut this.conn, cx);
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(hyper_error(&error))));
                }
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => return Poll::Ready(Some(Ok(data))),
                    // Empty data and trailers carry nothing for the watch.
                    _ => continue,
                },
            }
        }
    }
}

/// Anything a connection can run over: TCP, TLS, a tunnel.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

type Conn = http1::Connection<FuturesIo<Box<dyn Io>>, Empty<Bytes>>;

struct Prepared {
    target: Endpoint,
    route: Route,
    request: http::Request<Empty<Bytes>>,
}

enum Route {
    Direct,
    /// An `http` URL through a proxy: sent to it in absolute form.
    Forward {
        via: Endpoint,
        auth: Option<HeaderValue>,
    },
    /// An `https` URL through a proxy: a `CONNECT` tunnel, then TLS inside.
    Tunnel {
        via: Endpoint,
        auth: Option<HeaderValue>,
    },
}

/// Where to connect: a host (no brackets), a port, and whether TLS.
#[derive(Debug, Clone)]
struct Endpoint {
    host: String,
    port: u16,
    tls: bool,
}

impl Endpoint {
    fn of(url: &Uri) -> Result<Endpoint, TransportError> {
        let tls = match url.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => true,
            Some(s) if s.eq_ignore_ascii_case("http") => false,
            other => {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    format!("unsupported URL scheme {other:?}"),
                ));
            }
        };
        let Some(host) = url.host().filter(|h| !h.is_empty()) else {
            return Err(TransportError::new(
                TransportErrorKind::Other,
                "URL without a host",
            ));
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_owned();
        let port = url.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Ok(Endpoint { host, port, tls })
    }

    /// `host[:port]` as the URL wrote it, for the `Host` header.
    fn host_header(&self, url: &Uri) -> String {
        let host = url.host().unwrap_or_default();
        match url.port_u16() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }
}

impl fmt::Display for Endpoint {
    /// `host:port`, brackets around an IPv6 address: a `CONNECT` target.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

fn origin_form(url: &Uri) -> Result<Uri, TransportError> {
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    path.parse()
        .map_err(|error| TransportError::from_error(TransportErrorKind::Other, &error))
}

/// A TCP connection to `endpoint`, inside TLS if it says so.
async fn open(
    endpoint: &Endpoint,
    tls: &Result<TlsConnector, TransportError>,
) -> Result<Box<dyn Io>, TransportError> {
    let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|error| {
            let kind = match error.kind() {
                io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
                _ => TransportErrorKind::Connect,
            };
            TransportError::from_error(kind, &error)
        })?;
    // Small writes (a request head) go out at once.
    let _ = tcp.set_nodelay(true);
    if endpoint.tls {
        handshake_tls(Box::new(tcp), endpoint, tls).await
    } else {
        Ok(Box::new(tcp))
    }
}

async fn handshake_tls(
    io: Box<dyn Io>,
    endpoint: &Endpoint,
    tls: &Result<TlsConnector, TransportError>,
) -> Result<Box<dyn Io>, TransportError> {
    let connector = tls.as_ref().map_err(Clone::clone)?;
    let name = ServerName::try_from(endpoint.host.clone())
        .map_err(|error| TransportError::from_error(TransportErrorKind::Tls, &error))?;
    let stream = connector
        .connect(name, io)
        .await
        .map_err(|error| tls_error(&error))?;
    Ok(Box::new(stream))
}

/// Opens a `CONNECT` tunnel to `target` through the proxy connection `io`.
async fn connect_tunnel(
    io: Box<dyn Io>,
    target: &Endpoint,
    auth: Option<HeaderValue>,
) -> Result<Box<dyn Io>, TransportError> {
    let authority = target.to_string();
    let mut builder = http::Request::builder()
        .method(Method::CONNECT)
        .uri(authority.as_str())
        .header(HOST, authority.as_str());
    if let Some(auth) = auth {
        builder = builder.header(PROXY_AUTHORIZATION, auth);
    }
    let request = builder
        .body(Empty::<Bytes>::new())
        .map_err(|error| TransportError::from_error(TransportErrorKind::Other, &error))?;
    let (mut sender, conn) = http1::handshake(FuturesIo::new(io))
        .await
        .map_err(|error| hyper_error(&error))?;
    let mut conn = Some(Box::pin(conn.with_upgrades()));
    let response = with_conn(&mut conn, sender.send_request(request))
        .await
        .map_err(|error| hyper_error(&error))?;
    if !response.status().is_success() {
        return Err(TransportError::new(
            TransportErrorKind::Connect,
            format!(
                "the proxy refused the tunnel to {authority}: {}",
                response.status()
            ),
        ));
    }
    let upgraded = with_conn(&mut conn, hyper::upgrade::on(response))
        .await
        .map_err(|error| hyper_error(&error))?;
    let parts = upgraded
        .downcast::<FuturesIo<Box<dyn Io>>>()
        .map_err(|_| TransportError::new(TransportErrorKind::Other, "the tunnel was lost"))?;
    if !parts.read_buf.is_empty() {
        // The origin cannot have spoken before the client's TLS hello.
        return Err(TransportError::new(
            TransportErrorKind::Protocol,
            "the proxy sent bytes after accepting the tunnel",
        ));
    }
    Ok(parts.io.into_inner())
}

/// Sends `request` on a new connection over `io`; the response's body
/// keeps the connection.
async fn exchange(
    io: Box<dyn Io>,
    request: http::Request<Empty<Bytes>>,
) -> Result<Response<HyperBody>, TransportError> {
    let (mut sender, conn) = http1::handshake(FuturesIo::new(io))
        .await
        .map_err(|error| hyper_error(&error))?;
    let mut conn: Option<Pin<Box<Conn>>> = Some(Box::pin(conn));
    let response = with_conn(&mut conn, sender.send_request(request))
        .await
        .map_err(|error| hyper_error(&error))?;
    let (head, body) = response.into_parts();
    let headers = head
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    Ok(Response {
        status: head.status.as_u16(),
        headers,
        body: HyperBody {
            conn,
            body,
            _sender: sender,
        },
    })
}

/// Polls `task` to its end while driving the connection, which may end
/// first (its error, if any, reaches `task` as well).
async fn with_conn<C, F>(conn: &mut Option<Pin<Box<C>>>, task: F) -> F::Output
where
    C: Future<Output = Result<(), hyper::Error>> + ?Sized,
    F: Future,
{
    let mut task = pin!(task);
    poll_fn(|cx| {
        poll_conn(conn, cx);
        task.as_mut().poll(cx)
    })
    .await
}

fn poll_conn<C>(conn: &mut Option<Pin<Box<C>>>, cx: &mut Context<'_>)
where
    C: Future<Output = Result<(), hyper::Error>> + ?Sized,
{
    if let Some(running) = conn {
        if let Poll::Ready(result) = running.as_mut().poll(cx) {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended");
            }
            *conn = None;
        }
    }
}

/// A hyper error as the watch takes it.
fn hyper_error(error: &hyper::Error) -> TransportError {
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_parse() || error.is_parse_status() {
        TransportErrorKind::Protocol
    } else if error.is_incomplete_message()
        || error.is_closed()
        || error.is_canceled()
        || error.is_body_write_aborted()
        || source_is_io(error)
    {
        TransportErrorKind::Reset
    } else {
        TransportErrorKind::Other
    };
    TransportError::from_error(kind, error)
}

fn source_is_io(error: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if inner.is::<io::Error>() {
            return true;
        }
        source = inner.source();
    }
    false
}

/// A failed TLS handshake: a rejected certificate, or anything else.
fn tls_error(error: &io::Error) -> TransportError {
    let kind = tls_failure_kind(error).unwrap_or(TransportErrorKind::Tls);
    TransportError::from_error(kind, error)
}

#[cfg(test)]
mod tests {
    use bedrock_sse_core::api::BaseUrl;
    use bedrock_sse_core::watch::{Action, Instant, Watch, WatchConfig};

    use super::*;

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

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::of(&url.parse().expect("a URI")).expect("an endpoint")
    }

    #[test]
    fn endpoints_take_default_ports_and_lose_ipv6_brackets() {
        let https = endpoint("https://api.example");
        assert_eq!(
            (https.host.as_str(), https.port, https.tls),
            ("api.example", 443, true)
        );
        let http = endpoint("http://api.example/x");
        assert_eq!((http.port, http.tls), (80, false));
        let v6 = endpoint("http://[::1]:8080/");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8080));
        assert_eq!(v6.to_string(), "[::1]:8080");
        assert!(Endpoint::of(&"ftp://x/".parse().expect("a URI")).is_err());
    }

    #[test]
    fn a_direct_request_is_in_origin_form_with_its_headers_and_host() {
        let transport = HyperTransport::new().no_proxy();
        let prepared = transport
            .prepare(&request("http://127.0.0.1:8787"))
            .expect("a request");
        assert!(matches!(prepared.route, Route::Direct));
        let request = prepared.request;
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
        let transport = HyperTransport::new().proxies(proxies);
        let prepared = transport
            .prepare(&request("http://api.example"))
            .expect("a request");
        let Route::Forward { via, .. } = &prepared.route else {
            panic!("not forwarded")
        };
        assert_eq!(via.to_string(), "proxy.example:3128");
        assert_eq!(
            prepared.request.uri(),
            "http://api.example/jobs/job_a/stream"
        );
        let auth = &prepared.request.headers()["proxy-authorization"];
        assert!(auth.is_sensitive());
    }

    #[test]
    fn an_https_request_through_a_proxy_is_tunnelled() {
        let proxies = Matcher::builder()
            .https("http://proxy.example:3128")
            .no("internal.example")
            .build();
        let transport = HyperTransport::new().proxies(proxies);
        let prepared = transport
            .prepare(&request("https://api.example"))
            .expect("a request");
        assert!(matches!(prepared.route, Route::Tunnel { .. }));
        assert_eq!(prepared.request.uri(), "/jobs/job_a/stream");
        assert!(
            !prepared
                .request
                .headers()
                .contains_key("proxy-authorization")
        );
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
        let shown = format!("{:?}", HyperTransport::new().proxies(proxies));
        assert!(shown.contains("proxy.example"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
