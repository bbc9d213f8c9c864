//! [`FaultProxy`]: a TCP proxy in front of the simulator that breaks each
//! connection as a plan says, over real sockets: cuts at chosen kinds of
//! byte offsets, stalls, byte-by-byte delivery, answers of its own (5xx,
//! 429), and reconnects whose `Last-Event-ID` it rewinds.

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::wire::{CutKind, ResponseBytes};

/// The most a request head may hold; a longer one is dropped.
const MAX_HEAD: usize = 64 * 1024;

/// A request as the proxy received it, for its planner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRequest {
    /// The connection's number, from 0, in the order their requests came.
    pub index: usize,
    /// The `Last-Event-ID` the client sent, if any.
    pub last_event_id: Option<String>,
}

/// What the proxy does with one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Answer the request itself, without asking the server.
    Answer(Answer),
    /// Forward the request to the server and its response back, breaking
    /// them as said.
    Forward(Forward),
}

/// An error answer of the proxy's own: a problem-JSON body, and
/// `Connection: close`. Statuses a watch retries: 408, 429 and 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The status: 408, 429, or 500 to 599.
    pub status: u16,
    /// The `Retry-After` header, in seconds, if any.
    pub retry_after: Option<u32>,
}

/// How a forwarded connection is treated. The default forwards faithfully.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forward {
    /// Send this `Last-Event-ID` in place of the client's (which it must
    /// have sent): the server then replays what came after it, as a server
    /// that ignores resume ids does (`0`: everything).
    pub rewind_to: Option<u64>,
    /// The response's bytes at these offsets (from the first byte of its
    /// head) go to the client one byte per write.
    pub trickle: Option<Range<usize>>,
    /// How the connection breaks, if it does.
    pub fault: Option<ConnectionFault>,
}

/// How a forwarded connection breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionFault {
    /// Close the connection to the client at the first cut of `kind` at or
    /// after response offset `from`: with a reset (`RST`) if `reset`, else
    /// an orderly close (`FIN`) in the middle of the response.
    Cut {
        /// What the cut splits.
        kind: CutKind,
        /// The earliest offset.
        from: usize,
        /// Reset rather than close.
        reset: bool,
    },
    /// At response offset `at`, stop forwarding; close both sides after
    /// `hold`, or when the client closes first.
    Stall {
        /// The offset.
        at: usize,
        /// How long to hold the connection silent.
        hold: Duration,
    },
}

/// What the proxy did, counted over all its connections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests received.
    pub connections: usize,
    /// Answered 408 or 5xx by the proxy.
    pub answered_error: usize,
    /// Answered 429 by the proxy.
    pub answered_429: usize,
    /// Forwarded with the client's own `Last-Event-ID`.
    pub resumed: usize,
    /// Forwarded with an earlier `Last-Event-ID` than the client's.
    pub rewound: usize,
    /// Of those, rewound to `0`: a replay of everything.
    pub rewound_to_start: usize,
    /// Forwarded without a `Last-Event-ID` (the client had none).
    pub fresh: usize,
    /// Cuts made, by kind (in [`CutKind::ALL`] order).
    pub cuts: [usize; CutKind::ALL.len()],
    /// Of the cuts, those made with a reset.
    pub resets: usize,
    /// Cuts and stalls planned that the response ended before reaching.
    pub missed: usize,
    /// Stalls made.
    pub stalls: usize,
    /// Connections that had at least one byte delivered on its own.
    pub trickled: usize,
    /// Bytes delivered one per write.
    pub trickled_bytes: usize,
    /// Response bytes forwarded to clients.
    pub bytes: usize,
}

impl Tally {
    /// The cuts of `kind` made.
    pub fn cuts_of(&self, kind: CutKind) -> usize {
        CutKind::ALL
            .iter()
            .position(|&k| k == kind)
            .map_or(0, |i| self.cuts[i])
    }

    /// Every cut made.
    pub fn all_cuts(&self) -> usize {
        self.cuts.iter().sum()
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Tally) {
        self.connections += other.connections;
        self.answered_error += other.answered_error;
        self.answered_429 += other.answered_429;
        self.resumed += other.resumed;
        self.rewound += other.rewound;
        self.rewound_to_start += other.rewound_to_start;
        self.fresh += other.fresh;
        for (sum, n) in self.cuts.iter_mut().zip(other.cuts) {
            *sum += n;
        }
        self.resets += other.resets;
        self.missed += other.missed;
        self.stalls += other.stalls;
        self.trickled += other.trickled;
        self.trickled_bytes += other.trickled_bytes;
        self.bytes += other.bytes;
    }
}

type Planner = Box<dyn FnMut(&ProxyRequest) -> Plan + Send>;

struct Shared {
    upstream: SocketAddr,
    /// The planner, and the number of requests planned so far.
    planner: Mutex<(Planner, usize)>,
    tally: Mutex<Tally>,
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut Tally)) {
        f(&mut self.tally.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// A TCP proxy on 127.0.0.1 (ephemeral port), on a runtime of its own,
/// that forwards HTTP/1.1 requests to `upstream` and treats each
/// connection as its planner says. Dropping it stops it and closes every
/// connection.
///
/// ```
/// use bedrock_sse_testkit::{Answer, FaultProxy, Plan};
///
/// let proxy = FaultProxy::start("127.0.0.1:9".parse().unwrap(), |_| {
///     Plan::Answer(Answer { status: 503, retry_after: None })
/// });
/// assert!(proxy.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(proxy.tally().connections, 0);
/// ```
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    /// Dropped last: it runs the connections.
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream`; `planner` is asked once per request,
    /// in order, what to do with its connection. Panics if it cannot start
    /// (a test-support type: no runtime, no free port).
    pub fn start(
        upstream: SocketAddr,
        planner: impl FnMut(&ProxyRequest) -> Plan + Send + 'static,
    ) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fault-proxy")
            .enable_all()
            .build()
            .expect("the fault proxy's runtime starts");
        let listener = runtime
            .block_on(TcpListener::bind(SocketAddr::from((
                Ipv4Addr::LOCALHOST,
                0,
            ))))
            .expect("the fault proxy binds 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        let shared = Arc::new(Shared {
            upstream,
            planner: Mutex::new((Box::new(planner), 0)),
            tally: Mutex::default(),
        });
        let (stop, mut stopped) = oneshot::channel::<()>();
        let accepting = shared.clone();
        runtime.spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((client, _)) = accepted {
                            tokio::spawn(serve(client, accepting.clone()));
                        }
                    }
                    _ = &mut stopped => break,
                }
            }
        });
        FaultProxy {
            addr,
            shared,
            stop: Some(stop),
            runtime,
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}`: the base URL to give a watch.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the proxy did so far.
    pub fn tally(&self) -> Tally {
        self.shared
            .tally
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The runtime's own drop then ends every connection's task.
        let _ = &self.runtime;
    }
}

/// One connection: its request, the plan, and what the plan says.
async fn serve(client: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let (mut from_client, mut to_client) = client.into_split();
    let Some(head) = read_head(&mut from_client).await else {
        return;
    };
    let last_event_id = header(&head, "last-event-id");
    let plan = {
        let mut planner = shared
            .planner
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (plan, index) = &mut *planner;
        let request = ProxyRequest {
            index: *index,
            last_event_id: last_event_id.clone(),
        };
        *index += 1;
        plan(&request)
    };
    shared.count(|t| t.connections += 1);
    match plan {
        Plan::Answer(answer) => {
            shared.count(|t| match answer.status {
                429 => t.answered_429 += 1,
                _ => t.answered_error += 1,
            });
            let _ = to_client.write_all(&answer.response()).await;
            let _ = to_client.shutdown().await;
        }
        Plan::Forward(forward) => {
            let sent = match (forward.rewind_to, &last_event_id) {
                (Some(to), Some(_)) => {
                    shared.count(|t| {
                        t.rewound += 1;
                        t.rewound_to_start += usize::from(to == 0);
                    });
                    Some(to.to_string())
                }
                (_, Some(id)) => {
                    shared.count(|t| t.resumed += 1);
                    Some(id.clone())
                }
                (_, None) => {
                    shared.count(|t| t.fresh += 1);
                    None
                }
            };
            let request = rewrite(&head, sent.as_deref());
            let Ok(mut upstream) = TcpStream::connect(shared.upstream).await else {
                return;
            };
            if upstream.write_all(&request).await.is_ok() {
                Pump {
                    forward,
                    to_client,
                    shared: &shared,
                }
                .run(upstream, from_client)
                .await;
            }
        }
    }
}

/// Forwards one response, breaking it as planned.
struct Pump<'a> {
    forward: Forward,
    to_client: OwnedWriteHalf,
    shared: &'a Shared,
}

impl Pump<'_> {
    async fn run(mut self, upstream: TcpStream, mut from_client: OwnedReadHalf) {
        // The write half stays open: a half-closed request could end the
        // response early.
        let (mut from_server, _to_server) = upstream.into_split();
        let mut bytes = ResponseBytes::new();
        let mut offset = 0;
        let mut trickled = false;
        let mut buf = vec![0; 16 * 1024];
        loop {
            let n = tokio::select! {
                read = from_server.read(&mut buf) => read.unwrap_or_default(),
                () = closed(&mut from_client) => return,
            };
            if n == 0 {
                if self.forward.fault.is_some() {
                    self.shared.count(|t| t.missed += 1);
                }
                let _ = self.to_client.shutdown().await;
                return;
            }
            let chunk = &buf[..n];
            let hit = chunk.iter().enumerate().find_map(|(i, &byte)| {
                let (_, kinds) = bytes.next(byte);
                let at = offset + i;
                let hit = match self.forward.fault {
                    Some(ConnectionFault::Cut { kind, from, .. }) => {
                        at >= from && kinds.contains(&kind)
                    }
                    Some(ConnectionFault::Stall { at: stall, .. }) => at >= stall,
                    None => false,
                };
                hit.then_some(i)
            });
            let end = hit.unwrap_or(n);
            if !self.send(&chunk[..end], offset, &mut trickled).await {
                return;
            }
            offset += end;
            if hit.is_some() {
                self.break_off(from_client).await;
                return;
            }
        }
    }

    /// Writes `data`, found at response offset `offset`: the bytes in the
    /// trickle range one per write, the rest at once. False if the client
    /// is gone.
    async fn send(&mut self, data: &[u8], offset: usize, trickled: &mut bool) -> bool {
        let trickle = self.forward.trickle.clone().unwrap_or_default();
        let mut i = 0;
        while i < data.len() {
            let at = offset + i;
            let (len, one_by_one) = if trickle.contains(&at) {
                (1, true)
            } else if at < trickle.start {
                ((trickle.start - at).min(data.len() - i), false)
            } else {
                (data.len() - i, false)
            };
            if self.to_client.write_all(&data[i..i + len]).await.is_err() {
                return false;
            }
            if one_by_one {
                if !*trickled {
                    *trickled = true;
                    self.shared.count(|t| t.trickled += 1);
                }
                self.shared.count(|t| t.trickled_bytes += 1);
                // Lets the client read this byte before the next comes.
                tokio::task::yield_now().await;
            }
            i += len;
        }
        self.shared.count(|t| t.bytes += data.len());
        true
    }

    async fn break_off(self, mut from_client: OwnedReadHalf) {
        match self.forward.fault {
            Some(ConnectionFault::Cut { kind, reset, .. }) => {
                let index = CutKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
                self.shared.count(|t| {
                    t.cuts[index] += 1;
                    t.resets += usize::from(reset);
                });
                match from_client.reunite(self.to_client) {
                    Ok(client) if reset => {
                        // A zero linger makes the close a reset; it does
                        // not block (the reason for the deprecation).
                        #[allow(deprecated)]
                        let _ = client.set_linger(Some(Duration::ZERO));
                    }
                    Ok(mut client) => {
                        let _ = client.shutdown().await;
                    }
                    Err(_) => {}
                }
            }
            Some(ConnectionFault::Stall { hold, .. }) => {
                self.shared.count(|t| t.stalls += 1);
                tokio::select! {
                    () = tokio::time::sleep(hold) => {}
                    () = closed(&mut from_client) => {}
                }
            }
            None => {}
        }
    }
}

/// Returns once the peer has closed its side (or the socket failed);
/// anything it sends meanwhile is discarded.
async fn closed(from: &mut (impl AsyncRead + Unpin)) {
    let mut buf = [0; 512];
    while let Ok(1..) = from.read(&mut buf).await {}
}

/// Reads a request head, through its blank line. `None` if the client
/// closed first or sent too much.
async fn read_head(from: &mut OwnedReadHalf) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = from.read(&mut buf).await.ok().filter(|&n| n > 0)?;
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD {
            return None;
        }
    }
    Some(head)
}

/// The head's lines, the request line first, without the blank line.
fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
}

fn name_is(line: &[u8], name: &str) -> bool {
    line.iter()
        .position(|&b| b == b':')
        .is_some_and(|colon| line[..colon].eq_ignore_ascii_case(name.as_bytes()))
}

/// The value of header `name` (case-insensitive), trimmed.
fn header(head: &[u8], name: &str) -> Option<String> {
    lines(head).skip(1).find(|l| name_is(l, name)).map(|line| {
        let colon = line.iter().position(|&b| b == b':').unwrap_or(0);
        String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_owned()
    })
}

/// The request head to send upstream: the client's, with `Last-Event-ID`
/// set to `last_event_id` (or removed) and `Connection: close`, so that the
/// server ends the connection with the response.
fn rewrite(head: &[u8], last_event_id: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + 64);
    for (i, line) in lines(head).enumerate() {
        if i > 0 && (name_is(line, "last-event-id") || name_is(line, "connection")) {
            continue;
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    if let Some(id) = last_event_id {
        out.extend_from_slice(format!("last-event-id: {id}\r\n").as_bytes());
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out
}

impl Answer {
    /// The whole response, as the proxy sends it.
    fn response(&self) -> Vec<u8> {
        let (reason, code) = match self.status {
            408 => ("Request Timeout", "REQUEST_TIMEOUT"),
            429 => ("Too Many Requests", "RATE_LIMITED"),
            502 => ("Bad Gateway", "SERVICE_UNAVAILABLE"),
            503 => ("Service Unavailable", "SERVICE_UNAVAILABLE"),
            504 => ("Gateway Timeout", "SERVICE_UNAVAILABLE"),
            _ => ("Internal Server Error", "INTERNAL_ERROR"),
        };
        let body = serde_json::json!({
            "type": "https://docs.bedrock.cv/errors/server-error",
            "title": reason,
            "status": self.status,
            "detail": "Injected by the fault proxy.",
            "code": code,
            "request_id": "req_fault_proxy",
        })
        .to_string();
        let retry_after = self
            .retry_after
            .map(|s| format!("retry-after: {s}\r\n"))
            .unwrap_or_default();
        format!(
            "HTTP/1.1 {} {reason}\r\ncontent-type: application/problem+json\r\n\
             content-length: {}\r\nx-request-id: req_fault_proxy\r\n{retry_after}\
             connection: close\r\n\r\n{body}",
            self.status,
            body.len(),
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"GET /jobs/j/stream HTTP/1.1\r\nhost: x\r\nLast-Event-ID: 12\r\nConnection: keep-alive\r\naccept: text/event-stream\r\n\r\n";

    #[test]
    fn the_request_is_rewritten_with_the_id_given_and_connection_close() {
        assert_eq!(header(HEAD, "last-event-id").as_deref(), Some("12"));
        assert_eq!(
            rewrite(HEAD, Some("0")),
            b"GET /jobs/j/stream HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\
              last-event-id: 0\r\nconnection: close\r\n\r\n"
        );
        assert!(!String::from_utf8_lossy(&rewrite(HEAD, None)).contains("last-event-id"));
    }

    #[test]
    fn an_answer_is_problem_json_of_its_length_with_retry_after() {
        let response = Answer {
            status: 429,
            retry_after: Some(1),
        }
        .response();
        let text = String::from_utf8(response).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nretry-after: 1\r\n"), "{head}");
        assert!(head.contains(&format!("content-length: {}\r\n", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "RATE_LIMITED");
        assert_eq!(problem["status"], 429);
    }
}
