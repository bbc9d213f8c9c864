//! The futures-io driver against the real simulator over loopback, every
//! scenario once under smol's executor and once under async-std's. The
//! simulator runs on a runtime of its own, on threads of its own; nothing
//! here starts a tokio runtime.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use bedrock_sse_core::watch::{BackoffPolicy, WatchConfigBuilder};
use bedrock_sse_core::watch::{Failure, Outcome, WatchConfig, WatchError, WatchEvent};
use bedrock_sse_futures::{HyperTransport, JobWatch};
use bedrock_sse_sim::{
    BlockingSim, Faults, JobScript, RunningSim, ServerErrors, Simulator, SimulatorBuilder,
};
use serde_json::json;

const KEY: &str = "sk_test_futures";

/// Each scenario as a `#[test]` under each executor.
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
    reconnects_across_rotations_without_duplicates,
    a_wrong_key_is_fatal_and_never_retried,
    server_errors_are_retried_then_the_job_followed,
    a_stalled_connection_is_given_up_after_the_idle_timeout,
    a_dropped_connection_resumes_where_it_broke,
    a_refused_connection_spends_the_failure_budget,
    a_redirect_to_another_origin_is_refused,
    next_event_is_cancel_safe,
    dropping_the_watch_closes_the_connection,
];

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn start(
    jobs: impl IntoIterator<Item = JobScript>,
    tune: impl FnOnce(SimulatorBuilder) -> SimulatorBuilder,
) -> BlockingSim {
    let mut builder = Simulator::builder().key(KEY);
    for job in jobs {
        builder = builder.job(job);
    }
    tune(builder)
        .start_blocking()
        .expect("the simulator starts")
}

/// A config for `job` at `base_url` with test-sized timeouts.
fn config_at(base_url: &str, job: &str) -> WatchConfigBuilder {
    let mut backoff = BackoffPolicy::default();
    backoff.initial = ms(10);
    backoff.max = ms(50);
    WatchConfig::builder(job)
        .and_then(|b| b.base_url(base_url))
        .and_then(|b| b.bearer(KEY))
        .and_then(|b| b.idle_timeout(ms(400)))
        .expect("a valid config")
        .backoff(backoff)
        .min_rotation_uptime(ms(50))
        // A bound on each test, so that a bug fails it instead of hanging it.
        .timeout(Duration::from_secs(30))
}

fn config(sim: &RunningSim, job: &str) -> WatchConfigBuilder {
    config_at(&sim.base_url(), job)
}

fn transport() -> HyperTransport {
    // Whatever proxy the machine's environment names, loopback is direct.
    HyperTransport::new().no_proxy()
}

/// Runs a watch to its end: the job events' names, everything else, and the
/// outcome.
async fn run(config: WatchConfigBuilder) -> (Vec<String>, Vec<WatchEvent>, Outcome) {
    let mut jobs = Vec::new();
    let mut others = Vec::new();
    let outcome = JobWatch::with_seed(transport(), config.build(), 7)
        .run(|event| match event {
            WatchEvent::Job { event, .. } => jobs.push(event.name().to_owned()),
            other => others.push(other),
        })
        .await;
    (jobs, others, outcome)
}

fn quick_job(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(ms(20))
        .progress(ms(20), 0.5, "Processing sheet 1 of 2")
        .progress(ms(20), 1.0, "Processing sheet 2 of 2")
        .completed(
            ms(20),
            json!({"overlay_uri": "https://files.example/ovl.pdf"}),
        )
}

const QUICK_JOB: [&str; 5] = ["status", "status", "progress", "progress", "completed"];

async fn follows_a_job_from_queued_to_completed() {
    let sim = start([quick_job("job_a")], |b| b);
    let mut watch = JobWatch::with_seed(transport(), config(&sim, "job_a").build(), 1);
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

async fn reconnects_across_rotations_without_duplicates() {
    let job = JobScript::overlay("job_rot", 6, ms(200));
    let sim = start([job], |b| b.max_connection(ms(150)).heartbeat(ms(40)));
    let (jobs, others, outcome) = run(config(&sim, "job_rot")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(
        jobs.iter().filter(|k| *k == "progress").count(),
        6,
        "{jobs:?}"
    );
    assert_eq!(jobs.last().map(String::as_str), Some("completed"));
    for other in &others {
        assert!(
            matches!(
                other,
                WatchEvent::Reconnecting {
                    cause: None,
                    failures: 0,
                    ..
                }
            ),
            "{other:?}"
        );
    }
    let log = sim.request_log().records();
    assert!(log.len() >= 3, "{log:?}");
    // Every reconnection resumes after what was delivered.
    assert!(
        log[1..].iter().all(|r| r.last_event_id.is_some()),
        "{log:?}"
    );
}

async fn a_wrong_key_is_fatal_and_never_retried() {
    let sim = start([quick_job("job_a")], |b| b);
    let config = config(&sim, "job_a")
        .api_key("sk_wrong_secret")
        .expect("a key");
    let (jobs, _, outcome) = run(config).await;
    assert!(jobs.is_empty());
    let Outcome::Failed(error @ WatchError::Unauthorized { .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        error.api_error().and_then(|e| e.code.as_deref()),
        Some("UNAUTHORIZED")
    );
    assert_eq!(sim.request_log().records().len(), 1);
    assert!(!format!("{outcome:?} {error}").contains("sk_wrong_secret"));
}

async fn server_errors_are_retried_then_the_job_followed() {
    let mut job = quick_job("job_5xx");
    job.faults.server_errors = Some(ServerErrors::unavailable(2));
    let sim = start([job], |b| b);
    let (jobs, others, outcome) = run(config(&sim, "job_5xx")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(jobs, QUICK_JOB);
    assert_eq!(others.len(), 2, "{others:?}");
    assert!(others.iter().all(|o| matches!(
        o,
        WatchEvent::Reconnecting {
            cause: Some(Failure::Status { status: 503, .. }),
            ..
        }
    )));
    // A connection per attempt: three requests.
    assert_eq!(sim.request_log().records().len(), 3);
}

async fn a_stalled_connection_is_given_up_after_the_idle_timeout() {
    // Heartbeats every 50 ms keep a healthy connection talking; this one
    // falls silent after two events (300 ms), and the 400 ms idle timeout
    // fires while the job still runs (it ends at 1.2 s).
    let job = JobScript::overlay("job_stall", 2, ms(300));
    let sim = start([job], |b| b.heartbeat(ms(50)));
    sim.inject(
        "job_stall",
        Faults {
            stall_after_events: Some(2),
            ..Faults::default()
        },
    )
    .expect("a known job");
    let (jobs, others, outcome) = run(config(&sim, "job_stall")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(jobs, QUICK_JOB);
    assert!(
        matches!(
            others.as_slice(),
            [WatchEvent::Reconnecting {
                cause: Some(Failure::IdleTimeout),
                ..
            }]
        ),
        "{others:?}"
    );
    let log = sim.request_log().records();
    assert_eq!(log[1].last_event_id.as_deref(), Some("2"));
}

async fn a_dropped_connection_resumes_where_it_broke() {
    let sim = start([quick_job("job_drop")], |b| b);
    sim.inject(
        "job_drop",
        Faults {
            drop_after_events: Some(3),
            byte_at_a_time: true,
            ..Faults::default()
        },
    )
    .expect("a known job");
    let (jobs, others, outcome) = run(config(&sim, "job_drop")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(jobs, QUICK_JOB);
    assert_eq!(others.len(), 1, "one reconnection: {others:?}");
}

async fn a_refused_connection_spends_the_failure_budget() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut backoff = BackoffPolicy::default();
    backoff.initial = ms(5);
    backoff.max = ms(10);
    backoff.max_failures = Some(2);
    let config = config_at(&format!("http://127.0.0.1:{port}"), "job_a").backoff(backoff);
    let (_, others, outcome) = run(config).await;
    let Outcome::Failed(WatchError::RetriesExhausted { last, .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        matches!(last, Failure::Transport(e) if e.kind() == bedrock_sse_futures::TransportErrorKind::Connect),
        "{last:?}"
    );
    assert!(others.iter().all(|o| matches!(
        o,
        WatchEvent::Reconnecting {
            cause: Some(Failure::Transport(_)),
            ..
        }
    )));
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

async fn a_redirect_to_another_origin_is_refused() {
    let (base, heads, _) = raw_server(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:9/jobs/job_a/stream\r\n\
          Content-Length: 0\r\n\r\n"
            .to_vec(),
    );
    let (_, _, outcome) = run(config_at(&base, "job_a")).await;
    let Outcome::Failed(WatchError::CrossOriginRedirect { status: 302, .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    // One request, to the configured origin only.
    let head = heads.recv_timeout(ms(100)).expect("the request");
    assert!(
        head.starts_with("GET /jobs/job_a/stream HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(heads.try_recv().is_err());
}

async fn next_event_is_cancel_safe() {
    let sim = start([quick_job("job_sel")], |b| b.heartbeat(ms(5)));
    let mut watch = JobWatch::with_seed(transport(), config(&sim, "job_sel").build(), 3);
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
