//! # bedrock-sse-futures
//!
//! The futures-io driver of `bedrock-sse`, for async-std, smol and any
//! executor on `async-io`: it follows a Bedrock job to its end and hands you
//! each typed event exactly once, across the server's 5-minute rotations,
//! dead connections, rate limits and 5xx retries. No tokio runtime is
//! needed or started.
//!
//! All of those decisions are made by the Sans-IO
//! [`Watch`](bedrock_sse_core::watch::Watch) in `bedrock-sse-core`; this
//! crate only moves bytes between an HTTP client and it, and keeps its
//! timer (`async_io::Timer`).
//!
//! * [`JobWatch`]: the driver. [`JobWatch::next_event`] yields
//!   [`WatchEvent`]s; when it returns `None`, [`JobWatch::outcome`] says how
//!   the watch ended. `JobWatch` is also a `Stream` of the same events.
//! * [`Transport`]: how requests are sent. [`HyperTransport`] is the
//!   ready-made one (hyper's HTTP/1.1 client over `async-net`, rustls with
//!   the platform's trust and your CA files, proxies from the environment);
//!   implement the trait to bring another
//!   client, or a test double. [`ReaderBody`] turns any futures-io reader
//!   into a body.
//!
//! ```no_run
//! use bedrock_sse_core::watch::{Outcome, WatchConfig, WatchEvent};
//! use bedrock_sse_futures::{HyperTransport, JobWatch};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // BEDROCK_API_KEY, and optionally BEDROCK_BASE_URL and BEDROCK_API_VERSION.
//! let config = WatchConfig::from_env("job_01JABCD123")?;
//! // Any executor: smol::block_on, async_std::task::block_on, a task of yours...
//! smol::block_on(async {
//!     let mut watch = JobWatch::new(HyperTransport::new(), config);
//!     while let Some(event) = watch.next_event().await {
//!         match event {
//!             WatchEvent::Job { id, event } => println!("#{id} {} {:?}", event.name(), event.status()),
//!             other => eprintln!("{other:?}"),
//!         }
//!     }
//!     match watch.outcome() {
//!         Some(Outcome::Finished { end, .. }) => println!("the job ended: {end}"),
//!         Some(Outcome::Failed(error)) => eprintln!("error: {error}"),
//!         other => eprintln!("watch ended: {other:?}"),
//!     }
//! });
//! # Ok(())
//! # }
//! ```
//!
//! Or all at once: `let outcome = JobWatch::new(transport, config).run(|event| ...).await;`.
//!
//! ## No tokio runtime
//!
//! Timers and sockets come from `async-io`, whose reactor is driven by the
//! executor's own thread under smol and async-std, or by a thread of its
//! own under any other executor; nothing here needs a tokio runtime, so no
//! "there is no reactor running" panic. The dependency tree holds no tokio
//! runtime: hyper 1 depends on the `tokio` crate for its runtime-free
//! `sync` channels only, and CI checks that no other tokio feature, tokio
//! crate or `mio` comes in.
//!
//! The watch logs its decisions (connection attempts, responses, reconnects,
//! rate limits, the outcome) as `tracing` events inside a `watch` span with
//! the job id; no credential ever appears in them.
#![forbid(unsafe_code)]

mod driver;
mod hyper_transport;
mod transport;

pub use driver::JobWatch;
pub use hyper_transport::{
    AsyncIoConnection, AsyncIoRuntime, HyperBody, HyperTransport, HyperTransportBuilder,
};
pub use transport::{ReaderBody, Response, Transport};

/// Proxy rules for [`HyperTransport::proxies`]: `HTTPS_PROXY`/`HTTP_PROXY`/
/// `NO_PROXY` semantics (curl's and reqwest's), from hyper-util.
pub use bedrock_sse_hyper::ProxyMatcher;
/// The rustls this crate builds on, for [`HyperTransport::tls_config`].
pub use bedrock_sse_hyper::rustls;
/// The TLS trust shared by every `bedrock-sse` transport, and its errors.
pub use bedrock_sse_tls::{CaFileError, TlsError, TrustRoots};

pub use bedrock_sse_core::http::Request;
pub use bedrock_sse_core::watch::{
    Outcome, TransportError, TransportErrorKind, WatchConfig, WatchEvent,
};
