//! The ready-made transport over ureq.

use std::io::{self, Read};
use std::path::Path;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};

use bedrock_sse_tls::{CaFileError, TlsError, TrustRoots, TrustRootsBuilder, tls_failure_kind};
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use crate::transport::{Response, Timeouts, Transport};

/// A [`Transport`] over a [`ureq::Agent`] (rustls).
///
/// It trusts the platform's certificate store (or `SSL_CERT_FILE`), with
/// Mozilla's roots as the fallback, plus the CA files given to its
/// [builder](UreqTransport::builder); see `bedrock_sse_tls` for the
/// precedence. It goes through the proxy named by `ALL_PROXY`,
/// `HTTPS_PROXY` or `HTTP_PROXY` (the first set, upper case before lower
/// case; ureq uses one proxy for both schemes, always with `CONNECT`),
/// except for the hosts in `NO_PROXY`, as read when the transport is made.
///
/// A rejected server certificate is reported as
/// [`TransportErrorKind::Certificate`], which ends the watch at once
/// (`WatchError::Certificate`); other TLS failures are
/// [`TransportErrorKind::Tls`].
///
/// A body's reads give up at the watch's idle timeout and overall
/// deadline (ureq's per-read and global timeouts), so the watch needs no
/// thread but the caller's, and a connection the watch gives up is closed
/// at once: a server that falls silent, or vanishes without closing, holds
/// nothing past the watch's deadline. ureq bounds each read of the
/// response head by the idle timeout too: with an idle timeout shorter
/// than the head timeout, a server silent that long before its head is
/// given up then, as a transport timeout (retried like a head timeout).
///
/// Cheap to clone; share one between watches.
///
/// ```no_run
/// use bedrock_sse_blocking::UreqTransport;
///
/// // The platform's trust, SSL_CERT_FILE, and a private CA:
/// let transport = UreqTransport::builder()
///     .add_ca_file("/etc/bedrock/ca.pem")?
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl UreqTransport {
    /// A transport with its own agent: the platform's trust (a set but
    /// unusable `SSL_CERT_FILE` is logged as a warning and left out; use
    /// [`builder`](Self::builder) to have it as an error), the proxy from
    /// the environment, statuses are not errors, redirects are handed to
    /// the watch, no timeout on bodies.
    pub fn new() -> Self {
        UreqTransport {
            agent: agent(&TrustRoots::from_platform()),
        }
    }

    /// A builder, to add CA files to the trusted roots.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder {
            roots: TrustRoots::builder(),
        }
    }

    /// A transport over your own agent. It must be built with
    /// `http_status_as_error(false)`, `max_redirects(0)` (the watch decides
    /// where credentials may go), preferably `max_idle_connections(0)` (a
    /// reconnect then never reuses a closed stream's connection) and no
    /// global or body timeout. Its TLS
    /// trust and proxy are yours: use `bedrock_sse_tls::TrustRoots` for the
    /// ones this crate uses.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        UreqTransport { agent }
    }
}

/// Builds a [`UreqTransport`] that also trusts your CA files.
///
/// ```no_run
/// use bedrock_sse_blocking::UreqTransport;
///
/// let transport = UreqTransport::builder()
///     .add_ca_file("/etc/bedrock/ca.pem")?
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransportBuilder {
    roots: TrustRootsBuilder,
}

impl UreqTransportBuilder {
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

    /// Loads the trusted roots and builds the agent. Fails when
    /// `SSL_CERT_FILE` is set but unusable ([`TlsError::Environment`]).
    pub fn build(self) -> Result<UreqTransport, TlsError> {
        let roots = self.roots.build()?;
        Ok(UreqTransport {
            agent: agent(&roots),
        })
    }
}

/// The agent every transport of this crate uses: rustls with `roots`, the
/// proxy from the environment (ureq's default), statuses as answers, no
/// redirects.
/// The read buffer.
const INPUT_BUFFER: usize = 8 * 1024;
/// The most a response head may take.
const MAX_HEAD: usize = 16 * 1024;
/// The write buffer: a request is a few hundred bytes of headers.
const OUTPUT_BUFFER: usize = 4 * 1024;

fn agent(roots: &TrustRoots) -> ureq::Agent {
    let certs: Vec<Certificate<'static>> = roots
        .certificates()
        .iter()
        .map(|cert| Certificate::from_der(cert.as_ref()).to_owned())
        .collect();
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::new_with_certs(&certs))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        // A 401 or 503 is an answer for the watch to judge, not an error.
        .http_status_as_error(false)
        // Redirects are the watch's decision: it follows them only
        // within the base URL's origin, so credentials never leave it.
        .max_redirects(0)
        // A reconnect never reuses a connection the watch let go of (it may
        // lead to a server that is shutting down).
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        // A watch reads a trickle of small events: ureq's 128 KiB buffers
        // each way would be most of a watch's memory.
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .max_response_header_size(MAX_HEAD)
        .build()
        .into()
}

impl Transport for UreqTransport {
    type Body = UreqBody;

    fn send(
        &self,
        request: &Request,
        timeouts: Timeouts,
    ) -> Result<Response<Self::Body>, TransportError> {
        let mut builder = self.agent.get(request.url());
        for header in request.headers() {
            builder = builder.header(header.name(), header.value());
        }
        let response = builder
            .config()
            .timeout_connect(Some(timeouts.head))
            .timeout_recv_response(Some(timeouts.head))
            // The watch's idle timeout, and its overall deadline: a read
            // of the body returns at the first, so that the driver's
            // thread, the watch's only one, is never held past them.
            .timeout_per_read(Some(timeouts.read))
            .timeout_global(timeouts.total)
            .build()
            .call()
            .map_err(|error| classify(&error))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        Ok(Response {
            status,
            headers,
            body: UreqBody(response.into_body().into_reader()),
        })
    }
}

/// A response body from a [`UreqTransport`]: ureq's reader, whose reads
/// give up at the watch's deadlines with an error of kind
/// [`TimedOut`](io::ErrorKind::TimedOut). Dropping it closes the
/// connection.
pub struct UreqBody(ureq::BodyReader<'static>);

impl Read for UreqBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|error| {
            // ureq wraps its own timeouts in an error of kind `Other`.
            let timeout = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                .is_some_and(|inner| matches!(inner, ureq::Error::Timeout(_)));
            if timeout {
                io::Error::new(io::ErrorKind::TimedOut, error)
            } else {
                error
            }
        })
    }
}

impl std::fmt::Debug for UreqBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UreqBody")
    }
}

/// A ureq error as the watch takes it: its kind, and its words with their
/// sources (the OS error included).
fn classify(error: &ureq::Error) -> TransportError {
    let tls = match error {
        ureq::Error::Rustls(rustls) => tls_failure_kind(rustls),
        ureq::Error::Io(io) => tls_failure_kind(io),
        _ => None,
    };
    if let Some(kind) = tls {
        return TransportError::from_error(kind, error);
    }
    let kind = match error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => {
                TransportErrorKind::Connect
            }
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Reset,
        },
        ureq::Error::Protocol(_) => TransportErrorKind::Protocol,
        _ => TransportErrorKind::Other,
    };
    TransportError::from_error(kind, error)
}
