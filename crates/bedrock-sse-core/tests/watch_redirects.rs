//! Redirects, content encodings, certificates and the head deadline: what
//! the watch decides about a response before any event arrives.

mod watch_support;

use bedrock_sse_core::http::{InvalidLocation, Origin};
use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{
    Action, Failure, Outcome, RedirectPolicy, TransportError, TransportErrorKind, WatchConfig,
    WatchConfigBuilder, WatchError, WatchEvent,
};
use watch_support::{Harness, ev, secs};

const BASE: &str = "http://127.0.0.1:8787";
const STREAM: &str = "http://127.0.0.1:8787/jobs/job_1/stream";
const DONE: &str = r#"{"job_id":"job_1","status":"COMPLETED"}"#;

fn config() -> WatchConfigBuilder {
    WatchConfig::builder("job_1")
        .unwrap()
        .base_url(BASE)
        .unwrap()
        .bearer("sk_secret")
        .unwrap()
        .resume_from("7")
        .unwrap()
}

fn connects(h: &mut Harness) -> Vec<bedrock_sse_core::http::Request> {
    h.take_actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::Connect(r) => Some(r),
            Action::Close => None,
        })
        .collect()
}

fn has_credentials(r: &bedrock_sse_core::http::Request) -> bool {
    r.header("authorization").is_some() || r.header("x-api-key").is_some()
}

#[test]
fn a_same_origin_redirect_is_followed_with_every_header() {
    for status in [301, 302, 303, 307, 308] {
        let mut h = Harness::new(config().build());
        assert_eq!(connects(&mut h)[0].url(), STREAM);
        h.respond(status, &[("location", "/v2/jobs/job_1/stream")]);
        assert_eq!(
            h.actions[0],
            Action::Close,
            "the redirect's response is dropped"
        );
        let next = connects(&mut h);
        let [r] = &next[..] else { panic!("{next:?}") };
        assert_eq!(r.url(), "http://127.0.0.1:8787/v2/jobs/job_1/stream");
        assert_eq!(r.header("authorization"), Some("Bearer sk_secret"));
        assert_eq!(r.header("last-event-id"), Some("7"));
        assert_eq!(r.header("x-api-version"), Some("2026-01-01"));
        // A hop is no failure: no reconnect notice, no budget spent.
        assert!(h.events.is_empty());
        assert_eq!(h.watch.consecutive_failures(), 0);
        h.stream();
        h.body(&ev("completed", DONE));
        assert!(matches!(
            h.outcome,
            Some(Outcome::Finished {
                end: JobEnd::Completed,
                ..
            })
        ));
    }
}

#[test]
fn another_port_or_host_name_is_another_origin_and_is_refused() {
    for (location, to) in [
        (
            "http://127.0.0.1:9999/jobs/job_1/stream",
            "http://127.0.0.1:9999",
        ),
        (
            "http://localhost:8787/jobs/job_1/stream",
            "http://localhost:8787",
        ),
        (
            "https://127.0.0.1:8787/jobs/job_1/stream",
            "https://127.0.0.1:8787",
        ),
        ("//evil.example/steal", "http://evil.example"),
    ] {
        let mut h = Harness::new(config().build());
        h.take_actions();
        h.respond(307, &[("Location", location)]);
        assert_eq!(connects(&mut h), [], "nothing is sent to {location}");
        let e = h.error().clone();
        assert_eq!(
            e,
            WatchError::CrossOriginRedirect {
                status: 307,
                from: Origin::of(BASE).unwrap(),
                to: Origin::of(to).unwrap(),
            }
        );
        assert!(e.to_string().contains(to), "{e}");
        assert!(!e.is_retryable());
    }
}

#[test]
fn the_opt_in_follows_another_origin_without_credentials_from_then_on() {
    let c = config().redirects(RedirectPolicy::CrossOriginWithoutCredentials);
    let mut h = Harness::new(c.build());
    h.take_actions();
    h.respond(302, &[("location", "http://localhost:8787/cdn/stream")]);
    let r = connects(&mut h).remove(0);
    assert_eq!(r.url(), "http://localhost:8787/cdn/stream");
    assert!(!has_credentials(&r), "{r:?}");
    assert_eq!(r.header("last-event-id"), Some("7"));
    assert_eq!(r.header("x-api-version"), Some("2026-01-01"));
    // Back to the base origin: still no credentials within this attempt.
    h.respond(
        302,
        &[("location", "http://127.0.0.1:8787/jobs/job_1/stream")],
    );
    let r = connects(&mut h).remove(0);
    assert!(!has_credentials(&r));
    // A new attempt starts at the base URL, with its credentials.
    h.respond(503, &[]);
    h.fire();
    let r = connects(&mut h).remove(0);
    assert_eq!(r.url(), STREAM);
    assert!(has_credentials(&r));
}

#[test]
fn at_most_five_hops_per_attempt() {
    let mut h = Harness::new(config().build());
    h.take_actions();
    for hop in 1..=5 {
        h.respond(307, &[("location", &format!("/hop/{hop}"))]);
        assert_eq!(connects(&mut h).len(), 1, "hop {hop}");
    }
    h.respond(307, &[("location", "/hop/6")]);
    assert_eq!(connects(&mut h), []);
    assert_eq!(h.error(), &WatchError::TooManyRedirects { max: 5 });
}

#[test]
fn hops_are_counted_per_attempt() {
    let mut h = Harness::new(config().build());
    h.take_actions();
    for round in 0..3 {
        for hop in 0..4 {
            h.respond(308, &[("location", &format!("/r{round}/{hop}"))]);
        }
        h.respond(502, &[]);
        h.fire();
        assert_eq!(connects(&mut h).last().unwrap().url(), STREAM);
    }
    assert!(h.outcome.is_none());
}

#[test]
fn a_missing_or_unparsable_location_is_a_protocol_error() {
    for (headers, reason) in [
        (&[][..], InvalidLocation::Missing),
        (
            &[("location", "http://[::1")][..],
            InvalidLocation::Unparsable,
        ),
        (
            &[("location", "ftp://127.0.0.1/x")][..],
            InvalidLocation::Scheme,
        ),
        (
            &[("location", "http://u:p@127.0.0.1:8787/")][..],
            InvalidLocation::UserInfo,
        ),
    ] {
        let mut h = Harness::new(config().build());
        h.take_actions();
        h.respond(302, headers);
        assert_eq!(connects(&mut h), []);
        assert_eq!(
            h.error(),
            &WatchError::InvalidRedirect {
                status: 302,
                reason
            }
        );
    }
}

#[test]
fn the_never_policy_follows_nothing() {
    let mut h = Harness::new(config().redirects(RedirectPolicy::Never).build());
    h.take_actions();
    h.respond(307, &[("location", "/same/origin")]);
    assert_eq!(
        h.error(),
        &WatchError::InvalidRedirect {
            status: 307,
            reason: InvalidLocation::Refused
        }
    );
}

#[test]
fn an_encoded_stream_ends_the_watch_naming_the_encoding() {
    let mut h = Harness::new(config().build());
    h.take_actions();
    h.respond(
        200,
        &[
            ("content-type", "text/event-stream"),
            ("Content-Encoding", "gzip"),
            ("x-request-id", "req_9"),
        ],
    );
    assert_eq!(h.take_actions(), [Action::Close]);
    let e = h.error();
    assert_eq!(
        e,
        &WatchError::UnsupportedEncoding {
            encoding: "gzip".into(),
            request_id: Some("req_9".into())
        }
    );
    assert!(e.to_string().contains("gzip"));
    assert_eq!(e.request_id(), Some("req_9"));
    // Never a retry of an "empty" stream.
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, WatchEvent::Reconnecting { .. }))
    );

    let mut h = Harness::new(config().build());
    h.respond(
        200,
        &[
            ("content-type", "text/event-stream"),
            ("content-encoding", "identity"),
        ],
    );
    h.body(&ev("completed", DONE));
    assert!(matches!(h.outcome, Some(Outcome::Finished { .. })));
}

#[test]
fn a_rejected_certificate_is_fatal_and_says_so() {
    let mut h = Harness::new(config().build());
    let error = TransportError::new(
        TransportErrorKind::Certificate,
        "invalid peer certificate: UnknownIssuer",
    );
    h.watch.handle_transport_error(h.now, error.clone());
    h.drain();
    assert_eq!(h.error(), &WatchError::Certificate(error));
    assert!(
        h.error()
            .to_string()
            .contains("certificate rejected: invalid peer certificate: UnknownIssuer")
    );
    assert!(!h.error().is_retryable());
}

#[test]
fn a_client_timeout_at_the_head_deadline_is_the_watchs_own_timeout() {
    let mut h = Harness::new(config().head_timeout(secs(5)).unwrap().build());
    h.take_actions();
    // A blocking client gives up on its own at about the deadline.
    h.advance(secs(5));
    h.watch
        .handle_transport_error(h.now, TransportErrorKind::Timeout.into());
    h.drain();
    let [
        WatchEvent::Reconnecting {
            cause: Some(cause), ..
        },
    ] = &h.events[..]
    else {
        panic!("{:?}", h.events)
    };
    assert_eq!(cause, &Failure::ResponseTimeout);

    // Before the deadline it is the client's error, as it said.
    let mut h = Harness::new(config().build());
    h.advance(secs(1));
    let refused = TransportError::new(
        TransportErrorKind::Connect,
        "connection refused (os error 111)",
    );
    h.watch.handle_transport_error(h.now, refused.clone());
    h.drain();
    let [
        WatchEvent::Reconnecting {
            cause: Some(cause), ..
        },
    ] = &h.events[..]
    else {
        panic!("{:?}", h.events)
    };
    assert_eq!(cause, &Failure::Transport(refused));
    assert_eq!(
        cause.to_string(),
        "connect failed: connection refused (os error 111)"
    );
}
