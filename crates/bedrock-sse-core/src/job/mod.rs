//! The Bedrock meaning of the stream: typed job events.
//!
//! * [`JobEvent::from_sse`] types one [`sse::Event`](crate::sse::Event):
//!   `status`, `progress`, `completed`, `failed`, `canceled`, or
//!   [`Other`](JobEvent::Other); `heartbeat`/`ping` are keep-alives.
//! * [`JobStatus`] and [`Progress`] accept every documented spelling and form.

mod data;
mod end;
mod event;
mod progress;
mod raw;
mod status;

pub use data::{JobData, JobError};
pub use end::JobEnd;
pub use event::{EventKind, JobEvent, MalformedEvent, OwnedJobEvent, Parsed, parse_event};
pub use progress::Progress;
pub use raw::RawJson;
pub use status::JobStatus;
