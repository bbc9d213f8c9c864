//! The Bedrock meaning of the stream: typed job events, and the [`Watch`]
//! session machine that follows one job to its end across connections.
//!
//! * [`JobEvent::from_sse`] types one [`sse::Event`](crate::sse::Event):
//!   `status`, `progress`, `completed`, `failed`, `canceled`, or
//!   [`Other`](JobEvent::Other); `heartbeat`/`ping` are keep-alives.
//! * [`JobStatus`] and [`Progress`] accept every documented spelling and form.
//! * [`Watch`] builds requests, classifies responses, reconnects, backs off,
//!   suppresses replays and reports the job's outcome, all without I/O.

mod data;
mod event;
mod progress;
mod raw;
mod status;
pub mod watch;

pub use data::{JobData, JobError};
pub use event::{EventKind, JobEvent, MalformedEvent, OwnedJobEvent, Parsed, parse_event};
pub use progress::Progress;
pub use raw::RawJson;
pub use status::JobStatus;
pub use watch::Watch;
