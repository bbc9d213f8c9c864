//! Accepting connections on an OS thread of their own, so that a
//! connection's arrival is stamped when the kernel hands it over, not when
//! a busy runtime gets round to it.
//!
//! When the server ends 10,000 streams at once, 10,000 tasks wake; a
//! listener polled by the runtime accepts the clients' reconnections only
//! once it gets a turn, and the log would bunch arrivals the clients spread
//! out. The thread here does nothing but accept, stamp and hand over, so
//! its stamps do not depend on how busy the runtime is.

use std::future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::sync::mpsc;

/// The accept thread's name (at most 15 bytes: Linux keeps no more).
const THREAD_NAME: &str = "sim-accept";

/// How long the thread waits before accepting again after an error that is
/// not about one connection (out of file descriptors, say), as axum and
/// hyper do; [`AcceptThread::stop`] cuts the wait short.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// How long [`AcceptThread::stop`] waits for each connection it makes to
/// wake the thread, and how many it tries.
const WAKE_TIMEOUT: Duration = Duration::from_millis(200);
const WAKE_ATTEMPTS: u32 = 5;

/// When something arrived, in the request log's two clocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    /// Wall-clock time.
    pub(crate) at: SystemTime,
    /// Time since the simulator started.
    pub(crate) since_start: Duration,
}

/// A connection as the accept thread handed it over: the `ConnectInfo` of
/// every request on it.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    /// The client's address.
    pub(crate) peer: SocketAddr,
    /// When the connection was accepted.
    accepted: Arrival,
    /// Whether a request on this connection has had `accepted` already.
    taken: Arc<AtomicBool>,
}

impl Accepted {
    /// The accept stamp, for the first request of the connection to ask;
    /// `None` for every later one.
    pub(crate) fn first_arrival(&self) -> Option<Arrival> {
        (!self.taken.swap(true, Ordering::Relaxed)).then_some(self.accepted)
    }
}

impl Connected<IncomingStream<'_, Incoming>> for Accepted {
    fn connect_info(stream: IncomingStream<'_, Incoming>) -> Self {
        stream.remote_addr().clone()
    }
}

/// The runtime's side: the connections the accept thread hands over, as
/// an axum [`Listener`].
#[derive(Debug)]
pub(crate) struct Incoming {
    connections: mpsc::UnboundedReceiver<(TcpStream, Accepted)>,
}

impl Listener for Incoming {
    type Io = tokio::net::TcpStream;
    type Addr = Accepted;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Some((stream, accepted)) = self.connections.recv().await else {
                // The thread stopped: the server is shutting down, and its
                // graceful-shutdown signal ends the accept loop.
                return future::pending().await;
            };
            match tokio::net::TcpStream::from_std(stream) {
                Ok(io) => return (io, accepted),
                Err(error) => {
                    tracing::warn!(%error, peer = %accepted.peer, "cannot serve an accepted connection");
                }
            }
        }
    }

    /// Not known here: axum asks only through `Serve::local_addr`, which
    /// the simulator does not call ([`RunningSim::addr`] has the address).
    ///
    /// [`RunningSim::addr`]: crate::RunningSim::addr
    fn local_addr(&self) -> io::Result<Accepted> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the accept thread owns the listener; RunningSim::addr has its address",
        ))
    }
}

/// The accept thread: it owns the listener, and [`stop`](Self::stop) (or
/// dropping the handle) ends it and closes the listener.
#[derive(Debug)]
pub(crate) struct AcceptThread {
    stop: Arc<AtomicBool>,
    /// Where to connect to wake the thread from a blocking `accept`.
    wake: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl AcceptThread {
    /// Starts accepting on `listener` (blocking mode is set here), stamping
    /// each connection against `launched`.
    pub(crate) fn spawn(
        listener: TcpListener,
        launched: Instant,
    ) -> io::Result<(AcceptThread, Incoming)> {
        listener.set_nonblocking(false)?;
        let local = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (handover, connections) = mpsc::unbounded_channel();
        let thread = thread::Builder::new().name(THREAD_NAME.into()).spawn({
            let stop = stop.clone();
            move || accept_loop(&listener, launched, &stop, &handover)
        })?;
        Ok((
            AcceptThread {
                stop,
                wake: wake_addr(local),
                thread: Some(thread),
            },
            Incoming { connections },
        ))
    }

    /// Stops the thread and waits for it (and so for the listener to
    /// close): it is told to stop, then woken from `accept` by a connection
    /// of our own. If none gets through, the thread is not waited for: it
    /// ends at the next connection it accepts.
    pub(crate) fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // In case it is pausing after an error.
        thread.thread().unpark();
        let mut woken = false;
        for _ in 0..WAKE_ATTEMPTS {
            if thread.is_finished() {
                break;
            }
            match TcpStream::connect_timeout(&self.wake, WAKE_TIMEOUT) {
                // Queued for `accept`, which returns it or an earlier
                // connection; either way the thread then sees the flag.
                Ok(_) => woken = true,
                // The listener is closed (the thread is ending), or its
                // queue is full and `accept` returns at once.
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => woken = true,
                Err(error) => {
                    tracing::debug!(%error, "cannot wake the accept thread yet");
                }
            }
            if woken {
                break;
            }
        }
        if woken || thread.is_finished() {
            if thread.join().is_err() {
                tracing::warn!("the simulator's accept thread panicked");
            }
        } else {
            tracing::warn!(
                "cannot wake the simulator's accept thread; it ends at its next connection"
            );
        }
    }
}

impl Drop for AcceptThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `local`, or the loopback address of its family if it is unspecified
/// (`0.0.0.0`, `::`): somewhere a connection reaches the listener.
fn wake_addr(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), local.port())
        }
        _ => local,
    }
}

/// Accepts until told to stop or until the runtime's side is gone; the
/// listener closes when the caller drops it, as the thread ends.
fn accept_loop(
    listener: &TcpListener,
    launched: Instant,
    stop: &AtomicBool,
    handover: &mpsc::UnboundedSender<(TcpStream, Accepted)>,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                // Stamped before anything else can delay it.
                let since_start = Instant::now().saturating_duration_since(launched);
                let at = SystemTime::now();
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Err(error) = stream.set_nonblocking(true) {
                    tracing::warn!(%error, %peer, "cannot serve an accepted connection");
                    continue;
                }
                let accepted = Accepted {
                    peer,
                    accepted: Arrival { at, since_start },
                    taken: Arc::new(AtomicBool::new(false)),
                };
                if handover.send((stream, accepted)).is_err() {
                    // The server stopped.
                    break;
                }
            }
            Err(error) if is_connection_error(&error) => {}
            Err(error) => {
                tracing::error!(%error, "the simulator cannot accept connections");
                thread::park_timeout(ERROR_PAUSE);
            }
        }
    }
}

/// An error about one connection, which the next `accept` does not repeat.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
