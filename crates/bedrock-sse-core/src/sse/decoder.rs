//! The event-stream decoder: bytes in, [`Item`]s out. This file cuts the
//! input into lines (across chunks); what each line means is in
//! [`super::line`].

use core::mem;

use super::error::DecodeError;
use super::event::Item;
use super::limits::Limits;
use super::line::{Block, Borrowed, Step};
use super::scan::{Ascii, BLOCK, HeldLine, LineEnds, inspect_small};

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// An incremental, zero-copy decoder of one `text/event-stream`, following
/// the WHATWG rules ("interpreting an event stream").
///
/// Feed it the body's bytes as they arrive, cut anywhere: the items it
/// produces do not depend on where the cuts fall. It never blocks an event
/// waiting for more input (a CR ends a line at once; an LF that follows in
/// the next chunk is swallowed), never re-scans a line it has seen (so
/// its time is linear in the input however it is cut), and never holds
/// more than its [`Limits`] allow.
///
/// [`decode_each`](Self::decode_each) is the fast path: it keeps the line
/// ends found 64 bytes at a time across the items of a chunk, where each
/// [`decode`](Self::decode) call starts that scan afresh.
///
/// One decoder follows one logical stream across reconnections: call
/// [`finish`](Self::finish) when a connection's body ends, and the
/// last-event-ID and `retry` value carry over to the next body.
///
/// ```
/// use bedrock_sse_core::sse::{Decoder, Item};
///
/// let mut decoder = Decoder::new();
/// let chunk: &[u8] = b"id: 1\nevent: progress\ndata: {\"progress\":0.5}\n\ndata: half";
/// let mut rest = chunk;
/// let mut types = Vec::new();
/// while !rest.is_empty() {
///     let step = decoder.decode(rest);
///     rest = &rest[step.consumed..];
///     match step.item {
///         Some(Ok(Item::Event(event))) => types.push(event.event_type.to_owned()),
///         Some(Ok(_)) => {}
///         Some(Err(error)) => eprintln!("dropped an event: {error}"),
///         None => break, // all consumed; wait for the next chunk
///     }
/// }
/// assert_eq!(types, ["progress"]);
/// assert!(decoder.in_event()); // "data: half" awaits its line end
/// assert!(decoder.finish()); // the body ended: the partial event is dropped
/// assert_eq!(decoder.last_event_id(), "1");
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    limits: Limits,
    /// A line begun in an earlier chunk, not yet ended.
    line: HeldLine,
    /// What the bytes of that line are for.
    held: Held,
    /// The previous chunk ended with a CR: a LF opening this one is its pair.
    skip_lf: bool,
    /// How many bytes of a leading BOM have been seen; `None` once decided.
    bom_seen: Option<u8>,
    /// The event being built, and what outlives it (last-event-ID, retry).
    block: Block,
    #[cfg(test)]
    scanned: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            limits: Limits::default(),
            line: HeldLine::default(),
            held: Held::None,
            skip_lf: false,
            bom_seen: Some(0),
            block: Block::default(),
            #[cfg(test)]
            scanned: 0,
        }
    }
}

/// The line in progress across chunks, if any, and how its bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// None: the next byte starts a line.
    None,
    /// The line so far is in `line`.
    Line,
    /// A comment: skipped unbuffered.
    Comment,
    /// Too long: skipped unbuffered; the line is ignored.
    Overlong,
    /// The first `data` line of a block: `line` holds its value only (the
    /// `prefix` bytes `data:` or `data: ` were dropped), so that at its end
    /// the buffer can become the data buffer by a swap instead of a copy.
    DataValue {
        /// Bytes of the line before the value, counted against `max_line`.
        prefix: u8,
    },
}

/// The result of one [`Decoder::decode`] step.
#[derive(Debug)]
#[must_use = "`consumed` says where the next call must resume"]
pub struct Decoded<'a> {
    /// How many bytes of the input this step used. The next call must start
    /// at `&input[consumed..]`.
    pub consumed: usize,
    /// What the step produced. `None` means the whole input was consumed
    /// (`consumed == input.len()`) without completing anything: feed more.
    pub item: Option<Result<Item<'a>, DecodeError>>,
}

/// Where decoding stands in one chunk, kept from one item to the next.
struct Cursor<'a> {
    /// Where the next line starts.
    pos: usize,
    /// The line ends found so far, so each byte is scanned once per chunk.
    lines: LineEnds,
    /// What the block borrows from the chunk.
    chunk: Borrowed<'a>,
    /// Whether the cursor lives for the whole chunk ([`Decoder::decode_each`])
    /// or one item ([`Decoder::decode`]), which must copy the borrowed
    /// last-event-ID before it returns.
    whole_chunk: bool,
}

impl Cursor<'_> {
    fn new(whole_chunk: bool) -> Self {
        Cursor {
            pos: 0,
            lines: LineEnds::default(),
            chunk: Borrowed::default(),
            whole_chunk,
        }
    }
}

impl Decoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            limits,
            ..Self::default()
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes of input the line scan has looked at so far: the work
    /// counter of the linear-time tests.
    #[cfg(test)]
    pub(crate) fn scanned(&self) -> usize {
        self.scanned
    }

    /// The stream's last-event-ID: the value of the latest `id` field,
    /// committed at the blank line that closed its block (whether or not that
    /// block dispatched an event). Send it as `Last-Event-ID` on reconnect.
    /// Empty if no id was ever set, or the server reset it with an empty `id`.
    pub fn last_event_id(&self) -> &str {
        &self.block.last_id
    }

    /// Sets the last-event-ID, e.g. to resume a stream saved elsewhere.
    /// It is what events report until the stream sets another.
    pub fn set_last_event_id(&mut self, id: &str) {
        self.block.set_last_id(id);
    }

    /// The latest valid `retry` value the stream sent, in milliseconds.
    pub fn retry(&self) -> Option<u64> {
        self.block.retry
    }

    /// Whether the stream is inside an event: a field line or part of a line
    /// has arrived since the last blank line. If the body ends now, that
    /// partial event is lost.
    pub fn in_event(&self) -> bool {
        // A BOM prefix not yet decided may be the start of a line.
        self.block.in_block || self.held != Held::None || matches!(self.bom_seen, Some(1..))
    }

    /// Ends the current body. The unterminated event, if any, is discarded
    /// (as the rules require) and `true` is returned. The last-event-ID and
    /// `retry` value are kept, so the decoder is ready for the next
    /// connection's body (which may begin with its own BOM).
    pub fn finish(&mut self) -> bool {
        let discarded = self.in_event();
        // Keep the allocations: a reconnecting stream will need them again.
        self.line.clear();
        self.held = Held::None;
        self.skip_lf = false;
        self.bom_seen = Some(0);
        self.block.end_body();
        discarded
    }

    /// Decodes `input` until it yields one item or runs out.
    ///
    /// Returns how much of `input` was consumed and what, if anything, was
    /// produced. Call again with `&input[consumed..]` until `item` is `None`,
    /// then with the next chunk. An item borrows from `input` and from the
    /// decoder, so it must be dropped before the next call.
    ///
    /// After a [`DecodeError`] the decoder stays usable: it drops the event
    /// that broke the limit and resumes at the next blank line.
    pub fn decode<'a>(&'a mut self, input: &'a [u8]) -> Decoded<'a> {
        let mut at = Cursor::new(false);
        let item = self.next_item(input, &mut at);
        Decoded {
            consumed: at.pos,
            item,
        }
    }

    /// Decodes a whole chunk, calling `on_item` for every item in order.
    ///
    /// A convenience over [`decode`](Self::decode) for callers that can
    /// handle items in a callback. It is also the fast path: it keeps the
    /// line ends found, and what the block borrows, across the items of
    /// the chunk.
    pub fn decode_each<F>(&mut self, input: &[u8], mut on_item: F)
    where
        F: FnMut(Result<Item<'_>, DecodeError>),
    {
        // A tiny chunk inside a line (a slow producer, a proxy that splits
        // reads): nothing pending from the last call and no line end, so
        // all there is to do is hold it. Skip the cursor's set-up.
        if input.len() < BLOCK && self.bom_seen.is_none() && !self.skip_lf {
            let (line_end, proof) = inspect_small(input);
            if !line_end {
                #[cfg(test)]
                {
                    self.scanned += input.len();
                }
                let mut chunk = Borrowed::default();
                self.block.settle(&mut chunk);
                let prefix = match self.held {
                    Held::Line => Some(0),
                    Held::DataValue { prefix } => Some(usize::from(prefix)),
                    _ => None,
                };
                if prefix.is_some_and(|prefix| {
                    prefix + self.line.len() + input.len() <= self.limits.max_line
                }) {
                    // More of a line already held (most tiny chunks).
                    self.line.push(input, proof);
                } else if let Some(error) = self.partial_line(input, proof, &mut chunk) {
                    on_item(Err(error));
                }
                return;
            }
        }
        let mut at = Cursor::new(true);
        while let Some(item) = self.next_item(input, &mut at) {
            on_item(item);
        }
    }

    /// Decodes `input[at.pos..]` until one item is produced (returned, with
    /// `at.pos` just past the line that produced it) or the input runs out
    /// (`None`, with `at.pos == input.len()` and everything the block
    /// borrowed from `input` copied).
    fn next_item<'s, 'a: 's>(
        &'s mut self,
        input: &'a [u8],
        at: &mut Cursor<'a>,
    ) -> Option<Result<Item<'s>, DecodeError>> {
        self.block.settle(&mut at.chunk);
        if at.pos == 0 {
            self.chunk_start(input, at);
        }
        while at.pos < input.len() {
            let start = at.pos;
            let Some(end) = at.lines.next(input, start) else {
                #[cfg(test)]
                {
                    self.scanned += input.len() - start;
                }
                at.pos = input.len();
                let proof = at.lines.ascii(input, start..input.len());
                let error = self.partial_line(&input[start..], proof, &mut at.chunk);
                self.block.keep(&mut at.chunk);
                return error.map(Err);
            };
            #[cfg(test)]
            {
                self.scanned += end + 1 - start;
            }
            at.pos = end + 1;
            if input[end] == b'\r' {
                match input.get(end + 1) {
                    Some(b'\n') => at.pos += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            let line = &input[start..end];
            let proof = at.lines.ascii(input, start..end);
            let step = if self.held == Held::None {
                self.block.line(line, proof, &mut at.chunk, &self.limits)
            } else {
                self.end_held_line(line, proof)
            };
            match step {
                Step::Continue => {}
                Step::Dispatch => {
                    if !at.whole_chunk {
                        self.block.keep_ids(&mut at.chunk);
                    }
                    return Some(Ok(Item::Event(self.block.event_of(&at.chunk))));
                }
                Step::Retry(ms) => {
                    if !at.whole_chunk {
                        self.block.keep(&mut at.chunk);
                    }
                    return Some(Ok(Item::Retry(ms)));
                }
                Step::Error(error) => {
                    if !at.whole_chunk {
                        self.block.keep(&mut at.chunk);
                    }
                    return Some(Err(error));
                }
            }
        }
        self.block.keep(&mut at.chunk);
        None
    }

    /// What a chunk's first bytes may owe to the previous chunk: the rest
    /// of a BOM, or the LF of a CRLF whose CR ended it.
    #[inline]
    fn chunk_start(&mut self, input: &[u8], at: &mut Cursor<'_>) {
        if let Some(seen) = self.bom_seen {
            at.pos = self.skip_bom(seen, input);
        }
        if self.skip_lf && at.pos < input.len() {
            self.skip_lf = false;
            if input[at.pos] == b'\n' {
                at.pos += 1;
            }
        }
    }

    /// Matches the start of the body against the BOM. Returns where content
    /// starts in `input` (all of it, if it was all a BOM prefix).
    #[cold]
    fn skip_bom(&mut self, seen: u8, input: &[u8]) -> usize {
        let mut seen = usize::from(seen);
        let mut pos = 0;
        while seen < BOM.len() {
            let Some(&byte) = input.get(pos) else {
                // Hold the prefix as the start of a line, in case it is not
                // a BOM after all.
                self.bom_seen = Some(seen as u8);
                return input.len();
            };
            if byte != BOM[seen] {
                // Not a BOM: the prefix matched so far, in this chunk or
                // earlier ones, is content: the start of the first line.
                self.line.clear();
                if seen > 0 {
                    self.line.push(&BOM[..seen], None);
                    self.held = Held::Line;
                }
                self.bom_seen = None;
                return pos;
            }
            seen += 1;
            pos += 1;
        }
        self.bom_seen = None;
        pos
    }

    /// Ends the line held across chunks with `piece`, the bytes of this
    /// chunk before the line end (`proof`: their ASCII proof).
    fn end_held_line<'a>(&mut self, piece: &'a [u8], proof: Option<Ascii<'a>>) -> Step {
        let held = mem::replace(&mut self.held, Held::None);
        let prefix = match held {
            Held::None | Held::Comment | Held::Overlong => return Step::Continue,
            Held::Line => 0,
            Held::DataValue { prefix } => usize::from(prefix),
        };
        let mut chunk = Borrowed::default();
        let step = if prefix + self.line.len() + piece.len() > self.limits.max_line {
            self.block.overlong(&mut chunk, &self.limits)
        } else {
            self.line.push(piece, proof);
            match held {
                Held::DataValue { .. } => self.block.data_value(&mut self.line, &self.limits),
                _ => self.block.line(
                    self.line.bytes(),
                    self.line.proof(),
                    &mut chunk,
                    &self.limits,
                ),
            }
        };
        // What the line's rules borrowed lives in `line`: copy it first.
        self.block.keep(&mut chunk);
        self.line.clear();
        step
    }

    /// Holds the unterminated tail of a chunk (`proof`: its ASCII proof).
    fn partial_line<'a>(
        &mut self,
        tail: &'a [u8],
        proof: Option<Ascii<'a>>,
        chunk: &mut Borrowed<'_>,
    ) -> Option<DecodeError> {
        let prefix = match self.held {
            _ if tail.is_empty() => return None,
            Held::Comment | Held::Overlong => return None,
            Held::None if tail.first() == Some(&b':') => {
                self.held = Held::Comment;
                return None;
            }
            Held::None | Held::Line => 0,
            Held::DataValue { prefix } => usize::from(prefix),
        };
        if prefix + self.line.len() + tail.len() > self.limits.max_line {
            self.line.clear();
            self.held = Held::Overlong;
            return match self.block.overlong(chunk, &self.limits) {
                Step::Error(error) => Some(error),
                _ => None,
            };
        }
        if self.held == Held::None
            && self.block.awaits_first_data()
            && tail.len() > b"data:".len()
            && tail.starts_with(b"data:")
        {
            // The byte after the colon is here, so we know whether the
            // value starts after a space.
            let prefix = b"data:".len() + usize::from(tail[5] == b' ');
            self.held = Held::DataValue {
                prefix: prefix as u8,
            };
            self.line.push(&tail[prefix..], proof);
        } else {
            if self.held == Held::None {
                self.held = Held::Line;
            }
            self.line.push(tail, proof);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    fn collect(decoder: &mut Decoder, chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.decode_each(chunk, |item| {
                out.push(match item {
                    Ok(Item::Event(e)) => format!("{}|{}|{}", e.event_type, e.data, e.id),
                    Ok(Item::Retry(ms)) => format!("retry {ms}"),
                    Err(e) => format!("error {e:?}"),
                })
            });
        }
        out
    }

    #[test]
    fn borrows_an_event_inside_the_chunk() {
        let mut decoder = Decoder::new();
        let input = b"event: a\ndata: b\n\n";
        let step = decoder.decode(input);
        let Some(Ok(Item::Event(event))) = step.item else {
            panic!("no event: {step:?}");
        };
        let range = input.as_ptr_range();
        assert!(range.contains(&event.data.as_ptr()));
        assert!(range.contains(&event.event_type.as_ptr()));
        assert_eq!(step.consumed, input.len());
    }

    #[test]
    fn a_cr_at_chunk_end_dispatches_at_once() {
        let mut decoder = Decoder::new();
        let out = collect(&mut decoder, &[b"data: x\r\r"]);
        assert_eq!(out, ["message|x|"]);
        // The LF that completes the CRLF arrives later and is swallowed.
        let out = collect(&mut decoder, &[b"\ndata: y\n\n"]);
        assert_eq!(out, ["message|y|"]);
    }

    /// Everything `decode` yields for `chunks`, one call per item.
    fn collect_stepwise(decoder: &mut Decoder, chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for chunk in chunks {
            let mut rest: &[u8] = chunk;
            loop {
                let step = decoder.decode(rest);
                rest = &rest[step.consumed..];
                let Some(item) = step.item else { break };
                out.push(match item {
                    Ok(Item::Event(e)) => format!("{}|{}|{}", e.event_type, e.data, e.id),
                    Ok(Item::Retry(ms)) => format!("retry {ms}"),
                    Err(e) => format!("error {e:?}"),
                });
            }
        }
        out
    }

    /// Stream pieces biased to what the rules treat specially.
    const PIECES: &[&[u8]] = &[
        b"data: ",
        b"data:",
        b"data",
        b"event: ",
        b"id: ",
        b"retry: 15",
        b": c",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b":",
        b" ",
        b"x",
        b"yz0123456789",
        b"\xEF\xBB\xBF",
        b"\xC3\xA9",
        b"\xFF",
        b"\0",
        b"a-much-longer-value-that-fills-a-good-part-of-a-64-byte-block",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// `decode_each` (which keeps the scan's masks across items and
        /// has a path for tiny chunks) yields exactly what `decode` does,
        /// however the stream is cut, limits and errors included.
        #[test]
        fn decode_each_agrees_with_decode(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..64),
            cuts in proptest::collection::vec(0usize..400, 0..10),
            small in proptest::bool::ANY,
        ) {
            let input: Vec<u8> = pieces.concat();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut at = 0;
            for cut in cuts.into_iter().chain([input.len()]) {
                chunks.push(&input[at..cut]);
                at = cut;
            }
            let limits = if small {
                Limits { max_line: 70, max_data: 90, max_event_type: 8, max_id: 8 }
            } else {
                Limits::default()
            };
            for chunks in [chunks, input.chunks(1).collect(), input.chunks(3).collect(), input.chunks(7).collect()] {
                let (mut each, mut step) = (Decoder::with_limits(limits), Decoder::with_limits(limits));
                proptest::prop_assert_eq!(collect(&mut each, &chunks), collect_stepwise(&mut step, &chunks));
                proptest::prop_assert_eq!(each.in_event(), step.in_event());
                proptest::prop_assert_eq!(each.finish(), step.finish());
                proptest::prop_assert_eq!(each.last_event_id(), step.last_event_id());
                proptest::prop_assert_eq!(each.retry(), step.retry());
            }
        }
    }

    #[test]
    fn the_last_event_id_commits_at_blank_lines_and_persists() {
        let mut decoder = Decoder::new();
        let out = collect(
            &mut decoder,
            &[b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\n"],
        );
        assert_eq!(out, ["message|a|1", "message|b|1", "message|c|2"]);
        // An id in a block the body does not close is discarded...
        collect(&mut decoder, &[b"id: 3\ndata: d\n"]);
        assert!(decoder.finish());
        assert_eq!(decoder.last_event_id(), "2");
        assert_eq!(collect(&mut decoder, &[b"data: e\n\n"]), ["message|e|2"]);
        // ...and so is one pending when the id is set from outside.
        collect(&mut decoder, &[b"id: 4\n"]);
        decoder.set_last_event_id("9");
        assert_eq!(collect(&mut decoder, &[b"data: f\n\n"]), ["message|f|9"]);
        // An empty id resets it.
        assert_eq!(collect(&mut decoder, &[b"id\ndata: g\n\n"]), ["message|g|"]);
    }

    #[test]
    fn non_ascii_anywhere_in_a_scan_block_is_still_validated() {
        // Values long enough to span several 64-byte blocks, one invalid
        // byte moved through every position: only lines the scan proved
        // ASCII may skip validation.
        let head = b"event: e\nid: 1\ndata: ";
        for at in 0..150 {
            let mut value = vec![b'a'; 150];
            value[at] = 0xFF;
            let mut input = head.to_vec();
            input.extend_from_slice(&value);
            input.extend_from_slice(b"\n\n");
            let data = String::from_utf8_lossy(&value);
            for chunks in [
                vec![&input[..]],
                input.chunks(7).collect(),
                input.chunks(64).collect(),
            ] {
                let out = collect(&mut Decoder::new(), &chunks);
                assert_eq!(out, [format!("e|{data}|1")], "invalid byte at {at}");
            }
        }
    }

    #[test]
    fn every_byte_is_scanned_once_under_one_byte_chunks() {
        let mut line = vec![b'a'; 1 << 20];
        line.splice(0..0, *b"data: ");
        line.extend_from_slice(b"\n\n");
        let mut decoder = Decoder::new();
        let mut events = 0;
        for byte in line.chunks(1) {
            decoder.decode_each(byte, |item| {
                if let Ok(Item::Event(e)) = item {
                    assert_eq!(e.data.len(), 1 << 20);
                    events += 1;
                }
            });
        }
        assert_eq!(events, 1);
        assert_eq!(decoder.scanned, line.len());
    }
}
