//! The bounds on every buffer the decoder keeps.

/// Upper bounds on what one event may hold, so that no input can make the
/// decoder's memory grow without bound.
///
/// Breaking a limit is reported as a [`DecodeError`](super::DecodeError);
/// the event being built is dropped and the decoder resynchronises at the
/// next blank line. Comment lines are never buffered, so they have no limit.
///
/// ```
/// use bedrock_sse_core::sse::Limits;
///
/// let limits = Limits::default().with_max_event_size(16 * 1024 * 1024);
/// assert_eq!(limits.max_data, 16 * 1024 * 1024);
/// assert!(limits.max_line > limits.max_data);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes in one line, without its line end. Default: 1 MiB + 1 KiB.
    pub max_line: usize,
    /// Bytes of one event's data (the `data` lines joined by LF, after
    /// invalid UTF-8 became U+FFFD). Default: 1 MiB, room for a job's
    /// `results`.
    pub max_data: usize,
    /// Bytes of an `event` field's value. Default: 1 KiB.
    pub max_event_type: usize,
    /// Bytes of an `id` field's value. Default: 1 KiB.
    pub max_id: usize,
}

impl Limits {
    /// The default bound on an event's data: 1 MiB.
    pub const DEFAULT_MAX_DATA: usize = 1024 * 1024;
    /// Slack a line gets over the data bound, for the field name and a space.
    const LINE_SLACK: usize = 1024;

    /// Bounds an event's data to `bytes`, and lines to `bytes` plus a
    /// little room for the field name, leaving the other limits as they are.
    pub const fn with_max_event_size(mut self, bytes: usize) -> Self {
        self.max_data = bytes;
        self.max_line = bytes.saturating_add(Self::LINE_SLACK);
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: Self::DEFAULT_MAX_DATA + Self::LINE_SLACK,
            max_data: Self::DEFAULT_MAX_DATA,
            max_event_type: 1024,
            max_id: 1024,
        }
    }
}
