//! Plain SSE decoding of a byte stream you already have.

use std::collections::VecDeque;

use bedrock_sse_core::sse::{DecodeError, Decoder, Item, Limits, OwnedEvent};
use futures_util::{Stream, StreamExt};

/// One item of [`sse_events`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SseItem {
    /// A dispatched event.
    Event(OwnedEvent),
    /// A valid `retry` field, in milliseconds.
    Retry(u64),
}

/// What can go wrong in [`sse_events`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SseError<E> {
    /// An event broke the decoder's limits and was dropped; the stream goes
    /// on with the next event.
    #[error(transparent)]
    Decode(DecodeError),
    /// The byte stream failed; nothing follows.
    #[error("the byte stream failed: {0}")]
    Source(E),
}

/// Decodes a stream of byte chunks (a response body, a file read with
/// `tokio_util::io::ReaderStream`, a channel) into SSE items, with the given
/// limits. No reconnection, no job semantics: for those, use
/// [`JobWatch`](crate::JobWatch).
///
/// An unterminated event at the end of the stream is discarded, as the SSE
/// rules require.
///
/// ```
/// use bedrock_sse_core::sse::Limits;
/// use bedrock_sse_tokio::{SseItem, sse_events};
/// use futures_util::{StreamExt, stream};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let chunks = stream::iter([Ok::<_, std::io::Error>(&b"data: he"[..]), Ok(&b"llo\n\n"[..])]);
/// let items: Vec<_> = sse_events(chunks, Limits::default()).collect().await;
/// let Ok(SseItem::Event(event)) = &items[0] else { panic!("{items:?}") };
/// assert_eq!(event.data, "hello");
/// # }
/// ```
pub fn sse_events<S, B, E>(
    source: S,
    limits: Limits,
) -> impl Stream<Item = Result<SseItem, SseError<E>>>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    struct State<S> {
        source: S,
        decoder: Decoder,
        ended: bool,
    }
    let state = State {
        source,
        decoder: Decoder::with_limits(limits),
        ended: false,
    };
    futures_util::stream::unfold(
        (state, VecDeque::new()),
        |(mut state, mut queue)| async move {
            loop {
                if let Some(item) = queue.pop_front() {
                    return Some((item, (state, queue)));
                }
                if state.ended {
                    return None;
                }
                match state.source.next().await {
                    Some(Ok(chunk)) => state.decoder.decode_each(chunk.as_ref(), |item| {
                        queue.push_back(match item {
                            Ok(Item::Event(event)) => Ok(SseItem::Event(event.to_owned())),
                            Ok(Item::Retry(ms)) => Ok(SseItem::Retry(ms)),
                            Ok(_) => return,
                            Err(error) => Err(SseError::Decode(error)),
                        });
                    }),
                    Some(Err(error)) => {
                        state.ended = true;
                        queue.push_back(Err(SseError::Source(error)));
                    }
                    None => {
                        state.ended = true;
                        state.decoder.finish();
                    }
                }
            }
        },
    )
}
