//! The tokio driver against the real simulator over loopback: every way a
//! watch can go, with short timelines and timeouts.

use std::time::Duration;

use bedrock_sse_core::job::{EventKind, JobStatus};
use bedrock_sse_core::watch::{BackoffPolicy, WatchConfigBuilder};
use bedrock_sse_core::watch::{Failure, Outcome, WatchConfig, WatchError, WatchEvent};
use bedrock_sse_sim::{Faults, JobScript, RateLimit, RunningSim, ServerErrors, Simulator};
use bedrock_sse_tokio::{JobWatch, ReqwestTransport};
use serde_json::json;

const KEY: &str = "sk_test_adapter";

/// A bound on each whole test, so that a bug fails it rather than hanging
/// it. Never an assertion about speed.
const PATIENCE: Duration = Duration::from_secs(30);

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Queued, running, two progress steps, completed: 20 ms apart.
fn quick_job(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(ms(20))
        .progress(ms(20), 0.5, "Processing sheet 1 of 2")
        .progress(ms(20), 1.0, "Processing sheet 2 of 2")
        .completed(
            ms(20),
            json!({"overlay_uri": "https://files.example/ovl.pdf", "score": 0.93}),
        )
}

async fn start(
    jobs: impl IntoIterator<Item = JobScript>,
    tune: impl FnOnce(bedrock_sse_sim::SimulatorBuilder) -> bedrock_sse_sim::SimulatorBuilder,
) -> RunningSim {
    let mut builder = Simulator::builder().key(KEY);
    for job in jobs {
        builder = builder.job(job);
    }
    tune(builder).start().await.expect("the simulator starts")
}

/// A config for `job` on `sim` with test-sized timeouts.
fn config(sim: &RunningSim, job: &str) -> WatchConfigBuilder {
    let mut backoff = BackoffPolicy::default();
    backoff.initial = ms(10);
    backoff.max = ms(50);
    WatchConfig::builder(job)
        .and_then(|b| b.base_url(sim.base_url()))
        .and_then(|b| b.bearer(KEY))
        .and_then(|b| b.idle_timeout(ms(400)))
        .expect("a valid config")
        .backoff(backoff)
        .min_rotation_uptime(ms(50))
}

/// Runs a watch to its end; returns the job events' kinds and what else
/// was said, and the outcome.
async fn run(config: WatchConfigBuilder) -> (Vec<String>, Vec<WatchEvent>, Outcome) {
    let mut watch = JobWatch::with_seed(ReqwestTransport::new(), config.build(), 7);
    let mut jobs = Vec::new();
    let mut others = Vec::new();
    let outcome = tokio::time::timeout(PATIENCE, async {
        while let Some(event) = watch.next_event().await {
            match event {
                WatchEvent::Job { event: job, .. } => jobs.push(job.name().to_owned()),
                other => others.push(other),
            }
        }
        watch
            .outcome()
            .cloned()
            .expect("an outcome after the last event")
    })
    .await
    .expect("the watch ends in time");
    (jobs, others, outcome)
}

#[tokio::test]
async fn follows_a_job_from_queued_to_completed() {
    let sim = start([quick_job("job_a")], |b| b).await;
    let (jobs, others, outcome) = run(config(&sim, "job_a")).await;
    assert_eq!(
        jobs,
        ["status", "status", "progress", "progress", "completed"]
    );
    assert!(others.is_empty(), "{others:?}");
    let Outcome::Finished { event: last, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(last.kind(), Some(EventKind::Completed));
    let results = last
        .data()
        .and_then(|d| d.results.as_ref())
        .expect("results");
    assert!(results.get().contains("ovl.pdf"));

    let log = sim.request_log().records();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].path, "/jobs/job_a/stream");
    assert_eq!(log[0].header("accept"), Some("text/event-stream"));
    assert_eq!(log[0].header("x-api-version"), Some("2026-01-01"));
    assert!(
        log[0]
            .header("user-agent")
            .unwrap_or("")
            .starts_with("bedrock-sse/")
    );
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn reconnects_across_rotations_without_duplicates() {
    // The server closes every 150 ms and sends a heartbeat every 40 ms; the
    // job takes ~1.4 s. Some connections carry only heartbeats: still alive,
    // so still planned rotations.
    let job = JobScript::overlay("job_rot", 6, ms(200));
    let sim = start([job], |b| b.max_connection(ms(150)).heartbeat(ms(40))).await;
    let (jobs, others, outcome) = run(config(&sim, "job_rot")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    let progress = jobs.iter().filter(|k| *k == "progress").count();
    assert_eq!(progress, 6, "each progress step exactly once: {jobs:?}");
    assert_eq!(jobs.last().map(String::as_str), Some("completed"));
    // Every reconnection was a planned rotation, never a failure.
    for other in &others {
        let WatchEvent::Reconnecting {
            cause, failures, ..
        } = other
        else {
            panic!("{other:?}")
        };
        assert!(cause.is_none(), "{other:?}");
        assert_eq!(*failures, 0);
    }
    let log = sim.request_log().records();
    assert!(log.len() >= 3, "rotations happened: {}", log.len());
    assert_eq!(log[0].last_event_id, None);
    for record in &log[1..] {
        assert!(record.last_event_id.is_some(), "resumes with Last-Event-ID");
    }
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_wrong_key_is_fatal_with_the_problem_details() {
    let sim = start([quick_job("job_a")], |b| b).await;
    let config = config(&sim, "job_a");
    let config = config.api_key("sk_wrong_secret").expect("a key");
    let (jobs, _, outcome) = run(config).await;
    assert!(jobs.is_empty());
    let Outcome::Failed(error) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        matches!(error, WatchError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    let problem = error.api_error().expect("problem JSON");
    assert_eq!(problem.code.as_deref(), Some("UNAUTHORIZED"));
    let log = sim.request_log().records();
    assert_eq!(log.len(), 1, "never retried");
    assert_eq!(error.request_id(), Some(log[0].request_id.as_str()));
    assert!(!format!("{outcome:?} {error}").contains("sk_wrong_secret"));
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_unknown_job_is_fatal() {
    let sim = start([quick_job("job_a")], |b| b).await;
    let (_, _, outcome) = run(config(&sim, "job/../nope")).await;
    let Outcome::Failed(WatchError::JobNotFound { .. }) = outcome else {
        panic!("{outcome:?}")
    };
    // The id was sent as one percent-encoded path segment.
    let log = sim.request_log().records();
    assert_eq!(log[0].path, "/jobs/job%2F..%2Fnope/stream");
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let mut job = quick_job("job_5xx");
    job.faults.server_errors = Some(ServerErrors::unavailable(2));
    let sim = start([job], |b| b).await;
    let (jobs, others, outcome) = run(config(&sim, "job_5xx")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(jobs.last().map(String::as_str), Some("completed"));
    let failures: Vec<u32> = others
        .iter()
        .map(|other| match other {
            WatchEvent::Reconnecting {
                cause: Some(Failure::Status { status: 503, .. }),
                failures,
                ..
            } => *failures,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(failures, [1, 2]);
    assert_eq!(sim.request_log().records().len(), 3);
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_failure_budget_ends_a_watch_of_a_dead_server() {
    let mut job = quick_job("job_down");
    job.faults.server_errors = Some(ServerErrors::unavailable(100));
    let sim = start([job], |b| b).await;
    let config = config(&sim, "job_down");
    let config = config.max_failures(Some(3));
    let (_, _, outcome) = run(config).await;
    let Outcome::Failed(error @ WatchError::RetriesExhausted { .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(error.is_retryable());
    assert_eq!(sim.request_log().records().len(), 3);
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_stalled_connection_is_abandoned_after_the_idle_timeout() {
    // Events 300 ms apart, heartbeats every 50 ms, so a healthy connection
    // is never silent for long. This one stalls (no more bytes at all) after
    // the first two events, at 300 ms; the 400 ms idle timeout fires while
    // the job still runs (it ends at 1.2 s), so the reconnection resumes
    // after event 2 and sees every later event.
    let job = JobScript::overlay("job_stall", 2, ms(300));
    let sim = start([job], |b| b.heartbeat(ms(50))).await;
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
    let log = sim.request_log().records();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].last_event_id.as_deref(), Some("2"));
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_dropped_connection_resumes_where_it_broke() {
    let sim = start([quick_job("job_drop")], |b| b).await;
    sim.inject(
        "job_drop",
        Faults {
            drop_after_events: Some(3),
            byte_at_a_time: true,
            ..Faults::default()
        },
    )
    .expect("a known job");
    let (jobs, _, outcome) = run(config(&sim, "job_drop")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(
        jobs,
        ["status", "status", "progress", "progress", "completed"]
    );
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn odd_but_legal_streams_decode_the_same() {
    for faults in [
        Faults {
            newline: bedrock_sse_sim::Newline::CrLf,
            bom: true,
            ..Faults::default()
        },
        Faults {
            newline: bedrock_sse_sim::Newline::Cr,
            byte_at_a_time: true,
            ..Faults::default()
        },
    ] {
        let mut job = quick_job("job_odd").casing(bedrock_sse_sim::Casing::Upper);
        job.faults = faults;
        let sim = start([job], |b| b).await;
        let mut watch =
            JobWatch::with_seed(ReqwestTransport::new(), config(&sim, "job_odd").build(), 1);
        let mut statuses = Vec::new();
        tokio::time::timeout(PATIENCE, async {
            while let Some(event) = watch.next_event().await {
                if let WatchEvent::Job { event: job, .. } = event {
                    statuses.push(job.status().cloned());
                }
            }
        })
        .await
        .expect("the watch ends in time");
        assert_eq!(
            statuses.last(),
            Some(&Some(JobStatus::Completed)),
            "{statuses:?}"
        );
        assert_eq!(statuses.first(), Some(&Some(JobStatus::Queued)));
        sim.shutdown().await.expect("clean shutdown");
    }
}

#[tokio::test]
async fn a_malformed_event_is_a_warning_and_the_stream_goes_on() {
    let sim = start([quick_job("job_bad")], |b| b).await;
    sim.inject(
        "job_bad",
        Faults {
            malformed_event: Some(2),
            ..Faults::default()
        },
    )
    .expect("a known job");
    let (jobs, others, outcome) = run(config(&sim, "job_bad")).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(jobs, ["status", "status", "progress", "completed"]);
    assert!(
        matches!(others.as_slice(), [WatchEvent::Malformed(_)]),
        "{others:?}"
    );
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_page_that_is_not_an_event_stream_is_fatal() {
    let sim = start([quick_job("job_html")], |b| b).await;
    sim.inject(
        "job_html",
        Faults {
            wrong_content_type: true,
            ..Faults::default()
        },
    )
    .expect("a known job");
    let (_, _, outcome) = run(config(&sim, "job_html")).await;
    let Outcome::Failed(WatchError::NotAnEventStream { content_type, .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        content_type
            .as_deref()
            .unwrap_or("")
            .starts_with("text/html")
    );
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_rate_limit_waits_for_retry_after() {
    // One request per 2 s: the rotation after 100 ms hits the limit, and the
    // watch must wait out Retry-After (capped here to keep the test short).
    let sim = start([JobScript::overlay("job_rl", 2, ms(150))], |b| {
        b.max_connection(ms(100)).rate_limit(Some(RateLimit {
            capacity: 1,
            window: Duration::from_secs(2),
        }))
    })
    .await;
    let config = config(&sim, "job_rl");
    let config = config.retry_after(ms(300), ms(300));
    let (jobs, others, outcome) = run(config).await;
    assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    assert_eq!(jobs.last().map(String::as_str), Some("completed"));
    assert!(
        others.iter().any(|o| matches!(
            o,
            WatchEvent::Reconnecting {
                cause: Some(Failure::RateLimited {
                    retry_after: Some(_),
                    ..
                }),
                ..
            }
        )),
        "{others:?}"
    );
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_refused_connection_is_a_network_failure() {
    // A port nothing listens on: bind, note it, close.
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
    let (_, others, outcome) = run(config).await;
    let Outcome::Failed(error) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        matches!(error, WatchError::RetriesExhausted { .. }),
        "{error:?}"
    );
    assert!(
        others.iter().all(|o| matches!(
            o,
            WatchEvent::Reconnecting {
                cause: Some(Failure::Transport(_)),
                ..
            }
        )),
        "{others:?}"
    );
}

#[tokio::test]
async fn the_stream_form_yields_the_same_events() {
    use futures_util::StreamExt;
    let sim = start([quick_job("job_s")], |b| b).await;
    let watch = JobWatch::with_seed(ReqwestTransport::new(), config(&sim, "job_s").build(), 3);
    let kinds: Vec<String> = tokio::time::timeout(
        PATIENCE,
        watch
            .filter_map(|event| async move {
                match event {
                    WatchEvent::Job { event: job, .. } => Some(job.name().to_owned()),
                    _ => None,
                }
            })
            .collect(),
    )
    .await
    .expect("the watch ends in time");
    assert_eq!(
        kinds,
        ["status", "status", "progress", "progress", "completed"]
    );
    sim.shutdown().await.expect("clean shutdown");
}
