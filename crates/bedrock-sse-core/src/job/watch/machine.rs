//! The session machine itself.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem;
use core::time::Duration;

use super::backoff::SplitMix64;
use super::config::WatchConfig;
use super::dedupe::Dedupe;
use super::error::{Failure, TransportError, WatchError};
use super::request::Request;
use super::response::{Class, Head, HeaderPair, classify};
use super::time::Instant;
use crate::api::{ApiError, RateLimit};
use crate::job::{JobEvent, MalformedEvent, OwnedJobEvent, Parsed};
use crate::sse::{DecodeError, Decoder, Item};

/// What the driver must do next, from [`Watch::poll_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a connection with this request, and feed its response to the
    /// watch. Any previous connection has been closed first.
    Connect(Request),
    /// Close the current connection (drop the response) and feed nothing
    /// more from it.
    Close,
    /// The watch is over: take the outcome with [`Watch::poll_outcome`].
    /// Always the last action.
    Done,
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

/// How a watch ended, from [`Watch::poll_outcome`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The job reached its end; this is the terminal event (`completed`,
    /// `failed`, `canceled`, or a `status` with a terminal status). A
    /// failed *job* is still a successful *watch*.
    Finished(OwnedJobEvent),
    /// The server answered 204 No Content: stop watching.
    Stopped,
    /// The watch failed.
    Failed(WatchError),
}

impl Outcome {
    /// The terminal event, if the job reached one.
    pub fn final_event(&self) -> Option<&OwnedJobEvent> {
        match self {
            Outcome::Finished(event) => Some(event),
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
    /// The current connection delivered a new job event.
    new_events: bool,
}

impl Sink {
    /// Handles one decoder item; returns the terminal event if it ended the
    /// job.
    fn item(&mut self, job_id: &str, item: Result<Item<'_>, DecodeError>) -> Option<OwnedJobEvent> {
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
        let event = event.into_owned();
        let terminal = (ours && event.is_terminal()).then(|| event.clone());
        self.events.push_back(WatchEvent::Job {
            id: sse.id.into(),
            event: Box::new(event),
        });
        terminal
    }
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
    actions: VecDeque<Action>,
    /// Boxed: an outcome is big and comes once, at the end.
    outcome: Option<Box<Outcome>>,
    finished: bool,
}

impl Watch {
    /// A watch that starts now: its first action is the first
    /// [`Connect`](Action::Connect). `seed` drives the retry jitter; give
    /// each watch a different one (from any randomness the driver has).
    pub fn new(config: WatchConfig, now: Instant, seed: u64) -> Watch {
        let mut decoder = Decoder::with_limits(config.limits);
        if let Some(id) = &config.resume_from {
            decoder.set_last_event_id(id);
        }
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
            actions: VecDeque::new(),
            outcome: None,
            finished: false,
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
        if !self.enter(now) || !matches!(self.conn, Conn::Requested { .. }) {
            return;
        }
        let head = Head::read(headers);
        if !head.rate_limit.is_empty() {
            self.rate_limit = Some(head.rate_limit);
        }
        let now = self.now;
        match classify(status) {
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
            Class::RateLimited => {
                self.end_connection(true);
                let wait = head
                    .retry_after
                    .map_or(self.config.retry_after_default, |d| {
                        d.min(self.config.retry_after_max)
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
    }

    /// Bytes of the response body, cut anywhere. Heartbeats and comments
    /// count as signs of life.
    ///
    /// Ignored unless a response is being read (bytes of a connection the
    /// watch asked to close are dropped).
    pub fn handle_body(&mut self, now: Instant, bytes: &[u8]) {
        if !self.enter(now) {
            return;
        }
        let now = self.now;
        match &mut self.conn {
            Conn::Streaming {
                last_rx, got_bytes, ..
            } => {
                *last_rx = now;
                *got_bytes |= !bytes.is_empty();
                let mut input = bytes;
                let mut terminal = None;
                while !input.is_empty() {
                    let step = self.decoder.decode(input);
                    input = &input[step.consumed..];
                    let Some(item) = step.item else { break };
                    terminal = self.sink.item(self.config.job_id(), item);
                    if terminal.is_some() {
                        break;
                    }
                }
                if self.sink.new_events {
                    self.failures = 0;
                }
                if let Some(event) = terminal {
                    self.finish(Outcome::Finished(event));
                }
            }
            Conn::ErrorBody { body, last_rx, .. } => {
                *last_rx = now;
                let room = self.config.max_error_body.saturating_sub(body.len());
                body.extend_from_slice(&bytes[..bytes.len().min(room)]);
                if bytes.len() >= room {
                    self.finish_error_body(true);
                }
            }
            _ => {}
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
            Conn::Waiting { .. } | Conn::Idle => {}
        }
    }

    /// The connection failed (connect, TLS, reset, read error...).
    pub fn handle_transport_error(&mut self, now: Instant, error: TransportError) {
        if !self.enter(now) {
            return;
        }
        match self.conn {
            Conn::Requested { .. } | Conn::Streaming { .. } => {
                self.end_connection(false);
                self.retry_after_failure(Failure::Transport(error), Duration::ZERO);
            }
            Conn::ErrorBody { .. } => self.finish_error_body(false),
            Conn::Waiting { .. } | Conn::Idle => {}
        }
    }

    /// The time from [`poll_timeout`](Self::poll_timeout) has come (calling
    /// it early, or more than once, is harmless).
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.enter(now) {
            return;
        }
        let now = self.now;
        let idle = self.config.idle_timeout;
        match self.conn {
            Conn::Waiting { until } if now >= until => self.connect(),
            Conn::Requested { since } if now >= since + idle => {
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
        self.actions.pop_front()
    }

    /// The next event to hand to the application, if any.
    pub fn poll_event(&mut self) -> Option<WatchEvent> {
        self.sink.events.pop_front()
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
        let idle = self.config.idle_timeout;
        let timer = match self.conn {
            Conn::Waiting { until } => Some(until),
            Conn::Requested { since } => Some(since + idle),
            Conn::Streaming { last_rx, .. } | Conn::ErrorBody { last_rx, .. } => {
                Some(last_rx + idle)
            }
            Conn::Idle => None,
        };
        let first = match (timer, self.config.deadline) {
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

    /// The request the next [`Connect`](Action::Connect) would carry.
    pub fn request(&self) -> Request {
        let config = &self.config;
        let mut request = Request::new(config.base_url.stream_url(config.job_id()));
        request.push("accept", "text/event-stream".into(), false);
        request.push("cache-control", "no-cache".into(), false);
        if let Some(credentials) = &config.credentials {
            let (name, value) = credentials.header();
            request.push(name, value, true);
        }
        request.push("x-api-version", config.api_version.as_str().into(), false);
        let agent = match crate::api::header_safe(&config.user_agent) {
            Ok(()) if !config.user_agent.is_empty() => config.user_agent.as_str(),
            _ => WatchConfig::USER_AGENT,
        };
        request.push("user-agent", agent.into(), false);
        let id = self.decoder.last_event_id();
        // An id with control characters cannot be a header value; the
        // server then gets no resume point rather than a broken request.
        if !id.is_empty() && id.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f)) {
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
        if self.config.deadline.is_some_and(|d| self.now >= d) {
            self.finish(Outcome::Failed(WatchError::DeadlineExceeded));
            return false;
        }
        true
    }

    fn connect(&mut self) {
        self.connections = self.connections.saturating_add(1);
        self.sink
            .dedupe
            .start_connection(self.decoder.last_event_id());
        self.sink.new_events = false;
        self.conn = Conn::Requested { since: self.now };
        self.actions.push_back(Action::Connect(self.request()));
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
            self.actions.push_back(Action::Close);
        }
        let productive = match mem::replace(&mut self.conn, Conn::Idle) {
            Conn::Streaming {
                opened, got_bytes, ..
            } => {
                self.decoder.finish();
                self.sink.new_events
                    || (got_bytes && self.now - opened >= self.config.min_rotation_uptime)
            }
            _ => false,
        };
        if productive {
            self.failures = 0;
        }
        productive
    }

    /// A planned rotation: reconnect after the stream's `retry`, or the
    /// configured rotation delay. Spends no budget.
    fn rotate(&mut self) {
        let delay = self
            .decoder
            .retry()
            .map_or(self.config.rotation_delay, |ms| self.config.clamp_retry(ms));
        self.schedule(delay, None);
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
        if self.config.deadline.is_some_and(|d| until >= d) {
            self.finish(Outcome::Failed(WatchError::DeadlineExceeded));
            return;
        }
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
            self.actions.push_back(Action::Close);
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
        self.outcome = Some(Box::new(outcome));
        self.actions.push_back(Action::Done);
    }
}
