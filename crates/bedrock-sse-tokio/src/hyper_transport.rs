//! The HTTP/1.1 transport with small buffers: `bedrock_sse_hyper`'s, over
//! tokio's TCP and `tokio-rustls`.

use std::io;
use std::sync::Arc;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::TransportError;
use bedrock_sse_hyper::rustls::ClientConfig;
use bedrock_sse_hyper::rustls::pki_types::ServerName;
use bedrock_sse_hyper::{BoxFuture, Runtime};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::transport::{Response, Transport};

/// A [`Transport`] over hyper's HTTP/1.1 client connection, on tokio's TCP
/// and `tokio-rustls`: for following many jobs from a server that speaks
/// HTTP/1.1, where it costs about 14 KiB per idle watch against about
/// 19 KiB with [`ReqwestTransport`](crate::ReqwestTransport).
///
/// It trusts what every `bedrock-sse` transport trusts, goes through the
/// proxies of the environment, opens a connection per request (driven
/// from the response body, no task of its own) and reads it with a small
/// buffer: see [`bedrock_sse_hyper::HyperTransport`] for its methods and
/// what each promises. It never speaks HTTP/2: where the server offers
/// it, `ReqwestTransport` carries a hundred watches per connection.
///
/// ```no_run
/// use bedrock_sse_core::fleet::FleetConfig;
/// use bedrock_sse_tokio::{FleetWatch, HyperTransport};
///
/// let transport = HyperTransport::builder()
///     .add_ca_file("/etc/bedrock/ca.pem")?
///     .build()?;
/// let fleet = FleetWatch::new(transport, FleetConfig::default());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type HyperTransport = bedrock_sse_hyper::HyperTransport<TokioRuntime>;

/// Builds a [`HyperTransport`] that also trusts your CA files.
pub type HyperTransportBuilder = bedrock_sse_hyper::HyperTransportBuilder<TokioRuntime>;

/// The body of a [`HyperTransport`] response: it keeps its connection
/// going, and closes it when dropped.
pub type HyperBody = bedrock_sse_hyper::HyperBody<TokioRuntime>;

/// The TCP and TLS of [`HyperTransport`]: tokio's and `tokio-rustls`.
#[derive(Debug, Clone, Copy)]
pub struct TokioRuntime;

/// What a [`HyperTransport`] connection runs over: TCP, TLS, TLS through
/// a tunnel. Implemented for every tokio reader and writer that can move
/// between threads.
pub trait TokioConnection: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> TokioConnection for T {}

impl Runtime for TokioRuntime {
    type Io = TokioIo<Box<dyn TokioConnection>>;

    fn connect(host: String, port: u16) -> BoxFuture<io::Result<Self::Io>> {
        Box::pin(async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            // Small writes (a request head) go out at once.
            let _ = tcp.set_nodelay(true);
            Ok(TokioIo::new(Box::new(tcp) as Box<dyn TokioConnection>))
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
            Ok(TokioIo::new(Box::new(stream) as Box<dyn TokioConnection>))
        })
    }
}

impl Transport for HyperTransport {
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
