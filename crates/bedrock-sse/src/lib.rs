//! # bedrock-sse
//!
//! Follow a Bedrock job (`GET /jobs/{job_id}/stream`, Server-Sent Events) to
//! its end: typed events, exactly once, across the server's rotations and
//! your network's failures.
//!
//! ## Modules
//!
//! The Sans-IO core (`bedrock-sse-core`, `no_std` + `alloc`), re-exported
//! whole:
//!
//! * [`sse`]: the Server-Sent Events wire format: a WHATWG-conformant,
//!   zero-copy, bounded [`sse::Decoder`] and an [`sse::Encoder`].
//! * [`job`]: typed job events ([`JobEvent`], [`JobStatus`]) and how a job
//!   ended ([`JobEnd`]).
//! * [`watch`]: the [`watch::Watch`] session machine that follows one job
//!   across reconnects and redirects, its [`WatchConfig`] (made by
//!   [`WatchConfig::builder`] or [`WatchConfig::from_env`]), its events
//!   ([`WatchEvent`]) and how it ends ([`Outcome`], [`WatchError`]).
//! * [`fleet`]: many watches under one key ([`fleet::Fleet`], configured by
//!   [`fleet::FleetConfig`]): one timer, a shared rate budget, a cap on open
//!   connections, and storm control after a mass disconnect.
//! * [`http`]: what the core knows of HTTP: the [`http::Request`] to send,
//!   response headers ([`http::HeaderPair`]), redirect targets'
//!   [`http::Origin`]s.
//! * [`api`]: the API's problem details ([`api::ApiError`]), credentials
//!   ([`Credentials`], whose key is a [`Secret`]), [`api::BaseUrl`],
//!   [`api::ApiVersion`], [`api::RateLimit`].
//!
//! The runtime adapters, each in a module of its own, chosen by feature:
//!
//! * `tokio`: `JobWatch`, an async `Stream` of events over reqwest, with
//!   tokio's timer; `FleetWatch`, many jobs over one transport through a
//!   [`fleet::Fleet`]; `ReqwestTransport` (HTTP/2 where offered; its
//!   builder adds CA files); `HyperTransport` (HTTP/1.1 with small
//!   buffers per connection, for fleets on HTTP/1.1 servers);
//!   `Transport` to bring another client; `sse_events` for a byte stream
//!   you already have.
//! * `blocking`: `JobWatch`, an [`Iterator`] of events over ureq, for
//!   threads and scripts; `UreqTransport` (its builder adds CA files);
//!   `Transport` to bring another client.
//! * `async-std` / `smol`: `JobWatch`, an async `Stream` of events for any
//!   executor on `async-io`; `HyperTransport` (its builder adds CA files);
//!   `Transport` to bring another client.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tokio` | yes | the module `bedrock_sse::tokio` (crate `bedrock-sse-tokio`, over reqwest or hyper, with rustls) |
//! | `blocking` | no | the module `bedrock_sse::blocking` (crate `bedrock-sse-blocking`, over ureq with rustls) |
//! | `async-std`, `smol` | no | the module `bedrock_sse::futures` (crate `bedrock-sse-futures`, over hyper on `async-net` with rustls, and `async-io`'s timer: no tokio runtime) |
//!
//! `async-std` and `smol` name the same adapter (both executors run on
//! `async-io` and the futures-io traits), so either feature gives the one
//! module `bedrock_sse::futures`.
//!
//! Without any feature this crate is the core alone (with `std`), for the
//! decoder or to drive [`watch::Watch`] from your own loop. In
//! `Cargo.toml`, for tokio (whose `macros` and `rt-multi-thread` features
//! `#[tokio::main]` needs):
//!
//! ```toml
//! [dependencies]
//! bedrock-sse = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! and without an async runtime:
//!
//! ```toml
//! [dependencies]
//! bedrock-sse = { version = "0.1", default-features = false, features = ["blocking"] }
//! ```
//!
//! ## Following a job
//!
//! Every adapter has the same shape: `JobWatch::new(transport, config)`,
//! the events until the watch is over, then `outcome()`; `run()` returns
//! the [`Outcome`]. The watch reports its decisions as `tracing` events in
//! a `watch` span; no credential ever appears in them, nor in any error or
//! `Debug` output.
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
//!
//! The same with the blocking adapter:
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use bedrock_sse::blocking::{JobWatch, UreqTransport};
//! use bedrock_sse::{Outcome, WatchConfig, WatchEvent};
//!
//! let config = WatchConfig::from_env("job_01JABCD123")?;
//! let outcome = JobWatch::new(UreqTransport::new(), config).run(|event| {
//!     if let WatchEvent::Job { id, event } = event {
//!         println!("#{id} {} {:?}", event.name(), event.status());
//!     }
//! });
//! if let Outcome::Finished { end, .. } = outcome {
//!     println!("the job ended: {end}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The crate's `examples/` hold a runnable program per adapter, and the
//! README documents configuration, timeouts, redirects and outcomes.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use bedrock_sse_core::{api, fleet, http, job, sse, watch};

pub use bedrock_sse_core::api::{Credentials, Secret};
pub use bedrock_sse_core::job::{JobEnd, JobEvent, JobStatus, OwnedJobEvent};
pub use bedrock_sse_core::watch::{
    ConfigError, Failure, Outcome, RedirectPolicy, TransportError, TransportErrorKind, WatchConfig,
    WatchConfigBuilder, WatchError, WatchEvent,
};

/// The tokio adapter: [`JobWatch`](tokio::JobWatch) (an async `Stream`),
/// [`FleetWatch`](tokio::FleetWatch),
/// [`ReqwestTransport`](tokio::ReqwestTransport),
/// [`HyperTransport`](tokio::HyperTransport), the
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
