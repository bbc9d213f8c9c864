//! A watch's memory under hostile streams stays within its decoder limits
//! plus a small constant, whatever the server sends: measured with a
//! counting global allocator, so this file holds a single test (tests in
//! one binary run in parallel and would share the counters).

mod peak_alloc;

use bedrock_sse_core::sse::Limits;
use bedrock_sse_core::watch::{Instant, Watch, WatchConfig, WatchEvent};

const KIB: usize = 1024;

/// Writes the next chunk of a hostile stream, given how much was sent.
type Fill = Box<dyn Fn(usize, &mut Vec<u8>)>;

/// Feeds a watch (small limits) a 200 response and then `total` bytes made
/// by `fill`, 16 KiB at a time, draining its events as a driver does;
/// returns the peak of memory over the baseline, and the events seen.
fn peak(total: usize, fill: impl Fn(usize, &mut Vec<u8>)) -> (usize, usize) {
    let limits = Limits::default().with_max_event_size(8 * KIB);
    let config = WatchConfig::builder("job_1")
        .unwrap()
        .limits(limits)
        .build();
    let mut chunk = Vec::with_capacity(16 * KIB);
    let base = peak_alloc::start();
    let mut now = Instant::ZERO;
    let mut watch = Watch::new(config, now, 1);
    while watch.poll_action().is_some() {}
    watch.handle_response(now, 200, [("content-type", "text/event-stream")]);
    let mut sent = 0;
    let mut events = 0;
    while sent < total {
        chunk.clear();
        fill(sent, &mut chunk);
        sent += chunk.len();
        now = now + std::time::Duration::from_millis(1);
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            rest = &rest[watch.handle_body(now, rest)..];
            while let Some(event) = watch.poll_event() {
                if matches!(event, WatchEvent::Job { .. }) {
                    events += 1;
                }
            }
        }
        assert!(!watch.is_finished(), "the watch goes on");
    }
    drop(watch);
    (peak_alloc::peak_over(base), events)
}

#[test]
fn hostile_streams_stay_within_the_limits() {
    // The limits (an event's data 8 KiB, a line 9 KiB, an event type and an
    // id 1 KiB each), each buffer at most doubled by its growth, plus a
    // small constant: the watch itself and one queued event.
    let limits = 8 * KIB + 9 * KIB + KIB + KIB;
    let bound = 2 * limits + 8 * KIB;
    let cases: [(&str, usize, Fill); 6] = [
        (
            "an endless line",
            64 << 20,
            Box::new(|_, c| c.resize(16 * KIB, b'a')),
        ),
        (
            "an endless event (data lines, never a blank line)",
            64 << 20,
            Box::new(|_, c| {
                while c.len() < 16 * KIB - 32 {
                    c.extend_from_slice(b"data: {\"progress\":0.5}\n");
                }
            }),
        ),
        (
            "a flood of tiny events",
            64 << 20,
            Box::new(|_, c| {
                while c.len() < 16 * KIB - 64 {
                    c.extend_from_slice(b"event: progress\ndata: {\"progress\":0.5}\n\n");
                }
            }),
        ),
        (
            "a flood of ids",
            64 << 20,
            Box::new(|sent, c| {
                let mut n = sent;
                while c.len() < 16 * KIB - 32 {
                    c.extend_from_slice(format!("id: {n}\n").as_bytes());
                    n += 1;
                }
            }),
        ),
        (
            "a huge event name",
            64 << 20,
            Box::new(|sent, c| {
                if sent == 0 {
                    c.extend_from_slice(b"event: ");
                }
                c.resize(16 * KIB, b'x');
            }),
        ),
        (
            "1 GiB of comments",
            1 << 30,
            Box::new(|_, c| {
                while c.len() < 16 * KIB - 32 {
                    c.extend_from_slice(b": heartbeat, and more of it\n");
                }
            }),
        ),
    ];
    for (what, total, fill) in cases {
        let (peak, events) = peak(total, fill);
        eprintln!("{what}: peak {peak} B over the baseline, {events} events");
        // The events of one chunk are queued until the driver drains them:
        // a flood of tiny events is bounded by the chunk, not the limits
        // (16 KiB of 40-byte events queue about 140 KiB).
        let bound = if what == "a flood of tiny events" {
            16 * 16 * KIB
        } else {
            bound
        };
        assert!(peak <= bound, "{what}: {peak} B at the peak, bound {bound}");
    }
}
