//! Errors of the codec.

/// Which bound of [`Limits`](super::Limits) was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`Limits::max_line`](super::Limits::max_line).
    Line,
    /// [`Limits::max_data`](super::Limits::max_data).
    Data,
    /// [`Limits::max_event_type`](super::Limits::max_event_type).
    EventType,
    /// [`Limits::max_id`](super::Limits::max_id).
    Id,
}

impl Limit {
    /// A short human name, as used in error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Limit::Line => "line length",
            Limit::Data => "event data size",
            Limit::EventType => "event type length",
            Limit::Id => "event id length",
        }
    }
}

/// The stream broke one of the decoder's [`Limits`](super::Limits).
///
/// The decoder has already dropped the offending event and will go on with
/// the next one: keep feeding it, or stop if a truncated stream is
/// unacceptable to you. Raise the limit if the producer is trusted and its
/// events really are that large.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A bound was exceeded; the event being built was dropped.
    #[error("{} exceeds the limit of {limit} bytes; the event was dropped", .which.name())]
    LimitExceeded {
        /// The bound that was broken.
        which: Limit,
        /// Its configured value, in bytes.
        limit: usize,
    },
}

/// A value that the event-stream format cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An event type with a CR or LF: it would end the `event` line early.
    #[error("event type contains a line break (byte {index}); the stream cannot carry it")]
    LineBreakInEventType {
        /// Byte offset of the offending character.
        index: usize,
    },
    /// An id with a CR or LF: it would end the `id` line early.
    #[error("event id contains a line break (byte {index}); the stream cannot carry it")]
    LineBreakInId {
        /// Byte offset of the offending character.
        index: usize,
    },
    /// An id with a NUL: decoders ignore such an `id` field.
    #[error("event id contains NUL (byte {index}); decoders would ignore it")]
    NulInId {
        /// Byte offset of the offending character.
        index: usize,
    },
}
