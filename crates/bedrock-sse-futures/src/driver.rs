//! The driver loop: a [`Watch`] fed by a [`Transport`] and an `async-io`
//! timer.

use std::collections::hash_map::RandomState;
use std::future::{Future, poll_fn};
use std::hash::BuildHasher;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time;

use async_io::Timer;
use bedrock_sse_core::watch::{
    Action, Instant, Outcome, TransportError, Watch, WatchConfig, WatchEvent,
};
use futures_core::Stream;
use futures_core::future::BoxFuture;

use crate::transport::{Response, Transport};

/// Follows one job to its end over a [`Transport`], with `async-io`'s timer:
/// runs under async-std, smol, or any executor (a plain `block_on`
/// included), since `async-io` keeps its own reactor thread when no
/// executor drives it.
///
/// Pull events with [`next_event`](Self::next_event) (or use it as a
/// [`Stream`]) until it returns `None`, then read the
/// [`outcome`](Self::outcome), which stays available after the end. Every
/// decision (reconnects, backoff, redirects, which events are new) is the
/// core [`Watch`]'s; this type only moves bytes and keeps the time.
/// Dropping it mid-watch closes the connection.
pub struct JobWatch<T: Transport> {
    watch: Watch,
    transport: T,
    /// The driver's epoch: the core's [`Instant`] is the time since it.
    origin: time::Instant,
    conn: Conn<T::Body, T::Chunk>,
    /// The watch's next deadline, and when the timer was last set for
    /// (`None` once it fired: a fired timer is set again before use).
    timer: Timer,
    armed: Option<time::Instant>,
    outcome: Option<Outcome>,
    span: tracing::Span,
}

enum Conn<B, C> {
    Closed,
    Connecting(BoxFuture<'static, Result<Response<B>, TransportError>>),
    /// The body, and its last chunk with how much of it the watch has
    /// taken.
    Reading(B, Option<(C, usize)>),
}

// A chunk is only ever read through `AsRef`, never pinned, so holding one
// does not tie the driver to its place in memory.
impl<B: Unpin, C> Unpin for Conn<B, C> {}

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
            watch: Watch::new(config, Instant::ZERO, seed),
            transport,
            origin: time::Instant::now(),
            conn: Conn::Closed,
            timer: Timer::never(),
            armed: None,
            outcome: None,
            span,
        }
    }

    /// The session machine, for its counters: last-event-ID, connections,
    /// consecutive failures, suppressed duplicates, rate-limit headers.
    pub fn watch(&self) -> &Watch {
        &self.watch
    }

    /// How the watch ended, once [`next_event`](Self::next_event) has
    /// returned `None` (and from then on).
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Takes the outcome, once [`next_event`](Self::next_event) has returned
    /// `None`.
    pub fn into_outcome(self) -> Option<Outcome> {
        self.outcome
    }

    /// The next event, waiting as long as the watch says to; `None` once the
    /// watch is over (then see [`outcome`](Self::outcome)).
    ///
    /// Cancel-safe: dropping the future (e.g. the losing side of a
    /// `select`) loses no event, and the next call picks up where it left.
    pub async fn next_event(&mut self) -> Option<WatchEvent> {
        poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// Runs the watch to its end, calling `on_event` for each event, and
    /// returns the outcome.
    pub async fn run(mut self, mut on_event: impl FnMut(WatchEvent)) -> Outcome {
        while let Some(event) = self.next_event().await {
            on_event(event);
        }
        self.outcome
            .expect("next_event returns None only once the outcome is set")
    }

    /// The poll form of [`next_event`](Self::next_event).
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<WatchEvent>> {
        let span = self.span.clone();
        let _entered = span.enter();
        loop {
            while let Some(action) = self.watch.poll_action() {
                self.conn = match action {
                    Action::Connect(request) => Conn::Connecting(self.transport.send(&request)),
                    Action::Close => Conn::Closed,
                };
            }
            if let Some(event) = self.watch.poll_event() {
                return Poll::Ready(Some(event));
            }
            if let Some(outcome) = self.watch.poll_outcome() {
                self.conn = Conn::Closed;
                self.outcome = Some(outcome);
            }
            if self.outcome.is_some() {
                return Poll::Ready(None);
            }
            if self.poll_connection(cx).is_ready() {
                continue;
            }
            let Some(at) = self.watch.poll_timeout() else {
                // A live watch always has a deadline; without one it would
                // wait forever.
                debug_assert!(false, "a live watch without a deadline");
                return Poll::Ready(None);
            };
            let wake = self.origin + at.as_duration();
            if self.armed != Some(wake) {
                self.timer.set_at(wake);
                self.armed = Some(wake);
            }
            ready!(Pin::new(&mut self.timer).poll(cx));
            self.armed = None;
            let now = self.now();
            self.watch.handle_timeout(now);
        }
    }

    /// Polls the connection once; `Ready` when it gave the watch an input.
    fn poll_connection(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let input = match &mut self.conn {
            Conn::Closed => return Poll::Pending,
            Conn::Connecting(send) => match ready!(send.as_mut().poll(cx)) {
                Ok(response) => {
                    let now = self.now();
                    self.watch
                        .handle_response(now, response.status, &response.headers);
                    self.conn = Conn::Reading(response.body, None);
                    return Poll::Ready(());
                }
                Err(error) => Err(error),
            },
            // What the watch has yet to take of the last chunk (it stops
            // at a full queue; its events are drained by now).
            Conn::Reading(_, Some((chunk, taken))) if *taken < chunk.as_ref().len() => {
                let now = Instant::from_duration(self.origin.elapsed());
                *taken += self.watch.handle_body(now, &chunk.as_ref()[*taken..]);
                return Poll::Ready(());
            }
            Conn::Reading(body, _) => match ready!(Pin::new(body).poll_next(cx)) {
                Some(Ok(chunk)) => Ok(Some(chunk)),
                Some(Err(error)) => Err(error),
                None => Ok(None),
            },
        };
        let now = self.now();
        match input {
            // Fed by the arm above, in as many calls as the watch needs.
            Ok(Some(chunk)) => {
                if let Conn::Reading(_, last) = &mut self.conn {
                    *last = Some((chunk, 0));
                }
            }
            Ok(None) => {
                self.conn = Conn::Closed;
                self.watch.handle_eof(now);
            }
            Err(error) => {
                self.conn = Conn::Closed;
                self.watch.handle_transport_error(now, error);
            }
        }
        Poll::Ready(())
    }

    fn now(&self) -> Instant {
        Instant::from_duration(time::Instant::now().saturating_duration_since(self.origin))
    }
}

/// The watch's events, ending when the watch does; [`JobWatch::outcome`]
/// still answers afterwards.
impl<T: Transport + Unpin> Stream for JobWatch<T> {
    type Item = WatchEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<WatchEvent>> {
        self.get_mut().poll_next_event(cx)
    }
}
