//! Allocation counts and resident memory of the decoder, measured with a
//! counting global allocator.
//!
//! Run with `--nocapture` to see the figures:
//! `cargo test -p bedrock-sse-benches --release --test alloc -- --nocapture`.
//!
//! The counters are per thread, so tests running in parallel do not see one
//! another's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bedrock_sse_benches::{Tally, job_stream, long_line};
use bedrock_sse_core::sse::{Decoder, Item};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static LIVE_BYTES: Cell<i64> = const { Cell::new(0) };
}

fn note(allocations: u64, bytes: i64) {
    // `try_with`: the thread's counters may already be gone while it exits.
    let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + allocations));
    let _ = LIVE_BYTES.try_with(|l| l.set(l.get() + bytes));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours; the bookkeeping touches only
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as i64);
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, -(layout.size() as i64));
        // SAFETY: `ptr` came from `System` through us, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(1, new_size as i64 - layout.size() as i64);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn live_bytes() -> i64 {
    LIVE_BYTES.with(Cell::get)
}

fn feed(decoder: &mut Decoder, chunks: &[&[u8]]) -> Tally {
    let mut tally = Tally::default();
    for chunk in chunks {
        decoder.decode_each(chunk, |item| {
            if let Ok(Item::Event(event)) = item {
                tally.add(event.data.len());
            }
        });
    }
    tally
}

/// Cuts `body` into chunks of about `size` bytes, each ending at an event
/// boundary (a blank line), so that every event lies inside one chunk.
fn whole_event_chunks(body: &[u8], size: usize, blank: &[u8]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while let Some(offset) = body[at..].windows(blank.len()).position(|w| w == blank) {
        at += offset + blank.len();
        if at - start >= size {
            chunks.push(body[start..at].to_vec());
            start = at;
        }
    }
    chunks.push(body[start..].to_vec());
    chunks
}

/// Decodes the chunks once to warm the decoder's buffers up, then counts
/// the allocations of decoding them all again: the steady state.
fn steady_state_allocations(chunks: &[&[u8]]) -> (u64, Tally) {
    let mut decoder = Decoder::new();
    feed(&mut decoder, chunks);
    let before = allocations();
    let tally = feed(&mut decoder, chunks);
    (allocations() - before, tally)
}

#[test]
fn raw_decoding_allocates_nothing_per_event_in_steady_state() {
    for (name, line_end, blank) in [("LF", "\n", &b"\n\n"[..]), ("CRLF", "\r\n", b"\r\n\r\n")] {
        let (body, expected) = job_stream(20_000, line_end);

        // Every event inside one chunk: everything is borrowed.
        let whole = whole_event_chunks(&body, 8 * 1024, blank);
        let whole: Vec<&[u8]> = whole.iter().map(Vec::as_slice).collect();
        let (count, tally) = steady_state_allocations(&whole);
        println!(
            "{name}, events within chunks: {count} allocations for {} events",
            tally.events
        );
        assert_eq!(tally.events, expected.events);
        assert_eq!(count, 0, "{name}: events within chunks allocated");

        // Events cut anywhere (8 KiB and 7-byte chunks): the decoder's
        // buffers are reused, so once warm it allocates nothing either.
        for size in [8 * 1024, 7] {
            let chunks: Vec<&[u8]> = body.chunks(size).collect();
            let (count, tally) = steady_state_allocations(&chunks);
            println!(
                "{name}, {size}-byte chunks: {count} allocations for {} events",
                tally.events
            );
            assert_eq!(count, 0, "{name}: {size}-byte chunks allocated");
        }
    }
}

#[test]
fn typed_decoding_allocates_nothing_per_event_in_steady_state() {
    use bedrock_sse_core::job::{JobEvent, Parsed};
    let (body, expected) = job_stream(20_000, "\n");
    let chunks: Vec<&[u8]> = body.chunks(8 * 1024).collect();
    // The whole stream once to warm up, then again: the steady state.
    let (warm, steady) = (&chunks[..], &chunks[..]);
    let mut decoder = Decoder::new();
    let mut typed = 0;
    let mut count = 0;
    for (stretch, chunks) in [("warm", warm), ("steady", steady)] {
        let before = allocations();
        for chunk in chunks {
            decoder.decode_each(chunk, |item| {
                if let Ok(Item::Event(event)) = item {
                    if let Ok(Parsed::Event(job_event)) = JobEvent::from_sse(&event) {
                        assert!(job_event.data().is_some_and(|d| d.job_id.is_some()));
                        typed += 1;
                    }
                }
            });
        }
        if stretch == "steady" {
            count = allocations() - before;
        }
    }
    println!(
        "typed (no results), 8 KiB chunks: {count} allocations for {} events",
        typed / 2
    );
    assert_eq!(typed, 2 * expected.events);
    assert_eq!(count, 0, "typed decoding allocated");
}

/// A job's terminal events as the API sends them: `completed` with nested
/// `results`, `failed` with an `error` object, `status` with an escape-free
/// terminal status; each is typed without allocating, `results` borrowed
/// as raw JSON.
#[test]
fn typed_decoding_of_results_and_errors_allocates_nothing() {
    use bedrock_sse_core::job::{JobEvent, Parsed};
    let mut body = String::new();
    for i in 0..2_000 {
        body.push_str(&format!(
            "id: {i}\nevent: completed\ndata: {{\"job_id\":\"job_01JABCD123\",\"status\":\"Completed\",\"results\":{{\"overlay_id\":\"ovl_{i}\",\"sheets\":[1,2,3],\"score\":0.93,\"meta\":{{\"pages\":12,\"ok\":true,\"note\":null}}}},\"timestamp\":\"2024-01-15T10:00:00Z\"}}\n\n\
             id: {i}f\nevent: failed\ndata: {{\"job_id\":\"job_01JABCD123\",\"status\":\"failed\",\"error\":{{\"code\":\"PROCESSING_ERROR\",\"message\":\"Unable to process sheet 3\"}}}}\n\n"
        ));
    }
    let chunks: Vec<&[u8]> = body.as_bytes().chunks(8 * 1024).collect();
    let mut decoder = Decoder::new();
    let (mut results, mut errors, mut count) = (0, 0, 0);
    for stretch in ["warm", "steady"] {
        let before = allocations();
        for chunk in &chunks {
            decoder.decode_each(chunk, |item| {
                if let Ok(Item::Event(event)) = item {
                    let Ok(Parsed::Event(job_event)) = JobEvent::from_sse(&event) else {
                        panic!("untyped: {event:?}");
                    };
                    let data = job_event.data().expect("typed data");
                    if let Some(raw) = &data.results {
                        assert!(raw.get().starts_with("{\"overlay_id\""));
                        results += 1;
                    }
                    if data.error.as_ref().is_some_and(|e| e.code.is_some()) {
                        errors += 1;
                    }
                }
            });
        }
        if stretch == "steady" {
            count = allocations() - before;
        }
    }
    println!(
        "typed (results and errors), 8 KiB chunks: {count} allocations for {} events",
        (results + errors) / 2
    );
    assert_eq!((results, errors), (4_000, 4_000));
    assert_eq!(count, 0, "typed decoding of results and errors allocated");
}

#[test]
fn size_of_a_typed_event() {
    use bedrock_sse_core::job::{JobData, JobEvent, Parsed};
    let sizes = (
        std::mem::size_of::<JobEvent<'_>>(),
        std::mem::size_of::<JobData<'_>>(),
        std::mem::size_of::<Parsed<'_>>(),
    );
    println!(
        "size_of::<JobEvent>() = {} B (JobData {} B, Parsed {} B)",
        sizes.0, sizes.1, sizes.2
    );
}

#[test]
fn resident_memory_per_idle_stream() {
    let size = std::mem::size_of::<Decoder>();
    println!("size_of::<Decoder>() = {size} B");
    assert!(size <= 512, "the decoder itself is {size} B");

    // A fresh decoder holds no heap memory at all.
    let before = live_bytes();
    let decoder = Decoder::new();
    assert_eq!(live_bytes() - before, 0);
    drop(decoder);

    // After job-stream traffic, idle between events: what it keeps is its
    // reusable buffers and the last-event-ID.
    let (body, _) = job_stream(2_000, "\n");
    let chunks: Vec<&[u8]> = body.chunks(8 * 1024).collect();
    let before = live_bytes();
    let mut decoder = Decoder::new();
    feed(&mut decoder, &chunks);
    assert!(!decoder.in_event());
    let retained = live_bytes() - before;
    println!(
        "idle after job-stream traffic: {size} B + {retained} B of buffers = {} B",
        size as i64 + retained
    );
    assert!(
        size as i64 + retained < 1024,
        "an idle job stream keeps {retained} B of buffers"
    );
    drop(decoder);

    // After one 64 KiB event that crossed chunks.
    let big = long_line(64 * 1024);
    let chunks: Vec<&[u8]> = big.chunks(8 * 1024).collect();
    let before = live_bytes();
    let mut decoder = Decoder::new();
    assert_eq!(feed(&mut decoder, &chunks).events, 1);
    let retained = live_bytes() - before;
    println!("idle after one 64 KiB event across chunks: {size} B + {retained} B of buffers");

    // Mid-line: the unread partial line is what it holds.
    let before = live_bytes();
    let mut decoder = Decoder::new();
    feed(
        &mut decoder,
        &[b"id: 1\nevent: progress\ndata: {\"job_id\":\"j"],
    );
    let retained = live_bytes() - before;
    println!("mid-event (partial line of 17 B): {size} B + {retained} B of buffers");
}

#[test]
fn resident_memory_per_idle_watch() {
    use bedrock_sse_core::watch::{Instant, Watch, WatchConfig};
    let size = std::mem::size_of::<Watch>();
    let before = live_bytes();
    let config = WatchConfig::builder("job_01JABCD123")
        .expect("a valid job id")
        .build();
    let watch = Watch::new(config, Instant::from_millis(0), 7);
    let heap = live_bytes() - before;
    println!(
        "size_of::<Watch>() = {size} B, + {heap} B of heap when new = {} B",
        size as i64 + heap
    );
    // The 0.1 goal: a watch waiting for its stream costs at most 1 KiB,
    // heap included (the request is built only when the driver asks).
    assert!(
        size as i64 + heap <= 1024,
        "a new Watch is {size} B + {heap} B of heap"
    );
    drop(watch);
}
