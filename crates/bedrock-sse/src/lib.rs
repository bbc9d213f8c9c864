//! # bedrock-sse
//!
//! Follow a Bedrock job (`GET /jobs/{job_id}/stream`, Server-Sent Events) to
//! its end: typed events, exactly once, across the server's rotations and
//! your network's failures.
//!
//! This facade re-exports the Sans-IO core ([`sse`], [`job`], [`api`]) and
//! the runtime adapter chosen by feature:
//!
//! | feature | adapter |
//! |---|---|
//! | `tokio` (default) | [`JobWatch`] over reqwest, with tokio's timer ([`tokio`] module) |
//! | `blocking` | `blocking::JobWatch`, an [`Iterator`] of events over ureq, for threads and scripts |
//!
//! Without any feature it is the core alone: drive
//! [`job::watch::Watch`] from your own loop.
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use bedrock_sse::api::Credentials;
//! use bedrock_sse::{JobWatch, Outcome, ReqwestTransport, WatchConfig, WatchEvent};
//!
//! let mut config = WatchConfig::new("job_01JABCD123")?;
//! config.credentials = Some(Credentials::bearer(std::env::var("BEDROCK_API_KEY")?)?);
//! let mut watch = JobWatch::new(ReqwestTransport::new(), config);
//! while let Some(event) = watch.next_event().await {
//!     if let WatchEvent::Job { id, event } = event {
//!         println!("#{id} {} {:?}", event.name(), event.status());
//!     }
//! }
//! match watch.outcome() {
//!     Some(Outcome::Finished(last)) => println!("finished: {}", last.name()),
//!     other => eprintln!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub use bedrock_sse_core::{api, job, sse};

pub use bedrock_sse_core::job::watch::{Outcome, WatchConfig, WatchEvent};

/// The tokio adapter: [`JobWatch`], [`Transport`](tokio::Transport),
/// [`sse_events`](tokio::sse_events).
#[cfg(feature = "tokio")]
pub mod tokio {
    pub use bedrock_sse_tokio::*;
}

#[cfg(feature = "tokio")]
pub use bedrock_sse_tokio::{JobWatch, ReqwestTransport};

/// The blocking adapter: [`JobWatch`](blocking::JobWatch) as an iterator,
/// [`UreqTransport`](blocking::UreqTransport).
#[cfg(feature = "blocking")]
pub mod blocking {
    pub use bedrock_sse_blocking::*;
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;
