//! Fault injection: the ways a real network, proxy or server misbehaves,
//! on demand, so that clients can be tested against each of them.
//!
//! Faults are set per job (in its [`JobScript`](crate::JobScript), applied
//! to every connection to it) or per connection (with
//! [`RunningSim::inject`](crate::RunningSim::inject), consumed by the next
//! connection to the job, in place of the job's own faults).

use bedrock_sse_core::sse::LineEnding;
use serde::Deserialize;

/// Misbehaviours to apply to a stream. The default is none.
///
/// They combine: a CRLF stream sent one byte at a time and dropped after
/// 100 bytes is a valid setting.
///
/// ```
/// use bedrock_sse_sim::{Faults, Newline};
///
/// let faults = Faults {
///     newline: Newline::CrLf,
///     bom: true,
///     drop_after_events: Some(2),
///     ..Faults::default()
/// };
/// assert!(!faults.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Abort the connection (without the chunked terminator, as a dropped
    /// TCP connection looks) once this many body bytes have been sent.
    pub drop_after_bytes: Option<usize>,
    /// Abort the connection right after this many events (heartbeats do not
    /// count).
    pub drop_after_events: Option<usize>,
    /// After this many events, send nothing more, not even heartbeats, and
    /// ignore the connection cap: the socket stays open until the client
    /// gives up or the simulator shuts down.
    pub stall_after_events: Option<usize>,
    /// Write the body one byte per write.
    pub byte_at_a_time: bool,
    /// The line end used for every line.
    pub newline: Newline,
    /// Begin the body with a UTF-8 byte-order mark.
    pub bom: bool,
    /// Replace the data of this connection's n-th event (from 0) with
    /// truncated, malformed JSON. The event keeps its id and type.
    pub malformed_event: Option<usize>,
    /// Answer 200 with `text/html` (a proxy's login page) instead of the
    /// event stream.
    pub wrong_content_type: bool,
    /// Answer with a 5xx status instead of streaming.
    pub server_errors: Option<ServerErrors>,
    /// Answer with a redirect instead of streaming. As a job's fault, only
    /// requests that were not redirected already are (a request whose
    /// query holds `redirected=`, or to the `/moved/...` path, is served);
    /// as a per-connection fault, that connection is, whatever its URL, so
    /// that injected redirects chain.
    pub redirect: Option<Redirect>,
    /// Answer `204 No Content`, the event-stream way of saying "stop
    /// reconnecting", instead of streaming.
    pub no_content: bool,
    /// Label the stream with this `Content-Encoding` (`"gzip"`, say), as a
    /// proxy that compresses regardless would. Only the header is sent:
    /// the body stays the plain event stream, since what is tested is a
    /// client's answer to the label, which it reads before any byte.
    pub content_encoding: Option<String>,
}

impl Faults {
    /// Whether no fault is set.
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}

/// 5xx answers for a job's first attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerErrors {
    /// How many attempts fail. As a job's fault: the job's first `attempts`
    /// stream requests (counted over all connections, after auth). As a
    /// per-connection fault: that connection fails if this is not zero.
    pub attempts: u32,
    /// The status sent, 500 to 599 (default 503).
    #[serde(default = "service_unavailable")]
    pub status: u16,
}

fn service_unavailable() -> u16 {
    503
}

impl ServerErrors {
    /// `503 Service Unavailable` for the first `attempts` attempts.
    pub const fn unavailable(attempts: u32) -> Self {
        ServerErrors {
            attempts,
            status: 503,
        }
    }
}

/// A redirect answer: its status, and where its `Location` points.
///
/// In a scenario file: `redirect = { status = 308, to = "same_path" }`,
/// `to = { port = 8080 }`, `to = { localhost = {} }`,
/// `to = { location = "/elsewhere" }` or `to = "missing"`.
///
/// ```
/// use bedrock_sse_sim::{Faults, Redirect, RedirectTo};
///
/// let faults = Faults {
///     redirect: Some(Redirect::new(302, RedirectTo::Localhost { port: None })),
///     ..Faults::default()
/// };
/// assert_eq!(faults.redirect.as_ref().map(|r| r.status), Some(302));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    /// The status sent: 301, 302, 303, 307 or 308 (default 307). Another
    /// 3xx is sent as it is; anything outside 300 to 399 is sent as 307.
    #[serde(default = "temporary_redirect")]
    pub status: u16,
    /// Where the `Location` points.
    pub to: RedirectTo,
}

fn temporary_redirect() -> u16 {
    307
}

impl Redirect {
    /// A redirect with this status to `to`.
    pub const fn new(status: u16, to: RedirectTo) -> Self {
        Redirect { status, to }
    }

    /// A `307 Temporary Redirect` to `to`.
    pub const fn temporary(to: RedirectTo) -> Self {
        Self::new(307, to)
    }
}

/// Where a [`Redirect`]'s `Location` points, relative to the request it
/// answers (`/jobs/{job_id}/stream` on the simulator's address).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum RedirectTo {
    /// The same path with `?redirected=1`, as an absolute path: the same
    /// origin, served by the simulator.
    SamePath,
    /// `/moved/jobs/{job_id}/stream`, as an absolute path: the same origin,
    /// another path that the simulator also serves for the job.
    OtherPath,
    /// `http://127.0.0.1:{port}` and the same path with `?redirected=1`:
    /// another origin by its port (a server of the test's own, say).
    Port(u16),
    /// `http://localhost:{port}` and the same path with `?redirected=1`:
    /// another origin by its host name, even on the simulator's own port
    /// (`port` unset) and although it is the same machine.
    Localhost {
        /// The port; the simulator's own when unset.
        #[serde(default)]
        port: Option<u16>,
    },
    /// This `Location` value, verbatim: relative, absolute, or not a URL at
    /// all.
    Location(String),
    /// No `Location` header.
    Missing,
}

/// The line end written, a serializable mirror of the core's [`LineEnding`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Newline {
    /// `\n`, what servers normally write.
    #[default]
    Lf,
    /// `\r\n`.
    CrLf,
    /// `\r` alone.
    Cr,
}

impl From<Newline> for LineEnding {
    fn from(newline: Newline) -> Self {
        match newline {
            Newline::Lf => LineEnding::Lf,
            Newline::CrLf => LineEnding::CrLf,
            Newline::Cr => LineEnding::Cr,
        }
    }
}
