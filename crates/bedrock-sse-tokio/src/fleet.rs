//! The fleet driver: many jobs, one transport, one timer, with the core's
//! [`Fleet`] deciding who connects when.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::future::poll_fn;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bedrock_sse_core::fleet::{Fleet, FleetConfig, WatchId};
use bedrock_sse_core::watch::{Action, Instant, Outcome, TransportError, WatchConfig, WatchEvent};
use bytes::{Buf, Bytes};
use futures_util::stream::{AbortHandle, Abortable, SelectAll};
use futures_util::{Stream, StreamExt};

use crate::clock::Clock;
use crate::transport::{Response, Transport};

/// What a [`FleetWatch`] reports, tagged with the watch (and its job).
#[derive(Debug)]
#[non_exhaustive]
pub enum FleetEvent {
    /// An event of one watch, in that watch's order.
    Event {
        /// The watch.
        id: WatchId,
        /// Its job.
        job_id: String,
        /// What it said.
        event: WatchEvent,
    },
    /// A watch ended; it is gone from the fleet. Exactly once per watch
    /// that was not [removed](FleetWatch::remove).
    Outcome {
        /// The watch.
        id: WatchId,
        /// Its job.
        job_id: String,
        /// How it ended (boxed: it is large, and comes once per watch).
        outcome: Box<Outcome>,
    },
}

/// One connection's inputs to the fleet, in order.
enum Input {
    Head {
        status: u16,
        headers: Vec<(String, Vec<u8>)>,
    },
    Chunk(Bytes),
    End,
    Failed(TransportError),
}

type Connection = Pin<Box<dyn Stream<Item = (WatchId, Input)> + Send>>;

/// Follows many jobs at once over one [`Transport`] and tokio's timer: the
/// core's [`Fleet`] shares the key's rate budget between them, caps the open
/// connections and spreads reconnect storms. Jobs can be added (and
/// removed) while it runs.
///
/// Pull with [`next`](Self::next) (or as a [`Stream`]) until it returns
/// `None`: every watch has ended. Adding jobs afterwards and pulling again
/// follows those too.
///
/// ```no_run
/// use bedrock_sse_core::fleet::FleetConfig;
/// use bedrock_sse_core::watch::WatchConfig;
/// use bedrock_sse_tokio::{FleetEvent, FleetWatch, ReqwestTransport};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mut fleet = FleetWatch::new(ReqwestTransport::new(), FleetConfig::default());
/// for job in ["job_1", "job_2", "job_3"] {
///     fleet.add(WatchConfig::from_env(job)?);
/// }
/// while let Some(report) = fleet.next().await {
///     if let FleetEvent::Outcome { job_id, outcome, .. } = report {
///         println!("{job_id}: {:?}", outcome.job_end());
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct FleetWatch<T: Transport> {
    fleet: Fleet,
    transport: T,
    /// The core's time, and the timer for the fleet's next deadline.
    clock: Clock,
    connections: SelectAll<Connection>,
    /// How to close each watch's open connection.
    open: HashMap<WatchId, AbortHandle>,
    jobs: HashMap<WatchId, String>,
    /// What the fleet has yet to take of a watch's last chunk: fed once its
    /// events are drained, before any other connection is polled (so no
    /// input of that watch can come in between).
    rest: Option<(WatchId, Bytes)>,
}

impl<T: Transport> FleetWatch<T> {
    /// An empty fleet over `transport`, with jitter seeded from the
    /// process's random hasher keys.
    pub fn new(transport: T, config: FleetConfig) -> Self {
        let seed = RandomState::new().hash_one("bedrock-sse fleet");
        Self::with_seed(transport, config, seed)
    }

    /// The same with a chosen seed, for reproducible runs.
    pub fn with_seed(transport: T, config: FleetConfig, seed: u64) -> Self {
        FleetWatch {
            fleet: Fleet::new(config, Instant::ZERO, seed),
            transport,
            clock: Clock::start(),
            connections: SelectAll::new(),
            open: HashMap::new(),
            jobs: HashMap::new(),
            rest: None,
        }
    }

    /// Starts following `config`'s job.
    pub fn add(&mut self, config: WatchConfig) -> WatchId {
        let job = config.job_id().as_str().to_owned();
        let now = self.clock.now();
        let id = self.fleet.add(config, now);
        self.jobs.insert(id, job);
        id
    }

    /// Stops following watch `id`, closing its connection; no outcome is
    /// reported for it. Returns whether it was there.
    pub fn remove(&mut self, id: WatchId) -> bool {
        let now = self.clock.now();
        let removed = self.fleet.remove(id, now);
        if removed {
            self.jobs.remove(&id);
        }
        removed
    }

    /// The core fleet, for its counters (open connections, waiting
    /// watches, each watch's state).
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// The next event or outcome; `None` once every watch has ended.
    /// Cancel-safe.
    pub async fn next(&mut self) -> Option<FleetEvent> {
        poll_fn(|cx| self.poll_next_report(cx)).await
    }

    /// The poll form of [`next`](Self::next).
    pub fn poll_next_report(&mut self, cx: &mut Context<'_>) -> Poll<Option<FleetEvent>> {
        loop {
            while let Some((id, action)) = self.fleet.poll_action() {
                match action {
                    Action::Connect(request) => {
                        let send = self.transport.send(&request);
                        let (handle, registration) = AbortHandle::new_pair();
                        if let Some(old) = self.open.insert(id, handle) {
                            old.abort();
                        }
                        let connection = connection::<T>(id, send);
                        self.connections
                            .push(Box::pin(Abortable::new(connection, registration)));
                    }
                    Action::Close => {
                        if let Some(handle) = self.open.remove(&id) {
                            handle.abort();
                        }
                    }
                }
            }
            if let Some((id, event)) = self.fleet.poll_event() {
                let job_id = self.jobs.get(&id).cloned().unwrap_or_default();
                return Poll::Ready(Some(FleetEvent::Event { id, job_id, event }));
            }
            if let Some((id, outcome)) = self.fleet.poll_outcome() {
                if let Some(handle) = self.open.remove(&id) {
                    handle.abort();
                }
                let job_id = self.jobs.remove(&id).unwrap_or_default();
                return Poll::Ready(Some(FleetEvent::Outcome {
                    id,
                    job_id,
                    outcome: Box::new(outcome),
                }));
            }
            if self.fleet.is_empty() {
                return Poll::Ready(None);
            }
            if let Some((id, mut bytes)) = self.rest.take() {
                let now = self.clock.now();
                bytes.advance(self.fleet.handle_body(id, now, &bytes));
                self.rest = (!bytes.is_empty()).then_some((id, bytes));
                continue;
            }
            if let Poll::Ready(Some((id, input))) = self.connections.poll_next_unpin(cx) {
                let now = self.clock.now();
                match input {
                    Input::Head { status, headers } => {
                        self.fleet.handle_response(id, now, status, &headers);
                    }
                    Input::Chunk(bytes) => self.rest = Some((id, bytes)),
                    Input::End => {
                        self.open.remove(&id);
                        self.fleet.handle_eof(id, now);
                    }
                    Input::Failed(error) => {
                        self.open.remove(&id);
                        self.fleet.handle_transport_error(id, now, error);
                    }
                }
                continue;
            }
            let Some(at) = self.fleet.poll_timeout() else {
                // Waiting on connections only (or for the cap to free up).
                return Poll::Pending;
            };
            ready!(self.clock.poll_until(at, cx));
            let now = self.clock.now();
            self.fleet.handle_timeout(now);
        }
    }
}

/// The reports of every watch, ending when none is left.
impl<T: Transport + Unpin> Stream for FleetWatch<T> {
    type Item = FleetEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FleetEvent>> {
        self.get_mut().poll_next_report(cx)
    }
}

/// One connection as a stream of inputs: the head, the chunks, then its end.
fn connection<T: Transport>(
    id: WatchId,
    send: futures_util::future::BoxFuture<'static, Result<Response<T::Body>, TransportError>>,
) -> impl Stream<Item = (WatchId, Input)> + Send + 'static {
    enum State<F, B> {
        Sending(F),
        Reading(B),
        Done,
    }
    let start: State<_, T::Body> = State::Sending(send);
    futures_util::stream::unfold(start, move |state| async move {
        match state {
            State::Sending(send) => match send.await {
                Ok(response) => {
                    let head = Input::Head {
                        status: response.status,
                        headers: response.headers,
                    };
                    Some(((id, head), State::Reading(response.body)))
                }
                Err(error) => Some(((id, Input::Failed(error)), State::Done)),
            },
            State::Reading(mut body) => match body.next().await {
                Some(Ok(bytes)) => Some(((id, Input::Chunk(bytes)), State::Reading(body))),
                Some(Err(error)) => Some(((id, Input::Failed(error)), State::Done)),
                None => Some(((id, Input::End), State::Done)),
            },
            State::Done => None,
        }
    })
}
