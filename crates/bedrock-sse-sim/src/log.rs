//! The request log: what each connection sent, and when, for tests to read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

/// One request as the simulator received it, and the status it answered.
///
/// Credentials are redacted: `Authorization` keeps only its scheme
/// (`Bearer <redacted>`), `X-API-Key` shows `<redacted>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The id sent back in `X-Request-Id` (and in problem bodies).
    pub request_id: String,
    /// Position in the log since the simulator started, from 0.
    pub seq: u64,
    /// Wall-clock time of arrival, taken at the same moment as
    /// [`since_start`](Self::since_start) (see there for which moment).
    pub at: SystemTime,
    /// Time of arrival since the simulator started.
    ///
    /// For the first request of an HTTP/1.1 connection, this is when the
    /// connection was accepted, by a thread that does nothing but accept,
    /// so however busy the runtime is (thousands of streams ending at
    /// once), arrivals are not bunched; it may precede the request's bytes.
    /// For a later request on a kept-alive HTTP/1.1 connection, it is when
    /// the simulator handled the request's head.
    ///
    /// An HTTP/2 (h2c) connection carries many requests: the first one the
    /// simulator handles (usually its first stream; streams opened
    /// together race) gets the accept time, every other one the time it was
    /// handled.
    ///
    /// Records are in the order requests were handled (see
    /// [`seq`](Self::seq)), so this may go back from one record to the next.
    pub since_start: Duration,
    /// The client's address: one port per TCP connection, so a reused
    /// connection shows as a repeated peer.
    pub peer: std::net::SocketAddr,
    /// The HTTP method.
    pub method: String,
    /// The path, as requested (still percent-encoded).
    pub path: String,
    /// Every header in arrival order, names lower-cased, values lossily
    /// decoded as UTF-8, credentials redacted.
    pub headers: Vec<(String, String)>,
    /// The `Last-Event-ID` header, if sent.
    pub last_event_id: Option<String>,
    /// The status the simulator answered with.
    pub status: u16,
}

impl RequestRecord {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A shared, bounded log of requests, oldest first. Clones share the log.
///
/// ```no_run
/// # async fn run(sim: bedrock_sse_sim::RunningSim) {
/// // Wait (bounded by the test's own timeout) for a client's reconnection.
/// let records = sim.request_log().wait_for_len(2).await;
/// assert_eq!(records[1].last_event_id.as_deref(), Some("3"));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RequestLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    capacity: usize,
    records: Mutex<VecDeque<RequestRecord>>,
    /// How many records were ever pushed.
    total: watch::Sender<u64>,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        RequestLog {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                records: Mutex::new(VecDeque::new()),
                total: watch::Sender::new(0),
            }),
        }
    }

    pub(crate) fn push(&self, record: RequestRecord) {
        {
            let mut records = self.lock();
            if records.len() == self.inner.capacity {
                records.pop_front();
            }
            records.push_back(record);
        }
        self.inner.total.send_modify(|total| *total += 1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RequestRecord>> {
        self.inner
            .records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A copy of the records held (the newest `capacity` ones).
    pub fn records(&self) -> Vec<RequestRecord> {
        self.lock().iter().cloned().collect()
    }

    /// How many requests were ever logged, including any dropped for space.
    pub fn total(&self) -> u64 {
        *self.inner.total.borrow()
    }

    /// Waits until at least `count` requests have been logged, then returns
    /// the records held. Wrap it in a timeout: it waits as long as it takes.
    pub async fn wait_for_len(&self, count: u64) -> Vec<RequestRecord> {
        let mut total = self.inner.total.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = total.wait_for(|total| *total >= count).await;
        self.records()
    }

    /// Forgets every record (the total keeps counting).
    pub fn clear(&self) {
        self.lock().clear();
    }
}
