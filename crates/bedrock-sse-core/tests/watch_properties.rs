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
                    watch.handle_body(now, chunk);
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
