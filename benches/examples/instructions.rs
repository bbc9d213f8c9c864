//! Decodes one workload once with one decoder, for instruction counting
//! under callgrind, which is steady where wall-clock time on a shared
//! machine is not:
//!
//! ```text
//! cargo build -p bedrock-sse-benches --release --example instructions
//! valgrind --tool=callgrind target/release/examples/instructions W1 ours
//! ```
//!
//! Run it with `none` as the decoder to count the workload generation
//! alone, and subtract; `typed` adds `JobEvent::from_sse` on every event.

use std::hint::black_box;

use bedrock_sse_benches::{Tally, Workload};
use bedrock_sse_core::sse::{Decoder, Item};

fn ours(workload: &Workload) -> Tally {
    let mut decoder = Decoder::new();
    let mut tally = Tally::default();
    for chunk in workload.chunks() {
        decoder.decode_each(chunk, |item| {
            if let Ok(Item::Event(event)) = item {
                tally.add(black_box(event.data).len());
            }
        });
    }
    tally
}

/// The decoder, then each event typed as a job event.
fn typed(workload: &Workload) -> Tally {
    use bedrock_sse_core::job::{JobEvent, Parsed};
    let mut decoder = Decoder::new();
    let mut tally = Tally::default();
    for chunk in workload.chunks() {
        decoder.decode_each(chunk, |item| {
            if let Ok(Item::Event(event)) = item {
                if let Ok(Parsed::Event(typed)) = JobEvent::from_sse(&event) {
                    black_box(&typed);
                    tally.add(event.data.len());
                }
            }
        });
    }
    tally
}

fn floor(workload: &Workload) -> Tally {
    let mut tally = Tally::default();
    for chunk in workload.chunks() {
        let mut rest = chunk;
        while let Some(at) = memchr::memchr2(b'\n', b'\r', rest) {
            tally.add(at);
            rest = &rest[at + 1..];
        }
    }
    tally
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(decoder)) = (args.next(), args.next()) else {
        eprintln!("usage: instructions W1|W2|W3|W4|W5 ours|typed|floor|none");
        std::process::exit(2);
    };
    // Smaller than the benches' workloads: callgrind runs ~50x slower.
    let workload = match name.as_str() {
        "W1" | "W4" | "W5" => {
            let line_end = if name == "W5" { "\r\n" } else { "\n" };
            let (bytes, expected) = bedrock_sse_benches::job_stream(20_000, line_end);
            Workload {
                name: "W",
                description: "",
                bytes,
                chunk_size: if name == "W4" { 7 } else { 8 * 1024 },
                expected,
            }
        }
        "W2" => bedrock_sse_benches::w2(),
        "W3" => bedrock_sse_benches::w3(),
        _ => {
            eprintln!("unknown workload {name}");
            std::process::exit(2);
        }
    };
    let tally = match decoder.as_str() {
        "ours" => ours(&workload),
        "typed" => typed(&workload),
        "floor" => floor(&workload),
        _ => Tally::default(),
    };
    black_box(tally);
}
