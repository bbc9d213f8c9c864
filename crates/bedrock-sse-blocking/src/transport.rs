//! How the driver sends a request and reads a response.

use std::io::Read;
use std::time::Duration;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::TransportError;

/// A response head and its body, as a [`Transport`] hands it over.
#[derive(Debug)]
pub struct Response<B> {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, names in any case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body. `Ok(0)` from `read` is its clean end; an error means it
    /// broke.
    pub body: B,
}

/// Sends the watch's requests with a blocking HTTP client. Implement it to
/// use a client other than ureq, or a test double.
pub trait Transport {
    /// The body of a response, read on a thread of its own.
    type Body: Read + Send + 'static;

    /// Sends `request` (method, URL and headers exactly as given; never log
    /// the [sensitive](bedrock_sse_core::http::Header::is_sensitive)
    /// ones) and returns once the response head has arrived, or fails after
    /// `timeout` (connecting and waiting for the head together).
    ///
    /// Statuses are not errors: a 401, a 307 or a 503 is a `Response` like
    /// a 200. Redirects must not be followed: the watch decides where
    /// credentials may go.
    /// There must be no timeout on reading the body: a stream legitimately
    /// lasts minutes, and the watch keeps its own idle deadline.
    fn send(
        &self,
        request: &Request,
        timeout: Duration,
    ) -> Result<Response<Self::Body>, TransportError>;
}
