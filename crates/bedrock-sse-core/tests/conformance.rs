//! Named conformance vectors, one or more per rule of
//! `shared/reference/sse-rules.md` (the WHATWG "interpreting an event
//! stream" algorithm), plus the decoder's limits.
//!
//! Every vector is run unsplit, one byte at a time, at every 2-way split
//! and (for short inputs) at every 3-way split, through `decode` and
//! `decode_each`; vectors without limits are also checked against the
//! reference decoder in `support/reference.rs`. So "a CR ending one chunk
//! with its LF starting the next", "a BOM split across chunks at each
//! position" and "a multi-byte character split across chunks" are covered
//! by every vector that contains one.

mod support;

use bedrock_sse_core::sse::{DecodeError, Decoder, Item, Limit, Limits};
use support::{End, Out, Run, reference, run_chunks};

/// What a vector expects, item by item.
#[derive(Debug, Clone, Copy)]
enum Exp {
    /// An event: type, data, id.
    Ev(&'static str, &'static str, &'static str),
    Retry(u64),
    /// A broken limit (which, configured value).
    Err(Limit, usize),
}
use Exp::{Ev, Retry};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Lim {
    Default,
    /// line 16, data 8, event type 4, id 4.
    Small,
}

struct Vector {
    name: &'static str,
    input: &'static [u8],
    expect: &'static [Exp],
    /// What `finish()` must answer: an unterminated event was dropped.
    discarded: bool,
    /// The last-event-ID after the body.
    last_id: &'static str,
    limits: Lim,
}

const fn v(name: &'static str, input: &'static [u8], expect: &'static [Exp]) -> Vector {
    Vector {
        name,
        input,
        expect,
        discarded: false,
        last_id: "",
        limits: Lim::Default,
    }
}

impl Vector {
    const fn discarded(mut self) -> Self {
        self.discarded = true;
        self
    }
    const fn last_id(mut self, id: &'static str) -> Self {
        self.last_id = id;
        self
    }
    const fn small(mut self) -> Self {
        self.limits = Lim::Small;
        self
    }

    fn limits(&self) -> Limits {
        match self.limits {
            Lim::Default => Limits::default(),
            Lim::Small => {
                let mut limits = Limits::default();
                limits.max_line = 16;
                limits.max_data = 8;
                limits.max_event_type = 4;
                limits.max_id = 4;
                limits
            }
        }
    }

    fn expected(&self) -> Run {
        let items: Vec<Out> = self
            .expect
            .iter()
            .map(|exp| match *exp {
                Ev(t, d, i) => Out::event(t, d, i),
                Retry(ms) => Out::Retry(ms),
                Exp::Err(which, limit) => Out::Error(DecodeError::LimitExceeded { which, limit }),
            })
            .collect();
        let retry = items.iter().rev().find_map(|o| match o {
            Out::Retry(ms) => Some(*ms),
            _ => None,
        });
        Run {
            items,
            end: End {
                discarded: self.discarded,
                last_event_id: self.last_id.into(),
                retry,
            },
        }
    }
}

const M: &str = "message";

#[rustfmt::skip]
const VECTORS: &[Vector] = &[
    // Stream and lines: line ends.
    v("lf", b"data: a\n\n", &[Ev(M, "a", "")]),
    v("crlf", b"data: a\r\n\r\n", &[Ev(M, "a", "")]),
    v("cr only", b"data: a\r\r", &[Ev(M, "a", "")]),
    v("mixed line ends", b"data: a\rdata: b\r\ndata: c\n\n", &[Ev(M, "a\nb\nc", "")]),
    v("crlf is one line end, not two", b"data: a\r\ndata: b\r\n\r\n", &[Ev(M, "a\nb", "")]),
    v("lf cr is two line ends", b"data: a\n\rdata: b\n\n", &[Ev(M, "a", ""), Ev(M, "b", "")]),
    v("cr cr lf: a line end then a blank line", b"data: a\r\r\n\n", &[Ev(M, "a", "")]),
    v("lone cr at end of input dispatches", b"data: a\n\r", &[Ev(M, "a", "")]),
    v("crlf stream", b"event: e\r\nid: 1\r\ndata: x\r\n\r\ndata: y\r\n\r\n", &[Ev("e", "x", "1"), Ev(M, "y", "1")]).last_id("1"),
    v("cr-only stream", b"event: e\rid: 1\rdata: x\r\rdata: y\r\r", &[Ev("e", "x", "1"), Ev(M, "y", "1")]).last_id("1"),
    v("empty input", b"", &[]),
    v("blank lines only", b"\n\r\n\r\n\n", &[]),
    // Stream and lines: the BOM.
    v("bom dropped", b"\xEF\xBB\xBFdata: a\n\n", &[Ev(M, "a", "")]),
    v("bom alone", b"\xEF\xBB\xBF", &[]),
    v("bom then blank line", b"\xEF\xBB\xBF\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("second bom is content: field name starts with U+FEFF", b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n", &[]),
    v("bom at a later line start is content", b"data: a\n\n\xEF\xBB\xBFdata: b\n\n", &[Ev(M, "a", "")]),
    v("bom inside a value is content", b"data: \xEF\xBB\xBFa\n\n", &[Ev(M, "\u{FEFF}a", "")]),
    v("bom prefix EF BB 41 is not a bom", b"\xEF\xBB\x41\ndata: b\n\n", &[Ev(M, "b", "")]),
    v("bom prefix EF BB then a field is content", b"\xEF\xBBdata: a\n\n", &[]),
    v("bom prefix EF then a field is content", b"\xEFdata: a\n\n", &[]),
    v("bom prefix then line end", b"\xEF\xBB\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("bom prefix at end of input is a partial line", b"\xEF\xBB", &[]).discarded(),
    // Each line.
    v("comment", b": heartbeat\n\n", &[]),
    v("comments around fields", b":\ndata: a\n: x\n\n", &[Ev(M, "a", "")]),
    v("comment does not dispatch or end a block", b"data: a\n:\n:\ndata: b\n\n", &[Ev(M, "a\nb", "")]),
    v("unterminated comment at end of input", b": x", &[]).discarded(),
    v("value after first colon", b"data: a:b: c\n\n", &[Ev(M, "a:b: c", "")]),
    v("no space after colon", b"data:a\n\n", &[Ev(M, "a", "")]),
    v("two leading spaces: only one stripped", b"data:  a\n\n", &[Ev(M, " a", "")]),
    v("tab is not stripped", b"data:\ta\n\n", &[Ev(M, "\ta", "")]),
    v("trailing spaces kept", b"data: a  \n\n", &[Ev(M, "a  ", "")]),
    v("data with no colon: empty value", b"data\n\n", &[Ev(M, "", "")]),
    v("data with empty value", b"data:\n\n", &[Ev(M, "", "")]),
    v("two empty data lines", b"data\ndata\n\n", &[Ev(M, "\n", "")]),
    // Fields.
    v("multi-line data", b"data: a\ndata: b\n\n", &[Ev(M, "a\nb", "")]),
    v("trailing empty data line keeps one LF", b"data: a\ndata\n\n", &[Ev(M, "a\n", "")]),
    v("event type", b"event: x\ndata: a\n\n", &[Ev("x", "a", "")]),
    v("event: empty gives message", b"event:\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("event with no colon gives message", b"event\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("event empty after a type resets it", b"event: x\nevent:\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("last event field wins", b"event: x\nevent: y\ndata: a\n\n", &[Ev("y", "a", "")]),
    v("event type after data", b"data: a\nevent: x\n\n", &[Ev("x", "a", "")]),
    v("event type cleared by dispatch", b"event: x\ndata: a\n\ndata: b\n\n", &[Ev("x", "a", ""), Ev(M, "b", "")]),
    v("event without data: nothing, type cleared", b"event: x\n\ndata: b\n\n", &[Ev(M, "b", "")]),
    v("event type with a space kept", b"event:  x \ndata: a\n\n", &[Ev(" x ", "a", "")]),
    v("unknown field", b"foo: bar\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("near miss: Data", b"Data: a\n\n", &[]),
    v("near miss: DATA", b"DATA: a\n\n", &[]),
    v("near miss: data with a space before the colon", b"data : a\n\n", &[]),
    v("near miss: dat", b"dat: a\n\n", &[]),
    v("near miss: datas", b"datas: a\n\n", &[]),
    v("near miss: leading space", b" data: a\n\n", &[]),
    v("near miss: event ", b"event : x\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("near miss: Event", b"Event: x\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("near miss: ID and id ", b"ID: 1\nid : 2\ndata: a\n\n", &[Ev(M, "a", "")]),
    v("near miss: Retry and retry ", b"Retry: 1\nretry : 2\n\n", &[]),
    // ids.
    v("id", b"id: 1\ndata: a\n\n", &[Ev(M, "a", "1")]).last_id("1"),
    v("id persists across events", b"id: 1\ndata: a\n\ndata: b\n\n", &[Ev(M, "a", "1"), Ev(M, "b", "1")]).last_id("1"),
    v("id with NUL ignored", b"id: 1\n\nid: 2\x003\ndata: a\n\n", &[Ev(M, "a", "1")]).last_id("1"),
    v("empty id resets", b"id: 1\ndata: a\n\nid\ndata: b\n\n", &[Ev(M, "a", "1"), Ev(M, "b", "")]),
    v("empty id with colon resets", b"id: 1\ndata: a\n\nid:\ndata: b\n\n", &[Ev(M, "a", "1"), Ev(M, "b", "")]),
    v("id-only block commits the id, dispatches nothing", b"id: 7\n\n", &[]).last_id("7"),
    v("id-only block then an event", b"id: 7\n\ndata: a\n\n", &[Ev(M, "a", "7")]).last_id("7"),
    v("id after data in the same block", b"data: a\nid: 3\n\n", &[Ev(M, "a", "3")]).last_id("3"),
    v("last id field wins", b"id: 1\nid: 2\ndata: a\n\n", &[Ev(M, "a", "2")]).last_id("2"),
    v("id of an unterminated block is not committed", b"id: 1\ndata: a\n\nid: 2\ndata: b\n", &[Ev(M, "a", "1")]).last_id("1").discarded(),
    v("id keeps inner and trailing spaces", b"id:  x y \n\n", &[]).last_id(" x y "),
    v("id with invalid UTF-8", b"id: \xFF\n\n", &[]).last_id("\u{FFFD}"),
    // retry.
    v("retry-only block is still reported", b"retry: 5000\n\n", &[Retry(5000)]),
    v("retry in an event's block", b"retry: 10\ndata: a\n\n", &[Retry(10), Ev(M, "a", "")]),
    v("retry without a blank line after it", b"retry: 5\ndata: a", &[Retry(5)]).discarded(),
    v("retry last wins", b"retry: 1\nretry: 2\n\n", &[Retry(1), Retry(2)]),
    v("retry 0", b"retry: 0\n\n", &[Retry(0)]),
    v("retry leading zeros", b"retry: 007\n\n", &[Retry(7)]),
    v("retry +5 ignored", b"retry: +5\n\n", &[]),
    v("retry ' 5' (two spaces) ignored", b"retry:  5\n\n", &[]),
    v("retry 5x ignored", b"retry: 5x\n\n", &[]),
    v("retry -1 ignored", b"retry: -1\n\n", &[]),
    v("retry 1.5 ignored", b"retry: 1.5\n\n", &[]),
    v("retry trailing space ignored", b"retry: 5 \n\n", &[]),
    v("retry empty ignored", b"retry:\nretry\n\n", &[]),
    v("retry non-ASCII digit ignored", b"retry: \xD9\xA5\n\n", &[]),
    v("retry too large saturates", b"retry: 99999999999999999999999\n\n", &[Retry(u64::MAX)]),
    // Blocks and dispatch.
    v("no trailing blank line: dropped at end", b"data: a\n", &[]).discarded(),
    v("no line end at all: dropped at end", b"data: a", &[]).discarded(),
    v("unknown field only: still an unterminated block", b"foo\n", &[]).discarded(),
    v("events then an unterminated one", b"data: a\n\ndata: b\n", &[Ev(M, "a", "")]).discarded(),
    v("whatwg example: stock ticker", b"data: YHOO\ndata: +2\ndata: 10\n\n", &[Ev(M, "YHOO\n+2\n10", "")]),
    v(
        "whatwg example: test stream",
        b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
        &[Ev(M, "first event", "1"), Ev(M, "second event", "")],
    )
    .discarded(),
    v("whatwg example: empty data", b"data\n\ndata\ndata\n\ndata:", &[Ev(M, "", ""), Ev(M, "\n", "")]).discarded(),
    v("whatwg example: space optional", b"data:test\n\ndata: test\n\n", &[Ev(M, "test", ""), Ev(M, "test", "")]),
    // UTF-8.
    v("invalid byte becomes U+FFFD", b"data: a\xFFb\n\n", &[Ev(M, "a\u{FFFD}b", "")]),
    v("truncated sequence before the line end", b"data: \xE2\x82\n\n", &[Ev(M, "\u{FFFD}", "")]),
    v("multi-byte characters", b"data: \xE2\x82\xAC \xF0\x9F\x98\x80\n\n", &[Ev(M, "\u{20AC} \u{1F600}", "")]),
    v("overlong encoding", b"data: \xC0\xAF\n\n", &[Ev(M, "\u{FFFD}\u{FFFD}", "")]),
    v("surrogate", b"data: \xED\xA0\x80\n\n", &[Ev(M, "\u{FFFD}\u{FFFD}\u{FFFD}", "")]),
    v("invalid UTF-8 in the event type", b"event: \xFEx\ndata: a\n\n", &[Ev("\u{FFFD}x", "a", "")]),
    v("NUL in data is content", b"data: a\x00b\n\n", &[Ev(M, "a\0b", "")]),
    // Limits: line 16, data 8, event type 4, id 4. The event that breaks
    // one is dropped, and the next one decodes.
    v("data at the limit", b"data: 12345678\n\n", &[Ev(M, "12345678", "")]).small(),
    v("data over the limit", b"data: 123456789\n\ndata: ok\n\n", &[Exp::Err(Limit::Data, 8), Ev(M, "ok", "")]).small(),
    v("joined data at the limit", b"data: 123\ndata: 1234\n\n", &[Ev(M, "123\n1234", "")]).small(),
    v("joined data over the limit", b"data: 1234\ndata: 5678\n\ndata: ok\n\n", &[Exp::Err(Limit::Data, 8), Ev(M, "ok", "")]).small(),
    v("data limit counts U+FFFD", b"data: \xFF\xFF\xFF\n\ndata: ok\n\n", &[Exp::Err(Limit::Data, 8), Ev(M, "ok", "")]).small(),
    v("line at the limit", b"event: 12\ndata:12345678\n\n", &[Ev("12", "12345678", "")]).small(),
    v("line over the limit", b"data: 12345678901\n\ndata: ok\n\n", &[Exp::Err(Limit::Line, 16), Ev(M, "ok", "")]).small(),
    v("unknown field line over the limit", b"xxxxxxxxxxxxxxxxx\ndata: a\n\ndata: ok\n\n", &[Exp::Err(Limit::Line, 16), Ev(M, "ok", "")]).small(),
    v("overlong line at end of input", b"data: 12345678901234567890", &[Exp::Err(Limit::Line, 16)]).small().discarded(),
    v("comment over the line limit never errors", b": 123456789012345678901234567890\ndata: ok\n\n", &[Ev(M, "ok", "")]).small(),
    v("event type at the limit", b"event: abcd\ndata: x\n\n", &[Ev("abcd", "x", "")]).small(),
    v("event type over the limit", b"event: abcde\ndata: x\n\ndata: ok\n\n", &[Exp::Err(Limit::EventType, 4), Ev(M, "ok", "")]).small(),
    v("id at the limit", b"id: 1234\ndata: x\n\n", &[Ev(M, "x", "1234")]).small().last_id("1234"),
    v("id over the limit", b"id: 1\n\nid: 12345\ndata: x\n\ndata: ok\n\n", &[Exp::Err(Limit::Id, 4), Ev(M, "ok", "1")]).small().last_id("1"),
    v("fields after the error are ignored", b"data: 123456789\nevent: x\ndata: y\n\ndata: ok\n\n", &[Exp::Err(Limit::Data, 8), Ev(M, "ok", "")]).small(),
    v("dropped block's retry still counts", b"data: 123456789\nretry: 5\n\n", &[Exp::Err(Limit::Data, 8), Retry(5)]).small(),
    v("dropped block's id still counts", b"data: 123456789\nid: 9\n\ndata: ok\n\n", &[Exp::Err(Limit::Data, 8), Ev(M, "ok", "9")]).small().last_id("9"),
    v("resync over several lines", b"data: 123456789\ndata: more\ndata\n\nevent: e\ndata: ok\n\n", &[Exp::Err(Limit::Data, 8), Ev("e", "ok", "")]).small(),
    v("an error block then an unterminated one", b"event: abcde\n\ndata: x\n", &[Exp::Err(Limit::EventType, 4)]).small().discarded(),
];

fn check(vector: &Vector, chunks: &[&[u8]], how: &str) {
    let got = run_chunks(vector.limits(), chunks.iter().copied());
    assert_eq!(
        got,
        vector.expected(),
        "vector {:?}, {how}: chunks {chunks:?}",
        vector.name
    );
}

#[test]
fn names_are_unique() {
    let mut names: Vec<_> = VECTORS.iter().map(|v| v.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before);
}

#[test]
fn unsplit() {
    for vector in VECTORS {
        check(vector, &[vector.input], "unsplit");
    }
}

#[test]
fn one_byte_at_a_time() {
    for vector in VECTORS {
        let chunks: Vec<&[u8]> = vector.input.chunks(1).collect();
        check(vector, &chunks, "one byte at a time");
    }
}

#[test]
fn every_two_way_split() {
    for vector in VECTORS {
        for at in 0..=vector.input.len() {
            let (a, b) = vector.input.split_at(at);
            check(vector, &[a, b], "2-way split");
        }
    }
}

#[test]
fn every_three_way_split_of_short_vectors() {
    for vector in VECTORS.iter().filter(|v| v.input.len() <= 48) {
        let input = vector.input;
        for i in 0..=input.len() {
            for j in i..=input.len() {
                check(
                    vector,
                    &[&input[..i], &[], &input[i..j], &input[j..]],
                    "3-way split",
                );
            }
        }
    }
}

#[test]
fn through_decode_each() {
    for vector in VECTORS {
        let mut decoder = Decoder::with_limits(vector.limits());
        let mut items = Vec::new();
        decoder.decode_each(vector.input, |item| items.push(support::owned(item)));
        assert_eq!(items, vector.expected().items, "vector {:?}", vector.name);
    }
}

#[test]
fn the_reference_decoder_agrees_on_every_vector_without_limits() {
    for vector in VECTORS.iter().filter(|v| v.limits == Lim::Default) {
        assert_eq!(
            reference::decode(vector.input),
            vector.expected(),
            "vector {:?}",
            vector.name
        );
    }
}

/// Collects what one chunk produces, as owned items.
fn feed(decoder: &mut Decoder, chunk: &[u8]) -> Vec<Out> {
    let mut items = Vec::new();
    support::feed(decoder, chunk, &mut items);
    items
}

#[test]
fn a_cr_ending_a_chunk_dispatches_at_once_and_its_lf_is_swallowed() {
    let mut decoder = Decoder::new();
    assert_eq!(feed(&mut decoder, b"data: a\r\r"), [Out::event(M, "a", "")]);
    assert!(!decoder.in_event());
    // The LF completing the CRLF arrives in the next read: not a blank line.
    assert_eq!(feed(&mut decoder, b"\n"), []);
    assert_eq!(feed(&mut decoder, b"data: b\r"), []);
    assert_eq!(feed(&mut decoder, b"\n"), []);
    assert_eq!(feed(&mut decoder, b"\r"), [Out::event(M, "b", "")]);
    assert_eq!(feed(&mut decoder, b""), []);
    assert_eq!(feed(&mut decoder, b"\n"), []);
    assert!(!decoder.finish());
}

#[test]
fn a_lone_cr_at_end_of_input_ends_the_body_cleanly() {
    let mut decoder = Decoder::new();
    assert_eq!(
        feed(&mut decoder, b"id: 4\ndata: a\n\r"),
        [Out::event(M, "a", "4")]
    );
    assert!(!decoder.finish());
    assert_eq!(decoder.last_event_id(), "4");
}

#[test]
fn a_bom_split_at_each_position_is_dropped() {
    let input = b"\xEF\xBB\xBFdata: a\n\n";
    for at in 0..=3 {
        for then in at..=3 {
            let chunks = [&input[..at], &input[at..then], &input[then..]];
            let got = run_chunks(Limits::default(), chunks);
            assert_eq!(got.items, [Out::event(M, "a", "")], "chunks {chunks:?}");
        }
    }
}

#[test]
fn state_carries_across_finish_and_a_new_body_may_start_with_a_bom() {
    let mut decoder = Decoder::new();
    assert_eq!(
        feed(&mut decoder, b"retry: 9\nid: 1\ndata: a\n\ndata: partial"),
        [Out::Retry(9), Out::event(M, "a", "1")]
    );
    assert!(decoder.in_event());
    assert!(decoder.finish());
    assert!(!decoder.finish(), "a second finish has nothing to drop");
    assert_eq!((decoder.last_event_id(), decoder.retry()), ("1", Some(9)));
    // The next connection's body: its own BOM, then an event with the old id.
    assert_eq!(feed(&mut decoder, b"\xEF\xBB"), []);
    assert_eq!(
        feed(&mut decoder, b"\xBFdata: b\n\n"),
        [Out::event(M, "b", "1")]
    );
}

#[test]
fn in_event_tracks_blocks_and_partial_lines() {
    let mut decoder = Decoder::new();
    assert!(!decoder.in_event());
    let _ = feed(&mut decoder, b"da");
    assert!(decoder.in_event(), "part of a line");
    let _ = feed(&mut decoder, b"ta: x\n");
    assert!(decoder.in_event(), "a field line");
    let _ = feed(&mut decoder, b"\n");
    assert!(!decoder.in_event(), "dispatched");
    let _ = feed(&mut decoder, b": ping\n");
    assert!(
        !decoder.in_event(),
        "a whole comment does not open an event"
    );
    let _ = feed(&mut decoder, b"id: 3\n");
    assert!(decoder.in_event());
    let _ = feed(&mut decoder, b"\n");
    assert!(!decoder.in_event());
    assert_eq!(decoder.last_event_id(), "3");
}

#[test]
fn set_last_event_id_is_reported_until_the_stream_sets_another() {
    let mut decoder = Decoder::new();
    decoder.set_last_event_id("41");
    assert_eq!(
        feed(&mut decoder, b"data: a\n\nid: 42\ndata: b\n\n"),
        [Out::event(M, "a", "41"), Out::event(M, "b", "42")]
    );
}

fn many_events(n: usize) -> Vec<u8> {
    let mut input = Vec::new();
    for i in 0..n {
        if i % 20 == 0 {
            input.extend_from_slice(b": heartbeat\n\n");
        }
        input.extend_from_slice(
            format!("id: {i}\nevent: progress\ndata: {{\"n\":{i}}}\n\n").as_bytes(),
        );
    }
    input
}

#[test]
fn ten_thousand_events_under_several_chunkings() {
    let input = many_events(10_000);
    let expected: Vec<Out> = (0..10_000)
        .map(|i| Out::event("progress", &format!("{{\"n\":{i}}}"), &i.to_string()))
        .collect();
    for size in [input.len(), 8192, 1000, 7] {
        let got = run_chunks(Limits::default(), input.chunks(size));
        assert_eq!(got.items, expected, "chunks of {size}");
        assert_eq!(got.end.last_event_id, "9999");
        assert!(!got.end.discarded);
    }
}

#[test]
fn a_one_mib_data_line_fed_one_byte_at_a_time() {
    let mut input = b"data: ".to_vec();
    input.extend((0..1 << 20).map(|i| b'a' + (i % 26) as u8));
    input.extend_from_slice(b"\n\n");
    let mut decoder = Decoder::new();
    let mut events = 0;
    for byte in input.chunks(1) {
        decoder.decode_each(byte, |item| match item {
            Ok(Item::Event(event)) => {
                assert_eq!(event.data.as_bytes(), &input[6..input.len() - 2]);
                events += 1;
            }
            other => panic!("unexpected {other:?}"),
        });
    }
    assert_eq!(events, 1);
    assert!(!decoder.finish());
}

fn one_kib() -> Limits {
    Limits::default().with_max_event_size(1024)
}

/// A 10 MiB data line against a 1 KiB limit: one error, the line skipped
/// without being kept, and the next event decoded. (`tests/memory.rs`
/// measures the memory this takes.)
#[test]
fn a_ten_mib_line_with_a_one_kib_limit_is_skipped_and_the_decoder_resyncs() {
    let mut input = b"data: ".to_vec();
    input.resize(10 << 20, b'x');
    input.extend_from_slice(b"\ndata: more\n\nevent: next\ndata: ok\n\n");
    let line_error = Out::Error(DecodeError::LimitExceeded {
        which: Limit::Line,
        limit: 1024 + 1024,
    });
    for size in [input.len(), 64 * 1024, 4096, 1000] {
        let got = run_chunks(one_kib(), input.chunks(size));
        assert_eq!(
            got.items,
            [line_error.clone(), Out::event("next", "ok", "")],
            "chunks of {size}"
        );
    }
    // One byte at a time through the first 64 KiB: the error comes as soon
    // as the line passes the limit, not at its end.
    let mut decoder = Decoder::with_limits(one_kib());
    let mut items = Vec::new();
    for (i, byte) in input[..64 * 1024].chunks(1).enumerate() {
        support::feed(&mut decoder, byte, &mut items);
        if i < 2048 {
            assert!(items.is_empty(), "error before the limit, at byte {i}");
        } else {
            assert_eq!(
                items.len(),
                1,
                "the error is due once the line passes 2048 bytes"
            );
        }
    }
    assert_eq!(items, std::slice::from_ref(&line_error));
    support::feed(&mut decoder, &input[64 * 1024..], &mut items);
    assert_eq!(items, [line_error, Out::event("next", "ok", "")]);
}

#[test]
fn each_limit_exceeded_gives_its_typed_error_under_any_chunking() {
    let big = "y".repeat(3000);
    let cases = [
        (format!("data: {big}\n"), Limit::Line, 2048),
        (
            format!("data: {}\ndata: {}\n", &big[..600], &big[..600]),
            Limit::Data,
            1024,
        ),
        (format!("event: {big}\n"), Limit::Line, 2048),
        (
            format!("event: {}\ndata: x\n", &big[..1025]),
            Limit::EventType,
            1024,
        ),
        (format!("id: {}\ndata: x\n", &big[..1025]), Limit::Id, 1024),
    ];
    for (block, which, limit) in cases {
        let input = format!("data: before\n\n{block}\nid: 5\ndata: after\n\n");
        let expected = [
            Out::event(M, "before", ""),
            Out::Error(DecodeError::LimitExceeded { which, limit }),
            Out::event(M, "after", "5"),
        ];
        for size in [input.len(), 512, 100, 1] {
            let got = run_chunks(one_kib(), input.as_bytes().chunks(size));
            assert_eq!(got.items, expected, "{which:?}, chunks of {size}");
        }
    }
}

#[test]
fn a_huge_comment_never_errors() {
    let mut input = b":".to_vec();
    input.resize(10 << 20, b'c');
    input.extend_from_slice(b"\ndata: ok\n\n");
    for size in [input.len(), 4096, 3] {
        let got = run_chunks(one_kib(), input.chunks(size));
        assert_eq!(got.items, [Out::event(M, "ok", "")], "chunks of {size}");
    }
}
