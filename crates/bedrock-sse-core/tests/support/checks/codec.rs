//! The wire format: the decoder under arbitrary chunking, and the encoder's
//! round trip through it.

use bedrock_sse_core::sse::{EncodeError, Encoder, Limits, LineEnding};

use super::super::{Out, Rng, Run, cut, reference, run_chunks, unlimited};

/// Limits small enough that fuzzed streams break every one of them.
fn tiny() -> Limits {
    let mut limits = Limits::default();
    limits.max_line = 24;
    limits.max_data = 12;
    limits.max_event_type = 4;
    limits.max_id = 4;
    limits
}

fn seed_of(bytes: &[u8]) -> u64 {
    // FNV-1a: the chunking is a pure function of the fuzz input.
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

fn random_cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
    let n = rng.below(16);
    (0..n).map(|_| rng.below(len + 1)).collect()
}

/// The first byte picks the limits, the rest is the stream. Asserts: no
/// panic; the same items and end state whether the stream comes whole, in
/// input-derived random chunks, or one byte at a time; every item within
/// the limits; and, when no limit was broken, agreement with the reference
/// decoder.
pub(crate) fn check_decode(input: &[u8]) {
    let Some((&selector, body)) = input.split_first() else {
        return;
    };
    let limits = match selector % 3 {
        0 => tiny(),
        1 => Limits::default().with_max_event_size(64),
        _ => unlimited(),
    };
    let whole = run_chunks(limits, [body]);

    let mut rng = Rng::new(seed_of(input));
    let cuts = random_cuts(&mut rng, body.len());
    let split = run_chunks(limits, cut(body, &cuts));
    assert_eq!(split, whole, "chunking changed the result; cuts {cuts:?}");
    if body.len() <= 4096 {
        let bytewise = run_chunks(limits, body.chunks(1));
        assert_eq!(bytewise, whole, "one-byte chunks changed the result");
    }

    assert_within(&whole, &limits);

    if !whole.items.iter().any(|item| matches!(item, Out::Error(_))) {
        assert_eq!(
            whole,
            reference::decode(body),
            "disagrees with the reference decoder"
        );
    }
}

/// Nothing the decoder hands out exceeds its limits. Type and id limits
/// bound the raw bytes; after lossy UTF-8 decoding each invalid byte may
/// become a 3-byte U+FFFD.
fn assert_within(run: &Run, limits: &Limits) {
    for item in &run.items {
        if let Out::Event(event) = item {
            assert!(event.data.len() <= limits.max_data, "data over the limit");
            assert!(
                event.event_type == "message"
                    || event.event_type.len() <= limits.max_event_type.saturating_mul(3),
                "event type over the limit"
            );
            assert!(
                event.id.len() <= limits.max_id.saturating_mul(3),
                "id over the limit"
            );
        }
    }
    assert!(run.end.last_event_id.len() <= limits.max_id.saturating_mul(3));
}

/// One thing the round-trip input asks the encoder to write.
#[derive(Debug)]
enum Write {
    Event {
        event_type: Option<String>,
        id: Option<String>,
        data: String,
    },
    Comment(String),
    Retry(u64),
}

/// Reads a sequence of writes out of fuzz bytes: records separated by 0x1F,
/// fields by 0x1E, the first byte of a record choosing its kind.
fn writes(bytes: &[u8]) -> Vec<Write> {
    let field = |part: Option<&[u8]>| part.map(|p| String::from_utf8_lossy(p).into_owned());
    bytes
        .split(|&b| b == 0x1F)
        .filter_map(|record| {
            let (&kind, rest) = record.split_first()?;
            let mut parts = rest.split(|&b| b == 0x1E);
            let data = field(parts.next()).unwrap_or_default();
            Some(match kind % 8 {
                6 => Write::Comment(data),
                7 => Write::Retry(seed_of(rest) >> (kind % 64)),
                flags => Write::Event {
                    event_type: if flags & 1 != 0 {
                        field(parts.next())
                    } else {
                        None
                    },
                    id: if flags & 2 != 0 {
                        field(parts.next())
                    } else {
                        None
                    },
                    data,
                },
            })
        })
        .collect()
}

/// The first byte picks the line ending; the rest describes writes.
/// Asserts that the encoder refuses exactly what the wire cannot carry
/// (writing nothing then), and that the decoder, fed the encoded stream
/// whole or in chunks, gives back every event and retry: data with every
/// line break as LF, a missing or empty type as `message`, the id carried
/// over from earlier events when one is not given.
pub(crate) fn check_roundtrip(input: &[u8]) {
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    let line_ending = [LineEnding::Lf, LineEnding::CrLf, LineEnding::Cr][usize::from(selector % 3)];
    let encoder = Encoder::with_line_ending(line_ending);
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    let mut last_id = String::new();
    for write in writes(rest) {
        match write {
            Write::Event {
                event_type,
                id,
                data,
            } => {
                let before = wire.len();
                let result = encoder.event(&mut wire, event_type.as_deref(), id.as_deref(), &data);
                match refusal(event_type.as_deref(), id.as_deref()) {
                    Some(error) => {
                        assert_eq!(result, Err(error));
                        assert_eq!(wire.len(), before, "a refused event wrote bytes");
                    }
                    None => {
                        assert_eq!(result, Ok(()));
                        if let Some(id) = id {
                            last_id = id;
                        }
                        let kind = event_type.filter(|t| !t.is_empty());
                        let data = data.replace("\r\n", "\n").replace('\r', "\n");
                        expected.push(Out::event(
                            kind.as_deref().unwrap_or("message"),
                            &data,
                            &last_id,
                        ));
                    }
                }
            }
            Write::Comment(text) => encoder.comment(&mut wire, &text),
            Write::Retry(ms) => {
                encoder.retry(&mut wire, ms);
                expected.push(Out::Retry(ms));
            }
        }
    }

    let whole = run_chunks(unlimited(), [wire.as_slice()]);
    assert_eq!(whole.items, expected, "the round trip changed the stream");
    assert!(
        !whole.end.discarded,
        "the encoder left an event unterminated"
    );
    assert_eq!(whole.end.last_event_id, last_id);

    let mut rng = Rng::new(seed_of(input));
    let cuts = random_cuts(&mut rng, wire.len());
    assert_eq!(
        run_chunks(unlimited(), cut(&wire, &cuts)),
        whole,
        "cuts {cuts:?}"
    );
    assert_eq!(
        reference::decode(&wire),
        whole,
        "disagrees with the reference decoder"
    );
}

/// What the encoder must answer for these fields, by its documented rules.
fn refusal(event_type: Option<&str>, id: Option<&str>) -> Option<EncodeError> {
    let line_break = |s: &str| s.bytes().position(|b| b == b'\r' || b == b'\n');
    if let Some(index) = event_type.and_then(line_break) {
        return Some(EncodeError::LineBreakInEventType { index });
    }
    if let Some(index) = id.and_then(line_break) {
        return Some(EncodeError::LineBreakInId { index });
    }
    if let Some(index) = id.and_then(|id| id.bytes().position(|b| b == 0)) {
        return Some(EncodeError::NulInId { index });
    }
    None
}
