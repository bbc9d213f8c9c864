//! One connection's event stream: a state machine polled by the
//! connection's own task, so a slow reader only ever delays itself.
//!
//! What it sends follows from the job's timeline and the clock alone, so a
//! reconnecting client sees the same events with the same ids.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bedrock_sse_core::sse::Encoder;
use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use crate::faults::Faults;
use crate::timeline::{Planned, Timeline};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How a stream behaves, from the simulator's configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamConfig {
    pub(crate) heartbeat: Duration,
    pub(crate) max_connection: Duration,
    pub(crate) retry: Option<Duration>,
}

/// Where the job's clock stands for this connection.
pub(crate) struct JobClock {
    pub(crate) timeline: watch::Receiver<Arc<Timeline>>,
    pub(crate) started: Instant,
    pub(crate) started_wall: SystemTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing sent yet: the preamble and the catch-up come next.
    Start,
    /// Following the job.
    Live,
    /// Send what is buffered, then end the body cleanly.
    Closing,
    /// Send what is buffered, then abort the connection.
    Dropping,
    /// Send nothing, keep the socket open until shutdown.
    Stalled,
    Done,
}

pub(crate) struct Connection {
    clock: JobClock,
    timeline: Arc<Timeline>,
    /// The id of the last event this client has (sent now, or before a
    /// reconnection as `Last-Event-ID`).
    last_id: u64,
    /// Whether the request sent a numeric `Last-Event-ID`: a resume, which
    /// gets what came after it even once the job is over.
    resumed: bool,
    config: StreamConfig,
    faults: Faults,
    encoder: Encoder,
    shutdown: watch::Receiver<bool>,
    /// Changes when every open stream is to end (`end_all_streams`).
    restarts: watch::Receiver<u64>,
    opened: Instant,
    next_heartbeat: Instant,
    out: Vec<u8>,
    out_pos: usize,
    bytes_sent: usize,
    events_sent: usize,
    phase: Phase,
}

impl Connection {
    pub(crate) fn new(
        clock: JobClock,
        last_event_id: Option<u64>,
        config: StreamConfig,
        faults: Faults,
        shutdown: watch::Receiver<bool>,
        restarts: watch::Receiver<u64>,
    ) -> Self {
        let opened = Instant::now();
        let timeline = clock.timeline.borrow().clone();
        Connection {
            clock,
            timeline,
            last_id: last_event_id.unwrap_or(0),
            resumed: last_event_id.is_some(),
            config,
            encoder: Encoder::with_line_ending(faults.newline.into()),
            faults,
            shutdown,
            restarts,
            opened,
            next_heartbeat: opened + config.heartbeat,
            out: Vec::new(),
            out_pos: 0,
            bytes_sent: 0,
            events_sent: 0,
            phase: Phase::Start,
        }
    }

    /// The body as a stream of chunks; an `Err` aborts the connection.
    pub(crate) fn into_body(self) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
        futures_util::stream::unfold(self, |mut connection| async move {
            connection
                .next_chunk()
                .await
                .map(|chunk| (chunk, connection))
        })
    }

    async fn next_chunk(&mut self) -> Option<Result<Bytes, io::Error>> {
        loop {
            if self.out_pos < self.out.len() {
                if let Some(chunk) = self.emit().await {
                    return Some(Ok(chunk));
                }
                continue;
            }
            match self.phase {
                Phase::Done => return None,
                Phase::Closing => {
                    self.phase = Phase::Done;
                    return None;
                }
                Phase::Dropping => {
                    self.phase = Phase::Done;
                    // Let the server flush what it was given before the
                    // abort throws its buffer away.
                    tokio::task::yield_now().await;
                    return Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "fault injection: connection dropped",
                    )));
                }
                Phase::Stalled => {
                    let _ = self.shutdown.wait_for(|stop| *stop).await;
                    self.phase = Phase::Done;
                }
                Phase::Start => self.start(),
                Phase::Live => self.follow().await,
            }
        }
    }

    /// Hands out the next piece of the buffer, honouring the byte faults.
    /// `None` when a byte limit was reached and the buffer discarded.
    async fn emit(&mut self) -> Option<Bytes> {
        let pending = &self.out[self.out_pos..];
        let mut len = if self.faults.byte_at_a_time {
            1
        } else {
            pending.len()
        };
        if let Some(limit) = self.faults.drop_after_bytes {
            len = len.min(limit.saturating_sub(self.bytes_sent));
            if len == 0 {
                self.discard_and(Phase::Dropping);
                return None;
            }
        }
        if self.faults.byte_at_a_time && self.bytes_sent > 0 {
            // Returning `Pending` once makes the server write out the byte
            // before, so each byte leaves in a write of its own.
            tokio::task::yield_now().await;
        }
        let chunk = Bytes::copy_from_slice(&pending[..len]);
        self.out_pos += len;
        self.bytes_sent += len;
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        Some(chunk)
    }

    fn discard_and(&mut self, phase: Phase) {
        self.out.clear();
        self.out_pos = 0;
        self.phase = phase;
    }

    fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.clock.started)
    }

    fn start(&mut self) {
        self.phase = Phase::Live;
        if self.faults.bom {
            self.out.extend_from_slice(BOM);
        }
        if let Some(retry) = self.config.retry {
            let millis = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX);
            self.encoder.retry(&mut self.out, millis);
        }
        let elapsed = self.elapsed();
        let timeline = self.timeline.clone();
        match timeline.ended_by(elapsed) {
            // Already over, and a fresh connection: the single terminal
            // event, so that it learns the outcome.
            Some(terminal) if !self.resumed => {
                self.write_event(terminal);
                if self.phase == Phase::Live {
                    self.phase = Phase::Closing;
                }
            }
            // Already over and the client has the end (the handler answers
            // 204 to that; this is a cancel or the end racing the request):
            // an empty body.
            Some(terminal) if self.last_id >= terminal.id => self.phase = Phase::Closing,
            // Over, resumed from an earlier id: `follow` writes everything
            // after it, the end included, then closes. Or still running.
            _ => self.stall_if_due(),
        }
    }

    /// Writes every due event, or waits for the next thing to do.
    async fn follow(&mut self) {
        let elapsed = self.elapsed();
        let timeline = self.timeline.clone();
        let mut wrote = false;
        for event in timeline.events() {
            if event.id <= self.last_id {
                continue;
            }
            if event.at > elapsed || self.phase != Phase::Live {
                break;
            }
            self.write_event(event);
            wrote = true;
        }
        if wrote || self.phase != Phase::Live {
            return;
        }
        let deadline = self.opened + self.config.max_connection;
        let next_event = timeline
            .events()
            .iter()
            .find(|e| e.id > self.last_id)
            .map(|e| self.clock.started + e.at);
        let mut wake = deadline.min(self.next_heartbeat);
        if let Some(next_event) = next_event {
            wake = wake.min(next_event);
        }
        tokio::select! {
            () = sleep_until(wake) => {
                let now = Instant::now();
                if next_event.is_some_and(|at| at <= now) {
                    // Events first: the loop writes them on the next turn.
                } else if now >= deadline {
                    self.phase = Phase::Closing;
                } else if now >= self.next_heartbeat {
                    self.encoder.comment(&mut self.out, "heartbeat");
                    while self.next_heartbeat <= now {
                        self.next_heartbeat += self.config.heartbeat;
                    }
                }
            }
            changed = self.clock.timeline.changed() => {
                if changed.is_ok() {
                    self.timeline = self.clock.timeline.borrow_and_update().clone();
                } else {
                    // The job is gone: the simulator is going away.
                    self.phase = Phase::Closing;
                }
            }
            _ = self.shutdown.wait_for(|stop| *stop) => self.phase = Phase::Closing,
            _ = self.restarts.changed() => self.phase = Phase::Closing,
        }
    }

    fn write_event(&mut self, event: &Planned) {
        let mut data = self.timeline.render(event, self.clock.started_wall);
        if self.faults.malformed_event == Some(self.events_sent) {
            let mut cut = data.len() / 2;
            while !data.is_char_boundary(cut) {
                cut -= 1;
            }
            data.truncate(cut);
        }
        let id = event.id.to_string();
        // Event names and numeric ids never hold line breaks.
        let _ = self
            .encoder
            .event(&mut self.out, Some(event.event_name()), Some(&id), &data);
        self.last_id = event.id;
        self.events_sent += 1;
        if self.faults.drop_after_events == Some(self.events_sent) {
            self.phase = Phase::Dropping;
        } else if event.is_terminal() {
            self.phase = Phase::Closing;
        } else {
            self.stall_if_due();
        }
    }

    fn stall_if_due(&mut self) {
        if self
            .faults
            .stall_after_events
            .is_some_and(|n| self.events_sent >= n)
        {
            self.phase = Phase::Stalled;
        }
    }
}
