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
//!                     watch.handle_body(now, chunk);
//!                 }
//!                 watch.handle_eof(now);
//!             }
//!             Action::Close => { /* drop the response */ }
//!         }
//!     }
//!     while let Some(event) = watch.poll_event() {
//!         match event {
//!             WatchEvent::Job { event: job, .. } => delivered.push(job.name().to_owned()),
//!             WatchEvent::Reconnecting { cause, .. } => assert!(cause.is_none(), "a planned rotation"),
//!             other => panic!("{other:?}"),
//!         }
//!     }
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
