//! How the driver sends a request and reads a response.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use futures_core::Stream;
use futures_core::future::BoxFuture;
use futures_io::AsyncRead;

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
/// the ready-made [`HyperTransport`](crate::HyperTransport), or a test
/// double.
///
/// A transport needs no timeouts of its own: the watch bounds the wait for a
/// response head and for every body byte, and drops the response when they
/// pass. It must not follow redirects (hand a 3xx over as it came: the watch
/// decides where credentials may go), must not decompress (the watch asks
/// for `identity` and refuses anything else), and must not reuse a
/// connection the watch dropped: each request gets a connection of its own,
/// and dropping the response (or the future) closes it.
///
/// Nothing here names a runtime: the futures may be polled by any executor,
/// and their I/O must not need a particular one's reactor.
pub trait Transport: Send + Sync + 'static {
    /// One piece of a body, as the client hands it out (`Vec<u8>`,
    /// `bytes::Bytes`, ...).
    type Chunk: AsRef<[u8]> + Send + 'static;

    /// The body stream of a response. Any futures-io reader becomes one with
    /// [`ReaderBody`].
    type Body: Stream<Item = Result<Self::Chunk, TransportError>> + Send + Unpin + 'static;

    /// Sends `request` (method, URL, headers exactly as given; mark the
    /// [sensitive](bedrock_sse_core::http::Header::is_sensitive) ones so,
    /// and never log them) and resolves once the response head arrives.
    fn send(
        &self,
        request: &Request,
    ) -> BoxFuture<'static, Result<Response<Self::Body>, TransportError>>;
}

/// A futures-io [`AsyncRead`] as a response body: for clients that hand
/// out their bodies as readers. Reads at most 16 KiB at a time; an I/O
/// error is a broken connection ([`TransportErrorKind::Reset`], or
/// [`Timeout`](TransportErrorKind::Timeout) for `TimedOut`).
#[derive(Debug)]
pub struct ReaderBody<R> {
    reader: R,
    buffer: Vec<u8>,
    done: bool,
}

impl<R> ReaderBody<R> {
    const CHUNK: usize = 16 * 1024;

    /// The body read from `reader` until it ends.
    pub fn new(reader: R) -> Self {
        ReaderBody {
            reader,
            buffer: Vec::new(),
            done: false,
        }
    }

    /// The reader back.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: AsyncRead + Unpin> Stream for ReaderBody<R> {
    type Item = Result<Vec<u8>, TransportError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        this.buffer.resize(Self::CHUNK, 0);
        match Pin::new(&mut this.reader).poll_read(cx, &mut this.buffer) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(0)) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Ok(n)) => Poll::Ready(Some(Ok(this.buffer[..n].to_vec()))),
            Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Ready(Err(error)) => {
                this.done = true;
                let kind = match error.kind() {
                    io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
                    _ => TransportErrorKind::Reset,
                };
                Poll::Ready(Some(Err(TransportError::from_error(kind, &error))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls a stream to its end on the current thread: the readers below
    /// never wait.
    fn collect<S: Stream + Unpin>(mut stream: S) -> Vec<S::Item> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut items = Vec::new();
        loop {
            match Pin::new(&mut stream).poll_next(&mut cx) {
                Poll::Ready(Some(item)) => items.push(item),
                Poll::Ready(None) => return items,
                Poll::Pending => {}
            }
        }
    }

    #[test]
    fn a_reader_becomes_chunks_then_the_end() {
        let data = vec![b'x'; 20 * 1024];
        let chunks = collect(ReaderBody::new(futures_io_slice(&data)));
        let bytes: Vec<u8> = chunks
            .into_iter()
            .flat_map(|c| c.expect("no error"))
            .collect();
        assert_eq!(bytes, data);
    }

    #[test]
    fn a_read_error_is_a_broken_connection() {
        struct Broken;
        impl AsyncRead for Broken {
            fn poll_read(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                _: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(Err(io::Error::from(io::ErrorKind::ConnectionReset)))
            }
        }
        let items = collect(ReaderBody::new(Broken));
        assert_eq!(items.len(), 1);
        let error = items[0].as_ref().expect_err("an error");
        assert_eq!(error.kind(), TransportErrorKind::Reset);
    }

    /// A byte slice as a futures-io reader.
    fn futures_io_slice(data: &[u8]) -> impl AsyncRead + Unpin + '_ {
        struct Slice<'a>(&'a [u8]);
        impl AsyncRead for Slice<'_> {
            fn poll_read(
                mut self: Pin<&mut Self>,
                _: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Poll::Ready(Ok(n))
            }
        }
        Slice(data)
    }
}
