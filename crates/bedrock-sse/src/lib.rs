//! # bedrock-sse
//!
//! Follow a Bedrock job (`GET /jobs/{job_id}/stream`, Server-Sent Events) to
//! its end: typed events, exactly once, across the server's rotations and
//! your network's failures.
//!
//! This facade re-exports the Sans-IO core ([`sse`], [`job`], [`watch`],
//! [`http`], [`api`]), the types every user names at its root, and the
//! runtime adapter chosen by feature, each in a module of its own:
//!
//! | feature | module | adapter |
//! |---|---|---|
//! | `tokio` (default) | `bedrock_sse::tokio` | `JobWatch`, an async `Stream` of events over reqwest, with tokio's timer |
//! | `blocking` | `bedrock_sse::blocking` | `JobWatch`, an [`Iterator`] of events over ureq, for threads and scripts |
//! | `async-std` or `smol` | `bedrock_sse::futures` | `JobWatch`, an async `Stream` of events over hyper on `async-net` and rustls, with `async-io`'s timer: no tokio runtime |
//!
//! `async-std` and `smol` name the same adapter (both executors run on
//! `async-io` and the futures-io traits), so either feature gives the one
//! module `bedrock_sse::futures`; with `default-features = false` the tree
//! holds no tokio runtime.
//!
//! Every adapter has the same shape: `JobWatch::new(transport, config)`,
//! the events until the watch is over, then `outcome()`; `run()` returns
//! the [`Outcome`]. Without any feature this crate is the core alone: drive
//! [`watch::Watch`] from your own loop.
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use bedrock_sse::tokio::{JobWatch, ReqwestTransport};
//! use bedrock_sse::{Outcome, WatchConfig, WatchEvent};
//!
//! // BEDROCK_API_KEY, and optionally BEDROCK_BASE_URL and BEDROCK_API_VERSION.
//! let config = WatchConfig::from_env("job_01JABCD123")?;
//! let mut watch = JobWatch::new(ReqwestTransport::new(), config);
//! while let Some(event) = watch.next_event().await {
//!     if let WatchEvent::Job { id, event } = event {
//!         println!("#{id} {} {:?}", event.name(), event.status());
//!     }
//! }
//! match watch.outcome() {
//!     Some(Outcome::Finished { end, .. }) => println!("the job ended: {end}"),
//!     other => eprintln!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub use bedrock_sse_core::{api, http, job, sse, watch};

pub use bedrock_sse_core::api::{Credentials, Secret};
pub use bedrock_sse_core::job::{JobEnd, JobEvent, JobStatus, OwnedJobEvent};
pub use bedrock_sse_core::watch::{
    ConfigError, Failure, Outcome, RedirectPolicy, TransportError, TransportErrorKind, WatchConfig,
    WatchConfigBuilder, WatchError, WatchEvent,
};

/// The tokio adapter: [`JobWatch`](tokio::JobWatch) (an async `Stream`),
/// [`ReqwestTransport`](tokio::ReqwestTransport), the
/// [`Transport`](tokio::Transport) trait to bring another client, and
/// [`sse_events`](tokio::sse_events) for a byte stream you already have.
#[cfg(feature = "tokio")]
pub mod tokio {
    pub use bedrock_sse_tokio::*;
}

/// The blocking adapter: [`JobWatch`](blocking::JobWatch) as an iterator,
/// [`UreqTransport`](blocking::UreqTransport), and the
/// [`Transport`](blocking::Transport) trait to bring another client.
#[cfg(feature = "blocking")]
pub mod blocking {
    pub use bedrock_sse_blocking::*;
}

/// The futures-io adapter, for async-std, smol and any executor on
/// `async-io` (features `async-std` and `smol`, which name the same
/// adapter): [`JobWatch`](futures::JobWatch) (an async `Stream`),
/// [`HyperTransport`](futures::HyperTransport), and the
/// [`Transport`](futures::Transport) trait to bring another client.
#[cfg(any(feature = "async-std", feature = "smol"))]
pub mod futures {
    pub use bedrock_sse_futures::*;
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;
