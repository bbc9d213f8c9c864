//! A watch's memory under hostile streams stays within its decoder limits
//! and its queue's cap plus a small constant, whatever the server sends,
//! and the watch says what it dropped and carries on: measured with a
//! counting global allocator, so this file holds a single test (tests in
//! one binary run in parallel and would share the counters).
//!
//! The gigabyte of comments is 256 MiB by default, to keep the debug-build
//! test to seconds; `BEDROCK_SSE_HOSTILE_COMMENT_MIB=1024` runs the full
//! one. The other streams are 16 MiB each, about 2,000 times the limits.

mod peak_alloc;

use std::io::Write;
use std::time::Duration;

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::sse::{DecodeError, Limit, Limits};
use bedrock_sse_core::watch::{Instant, Outcome, Watch, WatchConfig, WatchEvent};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// The limits of these tests: an event's data 8 KiB, a line 9 KiB, an
/// event type and an id 1 KiB each.
fn limits() -> Limits {
    Limits::default().with_max_event_size(8 * KIB)
}

/// What the watch said while a stream was fed: counts only, so that
/// keeping them allocates nothing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Said {
    jobs: usize,
    /// `DecodeError::LimitExceeded` of each limit.
    line: usize,
    data: usize,
    event_type: usize,
    id: usize,
    /// Anything else (warnings, reconnects).
    other: usize,
}

impl Said {
    fn count(&mut self, event: &WatchEvent) {
        match event {
            WatchEvent::Job { .. } => self.jobs += 1,
            WatchEvent::Decode(DecodeError::LimitExceeded { which, .. }) => match which {
                Limit::Line => self.line += 1,
                Limit::Data => self.data += 1,
                Limit::EventType => self.event_type += 1,
                Limit::Id => self.id += 1,
            },
            _ => self.other += 1,
        }
    }
}

/// What feeding a stream left behind.
struct Fed {
    /// The most allocated at once over the baseline, the watch included.
    peak: usize,
    said: Said,
    /// The most events queued at once.
    most_queued: usize,
    watch: Watch,
    outcome: Option<Outcome>,
}

/// After every hostile stream: the end of whatever it left open, then the
/// job's end. A watch that carried on delivers it and finishes.
const EPILOGUE: &[u8] = b"\n\nevent: completed\ndata: {}\n\n";

/// Feeds a watch a 200 response, then the stream `fill` writes, piece by
/// piece, until `total` bytes, cut into chunks of `chunk` bytes wherever
/// they fall, then [`EPILOGUE`]; drains its events after each call, as a
/// driver does.
fn feed(total: usize, chunk: usize, fill: &mut dyn FnMut(&mut Vec<u8>)) -> Fed {
    let config = WatchConfig::builder("job_1")
        .unwrap()
        .limits(limits())
        .build();
    // Room for a chunk and the piece of `fill` that ends it.
    let mut stream = Vec::with_capacity(chunk + 8 * KIB);
    let base = peak_alloc::start();
    let mut now = Instant::ZERO;
    let mut watch = Watch::new(config, now, 1);
    while watch.poll_action().is_some() {}
    watch.handle_response(now, 200, [("content-type", "text/event-stream")]);
    let (mut said, mut most_queued) = (Said::default(), 0);
    let mut written = 0;
    let mut epilogue = false;
    while !stream.is_empty() || !epilogue {
        while stream.len() < chunk && written < total {
            let before = stream.len();
            fill(&mut stream);
            written += stream.len() - before;
        }
        if written >= total && stream.len() < chunk && !epilogue {
            stream.extend_from_slice(EPILOGUE);
            epilogue = true;
        }
        let cut = chunk.min(stream.len());
        now = now + Duration::from_millis(1);
        let mut rest = &stream[..cut];
        while !rest.is_empty() {
            rest = &rest[watch.handle_body(now, rest)..];
            let mut queued = 0;
            while let Some(event) = watch.poll_event() {
                said.count(&event);
                queued += 1;
            }
            most_queued = most_queued.max(queued);
        }
        stream.drain(..cut);
        if !epilogue {
            assert!(!watch.is_finished(), "the watch goes on");
            // Every chunk is a sign of life, whatever it holds.
            let idle = watch.config().idle_timeout();
            assert_eq!(watch.poll_timeout(), Some(now + idle));
        }
    }
    let peak = peak_alloc::peak_over(base);
    let outcome = watch.poll_outcome();
    Fed {
        peak,
        said,
        most_queued,
        watch,
        outcome,
    }
}

#[test]
fn hostile_streams_stay_within_the_limits() {
    let l = limits();
    // The decoder's buffers at their limits (the held line, the data, the
    // event type, the pending and the committed id), each at most doubled
    // by its growth; a full queue: its events' own heap (a boxed event, an
    // id, the queue's slot: under 512 B each) and their data, at most two
    // events' worth; and a small constant for the watch itself.
    let decoder = 2 * (l.max_line + l.max_data + l.max_event_type + 2 * l.max_id);
    let queue = Watch::MAX_QUEUED_EVENTS * 512 + 2 * l.max_data;
    let bound = decoder + queue + 4 * KIB;
    eprintln!("bound: {bound} B (decoder {decoder} B, queue {queue} B)");

    let check = |what: &str, fed: &Fed, want: Said| {
        eprintln!(
            "{what}: peak {} B over the baseline, {:?}, at most {} queued",
            fed.peak, fed.said, fed.most_queued
        );
        assert!(
            fed.peak <= bound,
            "{what}: {} B at the peak, bound {bound} B",
            fed.peak
        );
        assert!(fed.most_queued <= Watch::MAX_QUEUED_EVENTS, "{what}");
        // What the stream broke is said, and the watch carried on to the
        // job's end (the epilogue's `completed`).
        assert_eq!(fed.said, want, "{what}");
        assert!(
            matches!(
                fed.outcome,
                Some(Outcome::Finished {
                    end: JobEnd::Completed,
                    ..
                })
            ),
            "{what}: {:?}",
            fed.outcome
        );
    };
    // What a stream should have made the watch say, and the epilogue's
    // `completed`.
    let one = |said: Said| Said {
        jobs: said.jobs + 1,
        ..said
    };

    // An endless line, in chunks smaller than a line may be: held up to
    // its limit, then dropped unbuffered; one error.
    let mut first = true;
    let fed = feed(16 * MIB, 4 * KIB, &mut |c| {
        if std::mem::take(&mut first) {
            c.extend_from_slice(b"data: ");
        }
        c.extend_from_slice(&[b'a'; KIB]);
    });
    check(
        "an endless line",
        &fed,
        one(Said {
            line: 1,
            ..Said::default()
        }),
    );

    // An endless event: data lines, never a blank line. The data stops
    // at its limit; one error.
    let fed = feed(16 * MIB, 4 * KIB, &mut |c| {
        c.extend_from_slice(b"data: {\"progress\":0.5}\n")
    });
    check(
        "an endless event (data lines, never a blank line)",
        &fed,
        one(Said {
            data: 1,
            ..Said::default()
        }),
    );

    // A flood of tiny events, 16 KiB chunks of ~400: each delivered, and
    // never more than the cap queued.
    let event = b"event: progress\ndata: {\"progress\":0.5}\n\n";
    let mut events = 0;
    let fed = feed(16 * MIB, 16 * KIB, &mut |c| {
        c.extend_from_slice(event);
        events += 1;
    });
    check(
        "a flood of tiny events",
        &fed,
        one(Said {
            jobs: events,
            ..Said::default()
        }),
    );
    assert_eq!(fed.most_queued, Watch::MAX_QUEUED_EVENTS);

    // A flood of ids, each committed by a blank line, one in 64 over the
    // id limit: the id buffers are reused; each long one is an error and
    // leaves the last-event-ID as it was.
    let (mut n, mut long, mut last_id) = (0u64, 0, 0);
    let fed = feed(16 * MIB, 4 * KIB, &mut |c| {
        n += 1;
        if n % 64 == 0 {
            c.extend_from_slice(b"id: ");
            c.resize(c.len() + 2 * KIB, b'9');
            c.extend_from_slice(b"\n\n");
            long += 1;
        } else {
            write!(c, "id: {n}\n\n").unwrap();
            last_id = n;
        }
    });
    check(
        "a flood of ids",
        &fed,
        one(Said {
            id: long,
            ..Said::default()
        }),
    );
    assert_eq!(fed.watch.last_event_id(), last_id.to_string());

    // Huge event names: 4 KiB each (over the 1 KiB limit, within a line),
    // crossing chunks. Each event is dropped with an error.
    let mut names = 0;
    let fed = feed(16 * MIB, 4 * KIB, &mut |c| {
        c.extend_from_slice(b"event: ");
        c.resize(c.len() + 4 * KIB, b'x');
        c.extend_from_slice(b"\ndata: {}\n\n");
        names += 1;
    });
    check(
        "huge event names",
        &fed,
        one(Said {
            event_type: names,
            ..Said::default()
        }),
    );

    // Big events in 1 MiB chunks (~140 events of 7 KiB each): the queue
    // stops at one event's worth of data, not at the chunk.
    let message = "m".repeat(7 * KIB);
    let big = format!("event: progress\ndata: {{\"message\":\"{message}\"}}\n\n");
    let mut events = 0;
    let fed = feed(16 * MIB, MIB, &mut |c| {
        c.extend_from_slice(big.as_bytes());
        events += 1;
    });
    check(
        "big events in big chunks",
        &fed,
        one(Said {
            jobs: events,
            ..Said::default()
        }),
    );
    assert!(
        fed.most_queued <= 2,
        "{} big events queued",
        fed.most_queued
    );

    // A gigabyte of comments (heartbeats): never buffered, and each chunk
    // keeps the connection alive.
    let mib = std::env::var("BEDROCK_SSE_HOSTILE_COMMENT_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(256);
    let fed = feed(mib * MIB, 64 * KIB, &mut |c| {
        c.extend_from_slice(b": heartbeat, and more of it\n")
    });
    check(
        &format!("{mib} MiB of comments"),
        &fed,
        one(Said::default()),
    );
}
