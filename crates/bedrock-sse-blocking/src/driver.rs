//! The driver loop: a [`Watch`] fed by a [`Transport`] on the caller's
//! thread alone. Each read of a body is bounded by the watch's deadlines
//! (the transport enforces them), and a connection the watch gives up is
//! closed here, by dropping its body.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{self, Read};
use std::ops::Range;
use std::thread;
use std::time::{self, Duration};

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{
    Action, Instant, Outcome, TransportError, TransportErrorKind, Watch, WatchConfig, WatchEvent,
};

use crate::transport::{Timeouts, Transport};

/// How much of a body is read at a time: a copy out of the transport's
/// own buffer (ureq's is 8 KiB), so it need not be large. Events are
/// small; a large one takes more reads, and the buffer is kept for the
/// watch's whole life.
const CHUNK: usize = 1024;

/// Follows one job to its end over a [`Transport`], blocking this thread
/// (and no other: the watch has no thread of its own).
///
/// Iterate it for the events; once the iteration ends, read the
/// [`outcome`](Self::outcome). Dropping it closes its connection at once.
pub struct JobWatch<T: Transport> {
    watch: Watch,
    transport: T,
    /// The driver's epoch: the core's [`Instant`] is the time since it.
    origin: time::Instant,
    /// The body of the current connection. Dropping it closes the
    /// connection.
    body: Option<T::Body>,
    /// Where bodies are read into, and the part of it not yet taken by
    /// the watch (fed once the watch's events are drained).
    buf: Box<[u8]>,
    unfed: Range<usize>,
    outcome: Option<Outcome>,
    span: tracing::Span,
}

impl<T: Transport> JobWatch<T> {
    /// A watch of `config`'s job over `transport`, starting now, with retry
    /// jitter seeded from the process's random hasher keys.
    pub fn new(transport: T, config: WatchConfig) -> Self {
        let seed = RandomState::new().hash_one(config.job_id());
        Self::with_seed(transport, config, seed)
    }

    /// The same with a chosen jitter seed, for reproducible runs.
    pub fn with_seed(transport: T, config: WatchConfig, seed: u64) -> Self {
        let span = tracing::info_span!("watch", job_id = %config.job_id());
        JobWatch {
            span,
            watch: Watch::new(config, Instant::ZERO, seed),
            transport,
            origin: time::Instant::now(),
            body: None,
            buf: vec![0; CHUNK].into_boxed_slice(),
            unfed: 0..0,
            outcome: None,
        }
    }

    /// The session machine, for its counters: last-event-ID, connections,
    /// consecutive failures, suppressed duplicates, rate-limit headers.
    pub fn watch(&self) -> &Watch {
        &self.watch
    }

    /// How the watch ended, once the iteration has ended (and from then
    /// on).
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Takes the outcome, once the iteration has ended.
    pub fn into_outcome(self) -> Option<Outcome> {
        self.outcome
    }

    /// Runs the watch to its end, calling `on_event` for each event, and
    /// returns the outcome.
    pub fn run(mut self, mut on_event: impl FnMut(WatchEvent)) -> Outcome {
        for event in &mut self {
            on_event(event);
        }
        self.outcome
            .expect("the iteration ends only once the outcome is set")
    }

    fn now(&self) -> Instant {
        Instant::from_duration(self.origin.elapsed())
    }

    /// How long until the watch's next deadline (zero if it has passed).
    fn wait(&self) -> Option<Duration> {
        let at = self.watch.poll_timeout()?;
        Some(at.as_duration().saturating_sub(self.origin.elapsed()))
    }

    fn connect(&mut self, request: &Request) {
        // A blocking client cannot be interrupted, so it is given the
        // watch's deadlines: the next one (a request in flight always has
        // one: the head timeout) for the head, the idle timeout for each
        // read of the body, and the overall deadline for all of it. When
        // it gives up on the head, the watch takes that as its own head
        // timeout.
        let Some(head) = self.wait() else { return };
        let config = self.watch.config();
        let total = config
            .timeout()
            .map(|timeout| timeout.saturating_sub(self.origin.elapsed()));
        let timeouts = Timeouts::new(head, config.idle_timeout(), total);
        let sent = self.transport.send(request, timeouts);
        let now = self.now();
        match sent {
            Ok(response) => {
                self.watch
                    .handle_response(now, response.status, &response.headers);
                self.body = Some(response.body);
            }
            Err(error) => self.watch.handle_transport_error(now, error),
        }
    }

    /// Hands the watch what it has not taken yet of the last read.
    fn feed(&mut self) {
        let now = self.now();
        let taken = self.watch.handle_body(now, &self.buf[self.unfed.clone()]);
        self.unfed.start += taken;
    }

    /// One read of the current body, handed to the watch.
    fn read(&mut self) {
        let Some(body) = self.body.as_mut() else {
            return;
        };
        let read = body.read(&mut self.buf);
        let now = self.now();
        match read {
            Ok(0) => {
                self.body = None;
                self.watch.handle_eof(now);
            }
            Ok(n) => {
                self.unfed = 0..n;
                self.feed();
            }
            Err(error) => match error.kind() {
                io::ErrorKind::Interrupted => {}
                // The read gave up at one of the watch's deadlines: the
                // watch closes the connection if one has passed, and
                // otherwise the next read goes on.
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    self.watch.handle_timeout(now);
                }
                kind => {
                    self.body = None;
                    let kind = match kind {
                        io::ErrorKind::InvalidData => TransportErrorKind::Protocol,
                        _ => TransportErrorKind::Reset,
                    };
                    let error = TransportError::from_error(kind, &error);
                    self.watch.handle_transport_error(now, error);
                }
            },
        }
    }
}

impl<T: Transport> Iterator for JobWatch<T> {
    type Item = WatchEvent;

    /// The next event, blocking as long as the watch says to wait; `None`
    /// once the watch is over.
    fn next(&mut self) -> Option<WatchEvent> {
        let span = self.span.clone();
        let _entered = span.enter();
        loop {
            while let Some(action) = self.watch.poll_action() {
                // A `Close`, or a new connection: the old one is closed.
                self.body = None;
                self.unfed = 0..0;
                if let Action::Connect(request) = action {
                    self.connect(&request);
                }
            }
            if let Some(event) = self.watch.poll_event() {
                return Some(event);
            }
            if let Some(outcome) = self.watch.poll_outcome() {
                self.body = None;
                self.outcome = Some(outcome);
            }
            if self.outcome.is_some() {
                return None;
            }
            if !self.unfed.is_empty() {
                self.feed();
                continue;
            }
            if self.body.is_some() {
                self.read();
                continue;
            }
            // Between connections: sleep until the watch's next deadline.
            // (A live watch always waits on a connection or a deadline.)
            let wait = self.wait()?;
            thread::sleep(wait);
            let now = self.now();
            self.watch.handle_timeout(now);
        }
    }
}
