//! What only this adapter has, against the simulator over loopback, each
//! test once under smol's executor and once under async-std's: the `Host`
//! header, the outcome after the end, the `Stream` form, `next_event`
//! cancel-safety, and the connection closed when the watch is dropped. The
//! shared scenario table is in `kit.rs`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use bedrock_sse_core::watch::{Outcome, WatchConfigBuilder, WatchEvent};
use bedrock_sse_futures::{HyperTransport, JobWatch};
use bedrock_sse_testkit::{TestSim, ms, quick_job};
use smol::stream::StreamExt;

/// Each test under each executor.
macro_rules! on_both_executors {
    ($($scenario:ident),* $(,)?) => {
        mod smol_executor {
            $( #[test] fn $scenario() { smol::block_on(super::$scenario()) } )*
        }
        mod async_std_executor {
            $( #[test] fn $scenario() { async_std::task::block_on(super::$scenario()) } )*
        }
    };
}

on_both_executors![
    follows_a_job_from_queued_to_completed,
    the_stream_form_yields_the_same_events_and_keeps_the_outcome,
    next_event_is_cancel_safe,
    dropping_the_watch_closes_the_connection,
];

fn transport() -> HyperTransport {
    HyperTransport::new()
}

fn config_at(base_url: &str, job: &str) -> WatchConfigBuilder {
    TestSim::test_config(base_url, job)
}

const QUICK_JOB: [&str; 5] = ["status", "status", "progress", "progress", "completed"];

async fn follows_a_job_from_queued_to_completed() {
    let sim = TestSim::with_jobs([quick_job("job_a")]);
    let mut watch = JobWatch::with_seed(transport(), sim.config("job_a").build(), 1);
    let mut ids = Vec::new();
    while let Some(event) = watch.next_event().await {
        let WatchEvent::Job { id, event } = event else {
            panic!("{event:?}")
        };
        ids.push(format!("{id} {}", event.name()));
    }
    assert_eq!(
        ids,
        [
            "1 status",
            "2 status",
            "3 progress",
            "4 progress",
            "5 completed"
        ]
    );
    let Some(Outcome::Finished { event: last, .. }) = watch.outcome() else {
        panic!("{:?}", watch.outcome())
    };
    assert!(last.data().and_then(|d| d.results.as_ref()).is_some());
    // The outcome still answers after the end, and the stream stays ended.
    assert!(watch.next_event().await.is_none());
    assert!(watch.outcome().is_some());
    let log = sim.request_log().records();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].header("accept"), Some("text/event-stream"));
    assert_eq!(log[0].header("accept-encoding"), Some("identity"));
    assert_eq!(log[0].header("authorization"), Some("Bearer <redacted>"));
    assert_eq!(log[0].header("host"), Some(sim.addr().to_string().as_str()));
}

/// A one-connection server on loopback: reads one request head, sends it
/// on `heads`, writes `answer`, then waits for the client to close and says
/// so on `closed`.
fn raw_server(answer: Vec<u8>) -> (String, mpsc::Receiver<String>, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let (heads_tx, heads) = mpsc::channel();
    let (closed_tx, closed) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(20)));
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).is_ok_and(|n| n == 1) {
            head.push(byte[0]);
        }
        let _ = heads_tx.send(String::from_utf8_lossy(&head).into_owned());
        let _ = socket.write_all(&answer);
        let mut rest = [0u8; 256];
        while let Ok(n) = socket.read(&mut rest) {
            if n == 0 {
                let _ = closed_tx.send(());
                return;
            }
        }
    });
    (base, heads, closed)
}

async fn the_stream_form_yields_the_same_events_and_keeps_the_outcome() {
    let sim = TestSim::with_jobs([quick_job("job_stream")]);
    let mut watch = JobWatch::with_seed(transport(), sim.config("job_stream").build(), 2);
    let mut names = Vec::new();
    while let Some(event) = watch.next().await {
        let WatchEvent::Job { event, .. } = event else {
            panic!("{event:?}")
        };
        names.push(event.name().to_owned());
    }
    assert_eq!(names, QUICK_JOB);
    assert!(watch.next().await.is_none());
    assert!(matches!(watch.outcome(), Some(Outcome::Finished { .. })));
}

async fn next_event_is_cancel_safe() {
    let sim = TestSim::start([quick_job("job_sel")], |b| b.heartbeat(ms(5)));
    let mut watch = JobWatch::with_seed(transport(), sim.config("job_sel").build(), 3);
    let mut names = Vec::new();
    let mut cancelled = 0;
    loop {
        // Race every call against a 1 ms timer: most calls are dropped
        // half-way, and no event may be lost or repeated.
        let next = async { Some(watch.next_event().await) };
        let tick = async {
            async_io::Timer::after(ms(1)).await;
            None
        };
        match smol::future::or(next, tick).await {
            None => cancelled += 1,
            Some(None) => break,
            Some(Some(WatchEvent::Job { event, .. })) => names.push(event.name().to_owned()),
            Some(Some(other)) => panic!("{other:?}"),
        }
    }
    assert_eq!(names, QUICK_JOB);
    assert!(cancelled > 0);
    assert!(matches!(watch.outcome(), Some(Outcome::Finished { .. })));
}

async fn dropping_the_watch_closes_the_connection() {
    let (base, _heads, closed) = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
          id: 1\nevent: status\ndata: {\"job_id\":\"job_a\",\"status\":\"queued\"}\n\n"
            .to_vec(),
    );
    let mut watch = JobWatch::with_seed(transport(), config_at(&base, "job_a").build(), 5);
    let first = watch.next_event().await;
    assert!(matches!(first, Some(WatchEvent::Job { .. })), "{first:?}");
    drop(watch);
    closed
        .recv_timeout(Duration::from_secs(10))
        .expect("the server sees the connection closed");
}
