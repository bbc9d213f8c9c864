//! The decoder's memory stays bounded by its limits whatever the input:
//! measured with a counting global allocator, so this file holds a single
//! test (tests in one binary run in parallel and would share the counters).

mod peak_alloc;

use bedrock_sse_core::sse::{Decoder, Item, Limits};

/// The most memory allocated at once while decoding `input` in chunks of
/// `chunk` bytes, over what was allocated before; and the items' kinds.
fn peak_while_decoding(limits: Limits, input: &[u8], chunk: usize) -> (usize, usize, usize) {
    let base = peak_alloc::start();
    let mut decoder = Decoder::with_limits(limits);
    let (mut events, mut errors) = (0, 0);
    for piece in input.chunks(chunk) {
        decoder.decode_each(piece, |item| match item {
            Ok(Item::Event(_)) => events += 1,
            Ok(_) => {}
            Err(_) => errors += 1,
        });
    }
    drop(decoder);
    (peak_alloc::peak_over(base), events, errors)
}

fn line(prefix: &[u8], fill: u8, len: usize) -> Vec<u8> {
    let mut out = prefix.to_vec();
    out.resize(len, fill);
    out.extend_from_slice(b"\n\ndata: ok\n\n");
    out
}

#[test]
fn memory_stays_within_the_limits() {
    let kib = Limits::default().with_max_event_size(1024); // lines: 2 KiB
    let ten_mib = 10 << 20;

    // A 10 MiB data line against a 2 KiB line limit: never more than the
    // line buffer's growth past the limit, whatever the chunking.
    let input = line(b"data: ", b'x', ten_mib);
    for chunk in [64 * 1024, 4096, 100] {
        let (peak, events, errors) = peak_while_decoding(kib, &input, chunk);
        assert_eq!((events, errors), (1, 1));
        assert!(
            peak <= 8 * 1024,
            "{peak} bytes held for a 10 MiB line, chunks of {chunk}"
        );
    }

    // The same line under the default limits (1 MiB): bounded by them, not
    // by the input.
    let (peak, events, errors) = peak_while_decoding(Limits::default(), &input, 64 * 1024);
    assert_eq!((events, errors), (1, 1));
    assert!(
        peak <= 3 << 20,
        "{peak} bytes held under the default limits"
    );

    // A 10 MiB comment is skipped without being kept at all.
    let input = line(b":", b'c', ten_mib);
    let (peak, events, errors) = peak_while_decoding(kib, &input, 4096);
    assert_eq!((events, errors), (1, 0));
    assert!(peak <= 1024, "{peak} bytes held for a comment");

    // 10 MiB of small data lines in one event: the data buffer stops at
    // the data limit.
    let mut input = b"data: 0123456789\n".repeat(ten_mib / 17);
    input.extend_from_slice(b"\ndata: ok\n\n");
    let (peak, events, errors) = peak_while_decoding(kib, &input, 4096);
    assert_eq!((events, errors), (1, 1));
    assert!(peak <= 8 * 1024, "{peak} bytes held for a 10 MiB event");

    // Many events, each just within the limit, in small chunks: the
    // decoder's buffers are reused, not accumulated.
    let event = format!("event: e\nid: 1\ndata: {}\n\n", "y".repeat(1000));
    let input = event.repeat(2000);
    let (peak, events, errors) = peak_while_decoding(kib, input.as_bytes(), 333);
    assert_eq!((events, errors), (2000, 0));
    assert!(peak <= 8 * 1024, "{peak} bytes held across 2,000 events");
}
