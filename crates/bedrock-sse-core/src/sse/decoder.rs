//! The event-stream decoder: bytes in, [`Item`]s out.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem;

use super::error::{DecodeError, Limit};
use super::event::{Event, Item};
use super::limits::Limits;
use super::scan::{Ascii, BLOCK, LineEnds};

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
    line: Vec<u8>,
    /// What to do with the rest of the current line.
    line_mode: LineMode,
    /// The previous chunk ended with a CR: a LF opening this one is its pair.
    skip_lf: bool,
    /// How many bytes of a leading BOM have been seen; `None` once decided.
    bom_seen: Option<u8>,
    /// The data buffer, when it is not borrowed from the current chunk.
    data: String,
    /// Whether the block has had a `data` field (the WHATWG data buffer is
    /// then non-empty, even if every value was empty).
    has_data: bool,
    /// The event-type buffer, when it is not borrowed from the current chunk.
    event_type: String,
    /// The last-event-ID buffer, set by `id` fields: meaningful only while
    /// `id_pending`, otherwise it equals `last_id` by definition (and holds
    /// a stale allocation we keep for reuse).
    id_buffer: String,
    /// An `id` field set `id_buffer` since the last blank line.
    id_pending: bool,
    /// The id committed at the last blank line: the stream's last-event-ID.
    last_id: String,
    /// The latest valid `retry` value, in milliseconds.
    retry: Option<u64>,
    /// A field line has been seen since the last blank line.
    in_block: bool,
    /// The current block broke a limit: it dispatches nothing.
    dropping: bool,
    /// The previous call dispatched an event that borrowed our buffers;
    /// clear them before touching anything.
    dispatched: bool,
    #[cfg(test)]
    scanned: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            limits: Limits::default(),
            line: Vec::new(),
            line_mode: LineMode::Normal,
            skip_lf: false,
            bom_seen: Some(0),
            data: String::new(),
            has_data: false,
            event_type: String::new(),
            id_buffer: String::new(),
            id_pending: false,
            last_id: String::new(),
            retry: None,
            in_block: false,
            dropping: false,
            dispatched: false,
            #[cfg(test)]
            scanned: 0,
        }
    }
}

/// How the bytes of the current line are treated until its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum LineMode {
    /// Buffered in `line` (or borrowed, if the line lies inside a chunk).
    #[default]
    Normal,
    /// A comment: skipped unbuffered.
    Comment,
    /// Too long: skipped unbuffered; the line is ignored.
    Overlong,
    /// The first `data` line of a block, crossing chunks: `line` holds its
    /// value only (the `prefix` bytes `data:` or `data: ` were dropped), so
    /// that at its end the buffer can become the data buffer by a swap
    /// instead of being copied into it.
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

/// Fields of the current block that borrow from the chunk being decoded.
/// They never outlive one [`Decoder::decode`] call: before returning in the
/// middle of a block they are copied into the decoder's own buffers.
#[derive(Default)]
struct Borrowed<'a> {
    data: Option<&'a str>,
    event_type: Option<&'a str>,
}

/// What processing one line asks the caller to do.
enum Step {
    Continue,
    Dispatch,
    Retry(u64),
    Error(DecodeError),
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

    /// The stream's last-event-ID: the value of the latest `id` field,
    /// committed at the blank line that closed its block (whether or not that
    /// block dispatched an event). Send it as `Last-Event-ID` on reconnect.
    /// Empty if no id was ever set, or the server reset it with an empty `id`.
    pub fn last_event_id(&self) -> &str {
        &self.last_id
    }

    /// Sets the last-event-ID, e.g. to resume a stream saved elsewhere.
    /// It is what events report until the stream sets another.
    pub fn set_last_event_id(&mut self, id: &str) {
        self.last_id.clear();
        self.last_id.push_str(id);
        self.id_pending = false;
    }

    /// The latest valid `retry` value the stream sent, in milliseconds.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Whether the stream is inside an event: a field line or part of a line
    /// has arrived since the last blank line. If the body ends now, that
    /// partial event is lost.
    pub fn in_event(&self) -> bool {
        self.in_block || !self.line.is_empty() || self.line_mode != LineMode::Normal
    }

    /// Ends the current body. The unterminated event, if any, is discarded
    /// (as the rules require) and `true` is returned. The last-event-ID and
    /// `retry` value are kept, so the decoder is ready for the next
    /// connection's body (which may begin with its own BOM).
    pub fn finish(&mut self) -> bool {
        let discarded = self.in_event();
        let limits = self.limits;
        let last_id = mem::take(&mut self.last_id);
        let retry = self.retry;
        // Keep the allocations: a reconnecting stream will need them again.
        let mut line = mem::take(&mut self.line);
        let mut data = mem::take(&mut self.data);
        let mut event_type = mem::take(&mut self.event_type);
        line.clear();
        data.clear();
        event_type.clear();
        let mut id_buffer = mem::take(&mut self.id_buffer);
        id_buffer.clear();
        *self = Decoder {
            limits,
            line,
            data,
            event_type,
            id_buffer,
            last_id,
            retry,
            ..Decoder::default()
        };
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
        self.decode_from(input, 0, &mut LineEnds::default())
    }

    /// [`decode`](Self::decode) of `input[start..]`, with `consumed`
    /// counted from the start of `input`. `lines` must have been used only
    /// on this `input`: it carries the line ends already found in it from
    /// one item to the next, so each byte is scanned once per chunk.
    fn decode_from<'a>(
        &'a mut self,
        input: &'a [u8],
        start: usize,
        lines: &mut LineEnds,
    ) -> Decoded<'a> {
        if self.dispatched {
            self.dispatched = false;
            self.data.clear();
            self.has_data = false;
            self.event_type.clear();
        }
        let mut pos = start;
        if let Some(seen) = self.bom_seen {
            match self.skip_bom(seen, &input[start..]) {
                Some(n) => pos = start + n,
                None => {
                    return Decoded {
                        consumed: input.len(),
                        item: None,
                    };
                }
            }
        }
        if self.skip_lf && pos < input.len() {
            self.skip_lf = false;
            if input[pos] == b'\n' {
                pos += 1;
            }
        }

        let mut borrowed = Borrowed::default();
        while pos < input.len() {
            let rest = &input[pos..];
            let Some(end) = lines.next(input, pos).map(|at| at - pos) else {
                #[cfg(test)]
                {
                    self.scanned += rest.len();
                }
                let error = self.partial_line(rest);
                self.keep_borrowed(borrowed);
                return Decoded {
                    consumed: input.len(),
                    item: error.map(Err),
                };
            };
            #[cfg(test)]
            {
                self.scanned += end + 1;
            }
            let line = &rest[..end];
            let pos_of_line = pos;
            let mut next = pos + end + 1;
            if rest[end] == b'\r' {
                match input.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            pos = next;

            let step = match self.line_mode {
                LineMode::Normal if self.line.is_empty() => {
                    let ascii = lines.ascii(input, pos_of_line..pos_of_line + end);
                    self.line(line, ascii, &mut borrowed)
                }
                LineMode::Normal => {
                    let mut whole = mem::take(&mut self.line);
                    let step = if whole.len() + line.len() > self.limits.max_line {
                        self.overlong()
                    } else {
                        whole.extend_from_slice(line);
                        self.owned_line(&whole)
                    };
                    whole.clear();
                    self.line = whole;
                    step
                }
                LineMode::DataValue { prefix } => {
                    let mut value = mem::take(&mut self.line);
                    let step =
                        if usize::from(prefix) + value.len() + line.len() > self.limits.max_line {
                            self.overlong()
                        } else {
                            value.extend_from_slice(line);
                            self.in_block = true;
                            self.data_value(&mut value)
                        };
                    // Whichever buffer `value` now is becomes the line buffer.
                    value.clear();
                    self.line = value;
                    step
                }
                LineMode::Comment => Step::Continue,
                LineMode::Overlong => Step::Continue,
            };
            self.line_mode = LineMode::Normal;

            match step {
                Step::Continue => {}
                Step::Dispatch => {
                    self.dispatched = true;
                    let this: &'a Decoder = self;
                    let event = Event {
                        // An empty `event:` in this chunk also means `message`.
                        event_type: match borrowed.event_type {
                            Some("") => "message",
                            Some(event_type) => event_type,
                            None if this.event_type.is_empty() => "message",
                            None => &this.event_type,
                        },
                        data: borrowed.data.unwrap_or(&this.data),
                        id: &this.last_id,
                    };
                    return Decoded {
                        consumed: pos,
                        item: Some(Ok(Item::Event(event))),
                    };
                }
                Step::Retry(ms) => {
                    self.keep_borrowed(borrowed);
                    return Decoded {
                        consumed: pos,
                        item: Some(Ok(Item::Retry(ms))),
                    };
                }
                Step::Error(error) => {
                    // The block is dropped: what it borrowed is not kept.
                    return Decoded {
                        consumed: pos,
                        item: Some(Err(error)),
                    };
                }
            }
        }
        self.keep_borrowed(borrowed);
        Decoded {
            consumed: input.len(),
            item: None,
        }
    }

    /// Decodes a whole chunk, calling `on_item` for every item in order.
    ///
    /// A convenience over [`decode`](Self::decode) for callers that can
    /// handle items in a callback.
    pub fn decode_each<F>(&mut self, input: &[u8], mut on_item: F)
    where
        F: FnMut(Result<Item<'_>, DecodeError>),
    {
        // A tiny chunk inside a line (a slow producer, a proxy that splits
        // reads): no line ends, nothing pending from the last call, so all
        // `decode_from` would do is `partial_line`. Skip its set-up.
        if input.len() < BLOCK
            && !self.dispatched
            && !self.skip_lf
            && self.bom_seen.is_none()
            && !input.iter().any(|&byte| byte == b'\n' || byte == b'\r')
        {
            #[cfg(test)]
            {
                self.scanned += input.len();
            }
            if let Some(error) = self.partial_line(input) {
                on_item(Err(error));
            }
            return;
        }
        let mut lines = LineEnds::default();
        let mut pos = 0;
        while pos < input.len() {
            let step = self.decode_from(input, pos, &mut lines);
            pos = step.consumed;
            match step.item {
                Some(item) => on_item(item),
                None => break,
            }
        }
    }

    /// Matches the start of the body against the BOM. Returns where content
    /// starts in `input`, or `None` if all of `input` was a BOM prefix.
    fn skip_bom(&mut self, seen: u8, input: &[u8]) -> Option<usize> {
        let mut seen = usize::from(seen);
        let mut pos = 0;
        while seen < BOM.len() {
            let Some(&byte) = input.get(pos) else {
                // Hold the prefix as the start of a line, in case it is not
                // a BOM after all.
                self.line.extend_from_slice(input);
                self.bom_seen = Some(seen as u8);
                return None;
            };
            if byte != BOM[seen] {
                // Not a BOM: the prefix matched so far, in this chunk or
                // earlier ones, is content: the start of the first line.
                self.line.clear();
                self.line.extend_from_slice(&BOM[..seen]);
                self.bom_seen = None;
                return Some(pos);
            }
            seen += 1;
            pos += 1;
        }
        self.line.clear();
        self.bom_seen = None;
        Some(pos)
    }

    /// Takes the unterminated tail of a chunk into the line buffer.
    fn partial_line(&mut self, tail: &[u8]) -> Option<DecodeError> {
        match self.line_mode {
            LineMode::Comment | LineMode::Overlong => None,
            LineMode::Normal if self.line.is_empty() && tail.first() == Some(&b':') => {
                self.line_mode = LineMode::Comment;
                None
            }
            LineMode::Normal | LineMode::DataValue { .. } => {
                let prefix = match self.line_mode {
                    LineMode::DataValue { prefix } => usize::from(prefix),
                    _ => 0,
                };
                if prefix + self.line.len() + tail.len() > self.limits.max_line {
                    self.line.clear();
                    self.line_mode = LineMode::Overlong;
                    match self.overlong() {
                        Step::Error(error) => Some(error),
                        _ => None,
                    }
                } else if self.line_mode == LineMode::Normal
                    && self.line.is_empty()
                    && !self.dropping
                    && !self.has_data
                    && tail.len() > b"data:".len()
                    && tail.starts_with(b"data:")
                {
                    // The byte after the colon is here, so we know whether
                    // the value starts after a space.
                    let prefix = b"data:".len() + usize::from(tail[5] == b' ');
                    self.line_mode = LineMode::DataValue {
                        prefix: prefix as u8,
                    };
                    self.line.extend_from_slice(&tail[prefix..]);
                    None
                } else {
                    self.line.extend_from_slice(tail);
                    None
                }
            }
        }
    }

    /// A line too long to keep: it is ignored, and its block dropped.
    fn overlong(&mut self) -> Step {
        self.in_block = true;
        self.drop_block(Limit::Line, self.limits.max_line)
    }

    fn drop_block(&mut self, which: Limit, limit: usize) -> Step {
        self.dropping = true;
        self.data.clear();
        self.has_data = false;
        self.event_type.clear();
        Step::Error(DecodeError::LimitExceeded { which, limit })
    }

    /// Copies what the block borrows from the current chunk into the
    /// decoder's buffers, before the chunk goes away.
    fn keep_borrowed(&mut self, borrowed: Borrowed<'_>) {
        if let Some(data) = borrowed.data {
            self.data.push_str(data);
        }
        if let Some(event_type) = borrowed.event_type {
            self.event_type.clear();
            self.event_type.push_str(event_type);
        }
    }

    /// Processes a line that lies inside the current chunk, borrowing from it
    /// where it can.
    /// `ascii` is the scan's proof that the line is ASCII, when it is.
    fn line<'a>(
        &mut self,
        line: &'a [u8],
        ascii: Option<Ascii<'a>>,
        borrowed: &mut Borrowed<'a>,
    ) -> Step {
        if line.len() > self.limits.max_line && line.first() != Some(&b':') {
            return self.overlong();
        }
        let Some((name, value)) = self.field(line) else {
            let step = self.blank_or_comment(line);
            if line.is_empty() && matches!(step, Step::Continue) {
                // A blank line that dispatched nothing cleared the block,
                // including what it borrowed (an `event` type).
                *borrowed = Borrowed::default();
            }
            return step;
        };
        match name {
            b"data" if !self.dropping => {
                let value = text(ascii, value);
                let sep = usize::from(self.has_data);
                let held = borrowed.data.map_or(self.data.len(), str::len);
                if held + sep + value.len() > self.limits.max_data {
                    borrowed.data = None;
                    return self.drop_block(Limit::Data, self.limits.max_data);
                }
                match (self.has_data, borrowed.data.take(), value) {
                    (false, _, Cow::Borrowed(value)) => borrowed.data = Some(value),
                    (_, first, value) => {
                        if let Some(first) = first {
                            self.data.push_str(first);
                        }
                        if self.has_data {
                            self.data.push('\n');
                        }
                        self.data.push_str(&value);
                    }
                }
                self.has_data = true;
                Step::Continue
            }
            b"event" if !self.dropping => {
                if value.len() > self.limits.max_event_type {
                    borrowed.event_type = None;
                    return self.drop_block(Limit::EventType, self.limits.max_event_type);
                }
                match text(ascii, value) {
                    Cow::Borrowed(value) => borrowed.event_type = Some(value),
                    Cow::Owned(value) => {
                        borrowed.event_type = None;
                        self.event_type = value;
                    }
                }
                Step::Continue
            }
            _ => self.control_field(name, value, ascii),
        }
    }

    /// Ends a [`LineMode::DataValue`] line whose whole value is `value`: if
    /// it is the block's first data and valid UTF-8, it becomes the data
    /// buffer by a swap (and `value` the old data buffer); else it is
    /// appended like any owned data line.
    fn data_value(&mut self, value: &mut Vec<u8>) -> Step {
        if self.dropping {
            return Step::Continue;
        }
        if !self.has_data && self.data.is_empty() {
            match String::from_utf8(mem::take(value)) {
                Ok(text) if text.len() > self.limits.max_data => {
                    *value = text.into_bytes();
                    return self.drop_block(Limit::Data, self.limits.max_data);
                }
                Ok(text) => {
                    *value = mem::replace(&mut self.data, text).into_bytes();
                    self.has_data = true;
                    return Step::Continue;
                }
                Err(invalid) => *value = invalid.into_bytes(),
            }
        }
        let text = utf8_lossy(value);
        let sep = usize::from(self.has_data);
        if self.data.len() + sep + text.len() > self.limits.max_data {
            return self.drop_block(Limit::Data, self.limits.max_data);
        }
        if self.has_data {
            self.data.push('\n');
        }
        self.data.push_str(&text);
        self.has_data = true;
        Step::Continue
    }

    /// Processes a line assembled in the decoder's own buffer.
    fn owned_line(&mut self, line: &[u8]) -> Step {
        let Some((name, value)) = self.field(line) else {
            return self.blank_or_comment(line);
        };
        match name {
            b"data" if !self.dropping => {
                let value = utf8_lossy(value);
                let sep = usize::from(self.has_data);
                if self.data.len() + sep + value.len() > self.limits.max_data {
                    return self.drop_block(Limit::Data, self.limits.max_data);
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
                Step::Continue
            }
            b"event" if !self.dropping => {
                if value.len() > self.limits.max_event_type {
                    return self.drop_block(Limit::EventType, self.limits.max_event_type);
                }
                self.event_type.clear();
                self.event_type.push_str(&utf8_lossy(value));
                Step::Continue
            }
            _ => self.control_field(name, value, None),
        }
    }

    /// Splits a field line into name and value; `None` for a blank line or
    /// a comment. Marks the block as begun.
    fn field<'l>(&mut self, line: &'l [u8]) -> Option<(&'l [u8], &'l [u8])> {
        if line.is_empty() || line[0] == b':' {
            return None;
        }
        self.in_block = true;
        // Field names are a few bytes long: a plain loop finds the colon
        // before `memchr` would have finished its set-up.
        Some(match line.iter().position(|&byte| byte == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        })
    }

    fn blank_or_comment(&mut self, line: &[u8]) -> Step {
        if !line.is_empty() {
            return Step::Continue; // a comment
        }
        // Blank line: commit the id, then dispatch if there is data.
        if self.in_block && self.id_pending {
            // A swap, not a copy: the old id's allocation becomes the next
            // `id_buffer`.
            mem::swap(&mut self.last_id, &mut self.id_buffer);
        }
        self.id_pending = false;
        self.in_block = false;
        if self.dropping || !self.has_data {
            self.dropping = false;
            self.data.clear();
            self.has_data = false;
            self.event_type.clear();
            return Step::Continue;
        }
        Step::Dispatch
    }

    /// `id`, `retry` and ignored fields: they mean the same wherever the line
    /// lives, and `id`/`retry` are honoured even in a dropped block because
    /// they describe the stream, not the event.
    fn control_field<'a>(
        &mut self,
        name: &[u8],
        value: &'a [u8],
        ascii: Option<Ascii<'a>>,
    ) -> Step {
        match name {
            b"id" => {
                if value.contains(&0) {
                    return Step::Continue;
                }
                if value.len() > self.limits.max_id {
                    return self.drop_block(Limit::Id, self.limits.max_id);
                }
                self.id_buffer.clear();
                self.id_buffer.push_str(&text(ascii, value));
                self.id_pending = true;
                Step::Continue
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |ms, digit| {
                    ms.saturating_mul(10)
                        .saturating_add(u64::from(digit - b'0'))
                });
                self.retry = Some(ms);
                Step::Retry(ms)
            }
            _ => Step::Continue,
        }
    }
}

/// The value as text: borrowed unchecked when the scan proved its line
/// ASCII, else validated by [`utf8_lossy`].
#[inline(always)]
fn text<'a>(ascii: Option<Ascii<'a>>, value: &'a [u8]) -> Cow<'a, str> {
    match ascii.and_then(|ascii| ascii.str_of(value)) {
        Some(text) => Cow::Borrowed(text),
        None => utf8_lossy(value),
    }
}

/// The value as text, with invalid UTF-8 replaced by U+FFFD.
///
/// `from_utf8` first: on valid text (nearly every stream) its ASCII fast
/// path is several times quicker than the lossy decoder's chunk iterator.
#[inline]
fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match core::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;

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
