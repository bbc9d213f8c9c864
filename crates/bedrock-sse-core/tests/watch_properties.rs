//! Random sequences of driver inputs against a scripted server, checking the
//! Watch's invariants after every step.

use std::collections::HashSet;
use std::time::Duration;

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{
    Action, Failure, Instant, Outcome, TransportErrorKind, Watch, WatchConfig, WatchEvent,
};
use proptest::prelude::*;

/// One driver input (or a step of the fake server).
#[derive(Debug, Clone)]
enum Op {
    /// A response head of some kind.
    Respond(u8),
    /// The server sends its next `n` events (with heartbeats if `hb`),
    /// cut into chunks of the given sizes.
    Body {
        n: u8,
        hb: bool,
        cuts: Vec<u8>,
    },
    /// Bytes that are not a valid job event.
    Garbage(u8),
    Eof,
    TransportError,
    Advance(u32),
    Fire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..10).prop_map(Op::Respond),
        6 => (0u8..4, any::<bool>(), prop::collection::vec(1u8..64, 0..6))
            .prop_map(|(n, hb, cuts)| Op::Body { n, hb, cuts }),
        1 => (0u8..3).prop_map(Op::Garbage),
        2 => Just(Op::Eof),
        1 => Just(Op::TransportError),
        2 => (0u32..70_000).prop_map(Op::Advance),
        3 => Just(Op::Fire),
    ]
}

/// The job as the server tells it: Queued, Started, progress steps with
/// rising fractions, then one terminal event. Every event has a unique
/// message, so a duplicate delivery is visible.
struct Server {
    frames: Vec<String>,
    /// Index of each frame's latest status event at or before it.
    status_at: Vec<usize>,
    /// How far the server has got in the job (frames sent on any connection).
    pos: usize,
    /// The live connection's next frame, and a snapshot to send first.
    cursor: usize,
    pending: Option<String>,
    /// Per-connection behaviours, cycled: 0 resume, 1 replay from the start,
    /// 2 restate the current status, then go on.
    modes: Vec<u8>,
    connections: usize,
    retry: Option<u32>,
}

impl Server {
    fn new(len: usize, ids: bool, terminal: u8, modes: Vec<u8>, retry: Option<u32>) -> Server {
        let mut frames = Vec::new();
        let mut status_at = Vec::new();
        let mut last_status = 0;
        for k in 0..len {
            let (event, json) = match k {
                0 => (
                    "status",
                    format!(r#"{{"job_id":"j","status":"Queued","message":"e{k}"}}"#),
                ),
                1 => (
                    "status",
                    format!(r#"{{"job_id":"j","status":"RUNNING","message":"e{k}"}}"#),
                ),
                _ if k == len - 1 => match terminal {
                    0 => (
                        "completed",
                        format!(
                            r#"{{"job_id":"j","status":"Completed","message":"e{k}","results":{{"k":{k}}}}}"#
                        ),
                    ),
                    1 => (
                        "failed",
                        format!(r#"{{"job_id":"j","message":"e{k}","error":{{"code":"X"}}}}"#),
                    ),
                    _ => (
                        "status",
                        format!(r#"{{"job_id":"j","status":"Canceled","message":"e{k}"}}"#),
                    ),
                },
                _ => (
                    "progress",
                    format!(
                        r#"{{"job_id":"j","progress":{},"message":"e{k}"}}"#,
                        k as f64 / len as f64
                    ),
                ),
            };
            if event == "status" {
                last_status = k;
            }
            status_at.push(last_status);
            let id = if ids {
                format!("id: {}\n", k + 1)
            } else {
                String::new()
            };
            frames.push(format!("{id}event: {event}\ndata: {json}\n\n"));
        }
        Server {
            frames,
            status_at,
            pos: 0,
            cursor: 0,
            pending: None,
            modes,
            connections: 0,
            retry,
        }
    }

    fn connect(&mut self, last_event_id: Option<&str>) {
        let mode = self.modes[self.connections % self.modes.len()];
        self.connections += 1;
        self.pending = None;
        self.cursor = match (mode, last_event_id.and_then(|id| id.parse::<usize>().ok())) {
            (0, Some(id)) => id.min(self.frames.len()),
            (0, None) => self.pos,
            (1, _) => 0,
            _ => {
                if self.pos > 0 {
                    self.pending = Some(self.frames[self.status_at[self.pos - 1]].clone());
                }
                self.pos
            }
        };
    }

    fn next(&mut self, n: u8, hb: bool) -> String {
        let mut out = String::new();
        if let Some(retry) = self.retry.take() {
            out.push_str(&format!("retry: {retry}\n\n"));
        }
        if let Some(snapshot) = self.pending.take() {
            out.push_str(&snapshot);
        }
        for _ in 0..n {
            if hb {
                out.push_str(": heartbeat\n\n");
            }
            if let Some(frame) = self.frames.get(self.cursor) {
                out.push_str(frame);
                self.cursor += 1;
                self.pos = self.pos.max(self.cursor);
            }
        }
        out
    }
}

fn head(kind: u8) -> (u16, Vec<(&'static str, &'static str)>) {
    let es = ("content-type", "text/event-stream");
    match kind {
        0..=3 => (200, vec![es]),
        4 => (503, vec![]),
        5 => (
            429,
            vec![("retry-after", "3"), ("x-ratelimit-remaining", "0")],
        ),
        6 => (429, vec![]),
        7 => (408, vec![]),
        8 => (401, vec![("content-type", "application/json")]),
        _ => (200, vec![("content-type", "text/html")]),
    }
}

#[derive(Debug, Clone)]
struct Case {
    ids: bool,
    len: usize,
    terminal: u8,
    modes: Vec<u8>,
    retry: Option<u32>,
    max_failures: u32,
    deadline: Option<u64>,
    seed: u64,
    ops: Vec<Op>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        3usize..12,
        0u8..3,
        prop::collection::vec(0u8..3, 1..4),
        prop::option::of(0u32..100_000),
        2u32..8,
        prop::option::weighted(0.2, 1u64..2_000_000),
        any::<u64>(),
        prop::collection::vec(op(), 0..80),
    )
        .prop_map(
            |(ids, len, terminal, modes, retry, max_failures, deadline, seed, ops)| Case {
                ids,
                len,
                terminal,
                modes,
                retry,
                max_failures,
                deadline,
                seed,
                ops,
            },
        )
}

/// Feeds a chunk that the watch must take whole: the bodies of these
/// tests hold far fewer events than it queues before it stops taking.
fn feed(watch: &mut Watch, now: Instant, bytes: &[u8]) {
    assert_eq!(watch.handle_body(now, bytes), bytes.len());
}

fn run(case: Case) -> Result<(), TestCaseError> {
    let mut builder = WatchConfig::builder("j")
        .unwrap()
        .max_failures(Some(case.max_failures));
    if let Some(ms) = case.deadline {
        builder = builder.timeout(Duration::from_millis(ms));
    }
    let config = builder.build();
    let policy = *config.backoff();
    let (_, retry_after_max) = config.retry_after();
    let (rotation_delay, (_, retry_max)) = config.rotation();
    let jitter = config.rotation_jitter();

    let mut server = Server::new(case.len, case.ids, case.terminal, case.modes, case.retry);
    let mut now = Instant::ZERO;
    // The latest time the watch was told: deadlines are judged against it
    // (the fake clock may have moved on without telling the watch).
    let mut told = now;
    let mut watch = Watch::new(config, now, case.seed);
    let mut delivered = HashSet::new();
    let mut outcome: Option<Outcome> = None;
    let mut done = false;

    for op in case.ops {
        // Outputs first: actions drive the fake server.
        loop {
            let mut progressed = false;
            while let Some(action) = watch.poll_action() {
                progressed = true;
                match action {
                    Action::Connect(request) => {
                        prop_assert!(!done, "a connect after the end: {request:?}");
                        prop_assert!(outcome.is_none());
                        server.connect(request.header("last-event-id"));
                    }
                    Action::Close => {}
                }
            }
            while let Some(event) = watch.poll_event() {
                progressed = true;
                prop_assert!(outcome.is_none(), "an event after the outcome: {event:?}");
                match event {
                    WatchEvent::Job { event: job, .. } => {
                        let message = job
                            .data()
                            .and_then(|d| d.message.clone())
                            .unwrap_or_default()
                            .into_owned();
                        prop_assert!(
                            delivered.insert(message.clone()),
                            "delivered twice: {message}"
                        );
                    }
                    WatchEvent::Reconnecting {
                        delay,
                        failures,
                        cause,
                    } => match cause {
                        None => {
                            prop_assert_eq!(failures, 0, "a rotation spent budget");
                            // The configured delay (or the stream's clamped
                            // `retry`), plus at most the rotation jitter.
                            let base = delay.saturating_sub(jitter);
                            prop_assert!(delay >= rotation_delay.min(base), "{delay:?}");
                            prop_assert!(
                                base <= rotation_delay || base <= retry_max,
                                "{delay:?} beyond the delay and the jitter"
                            );
                        }
                        Some(cause) => {
                            prop_assert!(failures >= 1 && failures < policy.max_failures.unwrap());
                            let nominal = policy.nominal(failures);
                            let cap = match cause {
                                Failure::RateLimited { .. } => nominal.max(retry_after_max),
                                _ => nominal,
                            }
                            .max(retry_max);
                            prop_assert!(
                                delay >= nominal / 2,
                                "{delay:?} below half of {nominal:?}"
                            );
                            prop_assert!(delay <= cap, "{delay:?} above {cap:?}");
                        }
                    },
                    WatchEvent::Malformed(_) | WatchEvent::Decode(_) => {}
                    other => prop_assert!(false, "unexpected {other:?}"),
                }
            }
            if let Some(o) = watch.poll_outcome() {
                prop_assert!(outcome.is_none(), "two outcomes");
                if let Outcome::Finished { end, event } = &o {
                    prop_assert!(event.is_terminal());
                    prop_assert_eq!(Some(*end), JobEnd::of(event));
                }
                prop_assert!(watch.is_finished());
                done = true;
                outcome = Some(o);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        match watch.poll_timeout() {
            Some(t) => prop_assert!(t >= told, "deadline {t:?} before now {told:?}"),
            None => prop_assert!(watch.is_finished()),
        }

        // Every input below but an empty body tells the watch the time.
        if !matches!(op, Op::Advance(_) | Op::Body { .. }) {
            told = told.max(now);
        }
        match op {
            Op::Respond(kind) => {
                let (status, headers) = head(kind);
                watch.handle_response(now, status, &headers);
            }
            Op::Body { n, hb, cuts } => {
                let text = server.next(n, hb);
                if !text.is_empty() {
                    told = told.max(now);
                }
                let mut bytes = text.as_bytes();
                for cut in cuts
                    .iter()
                    .cycle()
                    .take(if cuts.is_empty() { 0 } else { 1000 })
                {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = usize::from(*cut).min(bytes.len());
                    feed(&mut watch, now, &bytes[..at]);
                    bytes = &bytes[at..];
                }
                if !bytes.is_empty() {
                    feed(&mut watch, now, bytes);
                }
            }
            Op::Garbage(kind) => {
                let junk: &[u8] = match kind {
                    0 => b"event: progress\ndata: {not json\n\n",
                    1 => b"event: status\ndata: {\"job_id\":\"j\"}\n\n",
                    _ => b"\xff\xfe: junk\r\n\r\n",
                };
                feed(&mut watch, now, junk);
            }
            Op::Eof => watch.handle_eof(now),
            Op::TransportError => {
                watch.handle_transport_error(now, TransportErrorKind::Reset.into())
            }
            Op::Advance(ms) => now = now + Duration::from_millis(u64::from(ms)),
            Op::Fire => {
                // A timer never fires early; a late one fires at `now`.
                if let Some(t) = watch.poll_timeout() {
                    now = now.max(t);
                    told = told.max(now);
                }
                watch.handle_timeout(now);
            }
        }
    }
    // Drained once more: nothing may follow an outcome taken earlier.
    if outcome.is_some() {
        while let Some(action) = watch.poll_action() {
            prop_assert!(
                matches!(action, Action::Close),
                "{action:?} after the outcome"
            );
        }
        prop_assert!(watch.poll_event().is_none() || !done);
        prop_assert!(watch.poll_outcome().is_none());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_input_sequence(case in case()) {
        run(case)?;
    }
}

/// A well-behaved server with random cuts delivers every event exactly
/// once, whatever it does on reconnect.
#[test]
fn every_event_arrives_once_under_rotations() {
    for ids in [false, true] {
        for modes in [[0u8], [1], [2]] {
            let len = 9;
            let mut server = Server::new(len, ids, 0, modes.to_vec(), None);
            let mut now = Instant::ZERO;
            let mut watch = Watch::new(WatchConfig::builder("j").unwrap().build(), now, 3);
            let mut messages = Vec::new();
            for round in 0..40 {
                while let Some(action) = watch.poll_action() {
                    if let Action::Connect(r) = action {
                        server.connect(r.header("last-event-id"));
                        watch.handle_response(now, 200, [("content-type", "text/event-stream")]);
                    }
                }
                while let Some(e) = watch.poll_event() {
                    if let WatchEvent::Job { event: job, .. } = e {
                        messages.push(job.data().unwrap().message.clone().unwrap().into_owned());
                    }
                }
                if watch.is_finished() {
                    break;
                }
                // A replaying server sends its history at once, then news.
                let n = (server.pos - server.cursor + 2) as u8;
                let text = server.next(n, round % 2 == 0);
                for chunk in text.as_bytes().chunks(5 + round % 7) {
                    now = now + Duration::from_secs(1);
                    feed(&mut watch, now, chunk);
                }
                watch.handle_eof(now);
                // A rotation reconnects after a little jitter.
                if let Some(at) = watch.poll_timeout() {
                    now = now.max(at);
                    watch.handle_timeout(now);
                }
            }
            let want: Vec<String> = (0..len).map(|k| format!("e{k}")).collect();
            assert_eq!(messages, want, "ids {ids}, modes {modes:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// However many events a chunk holds and however it is cut, a driver
    /// that drains after each call gets every event once and in order, the
    /// queue never holds more than `Watch::MAX_QUEUED_EVENTS`, and every
    /// call on a drained queue takes something.
    #[test]
    fn a_chunk_of_many_events_is_taken_in_parts(
        count in 0usize..200,
        cuts in prop::collection::vec(1usize..4000, 1..8),
    ) {
        let text: String = (0..count)
            .map(|k| format!("event: progress\ndata: {{\"message\":\"e{k}\"}}\n\n: hb\n\n"))
            .collect();
        let mut watch = Watch::new(WatchConfig::builder("j").unwrap().build(), Instant::ZERO, 1);
        while watch.poll_action().is_some() {}
        watch.handle_response(Instant::ZERO, 200, [("content-type", "text/event-stream")]);
        let mut messages = Vec::new();
        let mut bytes = text.as_bytes();
        for cut in cuts.iter().cycle() {
            if bytes.is_empty() {
                break;
            }
            let (mut chunk, rest) = bytes.split_at((*cut).min(bytes.len()));
            bytes = rest;
            while !chunk.is_empty() {
                let taken = watch.handle_body(Instant::ZERO, chunk);
                prop_assert!(taken > 0, "a drained watch took nothing");
                chunk = &chunk[taken..];
                let mut queued = 0;
                while let Some(event) = watch.poll_event() {
                    queued += 1;
                    let WatchEvent::Job { event: job, .. } = event else {
                        panic!("{event:?}")
                    };
                    messages.push(job.data().unwrap().message.clone().unwrap().into_owned());
                }
                prop_assert!(queued <= Watch::MAX_QUEUED_EVENTS, "{queued} queued");
            }
        }
        let want: Vec<String> = (0..count).map(|k| format!("e{k}")).collect();
        prop_assert_eq!(messages, want);
    }
}
