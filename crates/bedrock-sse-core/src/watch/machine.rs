//! The session machine itself.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem;
use core::time::Duration;

use super::backoff::SplitMix64;
use super::config::{RedirectPolicy, WatchConfig};
use super::dedupe::Dedupe;
use super::error::{Failure, TransportError, TransportErrorKind, WatchError};
use super::time::Instant;
use crate::api::{ApiError, RateLimit};
use crate::http::{
    Class, Head, HeaderPair, InvalidLocation, Origin, Request, classify, resolve_location,
    round_trips,
};
use crate::job::{JobEnd, JobEvent, MalformedEvent, OwnedJobEvent, Parsed};
use crate::sse::{DecodeError, Decoder, Item};

/// What the driver must do next, from [`Watch::poll_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a connection with this request, and feed its response to the
    /// watch. Any previous connection has been closed first.
    Connect(Request),
    /// Close the current connection (drop the response, and never reuse
    /// its socket) and feed nothing more from it.
    Close,
}

/// What the watch has to tell, from [`Watch::poll_event`], in order.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchEvent {
    /// A job event, delivered exactly once. The terminal event, if the job
    /// reaches one, is the last of these (and is also in the outcome).
    Job {
        /// The stream's last-event-ID when this event was dispatched (the
        /// SSE rules' `lastEventId`): where a later watch could resume
        /// from with [`WatchConfig::resume_from`](super::WatchConfig::resume_from).
        /// Empty if the stream never sent an id.
        id: String,
        /// The event. Boxed so that queued warnings and notices stay small.
        event: Box<OwnedJobEvent>,
    },
    /// A warning: an event of a known kind had unreadable data and was
    /// skipped. The stream goes on.
    Malformed(MalformedEvent),
    /// A warning: an event broke the decoder's limits and was dropped.
    Decode(DecodeError),
    /// The connection ended before the job did; the watch will connect
    /// again after `delay`.
    Reconnecting {
        /// How long until the next attempt.
        delay: Duration,
        /// Consecutive failures so far (unchanged by a planned rotation).
        failures: u32,
        /// Why: `None` for a planned rotation (the server's periodic
        /// close), else the failure.
        cause: Option<Failure>,
    },
}

/// How a watch ended, from [`Watch::poll_outcome`]: the one end-of-watch
/// signal, given exactly once.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The job reached its end. A failed *job* is still a successful
    /// *watch*: `end` says how the job ended.
    Finished {
        /// How the job ended.
        end: JobEnd,
        /// The terminal event (`completed`, `failed`, `canceled`, or a
        /// `status` with a terminal status), also delivered as the last
        /// [`WatchEvent::Job`].
        event: OwnedJobEvent,
    },
    /// The server answered 204 No Content: stop watching.
    Stopped,
    /// The watch failed.
    Failed(WatchError),
}

impl Outcome {
    /// How the job ended, if it did.
    pub fn job_end(&self) -> Option<JobEnd> {
        match self {
            Outcome::Finished { end, .. } => Some(*end),
            _ => None,
        }
    }

    /// The terminal event, if the job reached one.
    pub fn final_event(&self) -> Option<&OwnedJobEvent> {
        match self {
            Outcome::Finished { event, .. } => Some(event),
            _ => None,
        }
    }

    /// The error, if the watch failed.
    pub fn error(&self) -> Option<&WatchError> {
        match self {
            Outcome::Failed(error) => Some(error),
            _ => None,
        }
    }
}

/// Where the current connection is.
#[derive(Debug)]
enum Conn {
    /// No connection; the next one opens at `until`.
    Waiting { until: Instant },
    /// No connection; the next may open as soon as the fleet grants it.
    Queued,
    /// The request is out; no response head yet.
    Requested { since: Instant },
    /// A 200 event stream is flowing.
    Streaming {
        opened: Instant,
        last_rx: Instant,
        got_bytes: bool,
    },
    /// A fatal status: reading the body for its problem details.
    ErrorBody {
        status: u16,
        request_id: Option<String>,
        body: Vec<u8>,
        last_rx: Instant,
    },
    /// Between two states, or after the end.
    Idle,
}

/// Where typed events go: the dedupe filter and the output queue.
#[derive(Debug, Default)]
struct Sink {
    dedupe: Dedupe,
    events: VecDeque<WatchEvent>,
    /// Bytes of data and id of the job events queued since the queue was
    /// last empty (an over-estimate until it empties: it only grows).
    /// 32 bits, saturating, so that it fits beside `new_events`.
    queued_data: u32,
    /// The current connection delivered a new job event.
    new_events: bool,
}

impl Sink {
    /// Whether the queue holds all it may before the driver drains it:
    /// `room` events, or events with as much data as one may carry.
    fn is_full(&self, room: usize, max_data: usize) -> bool {
        self.events.len() >= room
            || (!self.events.is_empty() && self.queued_data as usize >= max_data)
    }

    /// The next queued event; the data count restarts once the queue is
    /// empty.
    fn pop(&mut self) -> Option<WatchEvent> {
        let event = self.events.pop_front();
        if self.events.is_empty() {
            self.queued_data = 0;
        }
        event
    }

    /// Handles one decoder item; returns the terminal event if it ended the
    /// job.
    fn item(
        &mut self,
        job_id: &str,
        item: Result<Item<'_>, DecodeError>,
    ) -> Option<(JobEnd, OwnedJobEvent)> {
        let sse = match item {
            Ok(Item::Event(sse)) => sse,
            // The decoder keeps the latest `retry`; it is read when needed.
            Ok(Item::Retry(_)) => return None,
            Err(error) => {
                self.events.push_back(WatchEvent::Decode(error));
                return None;
            }
        };
        let event = match JobEvent::from_sse(&sse) {
            Ok(Parsed::Event(event)) => event,
            Ok(Parsed::KeepAlive) => return None,
            Err(error) => {
                self.events.push_back(WatchEvent::Malformed(error));
                return None;
            }
        };
        // An event about another job (a child's, say) is delivered but can
        // neither end this watch nor stand for this job's state.
        let ours = event
            .data()
            .and_then(|d| d.job_id.as_deref())
            .is_none_or(|id| id == job_id);
        if !self
            .dedupe
            .admit(sse.id, sse.event_type, sse.data, &event, ours)
        {
            return None;
        }
        self.new_events = true;
        let end = JobEnd::of(&event).filter(|_| ours);
        let event = event.into_owned();
        let terminal = end.map(|end| (end, event.clone()));
        let size = u32::try_from(sse.data.len() + sse.id.len()).unwrap_or(u32::MAX);
        self.queued_data = self.queued_data.saturating_add(size);
        self.events.push_back(WatchEvent::Job {
            id: sse.id.into(),
            event: Box::new(event),
        });
        terminal
    }
}

/// The actions the driver has yet to be told, in this order: close the
/// current connection, then open the next. The request itself is built
/// when the driver asks for it, so a waiting watch holds none.
#[derive(Debug, Default)]
struct Pending {
    close: bool,
    connect: bool,
}

/// Where the current attempt's redirects have led.
#[derive(Debug)]
struct Redirected {
    url: String,
    hops: u8,
    /// Credentials are sent only while every hop stayed in the base URL's
    /// origin.
    credentials: bool,
}

/// Follows one job to its end, across any number of connections, without
/// doing any I/O. See the [module docs](super) for the driver loop.
#[derive(Debug)]
pub struct Watch {
    config: WatchConfig,
    /// The latest time given; inputs from the past are taken as now.
    now: Instant,
    rng: SplitMix64,
    decoder: Decoder,
    sink: Sink,
    conn: Conn,
    failures: u32,
    connections: u32,
    rate_limit: Option<RateLimit>,
    /// The current attempt's redirects: where it now points, and whether
    /// credentials still go there.
    redirect: Option<Box<Redirected>>,
    /// When the whole watch must have ended: its start plus the timeout.
    deadline: Option<Instant>,
    /// What the driver has yet to be told.
    pending: Pending,
    /// Boxed: an outcome is big and comes once, at the end.
    outcome: Option<Box<Outcome>>,
    finished: bool,
    /// Connections wait for a grant (the watch is in a fleet).
    gated: bool,
}

/// What a fleet learns from a response head a watch took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    pub(crate) status: u16,
    pub(crate) rate_limit: RateLimit,
    pub(crate) retry_after: Option<Duration>,
}

impl Watch {
    /// A watch that starts now: its first action is the first
    /// [`Connect`](Action::Connect). `seed` drives the retry jitter; give
    /// each watch a different one (from any randomness the driver has).
    pub fn new(config: WatchConfig, now: Instant, seed: u64) -> Watch {
        Self::build(config, now, seed, false)
    }

    /// A watch whose every connection waits for [`grant`](Self::grant).
    pub(crate) fn gated(config: WatchConfig, now: Instant, seed: u64) -> Watch {
        Self::build(config, now, seed, true)
    }

    fn build(config: WatchConfig, now: Instant, seed: u64, gated: bool) -> Watch {
        let mut decoder = Decoder::with_limits(config.limits);
        if let Some(id) = &config.resume_from {
            decoder.set_last_event_id(id.as_str());
        }
        let deadline = config.timeout().map(|timeout| now + timeout);
        let mut watch = Watch {
            config,
            now,
            rng: SplitMix64::new(seed),
            decoder,
            sink: Sink::default(),
            conn: Conn::Idle,
            failures: 0,
            connections: 0,
            rate_limit: None,
            redirect: None,
            deadline,
            pending: Pending::default(),
            outcome: None,
            finished: false,
            gated,
        };
        if watch.enter(now) {
            watch.connect();
        }
        watch
    }

    // ----- inputs -------------------------------------------------------

    /// The response head arrived: its status and headers (any case; see
    /// [`HeaderPair`] for the accepted forms).
    ///
    /// Ignored unless a request is outstanding.
    pub fn handle_response<I>(&mut self, now: Instant, status: u16, headers: I)
    where
        I: IntoIterator,
        I::Item: HeaderPair,
    {
        self.respond(now, status, headers);
    }

    /// [`handle_response`](Self::handle_response), telling a fleet what it
    /// learnt; `None` if the response was ignored.
    pub(crate) fn respond<I>(&mut self, now: Instant, status: u16, headers: I) -> Option<Seen>
    where
        I: IntoIterator,
        I::Item: HeaderPair,
    {
        if !self.enter(now) || !matches!(self.conn, Conn::Requested { .. }) {
            return None;
        }
        let mut head = Head::read(headers);
        if let Some(creds) = &self.config.credentials {
            head.scrub(creds.secret());
        }
        let seen = Seen {
            status,
            rate_limit: head.rate_limit,
            retry_after: head.retry_after,
        };
        if !head.rate_limit.is_empty() {
            self.rate_limit = Some(head.rate_limit);
        }
        let now = self.now;
        trace_response(status, &head);
        match classify(status) {
            Class::Stream if head.content_encoding.is_some() => {
                self.finish(Outcome::Failed(WatchError::UnsupportedEncoding {
                    encoding: head.content_encoding.unwrap_or_default(),
                    request_id: head.request_id,
                }))
            }
            Class::Stream if head.is_event_stream() => {
                self.conn = Conn::Streaming {
                    opened: now,
                    last_rx: now,
                    got_bytes: false,
                };
            }
            Class::Stream => self.finish(Outcome::Failed(WatchError::NotAnEventStream {
                content_type: head.content_type,
                request_id: head.request_id,
            })),
            Class::Stop => self.finish(Outcome::Stopped),
            Class::Redirect => self.redirect(status, head.location.as_deref()),
            Class::RateLimited => {
                self.end_connection(true);
                let wait = head.retry_after.map_or(self.config.retry_after().0, |d| {
                    d.min(self.config.retry_after().1)
                });
                let cause = Failure::RateLimited {
                    retry_after: head.retry_after,
                    request_id: head.request_id,
                };
                self.retry_after_failure(cause, wait);
            }
            Class::Retry => {
                self.end_connection(true);
                let cause = Failure::Status {
                    status,
                    request_id: head.request_id,
                };
                self.retry_after_failure(cause, Duration::ZERO);
            }
            Class::Unauthorized | Class::NotFound | Class::Unexpected => {
                self.conn = Conn::ErrorBody {
                    status,
                    request_id: head.request_id,
                    body: Vec::new(),
                    last_rx: now,
                };
            }
        }
        Some(seen)
    }

    /// The most events a watch queues before the driver takes them with
    /// [`poll_event`](Self::poll_event): once this many are waiting,
    /// [`handle_body`](Self::handle_body) stops consuming. A few dozen
    /// keeps a chunk of tiny events from becoming a queue many times its
    /// size, and costs nothing in throughput: the driver drains and goes on.
    pub const MAX_QUEUED_EVENTS: usize = 32;

    /// Bytes of the response body, cut anywhere. Heartbeats and comments
    /// count as signs of life.
    ///
    /// Returns how many bytes of `bytes` the watch took. It takes the
    /// events in them until [`MAX_QUEUED_EVENTS`](Self::MAX_QUEUED_EVENTS)
    /// events are queued, or the queued events carry as much data as one
    /// event may ([`Limits::max_data`](crate::sse::Limits::max_data)), and
    /// stops there: drain [`poll_event`](Self::poll_event) until `None`,
    /// then call again with `&bytes[consumed..]`, until all is taken. So
    /// the queue never holds more than that cap, whatever a chunk holds.
    /// A call made with the queue empty takes at least one byte of a
    /// non-empty input. Bytes the watch has no use for are taken whole:
    /// those of a connection it asked to close, of an error body beyond
    /// its limit, and those after the event that ended the job.
    ///
    /// ```
    /// use bedrock_sse_core::watch::{Instant, Watch, WatchConfig, WatchEvent};
    ///
    /// let mut watch = Watch::new(WatchConfig::builder("job_1").unwrap().build(), Instant::ZERO, 1);
    /// while watch.poll_action().is_some() {} // "connect"
    /// watch.handle_response(Instant::ZERO, 200, [("content-type", "text/event-stream")]);
    ///
    /// // One chunk with a hundred tiny events, more than the watch queues.
    /// let chunk = "event: progress\ndata: {}\n\n".repeat(100);
    /// let mut rest = chunk.as_bytes();
    /// let mut events = 0;
    /// while !rest.is_empty() {
    ///     let consumed = watch.handle_body(Instant::ZERO, rest);
    ///     rest = &rest[consumed..];
    ///     while let Some(event) = watch.poll_event() {
    ///         assert!(matches!(event, WatchEvent::Job { .. }));
    ///         events += 1;
    ///     }
    /// }
    /// assert_eq!(events, 100);
    /// ```
    #[must_use = "the bytes past the returned count must be fed again once the events are drained"]
    pub fn handle_body(&mut self, now: Instant, bytes: &[u8]) -> usize {
        self.take_body(now, bytes, Self::MAX_QUEUED_EVENTS)
    }

    /// [`handle_body`](Self::handle_body), stopping once `room` events are
    /// queued (a fleet counts the events it holds itself).
    pub(crate) fn take_body(&mut self, now: Instant, bytes: &[u8], room: usize) -> usize {
        if !self.enter(now) {
            return bytes.len();
        }
        let now = self.now;
        let max_data = self.config.limits.max_data;
        match &mut self.conn {
            Conn::Streaming {
                last_rx, got_bytes, ..
            } => {
                *last_rx = now;
                *got_bytes |= !bytes.is_empty();
                let mut input = bytes;
                let mut terminal = None;
                while !input.is_empty() && !self.sink.is_full(room, max_data) {
                    let step = self.decoder.decode(input);
                    input = &input[step.consumed..];
                    let Some(item) = step.item else { break };
                    terminal = self.sink.item(self.config.job_id.as_str(), item);
                    if terminal.is_some() {
                        break;
                    }
                }
                if self.sink.new_events {
                    self.failures = 0;
                }
                if let Some((end, event)) = terminal {
                    self.finish(Outcome::Finished { end, event });
                    return bytes.len();
                }
                bytes.len() - input.len()
            }
            Conn::ErrorBody { body, last_rx, .. } => {
                *last_rx = now;
                let room = self.config.max_error_body.saturating_sub(body.len());
                body.extend_from_slice(&bytes[..bytes.len().min(room)]);
                if bytes.len() >= room {
                    self.finish_error_body(true);
                }
                bytes.len()
            }
            _ => bytes.len(),
        }
    }

    /// The response body ended cleanly (or the connection closed before a
    /// response head).
    pub fn handle_eof(&mut self, now: Instant) {
        if !self.enter(now) {
            return;
        }
        match self.conn {
            Conn::Requested { .. } => {
                self.end_connection(false);
                self.retry_after_failure(Failure::ClosedBeforeResponse, Duration::ZERO);
            }
            Conn::Streaming { .. } => {
                if self.end_connection(false) {
                    self.rotate();
                } else {
                    self.retry_after_failure(Failure::ClosedEarly, Duration::ZERO);
                }
            }
            Conn::ErrorBody { .. } => self.finish_error_body(false),
            Conn::Waiting { .. } | Conn::Queued | Conn::Idle => {}
        }
    }

    /// The connection failed (connect, TLS, reset, read error...).
    pub fn handle_transport_error(&mut self, now: Instant, error: TransportError) {
        if !self.enter(now) {
            return;
        }
        let error = match &self.config.credentials {
            Some(creds) => error.scrubbed(creds.secret()),
            None => error,
        };
        if error.kind() == TransportErrorKind::Certificate {
            self.finish(Outcome::Failed(WatchError::Certificate(error)));
            return;
        }
        match self.conn {
            // The client gave up at about the head deadline (a blocking
            // client cannot be interrupted): that is the watch's own
            // timeout, whatever the client calls it.
            Conn::Requested { since } if self.now >= since + self.config.head_timeout() => {
                self.end_connection(false);
                self.retry_after_failure(Failure::ResponseTimeout, Duration::ZERO);
            }
            Conn::Requested { .. } | Conn::Streaming { .. } => {
                self.end_connection(false);
                self.retry_after_failure(Failure::Transport(error), Duration::ZERO);
            }
            Conn::ErrorBody { .. } => self.finish_error_body(false),
            Conn::Waiting { .. } | Conn::Queued | Conn::Idle => {}
        }
    }

    /// The time from [`poll_timeout`](Self::poll_timeout) has come (calling
    /// it early, or more than once, is harmless).
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.enter(now) {
            return;
        }
        let now = self.now;
        let idle = self.config.idle_timeout();
        match self.conn {
            Conn::Waiting { until } if now >= until => self.connect(),
            Conn::Requested { since } if now >= since + self.config.head_timeout() => {
                self.end_connection(true);
                self.retry_after_failure(Failure::ResponseTimeout, Duration::ZERO);
            }
            Conn::Streaming { last_rx, .. } if now >= last_rx + idle => {
                self.end_connection(true);
                self.retry_after_failure(Failure::IdleTimeout, Duration::ZERO);
            }
            Conn::ErrorBody { last_rx, .. } if now >= last_rx + idle => {
                self.finish_error_body(true)
            }
            _ => {}
        }
    }

    // ----- outputs ------------------------------------------------------

    /// The next thing the driver must do, if any. Call until `None` after
    /// every input.
    pub fn poll_action(&mut self) -> Option<Action> {
        if mem::take(&mut self.pending.close) {
            return Some(Action::Close);
        }
        if mem::take(&mut self.pending.connect) {
            let request = match &self.redirect {
                Some(to) => self.request_to(to.url.clone(), to.credentials),
                None => self.request(),
            };
            trace_connect(&request, self.connections);
            return Some(Action::Connect(request));
        }
        None
    }

    /// The next event to hand to the application, if any.
    pub fn poll_event(&mut self) -> Option<WatchEvent> {
        self.sink.pop()
    }

    /// Gives back the event queue's memory once it is empty: a fleet moves
    /// every event out at once, and holds thousands of watches.
    pub(crate) fn release_queue(&mut self) {
        if self.sink.events.is_empty() {
            self.sink.events = VecDeque::new();
        }
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) if nothing
    /// else happens first: the reconnect time, the idle deadline or the
    /// overall deadline, whichever is first. Never earlier than the latest
    /// `now` given (a time already passed comes back as that `now`: act at
    /// once). `None` once the watch is over.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        let idle = self.config.idle_timeout();
        let timer = match self.conn {
            Conn::Waiting { until } => Some(until),
            // The fleet's to decide; only the overall deadline remains.
            Conn::Queued => None,
            Conn::Requested { since } => Some(since + self.config.head_timeout()),
            Conn::Streaming { last_rx, .. } | Conn::ErrorBody { last_rx, .. } => {
                Some(last_rx + idle)
            }
            Conn::Idle => None,
        };
        let first = match (timer, self.deadline) {
            (Some(t), Some(d)) => t.min(d),
            (t, d) => t.or(d)?,
        };
        Some(first.max(self.now))
    }

    /// How the watch ended: `Some` exactly once, when it has.
    pub fn poll_outcome(&mut self) -> Option<Outcome> {
        self.outcome.take().map(|outcome| *outcome)
    }

    // ----- state --------------------------------------------------------

    /// Whether the watch is over (its outcome may already have been taken).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The configuration.
    pub fn config(&self) -> &WatchConfig {
        &self.config
    }

    /// The stream's last-event-ID, sent as `Last-Event-ID` on reconnect;
    /// save it to resume later with [`WatchConfig::resume_from`].
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }

    /// The latest `retry` value the stream sent, in milliseconds (unclamped).
    pub fn server_retry(&self) -> Option<u64> {
        self.decoder.retry()
    }

    /// The `X-RateLimit-*` headers of the latest response that had any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }

    /// Consecutive failed connections (reset by a connection that delivers).
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    /// Connections requested so far, the first included.
    pub fn connections(&self) -> u32 {
        self.connections
    }

    /// Replayed events suppressed so far.
    pub fn suppressed(&self) -> u64 {
        self.sink.dedupe.suppressed()
    }

    /// The request the next [`Connect`](Action::Connect) of a new attempt
    /// would carry.
    pub fn request(&self) -> Request {
        let url = self.config.base_url.stream_url(self.config.job_id.as_str());
        self.request_to(url, true)
    }

    /// The stream request, sent to `url`, with the credentials only if
    /// `credentials`.
    fn request_to(&self, url: String, credentials: bool) -> Request {
        let config = &self.config;
        let mut request = Request::new(url);
        request.push("accept", "text/event-stream".into(), false);
        request.push("accept-encoding", "identity".into(), false);
        request.push("cache-control", "no-cache".into(), false);
        if let Some(creds) = config.credentials.as_ref().filter(|_| credentials) {
            let (name, value) = creds.header();
            request.push(name, value, true);
        }
        request.push("x-api-version", config.api_version.as_str().into(), false);
        request.push("user-agent", config.user_agent.as_str().into(), false);
        let id = self.decoder.last_event_id();
        // An id that cannot travel intact (control characters, edge
        // spaces) gives the server no resume point rather than a broken or
        // different one.
        if round_trips(id) {
            request.push("last-event-id", id.into(), false);
        }
        request
    }

    // ----- internals ----------------------------------------------------

    /// Takes the time in; ends the watch if the deadline has passed.
    /// Returns whether the watch is still going.
    fn enter(&mut self, now: Instant) -> bool {
        self.now = self.now.max(now);
        if self.finished {
            return false;
        }
        if self.deadline.is_some_and(|d| self.now >= d) {
            self.finish(Outcome::Failed(WatchError::DeadlineExceeded));
            return false;
        }
        true
    }

    /// Time for a new attempt: start it, or wait for the fleet's grant.
    fn connect(&mut self) {
        if self.gated {
            self.conn = Conn::Queued;
        } else {
            self.open();
        }
    }

    /// Whether the watch waits for a grant to connect.
    pub(crate) fn is_queued(&self) -> bool {
        !self.finished && matches!(self.conn, Conn::Queued)
    }

    /// Lets a queued watch start its attempt now.
    pub(crate) fn grant(&mut self, now: Instant) {
        if self.enter(now) && matches!(self.conn, Conn::Queued) {
            self.open();
        }
    }

    /// Whether a request is out with no response head yet.
    pub(crate) fn awaiting_head(&self) -> bool {
        matches!(self.conn, Conn::Requested { .. })
    }

    /// Whether a connection is open or asked for (what a fleet's cap
    /// counts).
    pub(crate) fn holds_connection(&self) -> bool {
        self.is_connected()
    }

    /// Starts a new attempt at the configured URL.
    fn open(&mut self) {
        self.connections = self.connections.saturating_add(1);
        self.redirect = None;
        self.sink
            .dedupe
            .start_connection(self.decoder.last_event_id());
        self.sink.new_events = false;
        self.conn = Conn::Requested { since: self.now };
        self.pending.connect = true;
    }

    /// A 3xx with a `Location`: follow it within the rules, or end the
    /// watch. A followed hop is part of the same attempt, not a failure.
    fn redirect(&mut self, status: u16, location: Option<&[u8]>) {
        let (from_url, hops, credentials) = match &self.redirect {
            Some(r) => (r.url.clone(), r.hops, r.credentials),
            None => (
                self.config.base_url.stream_url(self.config.job_id.as_str()),
                0,
                true,
            ),
        };
        let fail = |error| Outcome::Failed(error);
        if self.config.redirects == RedirectPolicy::Never {
            let reason = InvalidLocation::Refused;
            return self.finish(fail(WatchError::InvalidRedirect { status, reason }));
        }
        if hops >= WatchConfig::MAX_REDIRECTS {
            let max = WatchConfig::MAX_REDIRECTS;
            return self.finish(fail(WatchError::TooManyRedirects { max }));
        }
        let key = self
            .config
            .credentials
            .as_ref()
            .map(|c| c.secret().expose());
        let target = match resolve_location(&from_url, location) {
            // A URL is logged and kept in errors: it may not carry the key.
            Ok(target) if key.is_some_and(|key| target.url.contains(key)) => {
                let reason = InvalidLocation::HoldsKey;
                return self.finish(fail(WatchError::InvalidRedirect { status, reason }));
            }
            Ok(target) => target,
            Err(reason) => {
                return self.finish(fail(WatchError::InvalidRedirect { status, reason }));
            }
        };
        let home = Origin::of(self.config.base_url.as_str());
        let same = home.as_ref() == Some(&target.origin);
        if !same && self.config.redirects == RedirectPolicy::SameOrigin {
            let from = Origin::of(&from_url).unwrap_or_else(|| target.origin.clone());
            let to = target.origin;
            return self.finish(fail(WatchError::CrossOriginRedirect { status, from, to }));
        }
        let credentials = credentials && same;
        self.end_connection(true);
        self.connections = self.connections.saturating_add(1);
        self.conn = Conn::Requested { since: self.now };
        self.redirect = Some(Box::new(Redirected {
            url: target.url,
            hops: hops + 1,
            credentials,
        }));
        self.pending.connect = true;
    }

    /// Asks the driver to close the current connection; one it has not
    /// been asked to open yet is simply not opened.
    fn close(&mut self) {
        if !mem::take(&mut self.pending.connect) {
            self.pending.close = true;
        }
    }

    fn is_connected(&self) -> bool {
        matches!(
            self.conn,
            Conn::Requested { .. } | Conn::Streaming { .. } | Conn::ErrorBody { .. }
        )
    }

    /// Ends the current connection, asking the driver to close it if
    /// `close`. Returns whether it was productive: a stream that delivered a
    /// new event, or received bytes for at least `min_rotation_uptime`. A
    /// productive connection resets the failure count.
    fn end_connection(&mut self, close: bool) -> bool {
        if close && self.is_connected() {
            self.close();
        }
        let productive = match mem::replace(&mut self.conn, Conn::Idle) {
            Conn::Streaming {
                opened, got_bytes, ..
            } => {
                self.decoder.finish();
                self.sink.new_events
                    || (got_bytes && self.now - opened >= self.config.min_rotation_uptime())
            }
            _ => false,
        };
        if productive {
            self.failures = 0;
        }
        productive
    }

    /// A planned rotation: reconnect after the stream's `retry`, or the
    /// configured rotation delay, plus a little jitter so that watches which
    /// connected together drift apart. Spends no budget.
    fn rotate(&mut self) {
        let delay = self
            .decoder
            .retry()
            .map_or(self.config.rotation().0, |ms| self.config.clamp_retry(ms));
        let jitter = self.config.rotation_jitter().as_millis();
        let jitter = self
            .rng
            .below_inclusive(u64::try_from(jitter).unwrap_or(u64::MAX));
        self.schedule(delay + Duration::from_millis(jitter), None);
    }

    /// A failed attempt: spend budget, back off (at least `floor`, and at
    /// least the stream's clamped `retry`), or give up.
    fn retry_after_failure(&mut self, cause: Failure, floor: Duration) {
        self.failures = self.failures.saturating_add(1);
        if self
            .config
            .backoff
            .max_failures
            .is_some_and(|max| self.failures >= max)
        {
            self.finish(Outcome::Failed(WatchError::RetriesExhausted {
                failures: self.failures,
                last: cause,
            }));
            return;
        }
        let mut delay = self
            .config
            .backoff
            .delay(self.failures, &mut self.rng)
            .max(floor);
        if let Some(ms) = self.decoder.retry() {
            delay = delay.max(self.config.clamp_retry(ms));
        }
        self.schedule(delay, Some(cause));
    }

    fn schedule(&mut self, delay: Duration, cause: Option<Failure>) {
        let until = self.now + delay;
        if self.deadline.is_some_and(|d| until >= d) {
            self.finish(Outcome::Failed(WatchError::DeadlineExceeded));
            return;
        }
        trace_reconnect(delay, self.failures, cause.as_ref());
        self.sink.events.push_back(WatchEvent::Reconnecting {
            delay,
            failures: self.failures,
            cause,
        });
        if delay.is_zero() {
            self.connect();
        } else {
            self.conn = Conn::Waiting { until };
        }
    }

    /// A fatal status's body is in (or enough of it): end with its error.
    fn finish_error_body(&mut self, close: bool) {
        if close {
            self.close();
        }
        let Conn::ErrorBody {
            status,
            request_id,
            body,
            ..
        } = mem::replace(&mut self.conn, Conn::Idle)
        else {
            return;
        };
        // A server may echo the key it refused: never keep it in an error.
        let body = match &self.config.credentials {
            Some(creds) => creds.secret().scrub(body),
            None => body,
        };
        let mut error = ApiError::from_response(status, &body);
        if error.request_id.is_none() {
            error.request_id = request_id;
        }
        let error = match classify(status) {
            Class::Unauthorized => WatchError::Unauthorized { status, error },
            Class::NotFound => WatchError::JobNotFound { error },
            _ => WatchError::UnexpectedStatus { status, error },
        };
        self.finish(Outcome::Failed(error));
    }

    /// Ends the watch: close any connection, record the outcome, say done.
    fn finish(&mut self, outcome: Outcome) {
        if self.finished {
            return;
        }
        self.end_connection(true);
        self.finished = true;
        self.redirect = None;
        trace_outcome(&outcome);
        self.outcome = Some(Box::new(outcome));
    }
}

// ----- diagnostics ------------------------------------------------------
//
// With the `tracing` feature, the watch reports its decisions as `tracing`
// events, so every driver logs the same things. No credential is ever in
// them: URLs never carry one, and headers are not logged.

#[cfg(feature = "tracing")]
fn trace_connect(request: &Request, attempt: u32) {
    tracing::debug!(url = request.url(), attempt, "connecting");
}

#[cfg(feature = "tracing")]
fn trace_response(status: u16, head: &Head) {
    tracing::debug!(
        status,
        request_id = head.request_id.as_deref(),
        content_type = head.content_type.as_deref(),
        "response"
    );
    let rl = &head.rate_limit;
    if !rl.is_empty() {
        tracing::debug!(
            limit = rl.limit,
            remaining = rl.remaining,
            reset = rl.reset,
            "rate limit"
        );
    }
}

#[cfg(feature = "tracing")]
fn trace_reconnect(delay: Duration, failures: u32, cause: Option<&Failure>) {
    let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    match cause {
        None => tracing::info!(delay_ms, failures, "reconnecting after a planned rotation"),
        Some(cause) => tracing::warn!(delay_ms, failures, %cause, "reconnecting after a failure"),
    }
}

#[cfg(feature = "tracing")]
fn trace_outcome(outcome: &Outcome) {
    match outcome {
        Outcome::Finished { end, .. } => {
            tracing::info!(job = end.as_str(), "watch over: the job ended")
        }
        Outcome::Stopped => tracing::info!("watch over: the server said stop (204)"),
        Outcome::Failed(error) => tracing::warn!(%error, "watch failed"),
    }
}

#[cfg(not(feature = "tracing"))]
fn trace_connect(_: &Request, _: u32) {}
#[cfg(not(feature = "tracing"))]
fn trace_response(_: u16, _: &Head) {}
#[cfg(not(feature = "tracing"))]
fn trace_reconnect(_: Duration, _: u32, _: Option<&Failure>) {}
#[cfg(not(feature = "tracing"))]
fn trace_outcome(_: &Outcome) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `body` to a streaming watch one byte at a time, draining its
    /// events after each call; returns the bytes the decoder's line scan
    /// looked at, and the job events delivered.
    fn one_byte_at_a_time(body: &[u8]) -> (usize, usize) {
        let config = WatchConfig::builder("job_1").unwrap().build();
        let mut watch = Watch::new(config, Instant::ZERO, 1);
        while watch.poll_action().is_some() {}
        watch.handle_response(Instant::ZERO, 200, [("content-type", "text/event-stream")]);
        let mut jobs = 0;
        for byte in body.chunks(1) {
            assert_eq!(watch.handle_body(Instant::ZERO, byte), 1);
            while let Some(event) = watch.poll_event() {
                assert!(matches!(event, WatchEvent::Job { .. }), "{event:?}");
                jobs += 1;
            }
        }
        (watch.decoder.scanned(), jobs)
    }

    /// The work of the whole path, 1-byte chunks through the watch, is
    /// linear: each byte is scanned once, however long the line or the
    /// event it belongs to has grown (a counter, not a timer).
    #[test]
    fn work_is_linear_under_one_byte_chunks() {
        for n in [1 << 12, 1 << 15, 1 << 18] {
            let mut line = b"data: ".to_vec();
            line.resize(n, b'a');
            line.extend_from_slice(b"\n\n");
            let mut event = b"data: 0123456789\n".repeat(n / 17);
            event.push(b'\n');
            for (what, body) in [("a long line", line), ("a long event", event)] {
                let (scanned, jobs) = one_byte_at_a_time(&body);
                assert_eq!(jobs, 1, "{what}");
                assert_eq!(
                    scanned,
                    body.len(),
                    "{what} of {} bytes: {scanned} bytes scanned",
                    body.len()
                );
            }
        }
    }
}
