//! Values the server controls never reach a request unchecked: event ids
//! (sent back as `Last-Event-ID`) and redirect `Location`s (the next
//! request's URL). Whatever bytes they hold, every request the watch asks
//! for is sendable: no header value with a line break, NUL or other
//! control character (which would inject headers or be refused by the HTTP
//! client), and a URL without whitespace or control characters.

mod watch_support;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{Action, WatchConfig};
use proptest::prelude::*;
use watch_support::{ES, Harness};

fn assert_sendable(request: &Request) {
    let url = request.url();
    assert!(
        url.bytes().all(|b| b.is_ascii_graphic()),
        "a URL with whitespace, a control or a non-ASCII byte: {url:?}"
    );
    for header in request.headers() {
        let value = header.value();
        // RFC 9110 field-value: visible ASCII, obs-text, spaces and tabs.
        assert!(
            value
                .bytes()
                .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f)),
            "header {} is not sendable: {value:?}",
            header.name()
        );
        assert_eq!(
            value.trim_matches([' ', '\t']),
            value,
            "padded {}",
            header.name()
        );
    }
}

fn requests(h: &Harness) -> impl Iterator<Item = &Request> {
    h.actions.iter().filter_map(|a| match a {
        Action::Connect(r) => Some(r),
        Action::Close => None,
    })
}

fn harness() -> Harness {
    let config = WatchConfig::builder("job_1")
        .unwrap()
        .base_url("https://api.test/v1")
        .unwrap()
        .bearer("sk_test")
        .unwrap()
        .max_failures(None);
    Harness::new(config.build())
}

/// Bytes of a field value as a server could send them: anything but the
/// line ends that would end the field.
fn field() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<u8>().prop_filter("not a line end", |b| *b != b'\r' && *b != b'\n'),
            1 => prop::sample::select(vec![0u8, b'\t', b' ', 0x7f, 0xc3, 0xa9, 0xff]),
        ],
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_event_id_becomes_last_event_id_only_when_sendable(id in field()) {
        let mut h = harness();
        h.stream();
        let mut body = b"id: ".to_vec();
        body.extend_from_slice(&id);
        body.extend_from_slice(b"\nevent: progress\ndata: {\"progress\":0.5}\n\n");
        h.body_bytes(&body);
        h.eof();
        h.fire();
        let sent: Vec<_> = requests(&h).collect();
        prop_assert_eq!(sent.len(), 2, "the first request, then the reconnect");
        for request in &sent {
            assert_sendable(request);
        }
        // A sendable id is sent as is; anything else is not sent at all.
        let text = String::from_utf8_lossy(&id);
        // (A NUL makes the whole id line ignored, by the SSE rules.)
        let sendable = !text.is_empty()
            && !id.contains(&0)
            && text.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
            && text.trim_matches([' ', '\t']) == text;
        if sendable {
            prop_assert_eq!(sent[1].header("last-event-id"), Some(text.as_ref()));
        } else {
            prop_assert_eq!(sent[1].header("last-event-id"), None);
        }
    }

    #[test]
    fn a_location_is_followed_only_as_a_sendable_url(location in field()) {
        let mut h = harness();
        h.watch.handle_response(h.now, 307, [("location", location.as_slice())]);
        h.drain();
        for request in requests(&h) {
            assert_sendable(request);
        }
    }
}

#[test]
fn the_stream_head_is_checked_too() {
    // A redirect then a stream, so both kinds of request are checked.
    let mut h = harness();
    h.respond(302, &[("location", "/v1/jobs/job_1/stream?x=\u{e9} y")]);
    h.respond(200, &ES);
    let sent: Vec<_> = requests(&h).collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].url(),
        "https://api.test/v1/jobs/job_1/stream?x=%C3%A9%20y"
    );
    sent.iter().for_each(|r| assert_sendable(r));
}
