//! The [`Watch`] machine driven by any sequence of inputs against a
//! scripted server: the fuzz target's body, and the generated cases of
//! `tests/watch_properties.rs`.
//!
//! [`Watch`]: bedrock_sse_core::watch::Watch

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use bedrock_sse_core::watch::WatchConfig;

use super::super::job_server::{Server, head};
use super::driver::{Driver, unquoted};
use super::response::transport_kind;

/// One driver input, or a step of the server.
#[derive(Debug, Clone, Arbitrary)]
pub(crate) enum Op {
    /// A response head of [`head`]'s kind.
    Respond(u8),
    /// The server sends its next `n` events (with a heartbeat before each
    /// if `heartbeat`), cut into chunks of the given sizes (cycled).
    Body {
        n: u8,
        heartbeat: bool,
        cuts: Vec<u8>,
    },
    /// Bytes from elsewhere in the body (quotes made apostrophes, so that
    /// they cannot forge a server event's message), then a blank line.
    Garbage(Vec<u8>),
    Eof,
    /// A transport error of [`transport_kind`]'s kind.
    TransportError(u8),
    /// The clock moves on by this many milliseconds, unseen by the watch.
    Advance(u32),
    /// The timer fires (at the watch's deadline if that is later).
    Fire,
    /// The driver takes the watch's outputs; otherwise they queue.
    Poll,
}

/// A server, a configuration and the inputs, all normalised by [`run`].
#[derive(Debug, Clone, Arbitrary)]
pub(crate) struct Case {
    /// Whether the server sends `id` fields.
    pub(crate) ids: bool,
    /// Events in the job (3 to 12).
    pub(crate) len: u8,
    /// 0 completed, 1 failed, 2 a canceled status.
    pub(crate) terminal: u8,
    /// What the server does on each connection (see [`Server`]).
    pub(crate) modes: Vec<u8>,
    pub(crate) retry: Option<u32>,
    /// Consecutive failures allowed (2 to 8).
    pub(crate) max_failures: u8,
    /// The overall timeout, in milliseconds.
    pub(crate) deadline: Option<u32>,
    pub(crate) seed: u64,
    pub(crate) ops: Vec<Op>,
}

/// The fuzz input, read by `arbitrary` as a [`Case`], through [`run`].
pub(crate) fn check_watch(input: &[u8]) {
    if let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(input)) {
        run(case);
    }
}

/// Plays `case` through a [`Driver`] (whose invariants are asserted after
/// every step: exactly one outcome, nothing delivered twice, no deadline in
/// the past, a bounded queue, safe requests, backoff windows), answering
/// each request as the scripted server would, then runs the watch to its
/// end.
pub(crate) fn run(case: Case) {
    let mut builder = WatchConfig::builder("j")
        .expect("a valid job id")
        .max_failures(Some(2 + u32::from(case.max_failures % 7)));
    if let Some(ms) = case.deadline {
        builder = builder.timeout(Duration::from_millis(u64::from(ms % 2_000_000) + 1));
    }
    let len = 3 + usize::from(case.len % 10);
    let mut modes = case.modes;
    modes.truncate(4);
    if modes.is_empty() {
        modes.push(0);
    }
    let mut server = Server::new(
        len,
        case.ids,
        case.terminal % 3,
        modes,
        case.retry.map(|ms| ms % 100_000),
    );
    let mut driver = Driver::new(builder.build(), case.seed);
    let poll = |driver: &mut Driver, server: &mut Server| {
        for request in driver.drain() {
            server.connect(request.header("last-event-id"));
        }
    };
    poll(&mut driver, &mut server);

    for op in case.ops {
        match op {
            Op::Respond(kind) => {
                // A driver answers only a request it was asked to make.
                poll(&mut driver, &mut server);
                let (status, headers) = head(kind % 10);
                let headers: Vec<(&str, &[u8])> =
                    headers.iter().map(|&(n, v)| (n, v.as_bytes())).collect();
                driver.respond(status, &headers);
            }
            Op::Body { n, heartbeat, cuts } => {
                let text = server.next(n % 8, heartbeat);
                let mut bytes = text.as_bytes();
                for &cut in cuts
                    .iter()
                    .cycle()
                    .take(if cuts.is_empty() { 0 } else { 1000 })
                {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = usize::from(cut).min(bytes.len());
                    driver.body(&bytes[..at]);
                    bytes = &bytes[at..];
                }
                if !bytes.is_empty() {
                    driver.body(bytes);
                }
            }
            Op::Garbage(bytes) => {
                // Ended at an event boundary: bytes that stop mid-line would
                // merge with the server's next line and rewrite it (the
                // fuzzer found one swallowing an `id:` line, after which a
                // resume rightly repeats that event). That is a corrupt
                // stream, for which nothing can be promised.
                let mut bytes = unquoted(&bytes);
                bytes.extend_from_slice(b"\n\n");
                driver.body(&bytes);
            }
            Op::Eof => driver.eof(),
            Op::TransportError(kind) => driver.transport_error(transport_kind(kind)),
            Op::Advance(ms) => driver.advance(Duration::from_millis(u64::from(ms % 100_000))),
            Op::Fire => driver.fire(),
            Op::Poll => poll(&mut driver, &mut server),
        }
    }
    driver.run_to_end();
}
