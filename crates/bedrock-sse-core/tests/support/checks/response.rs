//! Response classification: [`Watch::handle_response`] with any status and
//! headers (`Location`, `Retry-After`, `Content-Encoding`, `Content-Type`,
//! `X-Request-Id`, `X-RateLimit-*`, anything else), through the
//! [`Driver`]'s invariants, and each answer's documented meaning.
//!
//! [`Watch::handle_response`]: bedrock_sse_core::watch::Watch::handle_response

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use bedrock_sse_core::watch::{
    Failure, Outcome, RedirectPolicy, TransportErrorKind, WatchConfig, WatchError, WatchEvent,
};

use super::driver::{Driver, SECRET, unquoted};

/// Base URLs: the API, a loopback server, and one whose path the
/// redirects resolve against.
const BASES: &[&str] = &[
    "https://api.bedrock.cv",
    "http://127.0.0.1:8787",
    "https://example.test:8443/v1",
];

const STATUSES: &[u16] = &[
    200, 200, 204, 301, 302, 303, 307, 308, 401, 403, 404, 408, 429, 500, 503, 300, 304, 199, 201,
    600,
];

/// A header as the fuzzer picks it.
#[derive(Debug, Arbitrary)]
enum Name {
    ContentType,
    RetryAfter,
    ContentEncoding,
    Location,
    RequestId,
    Limit,
    Remaining,
    Reset,
    Other(String),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::ContentType => "Content-Type",
            Name::RetryAfter => "retry-after",
            Name::ContentEncoding => "CONTENT-ENCODING",
            Name::Location => "Location",
            Name::RequestId => "x-request-id",
            Name::Limit => "X-RateLimit-Limit",
            Name::Remaining => "x-ratelimit-remaining",
            Name::Reset => "X-RATELIMIT-RESET",
            Name::Other(name) => name,
        }
    }

    /// Values worth trying for this header, besides arbitrary bytes.
    fn values(&self) -> &'static [&'static str] {
        match self {
            Name::ContentType => &[
                "text/event-stream",
                "Text/Event-Stream; charset=utf-8",
                "text/event-streams",
                "application/json",
            ],
            Name::RetryAfter | Name::Limit | Name::Remaining | Name::Reset => &[
                "0",
                " 3 ",
                "120",
                "99999999999999999999",
                "18446744073709551615",
                "-1",
                "Wed, 21 Oct 2015 07:28:00 GMT",
            ],
            Name::ContentEncoding => &["identity", "gzip", "identity, br", " , ", ""],
            Name::Location => &[
                "/jobs/j/stream",
                "stream?x=1#frag",
                "https://api.bedrock.cv/jobs/j/stream",
                "http://api.bedrock.cv/jobs/j/stream",
                "https://api.bedrock.cv:444/",
                "https://API.BEDROCK.CV:443/x",
                "http://127.0.0.1:8787/jobs/j/stream",
                "http://localhost:8787/",
                "https://evil.example/steal",
                "//evil.example/x",
                "https://user:pw@api.bedrock.cv/",
                "ftp://api.bedrock.cv/",
                "javascript:alert(1)",
                "/a\r\nInjected: yes",
                "/a%0d%0aInjected: yes",
                "/\u{e9}t\u{e9}",
                "",
                // Echoes of the key (`SECRET`), which must show nowhere.
                "/jobs/j/stream?key=sk_FUZZ_never_shown_42",
                "https://sk_FUZZ_never_shown_42.evil.example/",
            ],
            Name::RequestId => &[
                "req_1",
                "req\r\nX: y",
                "req\0",
                "req_sk_FUZZ_never_shown_42",
            ],
            Name::Other(_) => &["x", "Bearer sk_FUZZ_never_shown_42"],
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Header {
    name: Name,
    /// `Some(i)`: the `i`-th listed value; `None`: `raw`.
    listed: Option<u8>,
    raw: Vec<u8>,
}

impl Header {
    fn value(&self) -> &[u8] {
        let values = self.name.values();
        match self.listed {
            Some(i) => values[usize::from(i) % values.len()].as_bytes(),
            None => &self.raw,
        }
    }
}

/// What follows a response head.
#[derive(Debug, Arbitrary)]
enum Then {
    Nothing,
    Eof,
    Body(Vec<u8>),
    Error(u8),
}

#[derive(Debug, Arbitrary)]
struct Answer {
    /// `Some(i)`: the `i`-th listed status; `None`: `raw`.
    listed: Option<u8>,
    raw: u16,
    headers: Vec<Header>,
    then: Then,
}

#[derive(Debug, Arbitrary)]
struct Case {
    base: u8,
    policy: u8,
    api_key_header: bool,
    max_failures: u8,
    seed: u64,
    answers: Vec<Answer>,
}

/// The fuzz input, read by `arbitrary`, is a configuration (base URL,
/// redirect policy, how the key is sent) and a sequence of answers, each
/// to the watch's next request. Asserts the [`Driver`]'s invariants and,
/// for each answer, its meaning: a 200 event stream streams (unless
/// encoded), other 200s and encoded ones fail, 204 stops, a redirect is
/// followed or refused with a redirect error, 401/403/404 and other
/// statuses end the watch with the matching error once their body ends,
/// 408, 429 and 5xx retry (a 429 after at least its `Retry-After`,
/// capped) or exhaust the retries.
pub(crate) fn check_response(input: &[u8]) {
    let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(input)) else {
        return;
    };
    let policy = [
        RedirectPolicy::SameOrigin,
        RedirectPolicy::CrossOriginWithoutCredentials,
        RedirectPolicy::Never,
    ][usize::from(case.policy % 3)];
    let builder = WatchConfig::builder("j")
        .and_then(|b| b.base_url(BASES[usize::from(case.base) % BASES.len()]))
        .expect("a valid configuration")
        .redirects(policy)
        .max_failures(Some(1 + u32::from(case.max_failures % 6)));
    let builder = if case.api_key_header {
        builder.api_key(SECRET)
    } else {
        builder.bearer(SECRET)
    };
    let config = builder.expect("a valid key").build();
    let retry_after = config.retry_after();
    let mut driver = Driver::new(config, case.seed);

    for answer in &case.answers {
        // Wait for the next request, as a driver would.
        for _ in 0..3 {
            if driver.requested || driver.watch.is_finished() {
                break;
            }
            driver.fire();
            driver.drain();
        }
        if driver.watch.is_finished() {
            break;
        }
        let status = match answer.listed {
            Some(i) => STATUSES[usize::from(i) % STATUSES.len()],
            None => answer.raw,
        };
        let headers: Vec<(&str, &[u8])> = answer
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value()))
            .collect();
        let seen = driver.events.len();
        driver.respond(status, &headers);
        let requests = driver.drain();
        check_meaning(
            &driver,
            status,
            &headers,
            seen,
            !requests.is_empty(),
            retry_after,
        );
        match &answer.then {
            Then::Nothing => {}
            Then::Eof => driver.eof(),
            Then::Body(bytes) => driver.body(&unquoted(bytes)),
            Then::Error(kind) => driver.transport_error(transport_kind(*kind)),
        }
        driver.drain();
        if let Some(Outcome::Failed(error)) = &driver.outcome {
            check_error_status(error, status);
        }
    }
    driver.run_to_end();
}

pub(crate) fn transport_kind(k: u8) -> TransportErrorKind {
    use TransportErrorKind::*;
    [Connect, Tls, Certificate, Reset, Timeout, Protocol, Other][usize::from(k) % 7]
}

/// The values of a header, by name in any case, in order.
fn all<'h>(headers: &[(&str, &'h [u8])], name: &str) -> impl Iterator<Item = &'h [u8]> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
}

/// The last value of a header (a repeated one counts as its last).
fn last<'h>(headers: &[(&str, &'h [u8])], name: &str) -> Option<&'h [u8]> {
    all(headers, name).last()
}

/// What one answer did, right after its head, judged from the statuses'
/// documented meanings rather than from the watch's own reading.
fn check_meaning(
    driver: &Driver,
    status: u16,
    headers: &[(&str, &[u8])],
    seen: usize,
    connected: bool,
    (default_wait, max_wait): (Duration, Duration),
) {
    let new = &driver.events[seen..];
    let reconnecting = new.iter().find_map(|e| match e {
        WatchEvent::Reconnecting { delay, cause, .. } => Some((*delay, cause.clone())),
        _ => None,
    });
    let failed = driver.outcome.as_ref().and_then(Outcome::error);
    let retries_exhausted = matches!(failed, Some(WatchError::RetriesExhausted { .. }));
    match status {
        200 => {
            // Repeated `Content-Encoding` headers make one list: any coding
            // in any of them means the body is not the stream as sent.
            let encoded = all(headers, "content-encoding").any(|v| {
                v.split(|&b| b == b',').any(|c| {
                    let c = c.trim_ascii();
                    !c.is_empty() && !c.eq_ignore_ascii_case(b"identity")
                })
            });
            let event_stream = last(headers, "content-type").is_some_and(|v| {
                let essence = v.split(|&b| b == b';').next().unwrap_or_default();
                essence
                    .trim_ascii()
                    .eq_ignore_ascii_case(b"text/event-stream")
            });
            match failed {
                Some(WatchError::UnsupportedEncoding { .. }) => assert!(encoded),
                Some(WatchError::NotAnEventStream { .. }) => assert!(!encoded && !event_stream),
                Some(other) => panic!("200 ended with {other:?}"),
                None => assert!(!encoded && event_stream && driver.outcome.is_none()),
            }
        }
        204 => assert_eq!(driver.outcome, Some(Outcome::Stopped)),
        301 | 302 | 303 | 307 | 308 => match failed {
            Some(
                WatchError::InvalidRedirect { .. }
                | WatchError::CrossOriginRedirect { .. }
                | WatchError::TooManyRedirects { .. },
            ) => {}
            Some(other) => panic!("{status} ended with {other:?}"),
            None => assert!(connected, "{status} followed nowhere"),
        },
        408 | 429 | 500..=599 => {
            if retries_exhausted {
                return;
            }
            let (delay, cause) = reconnecting.expect("a retried status reconnects");
            if status == 429 {
                let after = last(headers, "retry-after").and_then(seconds);
                let Some(Failure::RateLimited { retry_after, .. }) = cause else {
                    panic!("429 reconnecting for {cause:?}");
                };
                assert_eq!(retry_after, after);
                let wait = after.map_or(default_wait, |d| d.min(max_wait));
                assert!(delay >= wait, "{delay:?} before Retry-After {wait:?}");
            } else {
                assert!(matches!(cause, Some(Failure::Status { status: s, .. }) if s == status));
            }
        }
        _ => assert!(driver.outcome.is_none(), "{status} ended before its body"),
    }
}

/// A fatal status ends the watch with the error for that status.
fn check_error_status(error: &WatchError, status: u16) {
    match error {
        WatchError::Unauthorized { status: s, error } => {
            assert!(matches!(s, 401 | 403) && *s == status && error.status.is_some())
        }
        WatchError::JobNotFound { .. } => assert_eq!(status, 404),
        WatchError::UnexpectedStatus { status: s, .. } => assert_eq!(*s, status),
        _ => {}
    }
}

/// Delta-seconds, as `Retry-After` carries them.
fn seconds(value: &[u8]) -> Option<Duration> {
    let value = value.trim_ascii();
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value)
        .ok()?
        .parse()
        .ok()
        .map(Duration::from_secs)
}
