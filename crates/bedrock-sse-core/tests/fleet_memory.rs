//! What the fleet holds per watch that is streaming: measured with a
//! counting global allocator, so this file holds a single test (tests in
//! one binary run in parallel and would share the counters).

mod peak_alloc;

use bedrock_sse_core::fleet::{Fleet, FleetConfig};
use bedrock_sse_core::watch::{Action, Instant, WatchConfig};

#[test]
fn a_streaming_watch_costs_the_fleet_at_most_1280_bytes() {
    const N: usize = 1_000;
    let base = peak_alloc::start();
    let mut now = Instant::ZERO;
    let mut fleet = Fleet::new(FleetConfig::default().max_connections(N), now, 1);
    for n in 0..N {
        let config = WatchConfig::builder(format!("job_{n:05}"))
            .unwrap()
            .base_url("http://127.0.0.1:8787")
            .unwrap()
            .bearer("sk_fleet_bench")
            .unwrap()
            .build();
        fleet.add(config, now);
    }
    // Every watch connects, is answered and gets its first event, as in
    // the fleet bench before it measures memory.
    let mut streaming = 0;
    while streaming < N {
        while let Some((id, action)) = fleet.poll_action() {
            if let Action::Connect(_) = action {
                fleet.handle_response(id, now, 200, [("content-type", "text/event-stream")]);
                let event = b"id: 1\nevent: status\ndata: {\"job_id\":\"job_00001\",\"status\":\"running\"}\n\n";
                // One event: the queue has room for all of it.
                assert_eq!(fleet.handle_body(id, now, event), event.len());
                streaming += 1;
            }
        }
        while fleet.poll_event().is_some() {}
        if streaming < N {
            now = fleet.poll_timeout().expect("waiting watches have a time");
            fleet.handle_timeout(now);
        }
    }
    assert_eq!(fleet.open_connections(), N);
    let peak = peak_alloc::peak_over(base) / N;
    let per_watch = (peak_alloc::start() - base) / N;
    println!("the fleet holds {per_watch} B per streaming watch (peak {peak} B)");
    // The watch itself (under 1 KiB), its slot and its share of the
    // timer heap: the part of a watch's memory over HTTP/2 that is ours.
    assert!(per_watch <= 1_280, "{per_watch} B per streaming watch");
    // Nothing of connecting (requests, response heads) stays behind.
    assert!(peak <= per_watch + 256, "peak {peak} B per watch");
    drop(fleet);
}
