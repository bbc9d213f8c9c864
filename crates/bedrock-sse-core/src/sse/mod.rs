//! The Server-Sent Events wire format, knowing nothing of jobs.
//!
//! * [`Decoder`] turns a byte stream, cut into chunks anywhere, into
//!   [`Item`]s: dispatched [`Event`]s and `retry` values. It follows the
//!   WHATWG "interpreting an event stream" rules, borrows from the caller's
//!   chunk whenever an event lies inside it, and bounds every buffer by
//!   [`Limits`].
//! * [`Encoder`] writes events, comments and `retry` fields, refusing what
//!   cannot be represented on the wire.

mod decoder;
mod encoder;
mod error;
mod event;
mod limits;
mod line;
mod scan;

pub use decoder::{Decoded, Decoder};
pub use encoder::{Encoder, LineEnding};
pub use error::{DecodeError, EncodeError, Limit};
pub use event::{Event, Item, OwnedEvent};
pub use limits::Limits;
