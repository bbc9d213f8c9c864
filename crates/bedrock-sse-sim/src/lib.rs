//! # bedrock-sse-sim
//!
//! A local server for Bedrock's job stream, `GET /jobs/{job_id}/stream`, to
//! develop and test against without a Bedrock account: scripted jobs,
//! Bedrock's auth, versioning, errors and rate limits, and fault injection.
//! Every event is written with `bedrock-sse-core`'s [`Encoder`].
//!
//! ```
//! use std::time::Duration;
//! use bedrock_sse_sim::{JobScript, Simulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = Simulator::builder()
//!     .job(JobScript::overlay("job_01JABCD123", 2, Duration::from_millis(10)))
//!     .key("sk_test")
//!     .start()
//!     .await?;
//! let body = reqwest::Client::new()
//!     .get(sim.stream_url("job_01JABCD123"))
//!     .bearer_auth("sk_test")
//!     .send()
//!     .await?
//!     .text()
//!     .await?; // the stream closes after the terminal event
//! assert!(body.starts_with("id: 1\nevent: status\ndata: {\"job_id\":\"job_01JABCD123\""));
//! assert!(body.contains("event: completed\n"));
//! assert_eq!(sim.request_log().records().len(), 1);
//! sim.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## What a stream looks like
//!
//! ```text
//! id: 1
//! event: status
//! data: {"job_id":"job_01JDEMOOVERLAY","type":"overlay.generate","status":"Queued","timestamp":"2026-01-15T10:00:00Z"}
//!
//! id: 3
//! event: progress
//! data: {"job_id":"job_01JDEMOOVERLAY","type":"overlay.generate","status":"Started","progress":0.25,"message":"Processing sheet 3 of 12","timestamp":"2026-01-15T10:00:02Z"}
//!
//! : heartbeat
//!
//! ```
//!
//! ## Choices where Bedrock's docs are silent
//!
//! The reference notes (`bedrock-api.md`, section 7) list open questions;
//! the simulator settles them as follows.
//!
//! 1. **Ids and resume.** Every event has an `id:`: its position in the
//!    job's life (1 is the initial `Queued`). A job's timeline is fixed
//!    from its start, so ids are the same on every connection. A request
//!    with a numeric `Last-Event-ID` gets only the events after it; without
//!    one (or with a non-numeric one) it gets the job's whole history so
//!    far, then the live events. Real Bedrock may not replay; a client that
//!    dedupes by id works with both.
//! 2. **Heartbeats** are SSE comments, `: heartbeat`, every interval from
//!    the connection's start (default 15 s), whether or not events flowed.
//! 3. **The cap** (default 5 min) closes the body cleanly with no final
//!    event: only a `completed`, `failed` or `canceled` event means the end.
//! 4. **First events on connect**: the history so far, as in (1). A job
//!    already over at connect gets, after a numeric `Last-Event-ID` below
//!    the terminal event's id, every event after that id (the end
//!    included), then the close; at or past the terminal event's id,
//!    `204 No Content`, the event-stream signal to stop reconnecting (a
//!    browser's `EventSource` obeys it); without one (or with a
//!    non-numeric one), only its terminal event, as Bedrock documents for
//!    a finished job, then the close.
//! 5. **Casing** is chosen per job ([`Casing`]), not by API version.
//! 6. **Payloads** always carry `job_id`, `type`, `status` and `timestamp`
//!    (RFC 3339, seconds, derived from the job's start and the event's
//!    offset); `progress` events add `progress` (0..1) and `message`, and
//!    their `status` is the job's current one; `completed` adds `results`,
//!    `failed` adds `error: {code, message}`; `canceled` adds nothing.
//! 7. **Errors** are `application/problem+json` with `type`, `title`,
//!    `status`, `detail`, `code` and snake_case `request_id`, and every
//!    response has `X-Request-Id`. Checks run in this order: credentials
//!    (401 `UNAUTHORIZED`), rate limit (429 `RATE_LIMITED`), `X-API-Version`
//!    (400 `BAD_REQUEST`), job (404 `NOT_FOUND`), key allowed on the job
//!    (403 `FORBIDDEN`). Injected 5xx use `SERVICE_UNAVAILABLE` (503) or
//!    `INTERNAL_ERROR` and the invented type `.../errors/server-error`.
//! 8. **Rate limits**: one token per request, reconnections included, from
//!    a bucket per key. `X-RateLimit-Limit`, `-Remaining` and `-Reset`
//!    (Unix seconds when the bucket is full) come on every response to a
//!    known key, the event stream included; 429s add `Retry-After`.
//! 9. **Versions**: only `2026-01-01` unless more are configured; the
//!    version in effect is echoed in `X-API-Version` on the stream.
//! 10. **Cancel** has no documented trigger: a script can end in
//!     `canceled`, and [`RunningSim::cancel`] cancels a job at run time.
//! 11. **Jobs start** at their first request by default ([`JobStart`]),
//!     then run whether or not anyone watches.
//!
//! ## Scale
//!
//! A stream is a small state machine polled by its connection's own task:
//! it computes what is due from the job's start time and an immutable,
//! shared timeline, and sleeps until the next event, heartbeat or cap. No
//! broadcast, no per-job task, no lock on the hot path, so thousands of
//! streams cost little and a client that stops reading only stalls itself.
//!
//! [`Encoder`]: bedrock_sse_core::sse::Encoder

mod accept;
mod auth;
mod blocking;
mod faults;
mod log;
mod problem;
mod rate_limit;
pub mod scenario;
mod server;
mod stream;
mod timeline;

pub use blocking::BlockingSim;
pub use faults::{Faults, Newline, Redirect, RedirectTo, ServerErrors};
pub use log::{RequestLog, RequestRecord};
pub use rate_limit::RateLimit;
pub use scenario::{
    Casing, InvalidJob, JobError, JobScript, JobStart, Scenario, ScenarioError, Status, Step,
    overlay_results,
};
pub use server::{
    DEFAULT_API_VERSION, DEFAULT_KEY, RunningSim, SimError, Simulator, SimulatorBuilder, UnknownJob,
};
