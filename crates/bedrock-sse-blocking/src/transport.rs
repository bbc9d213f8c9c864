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
    /// The body, read on the driver's thread. `Ok(0)` from `read` is its
    /// clean end; an error of kind [`TimedOut`](std::io::ErrorKind::TimedOut)
    /// or [`WouldBlock`](std::io::ErrorKind::WouldBlock) means a read gave
    /// up at one of the [`Timeouts`]; any other error means it broke.
    /// Dropping it closes the connection.
    pub body: B,
}

/// How long a [`Transport`] may block the driver's thread, which is the
/// only thread a watch has: these are the watch's own deadlines, so that
/// a blocked call returns when the watch has something to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Connecting and waiting for the response head, together: the time
    /// left to the watch's next deadline (its head timeout, or sooner its
    /// overall deadline).
    pub head: Duration,
    /// The longest one read of the body may wait without a byte: the
    /// watch's idle timeout.
    pub read: Duration,
    /// The time left, from the call to [`Transport::send`], to the watch's
    /// overall deadline, past which no read of the body may wait; `None`
    /// if it has none.
    pub total: Option<Duration>,
}

impl Timeouts {
    /// The timeouts of one request: `head` for the head, `read` for each
    /// read of the body, `total` for all of it.
    pub fn new(head: Duration, read: Duration, total: Option<Duration>) -> Self {
        Timeouts { head, read, total }
    }
}

/// Sends the watch's requests with a blocking HTTP client. Implement it to
/// use a client other than ureq, or a test double.
pub trait Transport {
    /// The body of a response.
    type Body: Read;

    /// Sends `request` (method, URL and headers exactly as given; never log
    /// the [sensitive](bedrock_sse_core::http::Header::is_sensitive)
    /// ones) and returns once the response head has arrived, or fails after
    /// [`timeouts.head`](Timeouts::head). A connection it gives up on it
    /// closes.
    ///
    /// Statuses are not errors: a 401, a 307 or a 503 is a `Response` like
    /// a 200. Redirects must not be followed: the watch decides where
    /// credentials may go.
    ///
    /// A read of the body must return (with what it has, or with a
    /// `TimedOut` or `WouldBlock` error) once it has waited
    /// [`timeouts.read`](Timeouts::read) without a byte, and at the latest
    /// when [`timeouts.total`](Timeouts::total) has passed since this call;
    /// after such an error, the body should still be readable. The driver
    /// then asks the watch, which closes the connection (drops the body)
    /// when its idle or overall deadline has passed. A body that blocks
    /// longer holds the watch, and its socket, until it returns.
    fn send(
        &self,
        request: &Request,
        timeouts: Timeouts,
    ) -> Result<Response<Self::Body>, TransportError>;
}
