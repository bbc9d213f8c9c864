//! Typed job-event decoding: [`JobEvent::from_sse`] (its one-pass reader
//! of flat objects, falling back to serde_json) against serde_json alone.

use bedrock_sse_core::job::{EventKind, JobData, JobEnd, JobEvent, MalformedEvent, Parsed};
use bedrock_sse_core::sse::{Decoder, Event, Item, Limits};

/// Event types the selector byte picks from: every known kind, spellings
/// the matcher folds, keep-alives and names it must leave alone.
const TYPES: &[&str] = &[
    "status",
    "progress",
    "completed",
    "failed",
    "canceled",
    "Cancelled",
    "STATUS",
    "heartbeat",
    "PING",
    "message",
    "log",
    "statuses",
];

/// The first byte picks the mode. Even: the byte picks an event type and
/// the rest (lossy UTF-8) is its data. Odd: the rest is an SSE stream,
/// decoded with default limits, and every event it dispatches is typed.
/// Each typed event is checked by [`check_event`].
pub(crate) fn check_typed(input: &[u8]) {
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        let event_type = TYPES[usize::from(selector / 2) % TYPES.len()];
        let data = String::from_utf8_lossy(rest);
        check_event(&Event {
            event_type,
            data: &data,
            id: "7",
        });
    } else {
        let mut decoder = Decoder::with_limits(Limits::default().with_max_event_size(4096));
        decoder.decode_each(rest, |item| {
            if let Ok(Item::Event(event)) = item {
                check_event(&event);
            }
        });
    }
}

/// Asserts, for one SSE event: no panic; a known kind types exactly when
/// serde_json reads its data as a [`JobData`] (and a `status` event has a
/// status), with the same fields to the bit (numbers compared by their
/// `Debug` text, which tells `-0.0` from `0.0`); a typed error names the
/// event's kind and id; any other name is a keep-alive or `Other` with the
/// data untouched; the owned copy equals the borrowed event; and the event
/// ends the job exactly when [`JobEnd::of`] says so.
pub(crate) fn check_event(sse: &Event<'_>) {
    let typed = JobEvent::from_sse(sse);
    let Some(kind) = EventKind::from_event_type(sse.event_type) else {
        match typed {
            Ok(Parsed::KeepAlive) => assert!(
                sse.event_type.eq_ignore_ascii_case("heartbeat")
                    || sse.event_type.eq_ignore_ascii_case("ping")
            ),
            Ok(Parsed::Event(JobEvent::Other { event, data })) => {
                assert_eq!((&*event, &*data), (sse.event_type, sse.data));
            }
            other => panic!("{:?} typed as {other:?}", sse.event_type),
        }
        return;
    };
    let by_serde = JobData::from_json(sse.data);
    match (typed, by_serde) {
        (Ok(Parsed::Event(event)), Ok(data)) => {
            assert_eq!(event.kind(), Some(kind));
            assert!(kind != EventKind::Status || data.status.is_some());
            let typed_data = event.data().expect("a known kind has data");
            assert_eq!(
                format!("{typed_data:?}"),
                format!("{data:?}"),
                "typed and serde_json disagree on {:?}",
                sse.data
            );
            assert_eq!(event.is_terminal(), JobEnd::of(&event).is_some());
            let owned = event.clone().into_owned();
            assert_eq!(format!("{owned:?}"), format!("{event:?}"));
        }
        (Err(MalformedEvent::MissingStatus { id }), Ok(data)) => {
            assert_eq!(kind, EventKind::Status);
            assert!(data.status.is_none());
            assert_eq!(id, sse.id);
        }
        (
            Err(MalformedEvent::Json {
                kind: k,
                id,
                source,
            }),
            Err(serde),
        ) => {
            assert_eq!((k, id.as_str()), (kind, sse.id));
            assert_eq!(source.to_string(), serde.to_string());
        }
        (typed, serde) => panic!("typed {typed:?} but serde_json {serde:?} on {:?}", sse.data),
    }
}
