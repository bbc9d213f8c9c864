//! Each decoder under test, driven through its public API over the same
//! pre-split chunks, reduced to a [`Tally`] so that nothing is optimised away
//! and every decoder's output can be checked against the workload.

use std::convert::Infallible;
use std::hint::black_box;
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use bedrock_sse_benches::Tally;
use bytes::Bytes;
use futures_util::Stream;

/// The chunks of one workload in the shapes the decoders want.
pub(crate) struct Input<'a> {
    /// Borrowed slices, for decoders that take `&[u8]`.
    pub(crate) slices: Vec<&'a [u8]>,
    /// Reference-counted views of one buffer, for decoders that take
    /// `Into<Bytes>`: cloning one costs a counter increment, not a copy.
    pub(crate) bytes: Vec<Bytes>,
}

impl<'a> Input<'a> {
    pub(crate) fn new(whole: &'a [u8], slices: Vec<&'a [u8]>) -> Self {
        let shared = Bytes::copy_from_slice(whole);
        let mut bytes = Vec::with_capacity(slices.len());
        let mut at = 0;
        for slice in &slices {
            bytes.push(shared.slice(at..at + slice.len()));
            at += slice.len();
        }
        Input { slices, bytes }
    }
}

/// A decoder under test: its name in the tables, and how to run it.
pub(crate) struct Driver {
    pub(crate) name: &'static str,
    pub(crate) run: fn(&Input<'_>) -> Tally,
}

/// The floor and every raw decoder, in the order the tables show them.
pub(crate) const RAW: &[Driver] = &[
    Driver {
        name: "floor",
        run: floor,
    },
    Driver {
        name: "bedrock-sse",
        run: bedrock_sse,
    },
    Driver {
        name: "sse-stream",
        run: sse_stream,
    },
    Driver {
        name: "sse-core",
        run: sse_core,
    },
    Driver {
        name: "sse-parse",
        run: sse_parse,
    },
    Driver {
        name: "sseer",
        run: sseer,
    },
    Driver {
        name: "sse-codec",
        run: sse_codec,
    },
    Driver {
        name: "async-sse",
        run: async_sse,
    },
    Driver {
        name: "eventsource-stream",
        run: eventsource_stream,
    },
];

/// The reference point: a `memchr2(b'\n', b'\r')` scan over the same chunks,
/// restarting after every hit. It counts line ends rather than events, so
/// its tally is not checked.
pub(crate) fn floor(input: &Input<'_>) -> Tally {
    let mut tally = Tally::default();
    for chunk in &input.slices {
        let mut rest: &[u8] = chunk;
        while let Some(at) = memchr::memchr2(b'\n', b'\r', rest) {
            tally.add(at);
            rest = &rest[at + 1..];
        }
    }
    tally
}

pub(crate) fn bedrock_sse(input: &Input<'_>) -> Tally {
    use bedrock_sse_core::sse::{Decoder, Item};
    let mut decoder = Decoder::new();
    let mut tally = Tally::default();
    for chunk in &input.slices {
        decoder.decode_each(chunk, |item| {
            if let Ok(Item::Event(event)) = item {
                tally.add(black_box(event.data).len());
            }
        });
    }
    decoder.finish();
    tally
}

pub(crate) fn sse_core(input: &Input<'_>) -> Tally {
    use sse_core::{SseDecoder, SseEvent};
    let mut decoder = SseDecoder::new();
    let mut tally = Tally::default();
    for chunk in &input.slices {
        let mut buf: &[u8] = chunk;
        while let Some(item) = decoder.next(&mut buf) {
            if let Ok(SseEvent::Message(event)) = item {
                tally.add(black_box(event).data.len());
            }
        }
    }
    tally
}

pub(crate) fn sse_parse(input: &Input<'_>) -> Tally {
    let mut parser = sse_parse::SseParser::new();
    let mut tally = Tally::default();
    for chunk in &input.slices {
        parser.feed(chunk);
        while let Some(event) = parser.next_event() {
            tally.add(black_box(event).data.len());
        }
    }
    tally
}

pub(crate) fn sse_stream(input: &Input<'_>) -> Tally {
    let chunks = futures_util::stream::iter(input.slices.iter().map(|c| Ok::<_, io::Error>(*c)));
    let mut tally = Tally::default();
    drain(sse_stream::SseByteStream::new(chunks), |item| {
        // It yields every block, including those without data.
        if let Ok(sse) = item {
            if let Some(data) = &black_box(sse).data {
                tally.add(data.len());
            }
        }
    });
    tally
}

pub(crate) fn sseer(input: &Input<'_>) -> Tally {
    let chunks = futures_util::stream::iter(input.bytes.iter().cloned().map(Ok::<_, Infallible>));
    let mut tally = Tally::default();
    drain(sseer::EventStream::new(chunks), |item| {
        if let Ok(event) = item {
            tally.add(black_box(event).data.len());
        }
    });
    tally
}

pub(crate) fn eventsource_stream(input: &Input<'_>) -> Tally {
    let chunks = futures_util::stream::iter(input.slices.iter().map(|c| Ok::<_, Infallible>(*c)));
    let mut tally = Tally::default();
    drain(eventsource_stream::EventStream::new(chunks), |item| {
        if let Ok(event) = item {
            tally.add(black_box(event).data.len());
        }
    });
    tally
}

/// sse-codec is a `futures_codec::Decoder`: feed it the way `FramedRead`
/// does, appending each chunk to a `BytesMut` and decoding until it is dry.
pub(crate) fn sse_codec(input: &Input<'_>) -> Tally {
    use futures_codec::{BytesMut, Decoder};
    let mut codec = sse_codec::SSECodec::default();
    let mut buffer = BytesMut::new();
    let mut tally = Tally::default();
    for chunk in &input.slices {
        buffer.extend_from_slice(chunk);
        while let Ok(Some(event)) = codec.decode(&mut buffer) {
            if let sse_codec::Event::Message { data, .. } = black_box(event) {
                tally.add(data.len());
            }
        }
    }
    tally
}

/// async-sse reads from an `AsyncBufRead`: hand it the chunks one by one.
pub(crate) fn async_sse(input: &Input<'_>) -> Tally {
    let reader = ChunkReader {
        chunks: input.slices.iter(),
        current: &[],
    };
    let mut tally = Tally::default();
    drain(async_sse::decode(reader), |item| {
        if let Ok(async_sse::Event::Message(message)) = item {
            tally.add(black_box(message).data().len());
        }
    });
    tally
}

/// Polls a stream of in-memory chunks to its end. The chunks are always
/// ready, so no executor is needed and none is measured.
pub(crate) fn drain<S: Stream>(stream: S, mut on_item: impl FnMut(S::Item)) {
    let mut stream = pin!(stream);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        match stream.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(item)) => on_item(item),
            Poll::Ready(None) => break,
            Poll::Pending => unreachable!("in-memory chunks are always ready"),
        }
    }
}

/// An `AsyncBufRead` over pre-split chunks: each fill hands out the rest of
/// one chunk, as a socket read would.
struct ChunkReader<'a> {
    chunks: std::slice::Iter<'a, &'a [u8]>,
    current: &'a [u8],
}

impl ChunkReader<'_> {
    fn fill(&mut self) -> &[u8] {
        while self.current.is_empty() {
            match self.chunks.next() {
                Some(chunk) => self.current = chunk,
                None => break,
            }
        }
        self.current
    }
}

impl futures_io::AsyncRead for ChunkReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let available = this.fill();
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        this.current = &this.current[n..];
        Poll::Ready(Ok(n))
    }
}

impl futures_io::AsyncBufRead for ChunkReader<'_> {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Poll::Ready(Ok(self.get_mut().fill()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.current = &this.current[amt..];
    }
}

/// The typed comparison: a peer's events deserialised by serde_json into an
/// owned struct equivalent to a job event (the fields the Bedrock API sends).
pub(crate) mod typed {
    use super::*;

    /// What a hand-rolled client would deserialise a job event's data into.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // read through black_box only
    pub(crate) struct JobUpdate {
        pub(crate) job_id: String,
        #[serde(rename = "type")]
        pub(crate) job_type: Option<String>,
        pub(crate) status: Option<String>,
        pub(crate) message: Option<String>,
        pub(crate) progress: Option<f64>,
        pub(crate) timestamp: Option<String>,
        pub(crate) results: Option<serde_json::Value>,
        pub(crate) error: Option<serde_json::Value>,
    }

    /// The event, by its SSE type.
    #[derive(Debug)]
    #[allow(dead_code)] // read through black_box only
    pub(crate) enum OwnedJobEvent {
        Status(JobUpdate),
        Progress(JobUpdate),
        Other { event_type: String, data: String },
    }

    /// Ours: the decoder, then `JobEvent::from_sse` on each event (borrowing).
    pub(crate) fn bedrock_sse_typed(input: &Input<'_>) -> Tally {
        use bedrock_sse_core::job::{JobEvent, Parsed};
        use bedrock_sse_core::sse::{Decoder, Item};
        let mut decoder = Decoder::new();
        let mut tally = Tally::default();
        for chunk in &input.slices {
            decoder.decode_each(chunk, |item| {
                if let Ok(Item::Event(event)) = item {
                    if let Ok(Parsed::Event(typed)) = JobEvent::from_sse(&event) {
                        black_box(&typed);
                        tally.add(event.data.len());
                    }
                }
            });
        }
        tally
    }

    fn typed(event_type: &str, data: &str) -> Option<OwnedJobEvent> {
        let parse = || serde_json::from_str::<JobUpdate>(data).ok();
        Some(match event_type {
            "status" => OwnedJobEvent::Status(parse()?),
            "progress" => OwnedJobEvent::Progress(parse()?),
            other => OwnedJobEvent::Other {
                event_type: other.to_owned(),
                data: data.to_owned(),
            },
        })
    }

    pub(crate) fn sse_stream_serde(input: &Input<'_>) -> Tally {
        let chunks =
            futures_util::stream::iter(input.slices.iter().map(|c| Ok::<_, io::Error>(*c)));
        let mut tally = Tally::default();
        drain(sse_stream::SseByteStream::new(chunks), |item| {
            if let Ok(sse) = item {
                if let Some(data) = &sse.data {
                    let event_type = sse.event.as_deref().unwrap_or("message");
                    if let Some(event) = black_box(typed(event_type, data)) {
                        drop(event);
                        tally.add(data.len());
                    }
                }
            }
        });
        tally
    }

    pub(crate) fn sse_core_serde(input: &Input<'_>) -> Tally {
        use sse_core::{SseDecoder, SseEvent};
        let mut decoder = SseDecoder::new();
        let mut tally = Tally::default();
        for chunk in &input.slices {
            let mut buf: &[u8] = chunk;
            while let Some(item) = decoder.next(&mut buf) {
                if let Ok(SseEvent::Message(message)) = item {
                    if let Some(event) = black_box(typed(&message.event, &message.data)) {
                        drop(event);
                        tally.add(message.data.len());
                    }
                }
            }
        }
        tally
    }
}
