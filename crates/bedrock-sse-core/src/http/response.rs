//! Reading a response head: the headers that matter, and what the status
//! means for the watch.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::api::{RateLimit, Secret};

/// A response header as the driver has it: anything with a name and a
/// value. Implemented for `(N, V)` pairs where `N: AsRef<str>` and
/// `V: AsRef<[u8]>` (so `(&str, &str)`, `(String, Vec<u8>)`, and
/// `(&HeaderName, &HeaderValue)` from the `http` crate) and for references
/// to them, so `&[("content-type", "text/event-stream")]` and
/// `response.headers().iter()` both work without conversion.
pub trait HeaderPair {
    /// The header name, in any case.
    fn name(&self) -> &str;
    /// The raw value.
    fn value(&self) -> &[u8];
}

impl<N: AsRef<str>, V: AsRef<[u8]>> HeaderPair for (N, V) {
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn value(&self) -> &[u8] {
        self.1.as_ref()
    }
}

impl<T: HeaderPair + ?Sized> HeaderPair for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn value(&self) -> &[u8] {
        (**self).value()
    }
}

/// The headers the watch reads, taken in one pass.
#[derive(Debug, Default)]
pub(crate) struct Head {
    pub(crate) content_type: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) request_id: Option<String>,
    /// `Content-Encoding`, unless absent or `identity`.
    pub(crate) content_encoding: Option<String>,
    /// `Location`, raw (resolved only when the status is a redirect).
    pub(crate) location: Option<Vec<u8>>,
    pub(crate) rate_limit: RateLimit,
}

/// The most of a header value kept for reports.
const MAX_KEPT: usize = 256;
/// The longest `Location` followed; one byte more is kept of a longer one,
/// so that it is refused as unparsable rather than followed cut short.
pub(crate) const MAX_LOCATION: usize = 8 * 1024;

impl Head {
    /// Cuts every copy of `key` out of the values kept for reports (a
    /// server may echo the key it refused).
    pub(crate) fn scrub(&mut self, key: &Secret) {
        key.scrub_text(&mut self.content_type);
        key.scrub_text(&mut self.request_id);
        key.scrub_text(&mut self.content_encoding);
    }

    pub(crate) fn read<I>(headers: I) -> Head
    where
        I: IntoIterator,
        I::Item: HeaderPair,
    {
        let mut head = Head::default();
        for header in headers {
            let (name, value) = (header.name(), header.value());
            if name.eq_ignore_ascii_case("content-type") {
                head.content_type = Some(kept(value));
            } else if name.eq_ignore_ascii_case("retry-after") {
                // Delta-seconds only: an HTTP-date needs a wall clock the
                // core does not have, so it counts as absent.
                head.retry_after = crate::http::parse_u64(value).map(Duration::from_secs);
            } else if name.eq_ignore_ascii_case("x-request-id") {
                head.request_id = Some(kept(value));
            } else if name.eq_ignore_ascii_case("content-encoding") {
                // Several codings may be listed; any but `identity` means
                // the body is not the event stream as sent.
                let coded = value.split(|&b| b == b',').any(|c| {
                    !c.trim_ascii().is_empty() && !c.trim_ascii().eq_ignore_ascii_case(b"identity")
                });
                if coded {
                    head.content_encoding = Some(kept(value));
                }
            } else if name.eq_ignore_ascii_case("location") {
                head.location = Some(value[..value.len().min(MAX_LOCATION + 1)].to_vec());
            } else {
                head.rate_limit.observe(name, value);
            }
        }
        head
    }

    /// Whether the content type is `text/event-stream`, parameters allowed.
    pub(crate) fn is_event_stream(&self) -> bool {
        self.content_type.as_deref().is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"))
        })
    }
}

fn kept(value: &[u8]) -> String {
    let value = value.trim_ascii();
    let value = &value[..value.len().min(MAX_KEPT)];
    String::from_utf8_lossy(value).into_owned()
}

/// What a status code means for the watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// 200: stream, if it is an event stream.
    Stream,
    /// 204: the server says stop.
    Stop,
    /// 401, 403: the credentials were refused.
    Unauthorized,
    /// 404: no such job.
    NotFound,
    /// 301, 302, 303, 307, 308: look at `Location`.
    Redirect,
    /// 429: wait `Retry-After`.
    RateLimited,
    /// 408 and 5xx: retry with backoff.
    Retry,
    /// Anything else.
    Unexpected,
}

pub(crate) fn classify(status: u16) -> Class {
    match status {
        200 => Class::Stream,
        204 => Class::Stop,
        301 | 302 | 303 | 307 | 308 => Class::Redirect,
        401 | 403 => Class::Unauthorized,
        404 => Class::NotFound,
        429 => Class::RateLimited,
        408 | 500..=599 => Class::Retry,
        _ => Class::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn reads_headers_in_any_case_and_form() {
        let head = Head::read(&[
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("RETRY-AFTER", " 30 "),
            ("X-Request-Id", "req_1"),
            ("x-ratelimit-remaining", "0"),
        ]);
        assert!(head.is_event_stream());
        assert_eq!(head.retry_after, Some(Duration::from_secs(30)));
        assert_eq!(head.request_id.as_deref(), Some("req_1"));
        assert_eq!(head.rate_limit.remaining, Some(0));
        assert_eq!(head.content_encoding, None);

        let head = Head::read([("Content-Encoding", "identity"), ("Location", "/x")]);
        assert_eq!(head.content_encoding, None);
        assert_eq!(head.location.as_deref(), Some(&b"/x"[..]));
        let head = Head::read([("content-encoding", "identity, GZIP")]);
        assert_eq!(head.content_encoding.as_deref(), Some("identity, GZIP"));

        let owned: Vec<(String, Vec<u8>)> = alloc::vec![(
            "retry-after".into(),
            b"Wed, 21 Oct 2015 07:28:00 GMT".to_vec()
        )];
        let head = Head::read(owned.iter());
        assert_eq!(head.retry_after, None);
        assert!(!head.is_event_stream());
    }

    #[test]
    fn event_stream_detection() {
        for (ct, yes) in [
            ("text/event-stream", true),
            ("TEXT/Event-Stream ;charset=UTF-8", true),
            ("text/event-streams", false),
            ("application/json", false),
            ("", false),
        ] {
            assert_eq!(
                Head::read([("content-type", ct)]).is_event_stream(),
                yes,
                "{ct}"
            );
        }
    }

    #[test]
    fn classes() {
        assert_eq!(classify(200), Class::Stream);
        assert_eq!(classify(204), Class::Stop);
        assert_eq!(classify(403), Class::Unauthorized);
        assert_eq!(classify(404), Class::NotFound);
        assert_eq!(classify(429), Class::RateLimited);
        assert_eq!(classify(408), Class::Retry);
        assert_eq!(classify(599), Class::Retry);
        for s in [301, 302, 303, 307, 308] {
            assert_eq!(classify(s), Class::Redirect, "{s}");
        }
        for s in [
            0,
            100,
            201,
            206,
            300,
            304,
            305,
            306,
            400,
            402,
            409,
            600,
            u16::MAX,
        ] {
            assert_eq!(classify(s), Class::Unexpected, "{s}");
        }
    }
}
