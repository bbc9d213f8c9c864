//! The scenario table: every way a watch can go that an adapter must get
//! right, each as a function taking the adapter's [`Runner`]. Each sets up
//! the simulator (the scenario's data: a job script, faults, settings),
//! runs one watch (a few run two), and checks the events, the outcome and
//! what the simulator (or the [`FarServer`]) received.
//!
//! [`scenarios!`](crate::scenarios!) turns each into a `#[test]`; they can
//! also be called directly.

use std::time::{Duration, Instant};

use bedrock_sse_core::http::{InvalidLocation, Origin};
use bedrock_sse_core::job::{JobEnd, JobStatus};
use bedrock_sse_core::watch::{
    Failure, Fault, Outcome, RedirectPolicy, TransportErrorKind, WatchError, WatchEvent,
};
use bedrock_sse_sim::{
    Casing, Faults, JobScript, JobStart, Newline, RateLimit, Redirect, RedirectTo, RequestRecord,
    ServerErrors,
};
use serde_json::json;

use crate::{
    FarServer, KEY, RawAnswer, RawConnection, RawServer, Run, Runner, TestSim, ms, quick_job,
    unused_port,
};

/// What [`quick_job`] delivers, in order.
const QUICK: [&str; 5] = ["status", "status", "progress", "progress", "completed"];

fn inject(sim: &TestSim, job: &str, faults: Faults) {
    sim.inject(job, faults).expect("a known job");
}

fn redirect(status: u16, to: RedirectTo) -> Faults {
    Faults {
        redirect: Some(Redirect::new(status, to)),
        ..Faults::default()
    }
}

fn log(sim: &TestSim) -> Vec<RequestRecord> {
    sim.request_log().records()
}

fn origin(url: &str) -> Origin {
    Origin::of(url).expect("an http URL")
}

/// Checks that a failed watch's error, in every form a user may print,
/// shows no key.
fn no_key_shown(run: &Run, key: &str) {
    let shown = format!("{run:?} {}", run.error());
    assert!(!shown.contains(key), "the key leaked: {shown}");
}

// ---------------------------------------------------------------------------
// Outcomes

/// A job followed from `Queued` to `completed`: each event once, with its
/// id, and the request as documented.
pub fn a_job_that_completes(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_a")]);
    let run = runner.run(sim.config("job_a").build());
    assert_eq!(run.job_names(), QUICK, "{run:#?}");
    assert_eq!(run.job_ids(), ["1", "2", "3", "4", "5"]);
    assert!(run.others().is_empty(), "{run:#?}");
    let last = run.finished(JobEnd::Completed);
    let results = last
        .data()
        .and_then(|d| d.results.as_ref())
        .expect("results");
    assert!(results.get().contains("ovl.pdf"), "{results:?}");

    let log = log(&sim);
    assert_eq!(log.len(), 1, "{log:#?}");
    let request = &log[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/jobs/job_a/stream");
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    assert_eq!(request.header("accept-encoding"), Some("identity"));
    assert_eq!(request.header("x-api-version"), Some("2026-01-01"));
    assert_eq!(request.header("authorization"), Some("Bearer <redacted>"));
    assert_eq!(request.last_event_id, None);
    let agent = request.header("user-agent").unwrap_or("");
    assert!(agent.starts_with("bedrock-sse/"), "{agent}");
}

/// A job that fails is a watch that succeeded: `Finished` with
/// [`JobEnd::Failed`] and the job's error.
pub fn a_job_that_fails(runner: &dyn Runner) {
    let job = JobScript::new("job_f", "overlay.generate")
        .running(ms(20))
        .failed(ms(20), "PROCESSING_ERROR", "source image missing");
    let sim = TestSim::with_jobs([job]);
    let run = runner.run(sim.config("job_f").build());
    assert_eq!(run.job_names(), ["status", "status", "failed"], "{run:#?}");
    let last = run.finished(JobEnd::Failed);
    let error = last
        .data()
        .and_then(|d| d.error.as_ref())
        .expect("an error");
    assert_eq!(error.code.as_deref(), Some("PROCESSING_ERROR"));
    assert_eq!(error.message.as_deref(), Some("source image missing"));
}

/// A job canceled by its script ends with [`JobEnd::Canceled`].
pub fn a_job_that_is_canceled(runner: &dyn Runner) {
    let job = JobScript::new("job_c", "overlay.generate")
        .running(ms(20))
        .canceled(ms(20));
    let sim = TestSim::with_jobs([job]);
    let run = runner.run(sim.config("job_c").build());
    assert_eq!(
        run.job_names(),
        ["status", "status", "canceled"],
        "{run:#?}"
    );
    run.finished(JobEnd::Canceled);
}

/// A job canceled (at run time) before anyone watched: the watch gets only
/// the terminal event, at once.
pub fn a_job_canceled_before_the_watch(runner: &dyn Runner) {
    let job = JobScript::new("job_x", "overlay.generate")
        .running(ms(10))
        .completed(Duration::from_secs(3600), json!({}));
    let sim = TestSim::with_jobs([job]);
    assert!(sim.cancel("job_x").expect("a known job"));
    let run = runner.run(sim.config("job_x").build());
    assert_eq!(run.job_names(), ["canceled"], "{run:#?}");
    run.finished(JobEnd::Canceled);
    assert_eq!(log(&sim).len(), 1);
}

/// A job already over when the watch starts: a fresh watch gets only its
/// terminal event, once; one resumed from an earlier id gets every event
/// after it; one resumed from the terminal event's id is told to stop
/// (`204 No Content`).
pub fn a_job_already_finished(runner: &dyn Runner) {
    let job = JobScript::new("job_done", "overlay.generate")
        .start(JobStart::Launch)
        .running(Duration::ZERO)
        .completed(Duration::ZERO, json!({"n": 1}));
    let sim = TestSim::with_jobs([job]);
    let fresh = runner.run(sim.config("job_done").build());
    assert_eq!(fresh.job_names(), ["completed"], "{fresh:#?}");
    fresh.finished(JobEnd::Completed);
    let config = sim.config("job_done").resume_from("1").expect("an id");
    let resumed = runner.run(config.build());
    assert_eq!(resumed.job_ids(), ["2", "3"], "{resumed:#?}");
    resumed.finished(JobEnd::Completed);
    let config = sim.config("job_done").resume_from("3").expect("an id");
    let past_the_end = runner.run(config.build());
    assert!(
        matches!(past_the_end.outcome, Outcome::Stopped),
        "{past_the_end:#?}"
    );
    assert!(past_the_end.events.is_empty(), "{past_the_end:#?}");
    let log = log(&sim);
    assert_eq!(log[1].last_event_id.as_deref(), Some("1"));
    assert_eq!(log[2].status, 204);
    assert_eq!(log.len(), 3, "a 204 is not retried");
}

/// `204 No Content` means "stop": [`Outcome::Stopped`], no retry.
pub fn no_content_stops_the_watch(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_204")]);
    inject(
        &sim,
        "job_204",
        Faults {
            no_content: true,
            ..Faults::default()
        },
    );
    let run = runner.run(sim.config("job_204").build());
    assert!(matches!(run.outcome, Outcome::Stopped), "{run:#?}");
    assert!(run.events.is_empty(), "{run:#?}");
    assert_eq!(log(&sim).len(), 1);
}

// ---------------------------------------------------------------------------
// Refusals

/// 401 for a wrong key (sent as `X-API-Key`): fatal at once, with the
/// problem details and request id, and the key shown nowhere.
pub fn a_wrong_key_is_refused_once(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_a")]);
    let config = sim
        .config("job_a")
        .api_key("sk_wrong_secret")
        .expect("a key");
    let run = runner.run(config.build());
    assert!(run.events.is_empty(), "{run:#?}");
    let error = run.error();
    assert!(
        matches!(error, WatchError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(
        error.api_error().and_then(|e| e.code.as_deref()),
        Some("UNAUTHORIZED")
    );
    let log = log(&sim);
    assert_eq!(log.len(), 1, "never retried");
    assert_eq!(log[0].header("x-api-key"), Some("<redacted>"));
    assert_eq!(error.request_id(), Some(log[0].request_id.as_str()));
    no_key_shown(&run, "sk_wrong_secret");
}

/// 404 for an unknown job, whose id went out as one percent-encoded path
/// segment.
pub fn an_unknown_job_is_not_found(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_a")]);
    let run = runner.run(sim.config("job/../nope").build());
    let error = run.error();
    assert!(matches!(error, WatchError::JobNotFound { .. }), "{error:?}");
    assert_eq!(error.fault(), Fault::Client);
    let log = log(&sim);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].path, "/jobs/job%2F..%2Fnope/stream");
}

/// 403 for a key that may not see the job: fatal, like a 401.
pub fn a_job_the_key_may_not_see_is_refused(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_team").keys(["sk_other_team"])]);
    let run = runner.run(sim.config("job_team").build());
    let error = run.error();
    assert!(
        matches!(error, WatchError::Unauthorized { status: 403, .. }),
        "{error:?}"
    );
    assert_eq!(log(&sim).len(), 1);
}

// ---------------------------------------------------------------------------
// Retries

/// A 429 with `Retry-After` (one request per 2 s, and the server rotates
/// after 100 ms): the watch waits (capped to 300 ms here) and goes on.
pub fn a_rate_limit_waits_for_retry_after(runner: &dyn Runner) {
    let sim = TestSim::start([JobScript::overlay("job_rl", 2, ms(150))], |b| {
        b.max_connection(ms(100)).rate_limit(Some(RateLimit {
            capacity: 1,
            window: Duration::from_secs(2),
        }))
    });
    let config = sim.config("job_rl").retry_after(ms(300), ms(300));
    let run = runner.run(config.build());
    run.finished(JobEnd::Completed);
    assert!(
        run.reconnects().iter().any(|(cause, _)| matches!(
            cause,
            Some(Failure::RateLimited {
                retry_after: Some(_),
                request_id: Some(_),
            })
        )),
        "{run:#?}"
    );
    assert!(log(&sim).iter().any(|r| r.status == 429));
}

/// Two 503s, then the stream: each failure counted, then the job followed.
pub fn server_errors_are_retried_then_the_job_followed(runner: &dyn Runner) {
    let mut job = quick_job("job_5xx");
    job.faults.server_errors = Some(ServerErrors::unavailable(2));
    let sim = TestSim::with_jobs([job]);
    let run = runner.run(sim.config("job_5xx").build());
    run.assert_each_once_in_order(&QUICK);
    run.finished(JobEnd::Completed);
    let failures: Vec<u32> = run
        .reconnects()
        .into_iter()
        .map(|(cause, failures)| match cause {
            Some(Failure::Status { status: 503, .. }) => failures,
            other => panic!("{other:?} in {run:#?}"),
        })
        .collect();
    assert_eq!(failures, [1, 2]);
    assert_eq!(log(&sim).len(), 3);
}

/// A server that keeps failing: the budget of 3 consecutive failures ends
/// the watch, retryable later.
pub fn the_failure_budget_ends_the_watch(runner: &dyn Runner) {
    let mut job = quick_job("job_down");
    job.faults.server_errors = Some(ServerErrors::unavailable(100));
    let sim = TestSim::with_jobs([job]);
    let config = sim.config("job_down").max_failures(Some(3));
    let run = runner.run(config.build());
    let error = run.error();
    let WatchError::RetriesExhausted {
        failures: 3,
        last: Failure::Status { status: 503, .. },
    } = error
    else {
        panic!("{run:#?}")
    };
    assert!(error.is_retryable());
    assert!(error.request_id().is_some());
    assert_eq!(log(&sim).len(), 3);
}

/// Nothing listens: each attempt is a connect failure whose message carries
/// the OS's words (`... (os error 111)`), until the budget runs out.
pub fn a_refused_connection_says_the_os_error(runner: &dyn Runner) {
    let base_url = format!("http://127.0.0.1:{}", unused_port());
    let config = TestSim::test_config(&base_url, "job_a").max_failures(Some(2));
    let run = runner.run(config.build());
    let error = run.error();
    let WatchError::RetriesExhausted {
        failures: 2,
        last: Failure::Transport(last),
    } = error
    else {
        panic!("{run:#?}")
    };
    assert_eq!(last.kind(), TransportErrorKind::Connect, "{last:?}");
    assert!(last.message().contains("os error"), "{last:?}");
    assert!(error.to_string().contains("os error"), "{error}");
    assert!(
        run.reconnects()
            .iter()
            .all(|(cause, _)| matches!(cause, Some(Failure::Transport(_)))),
        "{run:#?}"
    );
}

// ---------------------------------------------------------------------------
// Reconnection

/// The server closes every 150 ms (heartbeats every 40 ms) while the job
/// takes about 1.4 s: every reconnection is a planned rotation that resumes
/// with `Last-Event-ID`, and each event arrives once, ids increasing.
pub fn planned_rotations_resume_without_duplicates(runner: &dyn Runner) {
    let job = JobScript::overlay("job_rot", 6, ms(200));
    let sim = TestSim::start([job], |b| b.max_connection(ms(150)).heartbeat(ms(40)));
    let run = runner.run(sim.config("job_rot").build());
    run.finished(JobEnd::Completed);
    let mut script = vec!["status", "status"];
    script.extend(["progress"; 6]);
    script.push("completed");
    run.assert_each_once_in_order(&script);
    for (cause, failures) in run.reconnects() {
        assert!(cause.is_none(), "a planned rotation: {run:#?}");
        assert_eq!(failures, 0);
    }
    let log = log(&sim);
    assert!(log.len() >= 3, "rotations happened: {log:#?}");
    assert_eq!(log[0].last_event_id, None);
    let resumed: Vec<u64> = log[1..]
        .iter()
        .map(|r| {
            r.last_event_id
                .as_deref()
                .and_then(|id| id.parse().ok())
                .expect("resumes with a numeric Last-Event-ID")
        })
        .collect();
    assert!(resumed.windows(2).all(|w| w[0] <= w[1]), "{resumed:?}");
    // The server keeps its connections alive after a stream ends: a
    // reconnect must still open a new one, never reuse the closed stream's.
    let peers: std::collections::HashSet<_> = log.iter().map(|r| r.peer).collect();
    assert_eq!(peers.len(), log.len(), "a connection was reused: {log:#?}");
}

/// Events 300 ms apart, heartbeats every 50 ms; the connection falls
/// silent after two events and the 400 ms idle timeout gives it up while
/// the job still runs: the next connection resumes after event 2.
pub fn a_stall_is_abandoned_after_the_idle_timeout(runner: &dyn Runner) {
    let job = JobScript::overlay("job_stall", 2, ms(300));
    let sim = TestSim::start([job], |b| b.heartbeat(ms(50)));
    inject(
        &sim,
        "job_stall",
        Faults {
            stall_after_events: Some(2),
            ..Faults::default()
        },
    );
    let config = sim
        .config("job_stall")
        .idle_timeout(ms(400))
        .expect("a timeout");
    let run = runner.run(config.build());
    assert!(run.job_ids().starts_with(&["1", "2"]), "{run:#?}");
    run.assert_each_once_in_order(&QUICK);
    run.finished(JobEnd::Completed);
    assert!(
        matches!(
            run.others().as_slice(),
            [WatchEvent::Reconnecting {
                cause: Some(Failure::IdleTimeout),
                failures: 1,
                ..
            }]
        ),
        "{run:#?}"
    );
    let log = log(&sim);
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].last_event_id.as_deref(), Some("2"));
}

/// A connection cut (one byte at a time) after three events: one
/// reconnection, resuming after event 3, and nothing twice.
pub fn a_dropped_connection_resumes_where_it_broke(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_drop")]);
    inject(
        &sim,
        "job_drop",
        Faults {
            drop_after_events: Some(3),
            byte_at_a_time: true,
            ..Faults::default()
        },
    );
    let run = runner.run(sim.config("job_drop").build());
    assert!(run.job_ids().starts_with(&["1", "2", "3"]), "{run:#?}");
    run.assert_each_once_in_order(&QUICK);
    run.finished(JobEnd::Completed);
    assert_eq!(run.reconnects().len(), 1, "{run:#?}");
    assert_eq!(log(&sim)[1].last_event_id.as_deref(), Some("3"));
}

// ---------------------------------------------------------------------------
// Odd but legal bytes

fn decodes_the_same(runner: &dyn Runner, faults: Faults) {
    let sim = TestSim::with_jobs([quick_job("job_odd").casing(Casing::Upper).faults(faults)]);
    let run = runner.run(sim.config("job_odd").build());
    assert_eq!(run.job_names(), QUICK, "{run:#?}");
    assert_eq!(run.job_ids(), ["1", "2", "3", "4", "5"]);
    let statuses: Vec<Option<&JobStatus>> = run.jobs().iter().map(|(_, e)| e.status()).collect();
    assert_eq!(statuses.first(), Some(&Some(&JobStatus::Queued)));
    assert_eq!(statuses.last(), Some(&Some(&JobStatus::Completed)));
    assert!(run.others().is_empty(), "{run:#?}");
    run.finished(JobEnd::Completed);
}

/// CRLF line ends, a byte-order mark and UPPER-case statuses.
pub fn crlf_a_bom_and_upper_case_decode_the_same(runner: &dyn Runner) {
    decodes_the_same(
        runner,
        Faults {
            newline: Newline::CrLf,
            bom: true,
            ..Faults::default()
        },
    );
}

/// Lone CR line ends, written one byte per write.
pub fn cr_one_byte_at_a_time_decodes_the_same(runner: &dyn Runner) {
    decodes_the_same(
        runner,
        Faults {
            newline: Newline::Cr,
            byte_at_a_time: true,
            ..Faults::default()
        },
    );
}

/// The third event's JSON is broken: a [`WatchEvent::Malformed`] warning,
/// then the job goes on to its end.
pub fn malformed_json_is_a_warning_and_the_job_goes_on(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_bad")]);
    inject(
        &sim,
        "job_bad",
        Faults {
            malformed_event: Some(2),
            ..Faults::default()
        },
    );
    let run = runner.run(sim.config("job_bad").build());
    assert_eq!(
        run.job_names(),
        ["status", "status", "progress", "completed"],
        "{run:#?}"
    );
    assert!(
        matches!(run.others().as_slice(), [WatchEvent::Malformed(_)]),
        "{run:#?}"
    );
    run.finished(JobEnd::Completed);
}

/// `results` of 256 KiB (an escaped string among other values): delivered
/// intact, in one event.
pub fn a_256_kib_result_arrives_intact(runner: &dyn Runner) {
    let blob: String = (0..256 * 1024)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let results = json!({"blob": blob, "quote": "\"\\\n", "n": 12345678901234567890u64});
    let job = JobScript::new("job_big", "overlay.generate")
        .running(ms(10))
        .completed(ms(10), results.clone());
    let sim = TestSim::with_jobs([job]);
    let run = runner.run(sim.config("job_big").build());
    assert_eq!(run.job_names(), ["status", "status", "completed"]);
    let last = run.finished(JobEnd::Completed);
    let got = last
        .data()
        .and_then(|d| d.results.as_ref())
        .expect("results");
    assert!(got.get().len() > 256 * 1024);
    let got: serde_json::Value = serde_json::from_str(got.get()).expect("JSON results");
    assert_eq!(got, results);
}

/// 500 tiny events and the job's end in one response, more than the
/// watch queues at once: the driver feeds each chunk in parts as the
/// watch drains, and every event arrives once, in order.
pub fn a_burst_of_tiny_events_arrives_whole(runner: &dyn Runner) {
    let mut body: String = (1..=500)
        .map(|n| format!("id: {n}\nevent: progress\ndata: {{\"message\":\"e{n}\"}}\n\n"))
        .collect();
    body.push_str("id: 501\nevent: completed\ndata: {\"status\":\"Completed\"}\n\n");
    let far = FarServer::start(body);
    let run = runner.run(TestSim::test_config(&far.url(""), "job_burst").build());
    let mut script = vec!["progress"; 500];
    script.push("completed");
    run.assert_each_once_in_order(&script);
    assert_eq!(run.jobs().len(), 501, "{run:#?}");
    run.finished(JobEnd::Completed);
    assert_eq!(far.requests().len(), 1, "one connection");
}

// ---------------------------------------------------------------------------
// Wrong answers

/// A 200 HTML page (a proxy's login page): fatal, naming the content type.
pub fn a_page_that_is_not_an_event_stream_is_fatal(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_html")]);
    inject(
        &sim,
        "job_html",
        Faults {
            wrong_content_type: true,
            ..Faults::default()
        },
    );
    let run = runner.run(sim.config("job_html").build());
    let WatchError::NotAnEventStream { content_type, .. } = run.error() else {
        panic!("{run:#?}")
    };
    assert!(
        content_type
            .as_deref()
            .unwrap_or("")
            .starts_with("text/html"),
        "{content_type:?}"
    );
    assert_eq!(log(&sim).len(), 1);
}

/// A stream labelled `Content-Encoding: gzip`, unasked: the watch ends
/// with [`WatchError::UnsupportedEncoding`] naming it, and is not retried.
pub fn a_gzip_stream_is_an_unsupported_encoding(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_gz")]);
    inject(
        &sim,
        "job_gz",
        Faults {
            content_encoding: Some("gzip".into()),
            ..Faults::default()
        },
    );
    let run = runner.run(sim.config("job_gz").build());
    let error = run.error();
    let WatchError::UnsupportedEncoding { encoding, .. } = error else {
        panic!("{run:#?}")
    };
    assert_eq!(encoding, "gzip");
    assert!(error.to_string().contains("gzip"), "{error}");
    assert!(run.events.is_empty(), "{run:#?}");
    let log = log(&sim);
    assert_eq!(log.len(), 1, "not retried");
    assert_eq!(error.request_id(), Some(log[0].request_id.as_str()));
}

// ---------------------------------------------------------------------------
// Redirects

/// A resumed watch redirected to the same path with a query: followed at
/// once (not a failure), and the redirected request carries the
/// credentials, `Last-Event-ID` and `X-API-Version`.
pub fn a_same_origin_redirect_keeps_every_header(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_r")]);
    inject(&sim, "job_r", redirect(307, RedirectTo::SamePath));
    let config = sim.config("job_r").resume_from("2").expect("an id");
    let run = runner.run(config.build());
    run.assert_each_once_in_order(&QUICK);
    assert!(!run.job_ids().contains(&"2"), "resumed after 2: {run:#?}");
    assert!(
        run.reconnects().is_empty(),
        "a hop is not a failure: {run:#?}"
    );
    run.finished(JobEnd::Completed);
    let log = log(&sim);
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(log[0].status, 307);
    assert_eq!(log[1].status, 200);
    for request in &log {
        assert_eq!(request.path, "/jobs/job_r/stream");
        assert_eq!(request.header("authorization"), Some("Bearer <redacted>"));
        assert_eq!(request.last_event_id.as_deref(), Some("2"));
        assert_eq!(request.header("x-api-version"), Some("2026-01-01"));
    }
}

/// A redirect to another path the same server serves, with the key sent as
/// `X-API-Key`: followed with the key.
pub fn a_redirect_to_another_served_path_is_followed(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_m")]);
    inject(&sim, "job_m", redirect(308, RedirectTo::OtherPath));
    let config = sim.config("job_m").api_key(KEY).expect("a key");
    let run = runner.run(config.build());
    run.assert_each_once_in_order(&QUICK);
    run.finished(JobEnd::Completed);
    let log = log(&sim);
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(log[1].path, "/moved/jobs/job_m/stream");
    assert_eq!(log[1].header("x-api-key"), Some("<redacted>"));
    assert_eq!(log[1].header("authorization"), None);
    assert_eq!(log[1].header("x-api-version"), Some("2026-01-01"));
}

/// 301, 302, 303, 307 and 308 in a row: five hops, the most followed.
pub fn five_redirects_of_each_status_are_followed(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_5")]);
    for (status, to) in [
        (301, RedirectTo::SamePath),
        (302, RedirectTo::OtherPath),
        (303, RedirectTo::SamePath),
        (307, RedirectTo::OtherPath),
        (308, RedirectTo::SamePath),
    ] {
        inject(&sim, "job_5", redirect(status, to));
    }
    let run = runner.run(sim.config("job_5").build());
    run.assert_each_once_in_order(&QUICK);
    run.finished(JobEnd::Completed);
    let statuses: Vec<u16> = log(&sim).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [301, 302, 303, 307, 308, 200]);
}

/// A sixth redirect in a row ends the watch: a loop, most likely.
pub fn a_sixth_redirect_is_too_many(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_loop")]);
    for _ in 0..6 {
        inject(&sim, "job_loop", redirect(307, RedirectTo::SamePath));
    }
    let run = runner.run(sim.config("job_loop").build());
    assert!(
        matches!(run.error(), WatchError::TooManyRedirects { max: 5 }),
        "{run:#?}"
    );
    assert_eq!(log(&sim).len(), 6, "never retried");
}

fn refused_cross_origin(run: &Run, sim: &TestSim, to: &str) {
    let error = run.error();
    let WatchError::CrossOriginRedirect {
        status: 302,
        from,
        to: target,
    } = error
    else {
        panic!("{run:#?}")
    };
    assert_eq!(*from, origin(&sim.base_url()));
    assert_eq!(*target, origin(to));
    assert!(error.to_string().contains(to), "{error}");
    assert!(!error.is_retryable());
    assert!(run.events.is_empty(), "{run:#?}");
    assert_eq!(log(sim).len(), 1, "never retried");
}

/// A redirect to another port of the same address is another origin:
/// refused, naming it, and the far server never hears of the watch.
pub fn a_redirect_to_another_port_is_refused(runner: &dyn Runner) {
    let far = FarServer::start(FarServer::job_stream("job_p"));
    let sim = TestSim::with_jobs([quick_job("job_p")]);
    inject(
        &sim,
        "job_p",
        redirect(302, RedirectTo::Port(far.addr().port())),
    );
    let run = runner.run(sim.config("job_p").build());
    refused_cross_origin(&run, &sim, &far.url(""));
    assert_eq!(far.requests(), [], "nothing reached the other origin");
}

/// `localhost` is not `127.0.0.1`, even on the same port: refused, and
/// the simulator (the "other" origin here) got no second request.
pub fn a_redirect_to_localhost_is_refused(runner: &dyn Runner) {
    let sim = TestSim::with_jobs([quick_job("job_h")]);
    inject(
        &sim,
        "job_h",
        redirect(302, RedirectTo::Localhost { port: None }),
    );
    let run = runner.run(sim.config("job_h").build());
    let to = format!("http://localhost:{}", sim.addr().port());
    refused_cross_origin(&run, &sim, &to);
}

/// Another host name and another port: refused, and the far server never
/// hears of the watch.
pub fn a_redirect_to_localhost_on_another_port_is_refused(runner: &dyn Runner) {
    let far = FarServer::start(FarServer::job_stream("job_hp"));
    let port = far.addr().port();
    let sim = TestSim::with_jobs([quick_job("job_hp")]);
    inject(
        &sim,
        "job_hp",
        redirect(302, RedirectTo::Localhost { port: Some(port) }),
    );
    let run = runner.run(sim.config("job_hp").build());
    refused_cross_origin(&run, &sim, &format!("http://localhost:{port}"));
    assert_eq!(far.requests(), [], "nothing reached the other origin");
}

fn followed_without_credentials(runner: &dyn Runner, x_api_key: bool) {
    let far = FarServer::start(FarServer::job_stream("job_cdn"));
    let sim = TestSim::with_jobs([quick_job("job_cdn")]);
    inject(
        &sim,
        "job_cdn",
        redirect(307, RedirectTo::Port(far.addr().port())),
    );
    let mut config = sim
        .config("job_cdn")
        .redirects(RedirectPolicy::CrossOriginWithoutCredentials);
    if x_api_key {
        config = config.api_key(KEY).expect("a key");
    }
    let run = runner.run(config.build());
    assert_eq!(run.job_names(), ["status", "completed"], "{run:#?}");
    let last = run.finished(JobEnd::Completed);
    let results = last
        .data()
        .and_then(|d| d.results.as_ref())
        .expect("results");
    assert_eq!(results.get(), r#"{"served_by":"far"}"#);

    let log = log(&sim);
    assert_eq!(log.len(), 1, "{log:#?}");
    let sent = if x_api_key {
        "x-api-key"
    } else {
        "authorization"
    };
    assert!(
        log[0].header(sent).is_some(),
        "the key went to its own origin"
    );
    let far_requests = far.requests();
    assert_eq!(far_requests.len(), 1, "{far_requests:#?}");
    let request = &far_requests[0];
    assert_eq!(request.path, "/jobs/job_cdn/stream?redirected=1");
    assert_eq!(request.header("authorization"), None, "{request:#?}");
    assert_eq!(request.header("x-api-key"), None, "{request:#?}");
    assert!(
        !format!("{request:?}").contains(KEY),
        "the key reached the far server: {request:#?}"
    );
}

/// With [`RedirectPolicy::CrossOriginWithoutCredentials`], a redirect to
/// another origin is followed without the `Authorization` header, and the
/// job completes from that server's stream.
pub fn cross_origin_without_credentials_drops_the_bearer(runner: &dyn Runner) {
    followed_without_credentials(runner, false);
}

/// The same with the key sent as `X-API-Key`: it does not go either.
pub fn cross_origin_without_credentials_drops_the_x_api_key(runner: &dyn Runner) {
    followed_without_credentials(runner, true);
}

fn invalid_redirect(
    runner: &dyn Runner,
    faults: Faults,
    policy: RedirectPolicy,
) -> InvalidLocation {
    let sim = TestSim::with_jobs([quick_job("job_bad_loc")]);
    inject(&sim, "job_bad_loc", faults);
    let config = sim.config("job_bad_loc").redirects(policy);
    let run = runner.run(config.build());
    let WatchError::InvalidRedirect {
        status: 307,
        reason,
    } = run.error()
    else {
        panic!("{run:#?}")
    };
    assert_eq!(log(&sim).len(), 1, "never retried");
    *reason
}

/// A redirect without `Location`: [`InvalidLocation::Missing`].
pub fn a_redirect_without_location_is_invalid(runner: &dyn Runner) {
    let reason = invalid_redirect(
        runner,
        redirect(307, RedirectTo::Missing),
        RedirectPolicy::default(),
    );
    assert_eq!(reason, InvalidLocation::Missing);
}

/// A `Location` that is not a URL: [`InvalidLocation::Unparsable`].
pub fn a_redirect_to_an_unparsable_location_is_invalid(runner: &dyn Runner) {
    let reason = invalid_redirect(
        runner,
        redirect(307, RedirectTo::Location("http://[oops".into())),
        RedirectPolicy::default(),
    );
    assert_eq!(reason, InvalidLocation::Unparsable);
}

/// [`RedirectPolicy::Never`]: even a same-origin redirect ends the watch.
pub fn the_never_policy_refuses_any_redirect(runner: &dyn Runner) {
    let reason = invalid_redirect(
        runner,
        redirect(307, RedirectTo::SamePath),
        RedirectPolicy::Never,
    );
    assert_eq!(reason, InvalidLocation::Refused);
}

// ---------------------------------------------------------------------------
// Slow and stuck servers

/// `n` `status` events of `job_id` with ids 1 to `n`, `Queued` then
/// `Started`: a stream that has begun and is not over.
pub(crate) fn started_stream(job_id: &str, n: usize) -> String {
    (1..=n)
        .map(|id| {
            let status = if id == 1 { "Queued" } else { "Started" };
            format!(
                "id: {id}\nevent: status\ndata: {{\"job_id\":\"{job_id}\",\
                 \"type\":\"overlay.generate\",\"status\":\"{status}\",\
                 \"timestamp\":\"2026-01-15T10:00:0{id}Z\"}}\n\n"
            )
        })
        .collect()
}

/// How late past its deadline a client may close a connection before a
/// scenario calls it stuck: generous, so that a loaded machine does not
/// fail the kit, and far below "never", which is what is caught.
pub(crate) const LATE: Duration = Duration::from_secs(1);

/// Checks that the client closed `connection` between `deadline` after
/// `since` and [`LATE`] past that.
pub(crate) fn closed_at_its_deadline(
    connection: &RawConnection,
    since: Instant,
    deadline: Duration,
    what: &str,
) {
    let closed = connection
        .closed
        .unwrap_or_else(|| panic!("{what}: the client never closed it: {connection:#?}"));
    let after = closed.duration_since(since);
    // The server notices a few milliseconds after the client's own clock.
    assert!(
        after + ms(20) >= deadline,
        "{what}: closed {after:?} after, before its {deadline:?}: {connection:#?}"
    );
    assert!(
        after <= deadline + LATE,
        "{what}: closed {after:?} after, long past its {deadline:?}: {connection:#?}"
    );
}

/// A server that sends two events, then a byte every 50 ms for ever,
/// keeping the 500 ms idle timer alive while the job never ends: the
/// watch's overall deadline (800 ms) ends it with
/// [`WatchError::DeadlineExceeded`], and the client closes the connection
/// then, without a retry.
pub fn a_trickle_is_stopped_by_the_overall_deadline(runner: &dyn Runner) {
    let server = RawServer::start(|_| RawAnswer::Trickle {
        body: started_stream("job_trickle", 2),
        every: ms(50),
    });
    let deadline = ms(800);
    let config = TestSim::test_config(&server.base_url(), "job_trickle")
        .idle_timeout(ms(500))
        .expect("a timeout")
        .timeout(deadline);
    let started = Instant::now();
    let run = runner.run(config.build());
    assert!(
        matches!(run.error(), WatchError::DeadlineExceeded),
        "{run:#?}"
    );
    assert_eq!(run.job_ids(), ["1", "2"], "{run:#?}");
    assert!(run.reconnects().is_empty(), "never idle: {run:#?}");
    let connections = server.wait_closed(1, deadline + LATE);
    assert_eq!(connections.len(), 1, "{connections:#?}");
    closed_at_its_deadline(&connections[0], started, deadline, "the trickle");
}

/// A server that accepts the connection, reads the request and never
/// answers: each attempt is given up at the 200 ms head timeout
/// ([`Failure::ResponseTimeout`]) and its connection closed, until the
/// budget of 2 failures ends the watch.
pub fn a_server_that_never_answers_is_stopped_by_the_head_timeout(runner: &dyn Runner) {
    let server = RawServer::start(|_| RawAnswer::Never);
    let head_timeout = ms(200);
    let config = TestSim::test_config(&server.base_url(), "job_mute")
        .head_timeout(head_timeout)
        .expect("a timeout")
        .max_failures(Some(2));
    let run = runner.run(config.build());
    let WatchError::RetriesExhausted {
        failures: 2,
        last: Failure::ResponseTimeout,
    } = run.error()
    else {
        panic!("{run:#?}")
    };
    assert!(
        matches!(
            run.reconnects().as_slice(),
            [(Some(Failure::ResponseTimeout), 1)]
        ),
        "{run:#?}"
    );
    let connections = server.wait_closed(2, head_timeout + LATE);
    assert_eq!(connections.len(), 2, "{connections:#?}");
    for (n, connection) in connections.iter().enumerate() {
        assert!(connection.request.is_some(), "{connection:#?}");
        let what = format!("attempt {n}");
        closed_at_its_deadline(connection, connection.accepted, head_timeout, &what);
    }
}
