//! The blocking driver against the real simulator over loopback, on a plain
//! thread, with short timelines and timeouts.

use std::time::Duration;

use bedrock_sse_blocking::{JobWatch, UreqTransport};
use bedrock_sse_core::watch::{BackoffPolicy, WatchConfigBuilder};
use bedrock_sse_core::watch::{Failure, Outcome, WatchConfig, WatchError, WatchEvent};
use bedrock_sse_sim::{
    BlockingSim, Faults, JobScript, RunningSim, ServerErrors, Simulator, SimulatorBuilder,
};
use serde_json::json;

const KEY: &str = "sk_test_blocking";

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// The simulator on a runtime of its own: the test thread blocks freely.
struct Sim(BlockingSim);

impl Sim {
    fn start(
        jobs: impl IntoIterator<Item = JobScript>,
        tune: impl FnOnce(SimulatorBuilder) -> SimulatorBuilder,
    ) -> Sim {
        let mut builder = Simulator::builder().key(KEY);
        for job in jobs {
            builder = builder.job(job);
        }
        Sim(tune(builder)
            .start_blocking()
            .expect("the simulator starts"))
    }

    fn sim(&self) -> &RunningSim {
        &self.0
    }

    /// A config for `job` with test-sized timeouts.
    fn config(&self, job: &str) -> WatchConfigBuilder {
        let mut backoff = BackoffPolicy::default();
        backoff.initial = ms(10);
        backoff.max = ms(50);
        WatchConfig::builder(job)
            .and_then(|b| b.base_url(self.sim().base_url()))
            .and_then(|b| b.bearer(KEY))
            .and_then(|b| b.idle_timeout(ms(400)))
            .expect("a valid config")
            .backoff(backoff)
            .min_rotation_uptime(ms(50))
            // A bound on each test, so that a bug fails it instead of hanging it.
            .timeout(Duration::from_secs(30))
    }
}

/// Runs a watch to its end: the job events' names, everything else, and the
/// outcome.
fn run(config: WatchConfigBuilder) -> (Vec<String>, Vec<WatchEvent>, Outcome) {
    let mut jobs = Vec::new();
    let mut others = Vec::new();
    let outcome =
        JobWatch::with_seed(UreqTransport::new(), config.build(), 7).run(|event| match event {
            WatchEvent::Job { event, .. } => jobs.push(event.name().to_owned()),
            other => others.push(other),
        });
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

#[test]
fn follows_a_job_from_queued_to_completed() {
    let sim = Sim::start([quick_job("job_a")], |b| b);
    let mut watch = JobWatch::with_seed(UreqTransport::new(), sim.config("job_a").build(), 1);
    let mut ids = Vec::new();
    for event in &mut watch {
        let WatchEvent::Job { id, event } = event else {
            panic!("{event:?}")
        };
        ids.push((id, event.name().to_owned()));
    }
    let expected = [
        ("1", "status"),
        ("2", "status"),
        ("3", "progress"),
        ("4", "progress"),
        ("5", "completed"),
    ];
    assert_eq!(
        ids.iter()
            .map(|(i, n)| (i.as_str(), n.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    let Some(Outcome::Finished { event: last, .. }) = watch.outcome() else {
        panic!("{:?}", watch.outcome())
    };
    assert!(last.data().and_then(|d| d.results.as_ref()).is_some());
    let log = sim.sim().request_log().records();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].header("accept"), Some("text/event-stream"));
    assert_eq!(log[0].header("authorization"), Some("Bearer <redacted>"));
}

#[test]
fn reconnects_across_rotations_without_duplicates() {
    let job = JobScript::overlay("job_rot", 6, ms(200));
    let sim = Sim::start([job], |b| b.max_connection(ms(150)).heartbeat(ms(40)));
    let (jobs, others, outcome) = run(sim.config("job_rot"));
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
    assert!(sim.sim().request_log().records().len() >= 3);
}

#[test]
fn a_wrong_key_is_fatal_and_never_retried() {
    let sim = Sim::start([quick_job("job_a")], |b| b);
    let config = sim.config("job_a");
    let config = config.api_key("sk_wrong_secret").expect("a key");
    let (jobs, _, outcome) = run(config);
    assert!(jobs.is_empty());
    let Outcome::Failed(error @ WatchError::Unauthorized { .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        error.api_error().and_then(|e| e.code.as_deref()),
        Some("UNAUTHORIZED")
    );
    assert_eq!(sim.sim().request_log().records().len(), 1);
    assert!(!format!("{outcome:?} {error}").contains("sk_wrong_secret"));
}

#[test]
fn server_errors_are_retried_then_the_job_followed() {
    let mut job = quick_job("job_5xx");
    job.faults.server_errors = Some(ServerErrors::unavailable(2));
    let sim = Sim::start([job], |b| b);
    let (jobs, others, outcome) = run(sim.config("job_5xx"));
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(jobs.last().map(String::as_str), Some("completed"));
    assert_eq!(others.len(), 2, "{others:?}");
    assert!(others.iter().all(|o| matches!(
        o,
        WatchEvent::Reconnecting {
            cause: Some(Failure::Status { status: 503, .. }),
            ..
        }
    )));
}

#[test]
fn a_stalled_connection_is_given_up_after_the_idle_timeout() {
    // Heartbeats every 50 ms keep a healthy connection talking; this one
    // falls silent after two events (300 ms), and the 400 ms idle timeout
    // fires while the job still runs (it ends at 1.2 s).
    let job = JobScript::overlay("job_stall", 2, ms(300));
    let sim = Sim::start([job], |b| b.heartbeat(ms(50)));
    sim.sim()
        .inject(
            "job_stall",
            Faults {
                stall_after_events: Some(2),
                ..Faults::default()
            },
        )
        .expect("a known job");
    let (jobs, others, outcome) = run(sim.config("job_stall"));
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(
        jobs,
        ["status", "status", "progress", "progress", "completed"]
    );
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
    let log = sim.sim().request_log().records();
    assert_eq!(log[1].last_event_id.as_deref(), Some("2"));
}

#[test]
fn a_dropped_connection_resumes_where_it_broke() {
    let sim = Sim::start([quick_job("job_drop")], |b| b);
    sim.sim()
        .inject(
            "job_drop",
            Faults {
                drop_after_events: Some(3),
                byte_at_a_time: true,
                ..Faults::default()
            },
        )
        .expect("a known job");
    let (jobs, others, outcome) = run(sim.config("job_drop"));
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(
        jobs,
        ["status", "status", "progress", "progress", "completed"]
    );
    assert_eq!(others.len(), 1, "one reconnection: {others:?}");
}

#[test]
fn a_refused_connection_spends_the_failure_budget() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut backoff = BackoffPolicy::default();
    backoff.initial = ms(5);
    backoff.max = ms(10);
    backoff.max_failures = Some(2);
    let config = WatchConfig::builder("job_a")
        .expect("a job id")
        .base_url(format!("http://127.0.0.1:{port}"))
        .expect("a URL")
        .backoff(backoff);
    let (_, others, outcome) = run(config);
    assert!(
        matches!(
            outcome,
            Outcome::Failed(WatchError::RetriesExhausted { .. })
        ),
        "{outcome:?}"
    );
    assert!(others.iter().all(|o| matches!(
        o,
        WatchEvent::Reconnecting {
            cause: Some(Failure::Transport(_)),
            ..
        }
    )));
}
