//! One connection: opened (through a tunnel, inside TLS), one request
//! sent, and the response's body read while the body keeps the connection
//! going.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use bedrock_sse_tls::tls_failure_kind;
use bytes::Bytes;
use futures_core::Stream;
use http::Method;
use http::header::{HOST, HeaderValue, PROXY_AUTHORIZATION};
use http_body::Body as _;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;

use crate::Runtime;
use crate::route::Endpoint;

/// A response body read from a connection of its own, which it keeps
/// going (hyper's connection runs inside it, not as a task), and closes
/// when dropped.
pub struct HyperBody<R: Runtime> {
    conn: Option<Pin<Box<Conn<R>>>>,
    body: Incoming,
    /// Kept so that the connection stays open until the body is dropped.
    _sender: http1::SendRequest<Empty<Bytes>>,
}

type Conn<R> = http1::Connection<<R as Runtime>::Io, Empty<Bytes>>;

impl<R: Runtime> fmt::Debug for HyperBody<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperBody").finish_non_exhaustive()
    }
}

impl<R: Runtime> Stream for HyperBody<R> {
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

/// A response head and the body that keeps its connection.
pub(crate) struct Exchanged<R: Runtime> {
    pub(crate) head: http::response::Parts,
    pub(crate) body: HyperBody<R>,
}

/// Why an exchange failed.
pub(crate) enum ExchangeError {
    /// The response head did not parse with a small read buffer: it may not
    /// have fitted.
    Unparsed(TransportError),
    Failed(TransportError),
}

impl From<TransportError> for ExchangeError {
    fn from(error: TransportError) -> Self {
        ExchangeError::Failed(error)
    }
}

/// A TCP connection to `endpoint`, inside TLS if it says so.
pub(crate) async fn open<R: Runtime>(
    endpoint: &Endpoint,
    tls: &Result<Arc<ClientConfig>, TransportError>,
) -> Result<R::Io, TransportError> {
    let tcp = R::connect(endpoint.host.clone(), endpoint.port)
        .await
        .map_err(|error| {
            let kind = match error.kind() {
                io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
                _ => TransportErrorKind::Connect,
            };
            TransportError::from_error(kind, &error)
        })?;
    if endpoint.tls {
        handshake_tls::<R>(tcp, endpoint, tls).await
    } else {
        Ok(tcp)
    }
}

/// TLS over `io` as a client of `endpoint`.
pub(crate) async fn handshake_tls<R: Runtime>(
    io: R::Io,
    endpoint: &Endpoint,
    tls: &Result<Arc<ClientConfig>, TransportError>,
) -> Result<R::Io, TransportError> {
    let config = tls.as_ref().map_err(Clone::clone)?;
    let name = ServerName::try_from(endpoint.host.clone())
        .map_err(|error| TransportError::from_error(TransportErrorKind::Tls, &error))?;
    R::handshake_tls(config.clone(), name, io)
        .await
        .map_err(|error| {
            let kind = tls_failure_kind(&error).unwrap_or(TransportErrorKind::Tls);
            TransportError::from_error(kind, &error)
        })
}

/// Opens a `CONNECT` tunnel to `target` through the proxy connection `io`.
pub(crate) async fn connect_tunnel<R: Runtime>(
    io: R::Io,
    target: &Endpoint,
    auth: Option<HeaderValue>,
) -> Result<R::Io, TransportError> {
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
    let (mut sender, conn) = http1::handshake(io)
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
        .downcast::<R::Io>()
        .map_err(|_| TransportError::new(TransportErrorKind::Other, "the tunnel was lost"))?;
    if !parts.read_buf.is_empty() {
        // The origin cannot have spoken before the client's TLS hello.
        return Err(TransportError::new(
            TransportErrorKind::Protocol,
            "the proxy sent bytes after accepting the tunnel",
        ));
    }
    Ok(parts.io)
}

/// Sends `request` on a new connection over `io`, reading with a buffer of
/// exactly `read_buffer` bytes (hyper's adaptive one if `None`); the
/// response's body keeps the connection.
pub(crate) async fn exchange<R: Runtime>(
    io: R::Io,
    request: http::Request<Empty<Bytes>>,
    read_buffer: Option<usize>,
) -> Result<Exchanged<R>, ExchangeError> {
    let mut builder = http1::Builder::new();
    if read_buffer.is_some() {
        builder.read_buf_exact_size(read_buffer);
    }
    let (mut sender, conn) = builder
        .handshake(io)
        .await
        .map_err(|error| hyper_error(&error))?;
    let mut conn: Option<Pin<Box<Conn<R>>>> = Some(Box::pin(conn));
    let response = with_conn(&mut conn, sender.send_request(request))
        .await
        .map_err(|error| {
            // hyper tells a head too large for the buffer apart only in
            // its server builds; any parse error may be that one.
            if read_buffer.is_some() && error.is_parse() {
                ExchangeError::Unparsed(hyper_error(&error))
            } else {
                ExchangeError::Failed(hyper_error(&error))
            }
        })?;
    let (head, body) = response.into_parts();
    Ok(Exchanged {
        head,
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
