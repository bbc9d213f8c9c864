//! The driver loop: a [`Watch`] fed by a [`Transport`] on this thread, with
//! each body read by a thread of its own.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{self, Duration};

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{
    Action, Instant, Outcome, TransportError, TransportErrorKind, Watch, WatchConfig, WatchEvent,
};

use crate::transport::Transport;

/// How much a reader thread reads at a time.
/// (Events are small; a large one takes more reads, and the reader's buffer
/// is most of what an idle watch holds.)
const CHUNK: usize = 4 * 1024;
/// The reader thread's stack: it only reads and sends (rustls decrypts on
/// it), far from the default 2 MiB.
const READER_STACK: usize = 128 * 1024;
/// Chunks a reader thread may read ahead of the driver: it then blocks, so
/// a slow consumer bounds memory at this many chunks per connection.
const READ_AHEAD: usize = 4;

/// Follows one job to its end over a [`Transport`], blocking this thread.
///
/// Iterate it for the events; once the iteration ends, read the
/// [`outcome`](Self::outcome).
pub struct JobWatch<T: Transport> {
    watch: Watch,
    transport: T,
    /// The driver's epoch: the core's [`Instant`] is the time since it.
    origin: time::Instant,
    /// The body of the current connection, as chunks from its reader thread.
    body: Option<Receiver<Chunk>>,
    /// The last chunk, and how much of it the watch has taken: the rest is
    /// fed once the watch's events are drained.
    chunk: (Vec<u8>, usize),
    outcome: Option<Outcome>,
    span: tracing::Span,
}

/// What a reader thread hands over.
enum Chunk {
    Bytes(Vec<u8>),
    End,
    Failed(TransportError),
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
            chunk: (Vec::new(), 0),
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
        // watch's next deadline (a request in flight always has one: the
        // head timeout). When it gives up there, the watch takes that as
        // its own head timeout.
        let Some(timeout) = self.wait() else { return };
        match self.transport.send(request, timeout) {
            Ok(response) => {
                let now = self.now();
                self.watch
                    .handle_response(now, response.status, &response.headers);
                self.body = spawn_reader(response.body);
                if self.body.is_none() {
                    let now = self.now();
                    let error = TransportError::new(
                        TransportErrorKind::Other,
                        "cannot start the thread that reads the body",
                    );
                    self.watch.handle_transport_error(now, error);
                }
            }
            Err(error) => {
                let now = self.now();
                self.watch.handle_transport_error(now, error);
            }
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
                self.body = None;
                self.chunk = (Vec::new(), 0);
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
            if self.chunk.1 < self.chunk.0.len() {
                let now = self.now();
                let (bytes, taken) = &mut self.chunk;
                *taken += self.watch.handle_body(now, &bytes[*taken..]);
                continue;
            }
            let wait = self.wait();
            let input = match (&self.body, wait) {
                (Some(body), Some(wait)) => body.recv_timeout(wait),
                (Some(body), None) => body.recv().map_err(|_| RecvTimeoutError::Disconnected),
                (None, Some(wait)) => {
                    thread::sleep(wait);
                    Err(RecvTimeoutError::Timeout)
                }
                // A live watch always waits on a connection or a deadline.
                (None, None) => return None,
            };
            let now = self.now();
            match input {
                Ok(Chunk::Bytes(bytes)) => self.chunk = (bytes, 0),
                Ok(Chunk::End) => {
                    self.body = None;
                    self.watch.handle_eof(now);
                }
                Ok(Chunk::Failed(error)) => {
                    self.body = None;
                    self.watch.handle_transport_error(now, error);
                }
                Err(RecvTimeoutError::Timeout) => self.watch.handle_timeout(now),
                Err(RecvTimeoutError::Disconnected) => {
                    // The reader thread died without a word (it panicked).
                    self.body = None;
                    let error = TransportError::new(
                        TransportErrorKind::Other,
                        "the thread reading the body stopped",
                    );
                    self.watch.handle_transport_error(now, error);
                }
            }
        }
    }
}

/// Starts the thread that reads `body` into a bounded channel; `None` if the
/// thread cannot be started.
fn spawn_reader<B: Read + Send + 'static>(mut body: B) -> Option<Receiver<Chunk>> {
    let (tx, rx) = mpsc::sync_channel(READ_AHEAD);
    let started = thread::Builder::new()
        .name("bedrock-sse-body".into())
        .stack_size(READER_STACK)
        .spawn(move || read_body(&mut body, &tx));
    started.ok().map(|_| rx)
}

fn read_body(body: &mut impl Read, tx: &SyncSender<Chunk>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let chunk = match body.read(&mut buf) {
            Ok(0) => Chunk::End,
            Ok(n) => Chunk::Bytes(buf[..n].to_vec()),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                let kind = match error.kind() {
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                        TransportErrorKind::Timeout
                    }
                    io::ErrorKind::InvalidData => TransportErrorKind::Protocol,
                    _ => TransportErrorKind::Reset,
                };
                Chunk::Failed(TransportError::from_error(kind, &error))
            }
        };
        let last = !matches!(chunk, Chunk::Bytes(_));
        // The driver dropped the connection: stop reading.
        if tx.send(chunk).is_err() || last {
            return;
        }
    }
}
