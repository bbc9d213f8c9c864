//! Helpers shared by the integration tests: an owned record of what a
//! decoder produced, drivers that feed a [`Decoder`] in chunks, a
//! deliberately simple reference decoder, a seeded generator, a scripted
//! job server (`job_server`), and the checks the fuzz targets run
//! (`checks`, which `fuzz/` includes by path).
//!
//! Each test file uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

pub(crate) mod checks;
pub(crate) mod job_server;
pub(crate) mod reference;

use bedrock_sse_core::sse::{DecodeError, Decoder, Item, Limits, OwnedEvent};

/// One item, owned, so that whole runs can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out {
    Event(OwnedEvent),
    Retry(u64),
    Error(DecodeError),
}

impl Out {
    pub(crate) fn event(event_type: &str, data: &str, id: &str) -> Out {
        Out::Event(OwnedEvent {
            event_type: event_type.into(),
            data: data.into(),
            id: id.into(),
        })
    }
}

/// What a decoder says once a body has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct End {
    /// `finish()`'s answer: an unterminated event was discarded.
    pub(crate) discarded: bool,
    pub(crate) last_event_id: String,
    pub(crate) retry: Option<u64>,
}

/// A whole decoding run: every item in order, then the state at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) items: Vec<Out>,
    pub(crate) end: End,
}

/// Feeds `chunks` in order to a fresh decoder with `limits`, through
/// [`Decoder::decode`] (resuming at `consumed` each time), then finishes.
pub(crate) fn run_chunks<'c>(limits: Limits, chunks: impl IntoIterator<Item = &'c [u8]>) -> Run {
    let mut decoder = Decoder::with_limits(limits);
    let mut items = Vec::new();
    for chunk in chunks {
        feed(&mut decoder, chunk, &mut items);
    }
    let end = finish(&mut decoder);
    Run { items, end }
}

/// Feeds one chunk through [`Decoder::decode`], checking the step contract.
pub(crate) fn feed(decoder: &mut Decoder, chunk: &[u8], items: &mut Vec<Out>) {
    let mut rest = chunk;
    loop {
        let step = decoder.decode(rest);
        assert!(step.consumed <= rest.len(), "consumed past the input");
        let Some(item) = step.item else {
            assert_eq!(step.consumed, rest.len(), "`None` must mean all consumed");
            break;
        };
        assert!(step.consumed > 0, "an item must consume a line end");
        items.push(owned(item));
        rest = &rest[step.consumed..];
    }
}

/// Ends the body and reads the state that carries over.
pub(crate) fn finish(decoder: &mut Decoder) -> End {
    let discarded = decoder.finish();
    assert!(
        !decoder.in_event(),
        "finish() must leave the decoder outside an event"
    );
    End {
        discarded,
        last_event_id: decoder.last_event_id().to_owned(),
        retry: decoder.retry(),
    }
}

pub(crate) fn owned(item: Result<Item<'_>, DecodeError>) -> Out {
    match item {
        Ok(Item::Event(event)) => Out::Event(event.to_owned()),
        Ok(Item::Retry(ms)) => Out::Retry(ms),
        Ok(other) => panic!("an item this test suite does not know: {other:?}"),
        Err(error) => Out::Error(error),
    }
}

/// Cuts `input` at the given offsets (clamped, sorted; repeats make empty
/// chunks).
pub(crate) fn cut<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for c in cuts {
        chunks.push(&input[start..c]);
        start = c;
    }
    chunks.push(&input[start..]);
    chunks
}

/// Limits so large that no generated stream reaches them.
pub(crate) fn unlimited() -> Limits {
    let mut limits = Limits::default();
    limits.max_line = usize::MAX;
    limits.max_data = usize::MAX;
    limits.max_event_type = usize::MAX;
    limits.max_id = usize::MAX;
    limits
}

/// SplitMix64: a seeded, deterministic source for generated streams (the
/// tests must not depend on a clock or the OS for their inputs).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough in `0..n` for test generation (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Pieces of a stream, biased to what the rules treat specially: line ends
/// of every kind, colons, spaces, field names and near misses, NUL, the BOM
/// and its prefixes, invalid and multi-byte UTF-8, digits and signs.
pub(crate) const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b":",
    b":",
    b" ",
    b" ",
    b"data",
    b"data:",
    b"data: ",
    b"event",
    b"event:",
    b"id",
    b"id:",
    b"retry",
    b"retry:",
    b"Data",
    b"dat",
    b"\0",
    b"\xEF\xBB\xBF",
    b"\xEF",
    b"\xEF\xBB",
    b"\xBB",
    b"\xFF",
    b"\xC3",
    b"\xC3\xA9",
    b"\xE2\x82\xAC",
    b"\xF0\x9F",
    b"a",
    b"x",
    b"5",
    b"12",
    b"+",
    b"message",
];

const NAMES: &[&[u8]] = &[
    b"data",
    b"data",
    b"data",
    b"event",
    b"event",
    b"id",
    b"id",
    b"retry",
    b"",
    b":",
    b"Data",
    b"dat",
    b"event ",
    b"\xEF\xBB\xBF",
    b"\xEF\xBB",
    b"x",
];
const SEPARATORS: &[&[u8]] = &[b"", b":", b": ", b": ", b":  "];
const VALUES: &[&[u8]] = &[
    b"",
    b"a",
    b"a",
    b"5",
    b"12",
    b" ",
    b"\0",
    b"+5",
    b"5x",
    b"\xFF",
    b"\xC3",
    b"\xC3\xA9",
    b"\xEF\xBB\xBF",
    b":",
    b"message",
    b"\xF0\x9F\x98",
    b"\r",
];
const ENDS: &[&[u8]] = &[b"\n", b"\n", b"\r", b"\r\n"];

/// One piece of a generated stream, chosen by six numbers: mostly whole
/// lines (a blank line, or a field name, separator, values and line end
/// drawn from what the rules treat specially), sometimes a raw token, so
/// that both well-formed blocks and arbitrary byte soup come up.
pub(crate) fn piece(k: [u8; 6]) -> Vec<u8> {
    let pick = |list: &[&'static [u8]], n: u8| list[usize::from(n) % list.len()];
    let end = pick(ENDS, k[5]);
    match k[0] % 16 {
        0..=3 => end.to_vec(),
        4 => [
            b"retry: ",
            pick(&[b"5", b"12", b"0", b"99999999999999999999999"], k[1]),
            end,
        ]
        .concat(),
        5..=12 => [
            pick(NAMES, k[1]),
            pick(SEPARATORS, k[2]),
            pick(VALUES, k[3]),
            pick(VALUES, k[4] / 2),
            end,
        ]
        .concat(),
        _ => pick(TOKENS, k[1]).to_vec(),
    }
}

/// A generated stream of `1..=max_pieces` pieces (see [`piece`]).
pub(crate) fn stream(rng: &mut Rng, max_pieces: usize) -> Vec<u8> {
    let n = 1 + rng.below(max_pieces);
    let mut out = Vec::new();
    for _ in 0..n {
        let k = rng.next_u64().to_le_bytes();
        out.extend_from_slice(&piece([k[0], k[1], k[2], k[3], k[4], k[5]]));
    }
    out
}

/// Random cut offsets into an input of `len` bytes (repeats allowed).
pub(crate) fn random_cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
    let n = rng.below(12);
    (0..n).map(|_| rng.below(len + 1)).collect()
}
