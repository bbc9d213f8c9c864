//! What the decoder hands out.

/// One dispatched event.
///
/// The strings borrow from the chunk given to [`Decoder::decode`] when the
/// whole event lay inside it, and from the decoder's own (reused) buffers
/// otherwise; either way they live until the next call into the decoder.
///
/// [`Decoder::decode`]: super::Decoder::decode
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    /// The event type: the last `event` field of the block, or `"message"`
    /// when the block set none (or set it empty).
    pub event_type: &'a str,
    /// The `data` lines of the block joined by `"\n"`. Empty when the block
    /// had only empty `data` fields.
    pub data: &'a str,
    /// The stream's last-event-ID at dispatch: the latest `id` field seen up
    /// to this event (in this block or an earlier one), `""` if none ever was.
    pub id: &'a str,
}

impl Event<'_> {
    /// Copies the event into an owned value.
    pub fn to_owned(&self) -> OwnedEvent {
        OwnedEvent {
            event_type: self.event_type.into(),
            data: self.data.into(),
            id: self.id.into(),
        }
    }
}

/// An [`Event`] that owns its strings, for keeping past the next decoder call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OwnedEvent {
    /// See [`Event::event_type`].
    pub event_type: alloc::string::String,
    /// See [`Event::data`].
    pub data: alloc::string::String,
    /// See [`Event::id`].
    pub id: alloc::string::String,
}

impl OwnedEvent {
    /// Borrows the event back as an [`Event`].
    pub fn as_event(&self) -> Event<'_> {
        Event {
            event_type: &self.event_type,
            data: &self.data,
            id: &self.id,
        }
    }
}

/// What one step of the decoder produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item<'a> {
    /// A blank line dispatched an event.
    Event(Event<'a>),
    /// A valid `retry` field set the reconnection time, in milliseconds.
    ///
    /// Reported at the point the field is parsed, even when its block
    /// dispatches nothing. Values too large for a `u64` saturate.
    Retry(u64),
}
