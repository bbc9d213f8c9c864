//! Workloads for benchmarking SSE decoders, generated deterministically.
//!
//! Every decoder in the benches (ours and the peers) is fed the same bytes,
//! cut into the same chunks, so their times are comparable within one run.
//! The workloads are the five of the performance issue:
//!
//! | name | what |
//! |---|---|
//! | W1 | job stream: 200k events of ~178 B (`id`, `event`, one JSON `data` line), a `: heartbeat` every 20 events, LF, 8 KiB chunks |
//! | W2 | big data: 2,000 events of one 64 KiB `data` line, 64 KiB chunks |
//! | W3 | multi-line: 50k events of 16 `data` lines of ~40 B, 8 KiB chunks |
//! | W4 | tiny chunks: W1's first 20k events in 7-byte chunks |
//! | W5 | W1 with CRLF line ends |
//!
//! Each workload also records what a conformant decoder must produce (the
//! number of events and the total bytes of their data), so a bench can check
//! a decoder before timing it.

use std::fmt::Write as _;

/// A stream body cut into chunks, with what decoding it must yield.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Short name, used as the criterion group (`W1` ... `W5`).
    pub name: &'static str,
    /// One line saying what the workload is.
    pub description: &'static str,
    /// The whole body.
    pub bytes: Vec<u8>,
    /// The chunk size the body is cut into (the last chunk may be shorter).
    pub chunk_size: usize,
    /// The expected result of decoding it.
    pub expected: Tally,
}

impl Workload {
    /// The body cut into `chunk_size` pieces, as a network read would hand them over.
    pub fn chunks(&self) -> std::slice::Chunks<'_, u8> {
        self.bytes.chunks(self.chunk_size)
    }

    /// The chunks collected, for decoders that want to own or clone them.
    pub fn chunk_vec(&self) -> Vec<&[u8]> {
        self.chunks().collect()
    }
}

/// What a decoder produced: the count of dispatched events and the sum of
/// their data lengths. Cheap to keep, and enough to catch a decoder that
/// drops, merges or truncates events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Events dispatched.
    pub events: usize,
    /// Total bytes of the events' data.
    pub data_bytes: usize,
}

impl Tally {
    /// Counts one event with `data_len` bytes of data.
    #[inline]
    pub fn add(&mut self, data_len: usize) {
        self.events += 1;
        self.data_bytes += data_len;
    }
}

/// A small deterministic generator (SplitMix64), so workloads need no
/// randomness source and are identical on every run.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Pushes `len` printable ASCII characters that need no JSON escaping.
    fn text(&mut self, out: &mut String, len: usize) {
        const ALPHABET: &[u8] =
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,";
        for _ in 0..len {
            out.push(char::from(
                ALPHABET[self.below(ALPHABET.len() as u64) as usize],
            ));
        }
    }
}

/// The JSON `data` of one job-stream event, as the Bedrock API sends it.
/// Every 25th event is a `status` event, the rest are `progress`.
fn job_event(out: &mut String, i: usize, line_end: &str) -> usize {
    let start_data;
    let _ = write!(out, "id: {i}{line_end}");
    if i % 25 == 0 {
        let _ = write!(out, "event: status{line_end}data: ");
        start_data = out.len();
        let _ = write!(
            out,
            r#"{{"job_id":"job_01JABCD123","type":"overlay.generate","status":"RUNNING","timestamp":"2024-01-15T10:{:02}:{:02}Z"}}"#,
            (i / 60) % 60,
            i % 60
        );
    } else {
        let _ = write!(out, "event: progress{line_end}data: ");
        start_data = out.len();
        let _ = write!(
            out,
            r#"{{"job_id":"job_01JABCD123","type":"overlay.generate","message":"Processing sheet {} of 12","progress":{:.4},"timestamp":"2024-01-15T10:{:02}:{:02}Z"}}"#,
            i % 12 + 1,
            (i % 10_000) as f64 / 10_000.0,
            (i / 60) % 60,
            i % 60
        );
    }
    let data_len = out.len() - start_data;
    let _ = write!(out, "{line_end}{line_end}");
    data_len
}

/// A job stream of `events` events with a heartbeat comment every 20.
pub fn job_stream(events: usize, line_end: &str) -> (Vec<u8>, Tally) {
    let mut out = String::with_capacity(events * 190);
    let mut tally = Tally::default();
    for i in 0..events {
        if i % 20 == 0 {
            let _ = write!(out, ": heartbeat{line_end}{line_end}");
        }
        let len = job_event(&mut out, i, line_end);
        tally.add(len);
    }
    (out.into_bytes(), tally)
}

/// W1: the job stream, LF, 8 KiB chunks.
pub fn w1() -> Workload {
    let (bytes, expected) = job_stream(200_000, "\n");
    Workload {
        name: "W1",
        description: "job stream: 200k events of ~178 B, heartbeat every 20, LF, 8 KiB chunks",
        bytes,
        chunk_size: 8 * 1024,
        expected,
    }
}

/// W2: 2,000 events of one 64 KiB data line, 64 KiB chunks.
pub fn w2() -> Workload {
    const EVENTS: usize = 2_000;
    const DATA: usize = 64 * 1024;
    let mut rng = SplitMix(2);
    let mut out = String::with_capacity(EVENTS * (DATA + 8));
    let mut payload = String::with_capacity(DATA);
    // Vary the payload per event a little, but generate it only once:
    // what matters is its length and that it is ASCII.
    rng.text(&mut payload, DATA);
    for i in 0..EVENTS {
        out.push_str("data: ");
        let rotate = i % 64;
        out.push_str(&payload[rotate..]);
        out.push_str(&payload[..rotate]);
        out.push_str("\n\n");
    }
    Workload {
        name: "W2",
        description: "big data: 2,000 events of one 64 KiB data line, 64 KiB chunks",
        bytes: out.into_bytes(),
        chunk_size: 64 * 1024,
        expected: Tally {
            events: EVENTS,
            data_bytes: EVENTS * DATA,
        },
    }
}

/// W3: 50k events of 16 data lines of ~40 B, 8 KiB chunks.
pub fn w3() -> Workload {
    const EVENTS: usize = 50_000;
    const LINES: usize = 16;
    let mut rng = SplitMix(3);
    let mut out = String::with_capacity(EVENTS * LINES * 42);
    let mut expected = Tally::default();
    for _ in 0..EVENTS {
        let mut data_len = 0;
        for line in 0..LINES {
            out.push_str("data: ");
            let len = 30 + rng.below(9) as usize;
            rng.text(&mut out, len);
            out.push('\n');
            data_len += len + usize::from(line > 0);
        }
        out.push('\n');
        expected.add(data_len);
    }
    Workload {
        name: "W3",
        description: "multi-line: 50k events of 16 data lines of ~40 B, 8 KiB chunks",
        bytes: out.into_bytes(),
        chunk_size: 8 * 1024,
        expected,
    }
}

/// W4: W1's first 20k events in 7-byte chunks.
pub fn w4() -> Workload {
    let (bytes, expected) = job_stream(20_000, "\n");
    Workload {
        name: "W4",
        description: "tiny chunks: W1's first 20k events in 7-byte chunks",
        bytes,
        chunk_size: 7,
        expected,
    }
}

/// W5: W1 with CRLF line ends.
pub fn w5() -> Workload {
    let (bytes, expected) = job_stream(200_000, "\r\n");
    Workload {
        name: "W5",
        description: "W1 with CRLF line ends, 8 KiB chunks",
        bytes,
        chunk_size: 8 * 1024,
        expected,
    }
}

/// All five workloads, in order.
pub fn all() -> Vec<Workload> {
    vec![w1(), w2(), w3(), w4(), w5()]
}

/// One `data` line of `len` bytes followed by a blank line: the linear-time
/// workload, fed in chunks of any size.
pub fn long_line(len: usize) -> Vec<u8> {
    let mut rng = SplitMix(4);
    let mut out = String::with_capacity(len + 8);
    out.push_str("data: ");
    rng.text(&mut out, len);
    out.push_str("\n\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_sse_core::sse::{Decoder, Item};

    fn decode(workload: &Workload) -> Tally {
        let mut decoder = Decoder::new();
        let mut tally = Tally::default();
        for chunk in workload.chunks() {
            decoder.decode_each(chunk, |item| {
                if let Ok(Item::Event(event)) = item {
                    tally.add(event.data.len());
                }
            });
        }
        tally
    }

    #[test]
    fn job_events_are_about_176_bytes() {
        let (bytes, tally) = job_stream(1000, "\n");
        let per_event = bytes.len() / tally.events;
        assert!((160..=190).contains(&per_event), "{per_event} B per event");
    }

    #[test]
    fn the_decoder_agrees_with_the_generator() {
        for workload in [w4(), {
            let (bytes, expected) = job_stream(3_000, "\r\n");
            Workload {
                bytes,
                expected,
                chunk_size: 8 * 1024,
                name: "W5-small",
                description: "W5's first 3k events",
            }
        }] {
            assert_eq!(decode(&workload), workload.expected, "{}", workload.name);
        }
    }
}
