//! Typed decoding allocates nothing per event in steady state (issue 5's
//! goal) for events without unknown fields or escapes; and the
//! Watch's idle footprint stays small.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bedrock_sse_core::job::{JobEvent, JobStatus, Parsed};
use bedrock_sse_core::sse::{Decoder, Item};
use bedrock_sse_core::watch::{Instant, Watch, WatchConfig};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts (in a const
// thread-local, which needs no allocation of its own).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

/// W1 events: `id`, `event`, one JSON `data` line, a heartbeat every 20.
fn w1(events: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..events {
        if i % 20 == 0 {
            out.extend_from_slice(b": heartbeat\n\n");
        }
        out.extend_from_slice(
            format!(
                "id: {i}\nevent: progress\ndata: {{\"job_id\":\"job_01JABCD123\",\"type\":\"overlay.generate\",\"status\":\"RUNNING\",\"progress\":0.{:02},\"message\":\"Processing sheet 3 of 12\"}}\n\n",
                i % 100
            )
            .as_bytes(),
        );
    }
    out
}

#[test]
fn typed_w1_decoding_allocates_nothing_per_event() {
    let input = w1(2000);
    let mut decoder = Decoder::new();
    let mut typed = 0;
    let run = |decoder: &mut Decoder, typed: &mut usize| {
        for chunk in input.chunks(8192) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let step = decoder.decode(rest);
                rest = &rest[step.consumed..];
                match step.item {
                    Some(Ok(Item::Event(event))) => {
                        let Ok(Parsed::Event(job)) = JobEvent::from_sse(&event) else {
                            panic!()
                        };
                        assert_eq!(job.status(), Some(&JobStatus::Running));
                        *typed += 1;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        }
    };
    // Warm up: buffers grow to their steady size (events cut by chunk ends).
    run(&mut decoder, &mut typed);
    let before = allocs();
    run(&mut decoder, &mut typed);
    let during = allocs() - before;
    assert_eq!(typed, 4000);
    assert_eq!(during, 0, "allocations while typing 2000 W1 events");
}

#[test]
fn the_watch_is_small_when_idle() {
    let watch = Watch::new(
        WatchConfig::builder("job_01JABCD123").unwrap().build(),
        Instant::ZERO,
        1,
    );
    let size = std::mem::size_of_val(&watch);
    eprintln!(
        "size_of Watch: {size} bytes, Decoder: {}",
        std::mem::size_of::<Decoder>()
    );
    assert!(size <= 1024, "Watch is {size} bytes");
}
