//! How the driver sends a request and reads a response.

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::TransportError;
use bytes::Bytes;
use futures_util::Stream;
use futures_util::future::BoxFuture;

/// A response head and its body, as a [`Transport`] hands it over.
#[derive(Debug)]
pub struct Response<B> {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, names in any case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, chunk by chunk. The stream ends when the server closes the
    /// body cleanly; an error means it broke.
    pub body: B,
}

/// Sends the watch's requests. Implement it to use an HTTP client other than
/// reqwest, or a test double.
///
/// A transport needs no timeouts of its own: the watch bounds the wait for a
/// response head and for every body byte, and drops the response when they
/// pass. It must not follow redirects (hand a 3xx over as it came: the
/// watch decides where credentials may go) nor the stream's reconnections:
/// the driver asks for each request.
pub trait Transport: Send + Sync + 'static {
    /// The body stream of a response.
    type Body: Stream<Item = Result<Bytes, TransportError>> + Send + Unpin + 'static;

    /// Sends `request` (method, URL, headers exactly as given; mark the
    /// [sensitive](bedrock_sse_core::http::Header::is_sensitive) ones
    /// so, and never log them) and resolves once the response head arrives.
    fn send(
        &self,
        request: &Request,
    ) -> BoxFuture<'static, Result<Response<Self::Body>, TransportError>>;
}
