//! # bedrock-sse-blocking
//!
//! The blocking driver of `bedrock-sse`, for threads and scripts: it follows
//! a Bedrock job to its end and yields each typed event exactly once, as an
//! [`Iterator`], across the server's rotations, dead connections, rate
//! limits and 5xx retries.
//!
//! As in every driver, all of those decisions are made by the Sans-IO
//! [`Watch`](bedrock_sse_core::watch::Watch) of `bedrock-sse-core`;
//! this crate only moves bytes between a blocking HTTP client and it, and
//! waits until the watch's deadlines.
//!
//! * [`JobWatch`]: the driver. Iterate it for [`WatchEvent`]s; when the
//!   iteration ends, [`JobWatch::outcome`] says how the watch ended.
//! * [`Transport`]: how requests are sent. [`UreqTransport`] (feature
//!   `ureq`, on by default) is the ready-made one.
//!
//! ```no_run
//! use bedrock_sse_blocking::{JobWatch, Outcome, UreqTransport, WatchConfig, WatchEvent};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = WatchConfig::from_env("job_01JABCD123")?; // BEDROCK_API_KEY, ...
//! let mut watch = JobWatch::new(UreqTransport::new(), config);
//! for event in &mut watch {
//!     if let WatchEvent::Job { id, event } = event {
//!         println!("#{id} {} {:?}", event.name(), event.status());
//!     }
//! }
//! match watch.outcome() {
//!     Some(Outcome::Finished { end, .. }) => println!("the job ended: {end}"),
//!     other => eprintln!("watch ended: {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## How waiting works
//!
//! A watch has no thread of its own: everything runs on the thread that
//! iterates it. A blocking read cannot be interrupted, so the transport
//! bounds each one by the watch's deadlines ([`Timeouts`]: the idle
//! timeout for each read, the overall deadline for the whole response),
//! and between connections the driver sleeps until the watch's next
//! deadline. When the watch gives a connection up (idle timeout, overall
//! deadline, terminal event) the driver drops its body there and then,
//! which closes the socket; dropping the [`JobWatch`] does the same. A
//! server that falls silent, or vanishes without closing, holds nothing
//! past the watch's idle timeout.
#![forbid(unsafe_code)]

mod driver;
mod transport;
#[cfg(feature = "ureq")]
mod ureq_transport;

#[cfg(feature = "ureq")]
pub use bedrock_sse_tls::{CaFileError, TlsError};
pub use driver::JobWatch;
pub use transport::{Response, Timeouts, Transport};
#[cfg(feature = "ureq")]
pub use ureq_transport::{UreqBody, UreqTransport, UreqTransportBuilder};

pub use bedrock_sse_core::http::Request;
pub use bedrock_sse_core::watch::{
    Outcome, TransportError, TransportErrorKind, WatchConfig, WatchEvent,
};
