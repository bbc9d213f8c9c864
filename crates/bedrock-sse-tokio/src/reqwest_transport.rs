//! The ready-made transport over reqwest.

use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use bedrock_sse_tls::rustls::ClientConfig;
use bedrock_sse_tls::{CaFileError, TlsError, TrustRoots, TrustRootsBuilder, tls_failure_kind};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderName, HeaderValue};

use crate::transport::{Response, Transport};

/// A [`Transport`] over [`reqwest::Client`]s (rustls; HTTP/2 where the
/// server offers it, HTTP/1.1 otherwise).
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
    clients: Arc<Clients>,
}

/// The clients a transport spreads its streams over, made as needed.
///
/// Over HTTP/2 one client keeps one connection per host and queues every
/// request beyond the server's limit of concurrent streams behind the open
/// ones, which for streams lasting minutes means waiting minutes. So each
/// client carries at most `per_connection` streams, and a new client (a
/// new connection) is made when all are full.
struct Clients {
    /// How a new client is made, or why none can be (every request then
    /// fails with that reason: never a fallback client that would follow
    /// redirects).
    make: Box<dyn Fn() -> Result<reqwest::Client, String> + Send + Sync>,
    per_connection: usize,
    /// Each client with its streams in use.
    made: Mutex<Vec<(reqwest::Client, Arc<AtomicUsize>)>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let made = self.made.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("Clients")
            .field("per_connection", &self.per_connection)
            .field("clients", &made)
            .finish()
    }
}

impl Clients {
    fn new(
        per_connection: usize,
        make: impl Fn() -> Result<reqwest::Client, String> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Clients {
            make: Box::new(make),
            per_connection: per_connection.max(1),
            made: Mutex::new(Vec::new()),
        })
    }

    /// A client with room for one more stream, and the claim on it
    /// (released when the stream's body is dropped).
    fn claim(&self) -> Result<(reqwest::Client, Claim), String> {
        let mut made = self
            .made
            .lock()
            .map_err(|_| "the client list is poisoned".to_owned())?;
        let free = made
            .iter()
            .find(|(_, used)| used.load(Ordering::Relaxed) < self.per_connection);
        let (client, used) = match free {
            Some((client, used)) => (client.clone(), used.clone()),
            None => {
                let client = (self.make)()?;
                let used = Arc::new(AtomicUsize::new(0));
                made.push((client.clone(), used.clone()));
                (client, used)
            }
        };
        used.fetch_add(1, Ordering::Relaxed);
        Ok((client, Claim(used)))
    }
}

/// One stream's place on a client, given back when dropped.
struct Claim(Arc<AtomicUsize>);

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The most streams carried by one client (one HTTP/2 connection) by
/// default: servers commonly allow 100 or more.
const STREAMS_PER_CONNECTION: usize = 100;

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
        let settings = Settings::default();
        let tls = tls_config(&roots, settings).and_then(|tls| client(&tls, settings).map(|_| tls));
        let clients = match tls {
            Ok(tls) => Clients::new(STREAMS_PER_CONNECTION, move || {
                client(&tls, settings).map_err(|e| e.to_string())
            }),
            Err(error) => {
                tracing::warn!(%error, "cannot trust the platform's roots; using the client's own");
                Clients::new(STREAMS_PER_CONNECTION, move || {
                    base(settings).build().map_err(|e| {
                        TransportError::from_error(TransportErrorKind::Other, &e).to_string()
                    })
                })
            }
        };
        ReqwestTransport { clients }
    }

    /// A builder, to add CA files to the trusted roots, or speak HTTP/2
    /// to a local `http://` server.
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder {
            roots: TrustRoots::builder(),
            settings: Settings::default(),
        }
    }

    /// A transport over your own client. Build it with
    /// `.redirect(reqwest::redirect::Policy::none())`, so that redirects
    /// reach the watch, which refuses to send credentials to another origin;
    /// and with no total request timeout: a stream legitimately lasts
    /// minutes. Its TLS trust and proxies are yours: use
    /// `bedrock_sse_tls::TrustRoots` for the ones this crate uses.
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            clients: Clients::new(usize::MAX, move || Ok(client.clone())),
        }
    }

    /// How many clients (connections, over HTTP/2) it holds now.
    pub fn connections(&self) -> usize {
        self.clients.made.lock().map(|m| m.len()).unwrap_or(0)
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
    settings: Settings,
}

/// What the builder sets besides trust.
#[derive(Debug, Clone, Copy)]
struct Settings {
    http2_prior_knowledge: bool,
    streams_per_connection: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            http2_prior_knowledge: false,
            streams_per_connection: STREAMS_PER_CONNECTION,
        }
    }
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

    /// Speaks HTTP/2 from the first byte, without negotiation: for a
    /// local `http://` server that speaks only HTTP/2 (h2c, such as
    /// `bedrock-sse serve`, which speaks both). Over `https://`, HTTP/2 is
    /// negotiated (ALPN) whenever the server offers it, without this.
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.settings.http2_prior_knowledge = true;
        self
    }

    /// The most streams one HTTP/2 connection carries before the next
    /// request opens another (default 100; at least 1). Keeps watches from
    /// queueing behind the server's limit of concurrent streams.
    pub fn streams_per_connection(mut self, streams: usize) -> Self {
        self.settings.streams_per_connection = streams.max(1);
        self
    }

    /// Loads the trusted roots and builds the client. Fails when
    /// `SSL_CERT_FILE` is set but unusable ([`TlsError::Environment`]) or
    /// the client cannot be built ([`TlsError::Client`]).
    pub fn build(self) -> Result<ReqwestTransport, TlsError> {
        let roots = self.roots.build()?;
        let settings = self.settings;
        let tls = tls_config(&roots, settings)?;
        // Built once now, so that an error shows here, not at the first
        // request.
        client(&tls, settings)?;
        let clients = Clients::new(settings.streams_per_connection, move || {
            client(&tls, settings).map_err(|e| e.to_string())
        });
        Ok(ReqwestTransport { clients })
    }
}

/// What every client of this crate is: rustls, proxies from the
/// environment (reqwest's default), no redirects.
fn base(settings: Settings) -> reqwest::ClientBuilder {
    let builder = if settings.http2_prior_knowledge {
        reqwest::Client::builder().http2_prior_knowledge()
    } else {
        reqwest::Client::builder()
    };
    builder
        .use_rustls_tls()
        // Redirects are the watch's decision: it follows them only
        // within the base URL's origin, so credentials never leave it.
        .redirect(reqwest::redirect::Policy::none())
}

/// The TLS configuration of a transport's clients: `roots` as the only
/// trust, offering HTTP/2 and HTTP/1.1 by ALPN (HTTP/2 only with prior
/// knowledge), as reqwest's own would.
fn tls_config(roots: &TrustRoots, settings: Settings) -> Result<ClientConfig, TlsError> {
    let mut tls = roots.client_config()?;
    tls.alpn_protocols = if settings.http2_prior_knowledge {
        vec![b"h2".to_vec()]
    } else {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    };
    Ok(tls)
}

/// A client over `tls`. Every client of a transport gets a clone of one
/// configuration, which shares its parsed roots and its session cache:
/// built per client, they cost about 100 KB each (1 KiB per watch at 100
/// streams per connection).
fn client(tls: &ClientConfig, settings: Settings) -> Result<reqwest::Client, TlsError> {
    base(settings)
        .use_preconfigured_tls(tls.clone())
        .build()
        .map_err(|error| {
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
        let (client, claim) = match self.clients.claim() {
            Ok(claimed) => claimed,
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
        // A reconnect never reuses an HTTP/1.1 connection whose stream
        // ended: after a graceful shutdown it would lead back to the server
        // that is going away. (HTTP/2 drops the header; there a server that
        // goes away says so with GOAWAY, and the shared connection is not
        // reused.)
        builder = builder.header(reqwest::header::CONNECTION, "close");
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
                // The stream holds its place on the client until dropped.
                body: Box::pin(response.bytes_stream().map(move |chunk| {
                    let _claim = &claim;
                    chunk.map_err(|e| classify(&e))
                })) as Body,
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
