//! The ready-made transport: `bedrock_sse_hyper`'s HTTP/1.1 transport over
//! `async-net` TCP and `futures-rustls` TLS.

use std::io;
use std::sync::Arc;

use async_net::TcpStream;
use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::TransportError;
use bedrock_sse_hyper::{BoxFuture, Runtime};
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use futures_rustls::rustls::ClientConfig;
use futures_rustls::rustls::pki_types::ServerName;
use smol_hyper::rt::FuturesIo;

use crate::transport::{Response, Transport};

/// A [`Transport`] over hyper's HTTP/1.1 client connection, on `async-net`
/// TCP and `futures-rustls` TLS: no tokio runtime needed.
///
/// It trusts what every `bedrock-sse` transport trusts, goes through the
/// proxies of the environment, opens a connection per request and reads it
/// with a small buffer: see [`bedrock_sse_hyper::HyperTransport`] for its
/// methods and what each promises.
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
pub type HyperTransport = bedrock_sse_hyper::HyperTransport<AsyncIoRuntime>;

/// Builds a [`HyperTransport`] that also trusts your CA files.
pub type HyperTransportBuilder = bedrock_sse_hyper::HyperTransportBuilder<AsyncIoRuntime>;

/// The body of a [`HyperTransport`] response: it keeps its connection
/// going, and closes it when dropped.
pub type HyperBody = bedrock_sse_hyper::HyperBody<AsyncIoRuntime>;

/// The TCP and TLS of [`HyperTransport`]: `async-net` (the `async-io`
/// reactor, which smol and async-std run on) and `futures-rustls`.
#[derive(Debug, Clone, Copy)]
pub struct AsyncIoRuntime;

/// What a [`HyperTransport`] connection runs over: TCP, TLS, TLS through
/// a tunnel. Implemented for every futures-io reader and writer that can
/// move between threads.
pub trait AsyncIoConnection: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> AsyncIoConnection for T {}

impl Runtime for AsyncIoRuntime {
    type Io = FuturesIo<Box<dyn AsyncIoConnection>>;

    fn connect(host: String, port: u16) -> BoxFuture<io::Result<Self::Io>> {
        Box::pin(async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            // Small writes (a request head) go out at once.
            let _ = tcp.set_nodelay(true);
            Ok(FuturesIo::new(Box::new(tcp) as Box<dyn AsyncIoConnection>))
        })
    }

    fn handshake_tls(
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        io: Self::Io,
    ) -> BoxFuture<io::Result<Self::Io>> {
        Box::pin(async move {
            let stream = TlsConnector::from(config)
                .connect(name, io.into_inner())
                .await?;
            Ok(FuturesIo::new(
                Box::new(stream) as Box<dyn AsyncIoConnection>
            ))
        })
    }
}

impl Transport for HyperTransport {
    type Chunk = bytes::Bytes;
    type Body = HyperBody;

    fn send(&self, request: &Request) -> BoxFuture<Result<Response<HyperBody>, TransportError>> {
        let sent = self.send_request(request);
        Box::pin(async move {
            let response = sent.await?;
            Ok(Response {
                status: response.status,
                headers: response.headers,
                body: response.body,
            })
        })
    }
}
