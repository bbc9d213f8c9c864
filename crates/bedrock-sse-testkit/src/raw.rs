//! [`RawServer`]: a server that speaks HTTP/1.1 by hand, to misbehave in
//! ways an HTTP server library will not, and to see when the client closes.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::Resources;

/// How a [`RawServer`] answers one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawAnswer {
    /// Reads the request and never answers: the socket stays open until
    /// the client closes it.
    Never,
    /// Answers `200 text/event-stream` with `body`, then one byte (`\n`:
    /// a blank line, which dispatches nothing) every `every`, for ever.
    Trickle {
        /// Sent at once after the head.
        body: String,
        /// The time between two trickled bytes.
        every: Duration,
    },
    /// Answers `200 text/event-stream` with `body`, then falls silent,
    /// the socket held open, until the client closes it.
    Quiet {
        /// Sent at once after the head.
        body: String,
    },
    /// Answers `200 text/event-stream` with `body` and ends it (a
    /// `FIN`): a whole stream.
    Close {
        /// The whole body.
        body: String,
    },
    /// As [`Close`](Self::Close), with `headers` added to the head: a head
    /// larger than a client's read buffer, or one it cannot parse.
    CloseWithHeaders {
        /// Header lines, each ending in `\r\n`, written after the others.
        headers: String,
        /// The whole body.
        body: String,
    },
}

/// One connection as a [`RawServer`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawConnection {
    /// When it was accepted.
    pub accepted: Instant,
    /// The request head as received (lossily decoded), once read.
    pub request: Option<String>,
    /// When the answer's head and body were written (not for
    /// [`RawAnswer::Never`]).
    pub answered: Option<Instant>,
    /// When the server saw the client close it (an end of stream or a
    /// reset).
    pub closed: Option<Instant>,
    /// With [`RawServer::probe_after_close`]: the process's counts if they
    /// did not come back within the baseline (plus the connection's own
    /// thread, still running) after the client closed this connection.
    pub leftover: Option<Resources>,
}

/// How long a connection thread waits for the process to come back to
/// its baseline after the client closed.
const PROBE: Duration = Duration::from_millis(250);
/// How often connection threads look at the stop flag.
const TICK: Duration = Duration::from_millis(5);

#[derive(Default)]
struct Shared {
    connections: Mutex<Vec<RawConnection>>,
    baseline: Mutex<Option<Resources>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// A job-stream server on 127.0.0.1 (ephemeral port), on plain threads,
/// that answers each connection as its script says ([`RawAnswer`]): never,
/// a byte at a time for ever, or a few events and then silence with the
/// socket held open. It records when each connection was answered and
/// when the client closed it. Dropping it stops it and joins its threads.
///
/// ```
/// use bedrock_sse_testkit::{RawAnswer, RawServer};
///
/// let server = RawServer::start(|_| RawAnswer::Never);
/// assert!(server.base_url().starts_with("http://127.0.0.1:"));
/// assert!(server.connections().is_empty());
/// ```
pub struct RawServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl RawServer {
    /// Starts a server that answers its `n`-th connection (from 0) with
    /// `answer(n)`. Panics if it cannot bind or start a thread (a
    /// test-support type).
    pub fn start(answer: impl Fn(usize) -> RawAnswer + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("the raw server binds 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        let shared = Arc::new(Shared::default());
        let accept = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("raw-server".into())
                .spawn(move || accept_loop(&listener, &shared, &answer))
                .expect("the raw server's thread starts")
        };
        RawServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every connection so far, oldest first.
    pub fn connections(&self) -> Vec<RawConnection> {
        lock(&self.shared.connections).clone()
    }

    /// Waits up to `patience` until at least `n` connections came and the
    /// client closed each of them; every connection so far, whether or
    /// not that happened.
    pub fn wait_closed(&self, n: usize, patience: Duration) -> Vec<RawConnection> {
        let start = Instant::now();
        loop {
            let connections = self.connections();
            let done = connections.len() >= n && connections.iter().all(|c| c.closed.is_some());
            if done || start.elapsed() >= patience {
                return connections;
            }
            thread::sleep(TICK);
        }
    }

    /// Waits up to `patience` until no connection thread of the server is
    /// running (each ends once its connection is closed); whether none is.
    pub fn wait_idle(&self, patience: Duration) -> bool {
        let start = Instant::now();
        loop {
            let running = lock(&self.shared.threads)
                .iter()
                .any(|thread| !thread.is_finished());
            if !running {
                return true;
            }
            if start.elapsed() >= patience {
                return false;
            }
            thread::sleep(TICK);
        }
    }

    /// From now on, each connection's thread, once the client closed its
    /// connection and it dropped its socket, waits briefly for the
    /// process's [`Resources`] to come back within `baseline` (plus its
    /// own thread) and records in [`RawConnection::leftover`] what it saw
    /// if they do not. Take `baseline` while the server is idle, and make
    /// the client wait well over 250 ms before its next connection.
    pub fn probe_after_close(&self, baseline: Resources) {
        *lock(&self.shared.baseline) = Some(baseline);
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        for thread in lock(&self.shared.threads).drain(..) {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, answer: &dyn Fn(usize) -> RawAnswer) {
    for (n, stream) in listener.incoming().enumerate() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let index = {
            let mut connections = lock(&shared.connections);
            connections.push(RawConnection {
                accepted: Instant::now(),
                request: None,
                answered: None,
                closed: None,
                leftover: None,
            });
            connections.len() - 1
        };
        let answer = answer(n);
        let thread = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("raw-connection".into())
                .stack_size(64 * 1024)
                .spawn(move || serve(stream, index, &answer, &shared))
                .expect("a connection thread starts")
        };
        lock(&shared.threads).push(thread);
    }
}

fn serve(mut stream: TcpStream, index: usize, answer: &RawAnswer, shared: &Shared) {
    let record = |f: &dyn Fn(&mut RawConnection)| f(&mut lock(&shared.connections)[index]);
    if stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let Some(request) = read_head(&mut stream, &shared.stop) else {
        record(&|c| c.closed = Some(Instant::now()));
        return;
    };
    record(&|c| c.request = Some(request.clone()));
    let (body, trickle, extra) = match answer {
        RawAnswer::Never => (None, None, ""),
        RawAnswer::Trickle { body, every } => (Some(body), Some(*every), ""),
        RawAnswer::Quiet { body } | RawAnswer::Close { body } => (Some(body), None, ""),
        RawAnswer::CloseWithHeaders { headers, body } => (Some(body), None, headers.as_str()),
    };
    if let Some(body) = body {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
             cache-control: no-cache\r\nconnection: close\r\n{extra}\r\n"
        );
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body.as_bytes()).is_err()
        {
            record(&|c| c.closed = Some(Instant::now()));
            return;
        }
        record(&|c| c.answered = Some(Instant::now()));
    }
    if matches!(
        answer,
        RawAnswer::Close { .. } | RawAnswer::CloseWithHeaders { .. }
    ) {
        // The client's own close is still awaited.
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut next_byte = trickle.map(|every| Instant::now() + every);
    let mut buf = [0u8; 1024];
    while !shared.stop.load(Ordering::SeqCst) {
        let closed = match stream.read(&mut buf) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                match (next_byte, trickle) {
                    (Some(at), Some(every)) if Instant::now() >= at => {
                        next_byte = Some(at + every);
                        stream.write_all(b"\n").is_err()
                    }
                    _ => false,
                }
            }
            Err(e) => e.kind() != ErrorKind::Interrupted,
        };
        if closed {
            record(&|c| c.closed = Some(Instant::now()));
            drop(stream);
            probe(index, shared);
            return;
        }
    }
}

/// Reads up to the blank line that ends a request head (at most 16 KiB);
/// `None` if the client closed first or the server is stopping.
fn read_head(stream: &mut TcpStream, stop: &AtomicBool) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if stop.load(Ordering::SeqCst) || head.len() > 16 * 1024 {
            return None;
        }
        match stream.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn probe(index: usize, shared: &Shared) {
    let Some(baseline) = *lock(&shared.baseline) else {
        return;
    };
    // This thread is still running while it looks.
    let expected = Resources {
        threads: baseline.threads + 1,
        ..baseline
    };
    if let Err(seen) = Resources::settle(expected, PROBE) {
        lock(&shared.connections)[index].leftover = Some(seen);
    }
}
