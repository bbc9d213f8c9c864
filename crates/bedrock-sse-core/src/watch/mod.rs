//! [`Watch`]: the Sans-IO session that follows one job to its end.
//!
//! The watch decides everything (what to request, what a response means,
//! when to reconnect and how long to wait, which events are new, when the
//! job is over, which redirects to follow and with what headers); the
//! driver only moves bytes and keeps a timer. Inputs are `handle_*` calls
//! carrying the current [`Instant`]; outputs are polled:
//! [`poll_action`](Watch::poll_action) (connect / close),
//! [`poll_event`](Watch::poll_event), [`poll_timeout`](Watch::poll_timeout)
//! and [`poll_outcome`](Watch::poll_outcome), which is the one signal that
//! the watch is over. The state diagram, the
//! exactly-once rule and the reconnect rules are in `ARCHITECTURE.md`
//! ("Watch state machine").
//!
//! A whole driver loop, here against a fake server and a fake clock (a real
//! driver does the same with an HTTP client and a timer):
//!
//! ```
//! use core::time::Duration;
//! use bedrock_sse_core::job::JobEnd;
//! use bedrock_sse_core::watch::{Action, Instant, Outcome, Watch, WatchConfig, WatchEvent};
//!
//! // Two connections: the server rotates the first one, then replays the
//! // current state (which the watch suppresses) and finishes.
//! let mut bodies = vec![
//!     &b"event: status\ndata: {\"job_id\":\"job_1\",\"status\":\"RUNNING\"}\n\n: heartbeat\n\n\
//!        event: progress\ndata: {\"job_id\":\"job_1\",\"progress\":0.5}\n\n"[..],
//!     &b"event: status\ndata: {\"job_id\":\"job_1\",\"status\":\"RUNNING\"}\n\n\
//!        event: completed\ndata: {\"job_id\":\"job_1\",\"status\":\"COMPLETED\",\"results\":{\"n\":1}}\n\n"[..],
//! ]
//! .into_iter();
//!
//! // Hands the queued events to the application.
//! fn drain(watch: &mut Watch, delivered: &mut Vec<String>) {
//!     while let Some(event) = watch.poll_event() {
//!         match event {
//!             WatchEvent::Job { event: job, .. } => delivered.push(job.name().to_owned()),
//!             WatchEvent::Reconnecting { cause, .. } => assert!(cause.is_none(), "a planned rotation"),
//!             other => panic!("{other:?}"),
//!         }
//!     }
//! }
//!
//! let mut now = Instant::ZERO;
//! let mut watch = Watch::new(WatchConfig::builder("job_1").unwrap().build(), now, 0x5eed);
//! let mut delivered = Vec::new();
//! let outcome = loop {
//!     while let Some(action) = watch.poll_action() {
//!         match action {
//!             Action::Connect(request) => {
//!                 assert!(request.url().ends_with("/jobs/job_1/stream"));
//!                 // "Send" the request; the fake server answers at once.
//!                 watch.handle_response(now, 200, [("Content-Type", "text/event-stream")]);
//!                 let body = bodies.next().expect("no more connections expected");
//!                 for chunk in body.chunks(7) {
//!                     now = now + Duration::from_millis(10);
//!                     // The watch takes what it can queue; drain, then
//!                     // feed it the rest.
//!                     let mut rest = chunk;
//!                     while !rest.is_empty() {
//!                         rest = &rest[watch.handle_body(now, rest)..];
//!                         drain(&mut watch, &mut delivered);
//!                     }
//!                 }
//!                 watch.handle_eof(now);
//!             }
//!             Action::Close => { /* drop the response */ }
//!         }
//!     }
//!     drain(&mut watch, &mut delivered);
//!     if let Some(outcome) = watch.poll_outcome() {
//!         break outcome;
//!     }
//!     // Sleep until the watch's next deadline (here: jump the fake clock).
//!     now = watch.poll_timeout().expect("a running watch always has a deadline");
//!     watch.handle_timeout(now);
//! };
//! assert_eq!(delivered, ["status", "progress", "completed"]);
//! let Outcome::Finished { end: JobEnd::Completed, event } = outcome else { panic!("{outcome:?}") };
//! assert_eq!(event.data().unwrap().results.as_ref().unwrap().get(), r#"{"n":1}"#);
//! assert_eq!(watch.suppressed(), 1);
//! ```
//!
//! # Memory under hostile streams
//!
//! Nothing a server sends makes a watch hold more than its limits (the
//! decoder's [`Limits`](crate::sse::Limits), set with
//! [`WatchConfigBuilder::limits`]) plus a full event queue and a few
//! hundred bytes. What happens at each limit:
//!
//! | the server sends | what the watch holds | what it does |
//! |---|---|---|
//! | a line longer than `max_line` (default 1 MiB + 1 KiB) | the line up to the limit, then nothing more of it | one [`WatchEvent::Decode`] (`LimitExceeded { which: Line }`); the event is dropped, the rest of the line skipped unbuffered; it goes on at the next event |
//! | an event whose data outgrows `max_data` (default 1 MiB), e.g. data lines without end | the data up to the limit | one `Decode` (`Data`); the event is dropped, its further lines skipped until a blank line; it goes on |
//! | an `event:` name longer than `max_event_type` (default 1 KiB) | the name's line, at most `max_line` | `Decode` (`EventType`); that event is dropped; it goes on |
//! | an `id:` longer than `max_id` (default 1 KiB) | the id's line, at most `max_line` | `Decode` (`Id`); that event is dropped and the long id never becomes the last-event-ID; it goes on |
//! | a flood of ids | the latest id (the buffers are reused) | each committed id replaces the last; nothing grows |
//! | comments, however many or long | nothing: never buffered | each chunk counts as a sign of life for the idle timeout, so only the overall [`timeout`](WatchConfigBuilder::timeout) ends a stream of nothing but comments |
//! | a flood of events | at most [`Watch::MAX_QUEUED_EVENTS`] queued events, carrying at most twice `max_data` of data | [`Watch::handle_body`] stops taking bytes until the driver drains [`Watch::poll_event`]; every event is delivered |
//! | an error response's endless body | [`max_error_body`](WatchConfigBuilder::max_error_body) bytes (default 16 KiB) | the watch ends with that status's error, from the body read so far |
//!
//! What the watch keeps to deliver each event once has a fixed size
//! whatever the stream: the highest id, rank and progress, and 8
//! fingerprints. `tests/watch_memory.rs` measures each of these streams
//! with a counting allocator.

mod backoff;
mod config;
mod dedupe;
mod error;
mod machine;
mod time;
mod values;

#[cfg(test)]
mod no_key_leaks;

pub use backoff::BackoffPolicy;
pub(crate) use backoff::SplitMix64;
pub use config::{ConfigError, RedirectPolicy, WatchConfig, WatchConfigBuilder};
pub use error::{Failure, Fault, TransportError, TransportErrorKind, WatchError};
pub(crate) use machine::Seen;
pub use machine::{Action, Outcome, Watch, WatchEvent};
pub use time::Instant;
pub use values::{JobId, ResumeId, UserAgent};
