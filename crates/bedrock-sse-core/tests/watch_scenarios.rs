//! Every branch of the Watch, driven by a fake driver and a fake clock.

mod watch_support;

use core::time::Duration;

use bedrock_sse_core::job::JobStatus;
use bedrock_sse_core::sse::Limits;
use bedrock_sse_core::watch::{
    Action, Failure, Fault, Instant, Outcome, TransportError, TransportErrorKind, Watch,
    WatchConfig, WatchConfigBuilder, WatchError, WatchEvent,
};
use watch_support::{ES, Harness, ev, secs};

const RUNNING: &str = r#"{"job_id":"job_1","status":"RUNNING"}"#;

/// Defaults, but no rotation jitter (its own test below).
fn config() -> WatchConfigBuilder {
    WatchConfig::builder("job_1")
        .unwrap()
        .rotation_jitter(Duration::ZERO)
}

// ----- the request ---------------------------------------------------------

#[test]
fn the_first_request_carries_every_header() {
    let c = config()
        .base_url("http://127.0.0.1:9/prefix/")
        .unwrap()
        .bearer("sk_secret")
        .unwrap();
    let h = Harness::new(c.build());
    let [Action::Connect(r)] = &h.actions[..] else {
        panic!("{:?}", h.actions)
    };
    assert_eq!(r.method(), "GET");
    assert_eq!(r.url(), "http://127.0.0.1:9/prefix/jobs/job_1/stream");
    assert_eq!(r.header("Accept"), Some("text/event-stream"));
    assert_eq!(r.header("accept-encoding"), Some("identity"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("authorization"), Some("Bearer sk_secret"));
    assert_eq!(r.header("x-api-version"), Some("2026-01-01"));
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("bedrock-sse/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(r.header("last-event-id"), None);
    assert!(
        r.headers()
            .iter()
            .any(|h| h.name() == "authorization" && h.is_sensitive())
    );
    assert!(!format!("{r:?}").contains("sk_secret"));
}

#[test]
fn api_key_resume_and_user_agent() {
    let c = config()
        .api_key("sk_k")
        .unwrap()
        .resume_from("41")
        .unwrap()
        .user_agent("svc/1")
        .unwrap();
    assert!(config().clone().user_agent("evil\r\nx: y").is_err());
    let h = Harness::new(c.build());
    let r = h.connects()[0];
    assert_eq!(r.header("x-api-key"), Some("sk_k"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.header("last-event-id"), Some("41"));
    assert_eq!(r.header("user-agent"), Some("svc/1"));
    assert!(WatchConfig::builder("").is_err());
}

#[test]
fn reconnect_sends_the_last_event_id() {
    let mut h = Harness::job("job_1");
    h.stream();
    h.body(&format!("id: 17\n{}", ev("status", RUNNING)));
    h.eof();
    let connects = h.connects();
    assert_eq!(connects.len(), 2);
    assert_eq!(connects[1].header("last-event-id"), Some("17"));
    assert_eq!(h.watch.last_event_id(), "17");
}

// ----- responses -------------------------------------------------------------

#[test]
fn a_200_that_is_not_an_event_stream_is_fatal() {
    let mut h = Harness::job("job_1");
    h.take_actions();
    h.respond(
        200,
        &[("content-type", "text/html"), ("x-request-id", "req_9")],
    );
    assert_eq!(h.take_actions(), [Action::Close]);
    let e = h.error();
    assert!(
        matches!(e, WatchError::NotAnEventStream { content_type: Some(ct), .. } if ct == "text/html")
    );
    assert_eq!(e.request_id(), Some("req_9"));
    assert_eq!(e.fault(), Fault::Server);
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("text/html"));
}

#[test]
fn event_stream_with_parameters_streams() {
    let mut h = Harness::job("job_1");
    h.respond(200, &[("Content-Type", "text/event-stream; charset=utf-8")]);
    h.body(&ev("status", RUNNING));
    assert_eq!(h.jobs(), ["status:Started"]);
}

#[test]
fn unauthorized_is_fatal_with_the_problem_and_the_request_id() {
    for status in [401, 403] {
        let mut h = Harness::job("job_1");
        h.respond(
            status,
            &[
                ("content-type", "application/problem+json"),
                ("X-Request-Id", "req_h"),
            ],
        );
        h.body(
            r#"{"type":"https://docs.bedrock.cv/errors/authentication","title":"Unauthorized","#,
        );
        h.body(r#""status":401,"detail":"Invalid or missing API key.","code":"UNAUTHORIZED"}"#);
        assert!(h.outcome.is_none(), "waits for the whole body");
        h.eof();
        let e = h.error();
        let WatchError::Unauthorized { status: s, error } = e else {
            panic!("{e:?}")
        };
        assert_eq!(*s, status);
        assert_eq!(error.code.as_deref(), Some("UNAUTHORIZED"));
        assert_eq!(e.request_id(), Some("req_h"), "the header fills in");
        assert_eq!(e.fault(), Fault::Client);
        assert!(!e.is_retryable());
        assert_eq!(h.watch.connections(), 1, "never retried");
        assert!(h.watch.is_finished());
    }
}

#[test]
fn the_body_request_id_wins_and_both_spellings_work() {
    let mut h = Harness::job("job_1");
    h.respond(401, &[("x-request-id", "req_header")]);
    h.body(r#"{"title":"Unauthorized","status":401,"requestId":"req_body"}"#);
    h.eof();
    assert_eq!(h.error().request_id(), Some("req_body"));
}

#[test]
fn not_found_is_fatal() {
    let mut h = Harness::job("job_nope");
    h.respond(404, &[("content-type", "application/json")]);
    h.body(r#"{"title":"Not found","status":404,"code":"NOT_FOUND","request_id":"r"}"#);
    h.eof();
    let WatchError::JobNotFound { error } = h.error() else {
        panic!()
    };
    assert_eq!(error.code.as_deref(), Some("NOT_FOUND"));
    assert_eq!(h.watch.connections(), 1);
}

#[test]
fn other_statuses_are_fatal_and_say_what_came() {
    for (status, fault) in [
        (400, Fault::Client),
        (300, Fault::Server),
        (201, Fault::Server),
        (409, Fault::Client),
    ] {
        let mut h = Harness::job("job_1");
        h.respond(status, &[("content-type", "text/plain")]);
        h.body("Unsupported API version: 99. Supported versions: 1");
        h.eof();
        let e = h.error();
        let WatchError::UnexpectedStatus { status: s, error } = e else {
            panic!("{e:?}")
        };
        assert_eq!(*s, status);
        assert_eq!(
            error.detail.as_deref(),
            Some("Unsupported API version: 99. Supported versions: 1")
        );
        assert_eq!(e.fault(), fault);
        assert!(e.to_string().contains(&status.to_string()));
    }
}

#[test]
fn an_error_body_is_bounded_and_a_stalled_one_times_out() {
    let mut h = Harness::new(config().max_error_body(10).build());
    h.take_actions();
    h.respond(404, &[]);
    h.body("0123456789abcdef");
    assert_eq!(h.take_actions(), [Action::Close]);
    assert_eq!(
        h.error().api_error().unwrap().detail.as_deref(),
        Some("0123456789")
    );

    let mut h = Harness::job("job_1");
    h.respond(401, &[]);
    h.body("{");
    h.take_actions();
    h.fire();
    assert_eq!(h.now, Instant::from_duration(secs(45)));
    assert_eq!(h.take_actions(), [Action::Close]);
    assert!(matches!(h.error(), WatchError::Unauthorized { .. }));

    let mut h = Harness::job("job_1");
    h.respond(403, &[]);
    h.watch
        .handle_transport_error(h.now, TransportErrorKind::Reset.into());
    h.drain();
    assert!(matches!(
        h.error(),
        WatchError::Unauthorized { status: 403, .. }
    ));
}

#[test]
fn no_content_stops() {
    let mut h = Harness::job("job_1");
    h.take_actions();
    h.respond(204, &[]);
    assert_eq!(h.outcome, Some(Outcome::Stopped));
    assert_eq!(h.take_actions(), [Action::Close]);
    assert_eq!(h.watch.poll_timeout(), None);
}

#[test]
fn rate_limited_waits_retry_after_and_surfaces_rate_limits() {
    let mut h = Harness::job("job_1");
    h.take_actions();
    h.respond(
        429,
        &[
            ("Retry-After", "7"),
            ("X-RateLimit-Limit", "60"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1704067200"),
        ],
    );
    assert_eq!(h.take_actions(), [Action::Close]);
    let rl = h.watch.rate_limit().unwrap();
    assert_eq!(
        (rl.limit, rl.remaining, rl.reset),
        (Some(60), Some(0), Some(1704067200))
    );
    let [(delay, 1, true)] = h.reconnects()[..] else {
        panic!("{:?}", h.reconnects())
    };
    assert_eq!(delay, secs(7), "Retry-After is above the first backoff");
    assert!(matches!(
        &h.events[0],
        WatchEvent::Reconnecting { cause: Some(Failure::RateLimited { retry_after: Some(d), .. }), .. } if *d == secs(7)
    ));
    assert_eq!(
        h.watch.poll_timeout(),
        Some(Instant::from_duration(secs(7)))
    );
    h.fire();
    assert_eq!(h.connects().len(), 1);
}

#[test]
fn rate_limited_without_retry_after_uses_the_default_and_caps_huge_values() {
    let mut h = Harness::job("job_1");
    h.respond(429, &[]);
    assert_eq!(h.reconnects()[0].0, secs(60));
    let mut h = Harness::job("job_1");
    h.respond(429, &[("retry-after", "999999")]);
    assert_eq!(h.reconnects()[0].0, secs(600));
    let mut h = Harness::job("job_1");
    h.respond(429, &[("retry-after", "Fri, 31 Dec 1999 23:59:59 GMT")]);
    assert_eq!(
        h.reconnects()[0].0,
        secs(60),
        "an HTTP-date counts as absent"
    );
}

#[test]
fn server_errors_back_off_exponentially_with_bounded_jitter_then_give_up() {
    let mut h = Harness::job("job_1");
    for n in 1..10u32 {
        h.respond(
            if n % 2 == 0 { 503 } else { 408 },
            &[("x-request-id", "req_5")],
        );
        let (delay, failures, failed) = *h.reconnects().last().unwrap();
        assert!(failed);
        assert_eq!(failures, n);
        let nominal = h.watch.config().backoff().nominal(n);
        assert!(
            delay >= nominal / 2 && delay <= nominal,
            "{n}: {delay:?} vs {nominal:?}"
        );
        h.fire();
    }
    h.respond(500, &[("x-request-id", "req_last")]);
    let e = h.error();
    let WatchError::RetriesExhausted {
        failures: 10,
        last: Failure::Status { status: 500, .. },
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(e.request_id(), Some("req_last"));
    assert_eq!(e.fault(), Fault::Server);
    assert!(e.is_retryable());
    assert_eq!(h.watch.connections(), 10);
}

#[test]
fn transport_errors_and_closes_before_a_response_are_retried() {
    let mut h = Harness::job("job_1");
    h.watch
        .handle_transport_error(h.now, TransportErrorKind::Connect.into());
    h.drain();
    h.fire();
    h.eof();
    h.fire();
    let causes: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Reconnecting { cause: Some(c), .. } => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        causes,
        [
            Failure::Transport(TransportError::from(TransportErrorKind::Connect)),
            Failure::ClosedBeforeResponse
        ]
    );
    assert_eq!(causes[0].fault(), Fault::Network);
    assert_eq!(h.watch.connections(), 3);
}

#[test]
fn an_unbounded_budget_retries_forever() {
    let mut h = Harness::new(config().max_failures(None).build());
    for _ in 0..50 {
        h.respond(502, &[]);
        h.fire();
    }
    assert!(h.outcome.is_none());
    assert_eq!(h.watch.consecutive_failures(), 50);
    assert!(h.reconnects().iter().all(|r| r.0 <= secs(30)));
}

// ----- idle deadline ---------------------------------------------------------

#[test]
fn heartbeats_keep_the_stream_alive_and_silence_kills_it() {
    let mut h = Harness::job("job_1");
    h.stream();
    for _ in 0..10 {
        h.advance(secs(15));
        h.body(": heartbeat\n\n");
        h.watch.handle_timeout(h.now);
        h.drain();
    }
    assert!(h.reconnects().is_empty());
    assert_eq!(h.watch.poll_timeout(), Some(h.now + secs(45)));
    h.take_actions();
    h.fire();
    assert_eq!(h.take_actions()[0], Action::Close);
    assert!(matches!(
        h.events.last(),
        Some(WatchEvent::Reconnecting {
            cause: Some(Failure::IdleTimeout),
            failures: 1,
            ..
        })
    ));
}

#[test]
fn a_response_that_never_comes_times_out() {
    let c = config().head_timeout(secs(5)).unwrap();
    let mut h = Harness::new(c.build());
    h.take_actions();
    h.fire();
    assert_eq!(h.now, Instant::from_duration(secs(5)));
    assert_eq!(h.take_actions(), [Action::Close]);
    assert!(matches!(
        h.events[0],
        WatchEvent::Reconnecting {
            cause: Some(Failure::ResponseTimeout),
            ..
        }
    ));
}

// ----- planned rotation ------------------------------------------------------

#[test]
fn a_planned_rotation_reconnects_promptly_without_spending_budget() {
    let mut h = Harness::job("job_1");
    h.respond(503, &[]);
    h.fire();
    assert_eq!(h.watch.consecutive_failures(), 1);
    h.stream();
    h.body(&ev("status", RUNNING));
    assert_eq!(
        h.watch.consecutive_failures(),
        0,
        "a delivering stream resets the count"
    );
    h.eof();
    assert_eq!(*h.reconnects().last().unwrap(), (Duration::ZERO, 0, false));
    assert_eq!(h.connects().len(), 3, "reconnected at once");
}

#[test]
fn a_rotation_reconnects_after_a_small_jitter_that_differs_between_watches() {
    let mut delays = std::collections::BTreeSet::new();
    for seed in 0..32 {
        let config = WatchConfig::builder("job_1").unwrap().build();
        let mut h = Harness::with_seed(config, seed);
        h.stream();
        h.body(&ev("status", RUNNING));
        h.eof();
        let [(delay, 0, false)] = h.reconnects()[..] else {
            panic!("{:?}", h.events)
        };
        assert!(delay <= WatchConfig::DEFAULT_ROTATION_JITTER, "{delay:?}");
        delays.insert(delay);
        h.fire();
        assert_eq!(h.connects().len(), 2, "reconnected once the jitter passed");
    }
    assert!(delays.len() > 16, "watches drift apart: {delays:?}");
}

#[test]
fn rotation_honours_the_streams_retry_clamped() {
    let mut h = Harness::job("job_1");
    h.stream();
    h.body(&format!("retry: 2500\n\n{}", ev("status", RUNNING)));
    h.eof();
    assert_eq!(h.reconnects(), [(Duration::from_millis(2500), 0, false)]);
    assert_eq!(h.watch.server_retry(), Some(2500));
    h.fire();
    h.stream();
    h.body(&format!(
        "retry: 86400000\n\n{}",
        ev("progress", r#"{"progress":0.1}"#)
    ));
    h.eof();
    assert_eq!(h.reconnects()[1], (secs(30), 0, false));
}

#[test]
fn a_heartbeat_only_connection_that_lived_is_a_rotation_and_an_empty_one_is_a_failure() {
    let mut h = Harness::job("job_1");
    h.stream();
    h.advance(secs(15));
    h.body(": hb\n\n");
    h.advance(secs(15));
    h.eof();
    assert_eq!(h.reconnects(), [(Duration::ZERO, 0, false)]);

    let mut h = Harness::job("job_1");
    h.stream();
    h.body(": hb\n\n");
    h.eof();
    assert!(matches!(
        h.events[0],
        WatchEvent::Reconnecting {
            cause: Some(Failure::ClosedEarly),
            failures: 1,
            ..
        }
    ));
}

#[test]
fn a_stream_that_keeps_closing_without_delivering_exhausts_the_budget() {
    let mut h = Harness::job("job_1");
    for _ in 0..10 {
        h.stream();
        h.eof();
        if h.outcome.is_none() {
            h.fire();
        }
    }
    let WatchError::RetriesExhausted {
        failures: 10,
        last: Failure::ClosedEarly,
    } = h.error()
    else {
        panic!()
    };
}

#[test]
fn a_replayed_snapshot_then_close_is_not_a_rotation() {
    let mut h = Harness::job("job_1");
    h.stream();
    h.body(&ev("status", RUNNING));
    h.eof();
    // The server restates the state and closes at once: nothing new.
    h.stream();
    h.body(&ev("status", RUNNING));
    h.eof();
    assert_eq!(h.jobs(), ["status:Started"]);
    assert_eq!(h.reconnects()[1].1, 1);
}

// ----- exactly once ----------------------------------------------------------

#[test]
fn a_replay_from_the_start_with_ids_is_suppressed() {
    let mut h = Harness::job("job_1");
    let history = [
        format!("id: 1\n{}", ev("status", r#"{"status":"Queued"}"#)),
        format!("id: 2\n{}", ev("status", r#"{"status":"Started"}"#)),
        format!(
            "id: 3\n{}",
            ev("progress", r#"{"progress":0.25,"message":"3 of 12"}"#)
        ),
        format!(
            "id: 4\n{}",
            ev("progress", r#"{"progress":0.5,"message":"6 of 12"}"#)
        ),
        format!("id: 5\n{}", ev("completed", r#"{"status":"Completed"}"#)),
    ];
    h.stream();
    h.body(&history[..3].concat());
    h.eof();
    assert_eq!(h.connects()[1].header("last-event-id"), Some("3"));
    h.stream();
    h.body(&history.concat());
    assert_eq!(
        h.jobs(),
        [
            "status:Queued",
            "status:Started",
            "progress:3 of 12",
            "progress:6 of 12",
            "completed:Completed"
        ]
    );
    assert_eq!(h.watch.suppressed(), 3);
}

#[test]
fn a_current_state_snapshot_without_ids_is_suppressed() {
    let mut h = Harness::job("job_1");
    h.stream();
    h.body(&ev(
        "status",
        r#"{"status":"Queued","timestamp":"2024-01-15T10:00:00Z"}"#,
    ));
    h.body(&ev(
        "status",
        r#"{"status":"Started","timestamp":"2024-01-15T10:00:02Z"}"#,
    ));
    h.body(&ev(
        "progress",
        r#"{"message":"Processing sheet 3 of 12","progress":0.25}"#,
    ));
    h.eof();
    h.stream();
    h.body(&ev(
        "status",
        r#"{"status":"RUNNING","timestamp":"2024-01-15T10:05:02Z"}"#,
    ));
    h.body(&ev(
        "progress",
        r#"{"message":"Processing sheet 3 of 12","progress":0.25}"#,
    ));
    h.body(&ev(
        "progress",
        r#"{"message":"Processing sheet 6 of 12","progress":0.5}"#,
    ));
    h.eof();
    h.stream();
    h.body(&ev(
        "status",
        r#"{"status":"Queued","timestamp":"2024-01-15T10:00:00Z"}"#,
    ));
    h.body(&ev("completed", r#"{"status":"Completed","results":{}}"#));
    assert_eq!(
        h.jobs(),
        [
            "status:Queued",
            "status:Started",
            "progress:Processing sheet 3 of 12",
            "progress:Processing sheet 6 of 12",
            "completed:Completed"
        ]
    );
}

/// The `watch` fuzz target's finding: events lost into a connection the
/// watch never read, then replays from the start without ids, the first cut
/// after one event. The running status the watch never got is delivered,
/// but the progress replayed after it is not delivered again.
#[test]
fn a_replay_without_ids_after_lost_events_delivers_nothing_twice() {
    let job: Vec<String> = (0..12)
        .map(|k| match k {
            0 => ev("status", r#"{"status":"Queued","message":"e0"}"#),
            1 => ev("status", r#"{"status":"RUNNING","message":"e1"}"#),
            11 => ev("completed", r#"{"status":"Completed","message":"e11"}"#),
            _ => ev(
                "progress",
                &format!(r#"{{"progress":{},"message":"e{k}"}}"#, f64::from(k) / 12.0),
            ),
        })
        .collect();
    let mut h = Harness::job("job_1");
    // e0–e5 went into a connection the watch never read.
    h.stream();
    h.body(&job[6..10].concat());
    h.eof();
    // A replay from the start, cut after its first event.
    h.stream();
    h.body(&job[0]);
    h.eof();
    h.stream();
    h.body(&job.concat());
    assert_eq!(
        h.jobs(),
        [
            "progress:e6",
            "progress:e7",
            "progress:e8",
            "progress:e9",
            "status:e0",
            "status:e1",
            "progress:e10",
            "completed:e11"
        ]
    );
    assert_eq!(h.watch.suppressed(), 9);
}

// ----- terminal ---------------------------------------------------------------

#[test]
fn each_terminal_form_ends_the_watch_and_nothing_follows() {
    for (kind, json, status) in [
        (
            "completed",
            r#"{"job_id":"job_1","status":"Completed","results":{"a":1}}"#,
            Some(JobStatus::Completed),
        ),
        (
            "failed",
            r#"{"job_id":"job_1","error":{"code":"PROCESSING_ERROR","message":"m"}}"#,
            None,
        ),
        ("canceled", r#"{"job_id":"job_1"}"#, None),
        (
            "status",
            r#"{"job_id":"job_1","status":"CANCELLED"}"#,
            Some(JobStatus::Canceled),
        ),
    ] {
        let mut h = Harness::job("job_1");
        h.stream();
        h.take_actions();
        h.body(&format!(
            "{}{}{}",
            ev("status", RUNNING),
            ev(kind, json),
            ev("progress", r#"{"progress":1}"#)
        ));
        assert_eq!(h.take_actions(), [Action::Close], "{kind}");
        let Some(Outcome::Finished { event: last, .. }) = &h.outcome else {
            panic!("{kind}: {:?}", h.outcome)
        };
        assert_eq!(last.name(), kind);
        assert_eq!(last.status().cloned(), status);
        assert_eq!(
            h.jobs().len(),
            2,
            "{kind}: the progress after the end is not delivered"
        );
        // Nothing more, whatever the driver does.
        h.body(&ev("status", RUNNING));
        h.eof();
        h.watch.handle_timeout(h.now + secs(1000));
        h.drain();
        assert_eq!(h.jobs().len(), 2);
        assert!(h.actions.is_empty());
        assert!(h.watch.is_finished());
        assert_eq!(h.watch.poll_timeout(), None);
    }
}

#[test]
fn an_already_finished_job_sends_one_terminal_event() {
    let mut h = Harness::job("job_01JABCD123");
    h.stream();
    h.body(&ev("completed", r#"{"job_id":"job_01JABCD123","status":"Completed","results":{"x":1},"timestamp":"2024-01-15T10:01:30Z"}"#));
    assert!(matches!(h.outcome, Some(Outcome::Finished { .. })));
    assert_eq!(
        h.outcome
            .as_ref()
            .unwrap()
            .final_event()
            .unwrap()
            .data()
            .unwrap()
            .timestamp
            .as_deref(),
        Some("2024-01-15T10:01:30Z")
    );
}

#[test]
fn another_jobs_terminal_event_does_not_end_this_watch() {
    let mut h = Harness::job("job_parent");
    h.stream();
    h.body(&ev(
        "completed",
        r#"{"job_id":"job_child","status":"Completed"}"#,
    ));
    assert!(h.outcome.is_none());
    assert_eq!(h.jobs(), ["completed:Completed"]);
    h.body(&ev(
        "completed",
        r#"{"job_id":"job_parent","status":"Completed"}"#,
    ));
    assert!(h.outcome.is_some());
}

// ----- warnings ------------------------------------------------------------

#[test]
fn malformed_events_and_oversized_events_are_warnings_and_the_stream_goes_on() {
    let c = config().limits(Limits::default().with_max_event_size(64));
    let mut h = Harness::new(c.build());
    h.stream();
    h.body(&ev("completed", r#"{"job_id":"job_1","results":{...}}"#));
    h.body(&ev(
        "status",
        &format!(r#"{{"status":"{}"}}"#, "x".repeat(100)),
    ));
    h.body(&ev("heartbeat", ""));
    h.body(&ev("status", RUNNING));
    assert!(matches!(h.events[0], WatchEvent::Malformed(_)));
    assert!(matches!(h.events[1], WatchEvent::Decode(_)));
    assert_eq!(h.jobs(), ["status:Started"]);
    assert!(h.outcome.is_none());
}

// ----- deadline, stale inputs, time -------------------------------------------

#[test]
fn the_overall_deadline_ends_the_watch() {
    let mut h = Harness::new(config().timeout(secs(100)).build());
    h.stream();
    for _ in 0..6 {
        h.advance(secs(15));
        h.body(": hb\n\n");
    }
    assert_eq!(
        h.watch.poll_timeout(),
        Some(Instant::from_duration(secs(100)))
    );
    h.take_actions();
    h.fire();
    assert_eq!(h.take_actions(), [Action::Close]);
    assert_eq!(h.error(), &WatchError::DeadlineExceeded);
    assert_eq!(h.error().fault(), Fault::Client);
}

#[test]
fn a_retry_that_would_start_after_the_deadline_ends_now() {
    let mut h = Harness::new(config().timeout(secs(30)).build());
    h.respond(429, &[("retry-after", "60")]);
    assert_eq!(h.error(), &WatchError::DeadlineExceeded);
    assert_eq!(h.now, Instant::ZERO);

    let h = Harness::new(config().timeout(Duration::ZERO).build());
    assert_eq!(h.actions, []);
    assert_eq!(h.error(), &WatchError::DeadlineExceeded);
}

#[test]
fn inputs_for_a_closed_connection_are_ignored() {
    let mut h = Harness::job("job_1");
    h.respond(503, &[]);
    let before = h.events.len();
    h.body(&ev("status", RUNNING));
    h.eof();
    h.watch
        .handle_transport_error(h.now, TransportErrorKind::Reset.into());
    h.respond(200, &ES);
    h.drain();
    assert_eq!(h.events.len(), before);
    assert_eq!(h.watch.connections(), 1);
    h.watch.handle_timeout(h.now);
    h.drain();
    assert_eq!(h.watch.connections(), 1, "an early timeout does nothing");
}

#[test]
fn time_going_backwards_is_taken_as_now() {
    let mut h = Harness::job("job_1");
    h.stream();
    h.advance(secs(40));
    h.body(": hb\n\n");
    let late = b": late\n\n";
    assert_eq!(h.watch.handle_body(Instant::ZERO, late), late.len());
    h.drain();
    assert_eq!(h.watch.poll_timeout(), Some(h.now + secs(45)));
}

// ----- what the watch takes of a chunk ----------------------------------------

#[test]
fn a_chunk_is_taken_up_to_the_event_cap() {
    let mut h = Harness::new(config().build());
    h.stream();
    let event = ev("progress", r#"{"progress":0.5}"#);
    let chunk = event.repeat(Watch::MAX_QUEUED_EVENTS + 5);
    let taken = h.watch.handle_body(h.now, chunk.as_bytes());
    assert_eq!(taken, Watch::MAX_QUEUED_EVENTS * event.len());
    // Undrained, it takes nothing more; drained, the rest.
    assert_eq!(h.watch.handle_body(h.now, &chunk.as_bytes()[taken..]), 0);
    h.drain();
    assert_eq!(h.jobs().len(), Watch::MAX_QUEUED_EVENTS);
    h.body(&chunk[taken..]);
    assert_eq!(h.jobs().len(), Watch::MAX_QUEUED_EVENTS + 5);
}

#[test]
fn a_chunk_is_taken_up_to_one_events_worth_of_data() {
    // Events of 600 bytes under a 1,000-byte data limit: the second one
    // brings the queue's data past the limit, and the watch stops there.
    let limits = Limits::default().with_max_event_size(1000);
    let mut h = Harness::new(config().limits(limits).build());
    h.stream();
    let message = "x".repeat(600);
    let event = ev("progress", &format!(r#"{{"message":"{message}"}}"#));
    let chunk = event.repeat(3);
    let taken = h.watch.handle_body(h.now, chunk.as_bytes());
    assert_eq!(taken, 2 * event.len());
    h.drain();
    h.body(&chunk[taken..]);
    assert_eq!(h.jobs(), vec![format!("progress:{message}"); 3]);
}
