//! Random sequences of driver inputs against a scripted server, checking the
//! Watch's invariants after every step (the checks the `watch` fuzz target
//! runs: `support/checks/watch.rs`).

mod support;

use std::time::Duration;

use bedrock_sse_core::watch::{Action, Instant, Watch, WatchConfig, WatchEvent};
use proptest::prelude::*;
use support::checks::watch::{Case, Op, run};
use support::job_server::Server;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..10).prop_map(Op::Respond),
        6 => (0u8..4, any::<bool>(), prop::collection::vec(1u8..64, 0..6))
            .prop_map(|(n, heartbeat, cuts)| Op::Body { n, heartbeat, cuts }),
        1 => prop::sample::select(vec![
            &b"event: progress\ndata: {not json\n\n"[..],
            b"event: status\ndata: {}\n\n",
            b"\xff\xfe: junk\r\n\r\n",
        ])
        .prop_map(|junk| Op::Garbage(junk.to_vec())),
        2 => Just(Op::Eof),
        1 => (0u8..7).prop_map(Op::TransportError),
        2 => (0u32..70_000).prop_map(Op::Advance),
        3 => Just(Op::Fire),
        6 => Just(Op::Poll),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        0u8..10,
        0u8..3,
        prop::collection::vec(0u8..3, 1..4),
        prop::option::of(0u32..100_000),
        0u8..7,
        prop::option::weighted(0.2, 0u32..2_000_000),
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_input_sequence(case in case()) {
        run(case);
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
