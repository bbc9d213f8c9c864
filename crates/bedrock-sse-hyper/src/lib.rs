//! # bedrock-sse-hyper
//!
//! The HTTP/1.1 transport of `bedrock-sse` over hyper's client connection,
//! written once for every runtime. [`HyperTransport`] sends a watch's
//! requests, each on a connection of its own, through the proxies of the
//! environment and over rustls; the runtime's part (opening a TCP
//! connection, a TLS handshake over a connection) comes in through
//! [`Runtime`], which the adapters implement:
//!
//! - `bedrock_sse_tokio::HyperTransport`, on tokio's TCP and `tokio-rustls`;
//! - `bedrock_sse_futures::HyperTransport`, on `async-net` and
//!   `futures-rustls` (async-std, smol).
//!
//! Use it through those crates: this one has no runtime of its own.
//!
//! ## Memory per connection
//!
//! A watch holds its connection for minutes, mostly idle, so what a
//! connection keeps matters when one process follows thousands of jobs.
//! hyper's connection is driven from inside the response body (no task of
//! its own), and reads into a buffer of
//! [`DEFAULT_READ_BUFFER`](HyperTransport::DEFAULT_READ_BUFFER) bytes
//! instead of hyper's adaptive one, which starts at 8 KiB and grows to
//! about 400 KB. A response head that does not fit the small buffer is
//! asked for again, once, with hyper's adaptive buffer, which the
//! transport then keeps for every later connection (see
//! [`HyperTransport::read_buffer_size`]).
#![forbid(unsafe_code)]

mod connection;
mod route;
mod transport;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

pub use connection::HyperBody;
pub use transport::{HyperResponse, HyperTransport, HyperTransportBuilder};

/// Proxy rules for [`HyperTransport::proxies`]: `HTTPS_PROXY`/`HTTP_PROXY`/
/// `NO_PROXY` semantics (curl's and reqwest's), from hyper-util.
pub use hyper_util::client::proxy::matcher::Matcher as ProxyMatcher;
/// The rustls this crate builds on, for [`HyperTransport::tls_config`].
pub use rustls;

/// A future that a [`Runtime`] hands back: boxed, sendable, owning what it
/// needs.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What [`HyperTransport`] needs of a runtime: a TCP connection, and a TLS
/// client handshake over a connection it made (directly, or through a
/// proxy's `CONNECT` tunnel).
///
/// The adapters implement it; implement it yourself only to run the
/// transport on a runtime they do not cover.
pub trait Runtime: Send + Sync + 'static {
    /// One connection, as hyper reads and writes it: TCP, TLS over TCP, or
    /// TLS through a tunnel. Dropping it closes the connection.
    type Io: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static;

    /// Opens a TCP connection to `host` (a name or an address, IPv6 without
    /// brackets) and `port`, with Nagle's algorithm off: a request head
    /// goes out at once.
    fn connect(host: String, port: u16) -> BoxFuture<io::Result<Self::Io>>;

    /// Speaks TLS over `io` as a client of `name`, with `config`. A
    /// rejected certificate must come back as the error rustls gave, so
    /// that it is told apart from other failures.
    fn handshake_tls(
        config: Arc<rustls::ClientConfig>,
        name: rustls::pki_types::ServerName<'static>,
        io: Self::Io,
    ) -> BoxFuture<io::Result<Self::Io>>;
}
