//! The event-stream encoder: events, comments and `retry` to bytes.

use alloc::vec::Vec;

use super::error::EncodeError;

/// The line end an [`Encoder`] writes.
///
/// Decoders must accept all three; servers normally write LF. The others
/// exist to test clients against every legal stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `\n`.
    #[default]
    Lf,
    /// `\r\n`.
    CrLf,
    /// `\r`.
    Cr,
}

impl LineEnding {
    /// The bytes of this line end.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
            LineEnding::Cr => b"\r",
        }
    }
}

/// Writes `text/event-stream` bytes that any conformant decoder reads back
/// exactly.
///
/// Data with line breaks (LF, CR or CRLF) becomes one `data:` line per line,
/// so it decodes to the same text with every break as LF. A value that the
/// format cannot carry (a line break in an event type or id, a NUL in an id)
/// is an [`EncodeError`], and nothing is written.
///
/// ```
/// use bedrock_sse_core::sse::Encoder;
///
/// let encoder = Encoder::new();
/// let mut out = Vec::new();
/// encoder.event(&mut out, Some("progress"), Some("42"), "{\"progress\":0.5}")?;
/// encoder.comment(&mut out, "heartbeat");
/// encoder.retry(&mut out, 2000);
/// assert_eq!(
///     out,
///     b"id: 42\nevent: progress\ndata: {\"progress\":0.5}\n\n: heartbeat\n\nretry: 2000\n\n"
/// );
/// # Ok::<(), bedrock_sse_core::sse::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Encoder {
    line_ending: LineEnding,
}

impl Encoder {
    /// An encoder that ends lines with LF.
    pub const fn new() -> Self {
        Encoder {
            line_ending: LineEnding::Lf,
        }
    }

    /// An encoder that ends lines with `line_ending`.
    pub const fn with_line_ending(line_ending: LineEnding) -> Self {
        Encoder { line_ending }
    }

    /// The line end this encoder writes.
    pub const fn line_ending(&self) -> LineEnding {
        self.line_ending
    }

    /// Appends one event to `out`: an `id` line if `id` is given, an `event`
    /// line if `event_type` is given, the data lines, and the blank line that
    /// dispatches it.
    ///
    /// An `id` of `Some("")` resets the client's last-event-ID; `None` leaves
    /// it. An `event_type` of `None` (or `""`) decodes as `message`.
    pub fn event(
        &self,
        out: &mut Vec<u8>,
        event_type: Option<&str>,
        id: Option<&str>,
        data: &str,
    ) -> Result<(), EncodeError> {
        if let Some(event_type) = event_type {
            if let Some(index) = line_break(event_type) {
                return Err(EncodeError::LineBreakInEventType { index });
            }
        }
        if let Some(id) = id {
            if let Some(index) = line_break(id) {
                return Err(EncodeError::LineBreakInId { index });
            }
            if let Some(index) = id.bytes().position(|b| b == 0) {
                return Err(EncodeError::NulInId { index });
            }
        }
        if let Some(id) = id {
            self.field(out, b"id", id);
        }
        if let Some(event_type) = event_type.filter(|t| !t.is_empty()) {
            self.field(out, b"event", event_type);
        }
        for line in lines(data) {
            self.field(out, b"data", line);
        }
        out.extend_from_slice(self.line_ending.as_bytes());
        Ok(())
    }

    /// Appends a comment, such as a heartbeat, one `:` line per line of
    /// `text`, then a blank line so that the comment alone is a complete
    /// block. Decoders ignore comments; they keep idle connections alive.
    pub fn comment(&self, out: &mut Vec<u8>, text: &str) {
        for line in lines(text) {
            out.push(b':');
            if !line.is_empty() {
                out.push(b' ');
                out.extend_from_slice(line.as_bytes());
            }
            out.extend_from_slice(self.line_ending.as_bytes());
        }
        out.extend_from_slice(self.line_ending.as_bytes());
    }

    /// Appends a `retry` field asking clients to wait `millis` milliseconds
    /// before reconnecting, in a block of its own.
    pub fn retry(&self, out: &mut Vec<u8>, millis: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = millis;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        out.extend_from_slice(b"retry: ");
        out.extend_from_slice(&digits[at..]);
        out.extend_from_slice(self.line_ending.as_bytes());
        out.extend_from_slice(self.line_ending.as_bytes());
    }

    fn field(&self, out: &mut Vec<u8>, name: &[u8], value: &str) {
        out.extend_from_slice(name);
        if !value.is_empty() {
            // The decoder strips one leading space, so a value that itself
            // starts with a space survives.
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
        }
        out.extend_from_slice(self.line_ending.as_bytes());
    }
}

fn line_break(text: &str) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', text.as_bytes())
}

/// The lines of `text`, split at LF, CR and CRLF.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let current = rest?;
        match line_break(current) {
            Some(end) => {
                let skip = if current[end..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[end + skip..]);
                Some(&current[..end])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_data_at_every_kind_of_line_break() {
        let mut out = Vec::new();
        Encoder::new()
            .event(&mut out, None, None, "a\nb\r\nc\rd\n")
            .unwrap();
        assert_eq!(out, b"data: a\ndata: b\ndata: c\ndata: d\ndata\n\n");
    }

    #[test]
    fn refuses_what_the_wire_cannot_carry() {
        let mut out = Vec::new();
        let encoder = Encoder::new();
        assert_eq!(
            encoder.event(&mut out, Some("a\nb"), None, ""),
            Err(EncodeError::LineBreakInEventType { index: 1 })
        );
        assert_eq!(
            encoder.event(&mut out, None, Some("\r"), ""),
            Err(EncodeError::LineBreakInId { index: 0 })
        );
        assert_eq!(
            encoder.event(&mut out, None, Some("a\0"), ""),
            Err(EncodeError::NulInId { index: 1 })
        );
        assert!(out.is_empty());
    }

    #[test]
    fn writes_every_line_ending() {
        let mut out = Vec::new();
        Encoder::with_line_ending(LineEnding::CrLf)
            .event(&mut out, Some("e"), None, "x")
            .unwrap();
        assert_eq!(out, b"event: e\r\ndata: x\r\n\r\n");
    }
}
