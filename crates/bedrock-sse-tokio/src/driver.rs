//! The driver loop: a [`Watch`] fed by a [`Transport`] and a tokio timer.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use bedrock_sse_core::job::watch::{
    Action, Instant, Outcome, TransportError, Watch, WatchConfig, WatchEvent,
};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use tokio::time;

use crate::transport::{Response, Transport};

/// Follows one job to its end over a [`Transport`], with tokio's timer.
///
/// Pull events with [`next_event`](Self::next_event) until it returns
/// `None`, then read the [`outcome`](Self::outcome). Dropping the value
/// mid-watch closes the connection.
pub struct JobWatch<T: Transport> {
    watch: Watch,
    transport: T,
    /// The driver's epoch: the core's [`Instant`] is the time since it.
    origin: time::Instant,
    conn: Conn<T::Body>,
    outcome: Option<Outcome>,
}

enum Conn<B> {
    Closed,
    Connecting(BoxFuture<'static, Result<Response<B>, TransportError>>),
    Reading(B),
}

/// What woke the driver.
enum Input<B> {
    Response(Result<Response<B>, TransportError>),
    Chunk(Option<Result<Bytes, TransportError>>),
    Timeout,
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
        JobWatch {
            watch: Watch::new(config, Instant::ZERO, seed),
            transport,
            origin: time::Instant::now(),
            conn: Conn::Closed,
            outcome: None,
        }
    }

    /// The session machine, for its counters: last-event-ID, connections,
    /// consecutive failures, suppressed duplicates, rate-limit headers.
    pub fn watch(&self) -> &Watch {
        &self.watch
    }

    /// How the watch ended, once [`next_event`](Self::next_event) has
    /// returned `None`.
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
    /// Cancel-safe: dropping the future loses no event, and the next call
    /// picks up where it left.
    pub async fn next_event(&mut self) -> Option<WatchEvent> {
        loop {
            while let Some(action) = self.watch.poll_action() {
                match action {
                    Action::Connect(request) => {
                        tracing::debug!(url = request.url(), "connecting");
                        self.conn = Conn::Connecting(self.transport.send(&request));
                    }
                    Action::Close | Action::Done => self.conn = Conn::Closed,
                }
            }
            if let Some(event) = self.watch.poll_event() {
                return Some(event);
            }
            if let Some(outcome) = self.watch.poll_outcome() {
                tracing::debug!(?outcome, "watch over");
                self.outcome = Some(outcome);
            }
            if self.outcome.is_some() {
                return None;
            }
            let deadline = self.watch.poll_timeout();
            if deadline.is_none() && matches!(self.conn, Conn::Closed) {
                // A live watch always waits on a connection or a deadline;
                // anything else would hang forever.
                debug_assert!(false, "watch is idle without a deadline");
                return None;
            }
            let wake = deadline.map(|at| self.origin + at.as_duration());
            let input = tokio::select! {
                input = next_input(&mut self.conn) => input,
                () = sleep_until(wake) => Input::Timeout,
            };
            let now = self.now();
            match input {
                Input::Response(Ok(response)) => {
                    self.watch
                        .handle_response(now, response.status, &response.headers);
                    self.conn = Conn::Reading(response.body);
                }
                Input::Response(Err(error)) | Input::Chunk(Some(Err(error))) => {
                    tracing::debug!(?error, "connection failed");
                    self.conn = Conn::Closed;
                    self.watch.handle_transport_error(now, error);
                }
                Input::Chunk(Some(Ok(bytes))) => self.watch.handle_body(now, &bytes),
                Input::Chunk(None) => {
                    self.conn = Conn::Closed;
                    self.watch.handle_eof(now);
                }
                Input::Timeout => self.watch.handle_timeout(now),
            }
        }
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

    /// The events as a [`Stream`]. The outcome is not part of it: use
    /// [`next_event`](Self::next_event) and [`outcome`](Self::outcome) when
    /// you need it.
    pub fn into_stream(self) -> impl Stream<Item = WatchEvent> + Send
    where
        T::Body: Send,
    {
        futures_util::stream::unfold(self, |mut watch| async move {
            let event = watch.next_event().await?;
            Some((event, watch))
        })
    }

    fn now(&self) -> Instant {
        Instant::from_duration(time::Instant::now().saturating_duration_since(self.origin))
    }
}

async fn next_input<B>(conn: &mut Conn<B>) -> Input<B>
where
    B: futures_util::Stream<Item = Result<Bytes, TransportError>> + Unpin,
{
    match conn {
        Conn::Closed => std::future::pending().await,
        Conn::Connecting(send) => Input::Response(send.await),
        Conn::Reading(body) => Input::Chunk(body.next().await),
    }
}

async fn sleep_until(at: Option<time::Instant>) {
    match at {
        Some(at) => time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
