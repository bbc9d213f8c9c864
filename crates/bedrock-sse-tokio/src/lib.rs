//! # bedrock-sse-tokio
//!
//! The tokio driver of `bedrock-sse`: it follows a Bedrock job to its end and
//! hands you each typed event exactly once, across the server's 5-minute
//! rotations, dead connections, rate limits and 5xx retries.
//!
//! All of those decisions are made by the Sans-IO
//! [`Watch`](bedrock_sse_core::watch::Watch) in `bedrock-sse-core`; this
//! crate only moves bytes between an HTTP client and it, and keeps its timer.
//!
//! * [`JobWatch`]: the driver. [`JobWatch::next_event`] yields
//!   [`WatchEvent`]s; when it returns `None`, [`JobWatch::outcome`] says how
//!   the watch ended. `JobWatch` is also a `Stream` of the same events.
//! * [`Transport`]: how requests are sent. [`ReqwestTransport`] (feature
//!   `reqwest`, on by default) is the ready-made one, speaking HTTP/2 where
//!   the server offers it; [`HyperTransport`] (feature `hyper`, on by
//!   default) speaks HTTP/1.1 with smaller buffers per connection.
//!   Implement the trait to use another client or a test double.
//! * [`FleetWatch`]: many jobs at once under one key, through the core's
//!   `Fleet` (a shared rate budget, a connection cap, reconnect storms
//!   spread out), as a `Stream` of [`FleetEvent`]s.
//! * [`sse_events`]: plain SSE decoding of a byte stream you already have.
//!
//! ```no_run
//! use bedrock_sse_core::watch::{Outcome, WatchConfig, WatchEvent};
//! use bedrock_sse_tokio::{JobWatch, ReqwestTransport};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = WatchConfig::from_env("job_01JABCD123")?; // BEDROCK_API_KEY, ...
//! let mut watch = JobWatch::new(ReqwestTransport::new(), config);
//! while let Some(event) = watch.next_event().await {
//!     match event {
//!         WatchEvent::Job { event: job, .. } => println!("{} {:?}", job.name(), job.status()),
//!         other => eprintln!("{other:?}"),
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
//! The watch logs its decisions (connection attempts, responses, reconnects,
//! rate limits, the outcome) as `tracing` events inside a `watch` span with
//! the job id; no credential ever appears in them.
#![forbid(unsafe_code)]

mod clock;
mod driver;
mod events;
mod fleet;
#[cfg(feature = "hyper")]
mod hyper_transport;
#[cfg(feature = "reqwest")]
mod reqwest_transport;
mod transport;

#[cfg(feature = "hyper")]
pub use bedrock_sse_hyper::ProxyMatcher;
#[cfg(any(feature = "reqwest", feature = "hyper"))]
pub use bedrock_sse_tls::{CaFileError, TlsError};
pub use driver::JobWatch;
pub use events::{SseError, SseItem, sse_events};
pub use fleet::{FleetEvent, FleetWatch};
#[cfg(feature = "hyper")]
pub use hyper_transport::{
    HyperBody, HyperTransport, HyperTransportBuilder, TokioConnection, TokioRuntime,
};
#[cfg(feature = "reqwest")]
pub use reqwest_transport::{ReqwestTransport, ReqwestTransportBuilder};
pub use transport::{Response, Transport};

pub use bedrock_sse_core::http::Request;
pub use bedrock_sse_core::watch::{
    Outcome, TransportError, TransportErrorKind, WatchConfig, WatchEvent,
};
