//! What each line of an event stream means: the WHATWG field rules, written
//! once for every line, whether it lies in the caller's chunk or was
//! gathered across chunks in the decoder's own buffer.
//!
//! A [`Block`] is the state the rules build up between blank lines. Values
//! that lie in the current chunk are not copied: they are noted in a
//! [`Borrowed`] that lives as long as the chunk, and copied into the block's
//! own buffers ([`Block::keep`]) only if the chunk ends before the event does.

use alloc::borrow::Cow;
use alloc::string::String;
use core::mem;

use super::error::{DecodeError, Limit};
use super::event::Event;
use super::limits::Limits;
use super::scan::{Ascii, HeldLine};

/// The state of the event being built: the WHATWG buffers, in the
/// decoder's own memory.
#[derive(Debug, Clone, Default)]
pub(super) struct Block {
    /// The data buffer, when it is not borrowed from the current chunk.
    data: String,
    /// Whether the block has had a `data` field (the WHATWG data buffer is
    /// then non-empty, even if every value was empty).
    has_data: bool,
    /// The event-type buffer, when it is not borrowed from the current chunk.
    event_type: String,
    /// The pending `id` value, when it is not borrowed: meaningful only
    /// while `id_pending` (it keeps a stale allocation for reuse otherwise).
    id_buffer: String,
    /// An `id` field set the last-event-ID buffer since the last blank line.
    id_pending: bool,
    /// The id committed at the last blank line, when it is not borrowed:
    /// the stream's last-event-ID.
    pub(super) last_id: String,
    /// The latest valid `retry` value, in milliseconds.
    pub(super) retry: Option<u64>,
    /// A field line has been seen since the last blank line.
    pub(super) in_block: bool,
    /// The current block broke a limit: it dispatches nothing.
    dropping: bool,
    /// The last event handed out borrowed the buffers: clear them before
    /// the next line.
    dispatched: bool,
}

/// The parts of the block that borrow from the current chunk. Each one,
/// when set, stands for the block buffer of the same name.
#[derive(Debug, Default)]
pub(super) struct Borrowed<'a> {
    /// The data buffer: the block's single data line so far.
    data: Option<&'a str>,
    /// The event-type buffer.
    event_type: Option<&'a str>,
    /// The pending `id` value.
    id: Option<&'a str>,
    /// The committed last-event-ID.
    last_id: Option<&'a str>,
}

/// What a line asks the decoder to do.
pub(super) enum Step {
    Continue,
    /// A blank line closed a block with data: hand out [`Block::event`].
    Dispatch,
    Retry(u64),
    Error(DecodeError),
}

impl Block {
    /// Processes one complete line (without its line end). `ascii` is the
    /// scan's proof that the line is ASCII, when it is; `chunk` is where
    /// values that live as long as `line` are noted instead of copied.
    #[inline(always)]
    pub(super) fn line<'a>(
        &mut self,
        line: &'a [u8],
        ascii: Option<Ascii<'a>>,
        chunk: &mut Borrowed<'a>,
        limits: &Limits,
    ) -> Step {
        let Some(&first) = line.first() else {
            return self.blank(chunk);
        };
        if first == b':' {
            return Step::Continue; // a comment
        }
        if line.len() > limits.max_line {
            return self.overlong(chunk, limits);
        }
        self.in_block = true;
        // The documented fields with their colon are matched in one go;
        // anything else is split at its first colon the long way.
        match line {
            [b'd', b'a', b't', b'a', b':', value @ ..] => {
                self.data(strip_space(value), ascii, chunk, limits)
            }
            [b'i', b'd', b':', value @ ..] => self.id(strip_space(value), ascii, chunk, limits),
            [b'e', b'v', b'e', b'n', b't', b':', value @ ..] => {
                self.event(strip_space(value), ascii, chunk, limits)
            }
            _ => self.other_field(line, ascii, chunk, limits),
        }
    }

    /// Any field line but the common `name:` forms: split at the first
    /// colon (or none: the whole line is the name, the value empty).
    #[cold]
    fn other_field<'a>(
        &mut self,
        line: &'a [u8],
        ascii: Option<Ascii<'a>>,
        chunk: &mut Borrowed<'a>,
        limits: &Limits,
    ) -> Step {
        let (name, value) = match line.iter().position(|&byte| byte == b':') {
            Some(colon) => (&line[..colon], strip_space(&line[colon + 1..])),
            None => (line, &[][..]),
        };
        match name {
            b"data" => self.data(value, ascii, chunk, limits),
            b"event" => self.event(value, ascii, chunk, limits),
            b"id" => self.id(value, ascii, chunk, limits),
            b"retry" => self.retry(value),
            _ => Step::Continue,
        }
    }

    /// A blank line: commit the id, then dispatch if there is data.
    fn blank(&mut self, chunk: &mut Borrowed<'_>) -> Step {
        if self.in_block && self.id_pending {
            match chunk.id.take() {
                Some(id) => chunk.last_id = Some(id),
                None => {
                    // A swap, not a copy: the old id's allocation becomes
                    // the next `id_buffer`.
                    mem::swap(&mut self.last_id, &mut self.id_buffer);
                    chunk.last_id = None;
                }
            }
        }
        self.id_pending = false;
        self.in_block = false;
        if self.dropping || !self.has_data {
            self.dropping = false;
            self.clear_event(chunk);
            return Step::Continue;
        }
        self.dispatched = true;
        Step::Dispatch
    }

    /// `data`: append the value and a LF (the LF is put between values
    /// instead, which is the same once the last one is dropped).
    #[inline(always)]
    fn data<'a>(
        &mut self,
        value: &'a [u8],
        ascii: Option<Ascii<'a>>,
        chunk: &mut Borrowed<'a>,
        limits: &Limits,
    ) -> Step {
        if self.dropping {
            return Step::Continue;
        }
        let value = text(ascii, value);
        let held = chunk.data.map_or(self.data.len(), str::len);
        if held + usize::from(self.has_data) + value.len() > limits.max_data {
            return self.drop_block(chunk, Limit::Data, limits.max_data);
        }
        match value {
            // The block's first data line, in the chunk: borrow it.
            Cow::Borrowed(value) if !self.has_data => chunk.data = Some(value),
            value => {
                if let Some(first) = chunk.data.take() {
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

    /// A `data` line gathered across chunks whose value is all of `value`
    /// (its `data:` prefix already dropped): when it is the block's first
    /// data, the buffer becomes the data buffer by a swap instead of a copy.
    pub(super) fn data_value(&mut self, value: &mut HeldLine, limits: &Limits) -> Step {
        self.in_block = true;
        if self.dropping {
            return Step::Continue;
        }
        if !self.has_data && value.len() <= limits.max_data {
            if let Some(text) = value.take_string() {
                value.reuse(mem::replace(&mut self.data, text));
                self.has_data = true;
                return Step::Continue;
            }
        }
        // Too long, or not UTF-8: the ordinary rule, on a copy.
        let mut held = Borrowed::default();
        let step = self.data(value.bytes(), value.proof(), &mut held, limits);
        self.keep(&mut held);
        step
    }

    /// `event`: set the event-type buffer.
    #[inline(always)]
    fn event<'a>(
        &mut self,
        value: &'a [u8],
        ascii: Option<Ascii<'a>>,
        chunk: &mut Borrowed<'a>,
        limits: &Limits,
    ) -> Step {
        if self.dropping {
            return Step::Continue;
        }
        if value.len() > limits.max_event_type {
            return self.drop_block(chunk, Limit::EventType, limits.max_event_type);
        }
        match text(ascii, value) {
            Cow::Borrowed(value) => chunk.event_type = Some(value),
            Cow::Owned(value) => {
                chunk.event_type = None;
                self.event_type = value;
            }
        }
        Step::Continue
    }

    /// `id`: set the last-event-ID buffer, unless the value has a NUL. It
    /// is honoured even in a dropped block: it describes the stream, not
    /// the event.
    #[inline(always)]
    fn id<'a>(
        &mut self,
        value: &'a [u8],
        ascii: Option<Ascii<'a>>,
        chunk: &mut Borrowed<'a>,
        limits: &Limits,
    ) -> Step {
        // A plain loop: ids are short, and `contains` would call `memchr`.
        #[allow(clippy::manual_contains)]
        if value.iter().any(|&byte| byte == 0) {
            return Step::Continue;
        }
        if value.len() > limits.max_id {
            return self.drop_block(chunk, Limit::Id, limits.max_id);
        }
        match text(ascii, value) {
            Cow::Borrowed(value) => chunk.id = Some(value),
            Cow::Owned(value) => {
                chunk.id = None;
                self.id_buffer = value;
            }
        }
        self.id_pending = true;
        Step::Continue
    }

    /// `retry`: all ASCII digits set the reconnection time (saturating);
    /// anything else is ignored. Honoured even in a dropped block.
    fn retry(&mut self, value: &[u8]) -> Step {
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Step::Continue;
        }
        let ms = value.iter().fold(0u64, |ms, digit| {
            ms.saturating_mul(10)
                .saturating_add(u64::from(digit - b'0'))
        });
        self.retry = Some(ms);
        Step::Retry(ms)
    }

    /// A line too long to keep: it is ignored, and its block dropped.
    pub(super) fn overlong(&mut self, chunk: &mut Borrowed<'_>, limits: &Limits) -> Step {
        self.in_block = true;
        self.drop_block(chunk, Limit::Line, limits.max_line)
    }

    fn drop_block(&mut self, chunk: &mut Borrowed<'_>, which: Limit, limit: usize) -> Step {
        self.dropping = true;
        self.clear_event(chunk);
        Step::Error(DecodeError::LimitExceeded { which, limit })
    }

    /// Empties the data and event-type buffers, borrowed or not.
    fn clear_event(&mut self, chunk: &mut Borrowed<'_>) {
        self.data.clear();
        self.has_data = false;
        self.event_type.clear();
        chunk.data = None;
        chunk.event_type = None;
    }

    /// Clears what the last dispatched event was made of, before anything
    /// else is decoded (not at dispatch: the event borrows it until then).
    #[inline(always)]
    pub(super) fn settle(&mut self, chunk: &mut Borrowed<'_>) {
        if self.dispatched {
            self.dispatched = false;
            self.clear_event(chunk);
        }
    }

    /// The event a [`Step::Dispatch`] hands out.
    pub(super) fn event_of<'s>(&'s self, chunk: &Borrowed<'s>) -> Event<'s> {
        Event {
            // An empty `event` field also means `message`.
            event_type: match chunk.event_type {
                Some("") => "message",
                Some(event_type) => event_type,
                None if self.event_type.is_empty() => "message",
                None => &self.event_type,
            },
            data: chunk.data.unwrap_or(&self.data),
            id: chunk.last_id.unwrap_or(&self.last_id),
        }
    }

    /// Copies what the block borrows into its own buffers, before the
    /// memory it borrows from goes away.
    #[inline(always)]
    pub(super) fn keep(&mut self, chunk: &mut Borrowed<'_>) {
        // Checked inline: at most chunk ends nothing is borrowed.
        if chunk.data.is_some()
            || chunk.event_type.is_some()
            || chunk.id.is_some()
            || chunk.last_id.is_some()
        {
            self.copy_borrowed(chunk);
        }
    }

    #[cold]
    fn copy_borrowed(&mut self, chunk: &mut Borrowed<'_>) {
        if let Some(data) = chunk.data.take() {
            self.data.push_str(data);
        }
        if let Some(event_type) = chunk.event_type.take() {
            self.event_type.clear();
            self.event_type.push_str(event_type);
        }
        if let Some(id) = chunk.id.take() {
            self.id_buffer.clear();
            self.id_buffer.push_str(id);
        }
        self.keep_ids(chunk);
    }

    /// Copies a borrowed last-event-ID, for an event that must not borrow
    /// it from the chunk past the call that hands it out.
    #[inline]
    pub(super) fn keep_ids(&mut self, chunk: &mut Borrowed<'_>) {
        if let Some(id) = chunk.last_id.take() {
            self.last_id.clear();
            self.last_id.push_str(id);
        }
    }

    /// Whether the current block can still dispatch, and has no data yet:
    /// the state in which a `data` line crossing chunks may become the data
    /// buffer by a swap.
    pub(super) fn awaits_first_data(&self) -> bool {
        !self.dropping && !self.has_data
    }

    /// Forgets the block in progress (the body ended), keeping the
    /// last-event-ID, the `retry` value and every allocation.
    pub(super) fn end_body(&mut self) {
        self.clear_event(&mut Borrowed::default());
        self.id_pending = false;
        self.in_block = false;
        self.dropping = false;
        self.dispatched = false;
    }

    /// Sets the last-event-ID from outside, dropping a pending one.
    pub(super) fn set_last_id(&mut self, id: &str) {
        self.last_id.clear();
        self.last_id.push_str(id);
        self.id_pending = false;
    }
}

/// The value of a field: one leading space is not part of it.
#[inline(always)]
fn strip_space(value: &[u8]) -> &[u8] {
    match value {
        [b' ', rest @ ..] => rest,
        _ => value,
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
