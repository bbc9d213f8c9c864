//! Where the API lives, and the stream URL of a job.

use alloc::borrow::Cow;
use alloc::string::String;

/// The API's base URL: `https://api.bedrock.cv` unless you point it at a
/// simulator or a proxy. A path prefix is kept; trailing slashes are not
/// significant.
///
/// The key travels with every request to it, so plain `http://` is
/// accepted only for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`),
/// where the traffic never leaves the machine. Any other `http://` host is
/// refused with [`BaseUrlError::PlaintextHttp`] unless you opt in with
/// [`BaseUrl::parse_allowing_http`] (the CLI's `--allow-http`).
///
/// ```
/// use bedrock_sse_core::api::{BaseUrl, BaseUrlError};
///
/// let base = BaseUrl::parse("http://127.0.0.1:8080/proxy/bedrock/").unwrap();
/// assert_eq!(base.stream_url("job 1/..?"), "http://127.0.0.1:8080/proxy/bedrock/jobs/job%201%2F..%3F/stream");
/// assert_eq!(BaseUrl::default().stream_url(".."), "https://api.bedrock.cv/jobs/%2E%2E/stream");
/// assert!(BaseUrl::parse("api.bedrock.cv").is_err());
/// assert!(BaseUrl::parse("https://user:sk_x@api.bedrock.cv").is_err());
///
/// // Plain text off the machine only when asked for by name.
/// assert_eq!(BaseUrl::parse("http://10.0.0.5:8080"), Err(BaseUrlError::PlaintextHttp));
/// assert!(BaseUrl::parse_allowing_http("http://10.0.0.5:8080").is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(Cow<'static, str>);

/// A base URL this crate cannot build requests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlError {
    /// Not `http://` or `https://`.
    #[error("base URL must start with http:// or https://")]
    Scheme,
    /// Nothing after the scheme.
    #[error("base URL has no host")]
    NoHost,
    /// A query or fragment would end up before the `/jobs/...` path.
    #[error("base URL must not have a query (?) or fragment (#)")]
    QueryOrFragment,
    /// A user name or password in the URL: credentials go in the
    /// configuration, where they are never printed or sent elsewhere.
    #[error("base URL must not carry a user or password (user:pass@host); give the key separately")]
    UserInfo,
    /// `http://` to a host that is not loopback: the API key would cross
    /// the network in plain text. Use `https://`, or opt in explicitly with
    /// [`BaseUrl::parse_allowing_http`] (the CLI's `--allow-http`).
    #[error(
        "base URL is plain http:// to a host that is not loopback, so the API key would cross the network unencrypted; use https://, or opt in explicitly (--allow-http)"
    )]
    PlaintextHttp,
    /// Whitespace or a control character.
    #[error("base URL contains whitespace or a control character at byte {index}")]
    BadByte {
        /// Its position.
        index: usize,
    },
}

impl BaseUrl {
    /// The production API.
    pub const DEFAULT: &'static str = "https://api.bedrock.cv";

    /// Checks and normalises (drops trailing slashes) a base URL. Plain
    /// `http://` is accepted for loopback hosts only (see the type's docs).
    pub fn parse(url: &str) -> Result<BaseUrl, BaseUrlError> {
        let base = Self::parse_allowing_http(url)?;
        if base.is_plaintext() && !is_loopback(url) {
            return Err(BaseUrlError::PlaintextHttp);
        }
        Ok(base)
    }

    /// Like [`parse`](Self::parse), but also accepts `http://` to any
    /// host: the key is then sent unencrypted over the network. Only for a
    /// network you trust end to end (a simulator on another machine of a
    /// private network, a TLS-terminating sidecar).
    pub fn parse_allowing_http(url: &str) -> Result<BaseUrl, BaseUrlError> {
        if let Some(index) = url.bytes().position(|b| b <= b' ' || b == 0x7f) {
            return Err(BaseUrlError::BadByte { index });
        }
        let rest = strip_prefix_ci(url, "https://")
            .or_else(|| strip_prefix_ci(url, "http://"))
            .ok_or(BaseUrlError::Scheme)?;
        if rest.contains(['?', '#']) {
            return Err(BaseUrlError::QueryOrFragment);
        }
        let authority = rest.split('/').next().unwrap_or("");
        if authority.contains('@') {
            return Err(BaseUrlError::UserInfo);
        }
        if authority.is_empty() {
            return Err(BaseUrlError::NoHost);
        }
        Ok(BaseUrl(Cow::Owned(url.trim_end_matches('/').into())))
    }

    /// Whether requests to it are unencrypted (`http://`).
    pub fn is_plaintext(&self) -> bool {
        strip_prefix_ci(&self.0, "http://").is_some()
    }

    /// The base URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{base}/jobs/{job_id}/stream`, with the job id percent-encoded as one
    /// path segment (so `/`, `?`, `#`, `%` and the dot segments `.` and `..`
    /// cannot change the path).
    pub fn stream_url(&self, job_id: &str) -> String {
        let mut url = String::with_capacity(self.0.len() + job_id.len() + 14);
        url.push_str(&self.0);
        url.push_str("/jobs/");
        push_segment(&mut url, job_id);
        url.push_str("/stream");
        url
    }
}

impl TryFrom<&str> for BaseUrl {
    type Error = BaseUrlError;
    fn try_from(url: &str) -> Result<Self, Self::Error> {
        BaseUrl::parse(url)
    }
}

impl TryFrom<String> for BaseUrl {
    type Error = BaseUrlError;
    fn try_from(url: String) -> Result<Self, Self::Error> {
        BaseUrl::parse(&url)
    }
}

impl core::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl(Cow::Borrowed(Self::DEFAULT))
    }
}

/// Whether `url`'s host is this machine: `localhost`, an address of
/// `127.0.0.0/8`, or `[::1]` (also as an IPv4-mapped address).
fn is_loopback(url: &str) -> bool {
    match url::Url::parse(url).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(name)) => {
            name.trim_end_matches('.').eq_ignore_ascii_case("localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Percent-encodes everything but RFC 3986 unreserved characters, and the
/// dots of a segment made only of dots.
fn push_segment(url: &mut String, segment: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let all_dots = segment.bytes().all(|b| b == b'.');
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') || (b == b'.' && !all_dots)
        {
            url.push(char::from(b));
        } else {
            url.push('%');
            url.push(char::from(HEX[usize::from(b >> 4)]));
            url.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_and_without_slashes_and_prefixes() {
        for (base, want) in [
            (
                "https://api.bedrock.cv",
                "https://api.bedrock.cv/jobs/job_01JABCD123/stream",
            ),
            (
                "https://api.bedrock.cv/",
                "https://api.bedrock.cv/jobs/job_01JABCD123/stream",
            ),
            (
                "HTTP://h:1/v1//",
                "HTTP://h:1/v1/jobs/job_01JABCD123/stream",
            ),
            ("http://h/a/b", "http://h/a/b/jobs/job_01JABCD123/stream"),
        ] {
            assert_eq!(
                BaseUrl::parse_allowing_http(base)
                    .unwrap()
                    .stream_url("job_01JABCD123"),
                want
            );
        }
    }

    #[test]
    fn encodes_the_segment() {
        let base = BaseUrl::default();
        assert_eq!(
            base.stream_url("a.b~c"),
            "https://api.bedrock.cv/jobs/a.b~c/stream"
        );
        assert_eq!(
            base.stream_url("."),
            "https://api.bedrock.cv/jobs/%2E/stream"
        );
        assert_eq!(
            base.stream_url("é%"),
            "https://api.bedrock.cv/jobs/%C3%A9%25/stream"
        );
        assert_eq!(base.stream_url(""), "https://api.bedrock.cv/jobs//stream");
    }

    #[test]
    fn rejects() {
        assert_eq!(BaseUrl::parse("ftp://x"), Err(BaseUrlError::Scheme));
        assert_eq!(BaseUrl::parse("https://"), Err(BaseUrlError::NoHost));
        assert_eq!(BaseUrl::parse("https:///x"), Err(BaseUrlError::NoHost));
        assert_eq!(
            BaseUrl::parse("https://h/?a=1"),
            Err(BaseUrlError::QueryOrFragment)
        );
        assert_eq!(
            BaseUrl::parse("https://h/ x"),
            Err(BaseUrlError::BadByte { index: 10 })
        );
        assert_eq!(BaseUrl::parse("h"), Err(BaseUrlError::Scheme));
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        for local in [
            "http://127.0.0.1:8787",
            "http://127.9.8.7",
            "HTTP://LOCALHOST:1/v1",
            "http://localhost.:1",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]",
        ] {
            assert!(BaseUrl::parse(local).is_ok(), "{local}");
        }
        for remote in [
            "http://api.bedrock.cv",
            "http://10.0.0.5:8080",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://[::2]",
            "http://0.0.0.0:8787",
        ] {
            assert_eq!(
                BaseUrl::parse(remote),
                Err(BaseUrlError::PlaintextHttp),
                "{remote}"
            );
            let allowed = BaseUrl::parse_allowing_http(remote).unwrap();
            assert!(allowed.is_plaintext());
        }
        assert!(!BaseUrl::parse("https://10.0.0.5").unwrap().is_plaintext());
        // The opt-in skips only this check.
        assert_eq!(
            BaseUrl::parse_allowing_http("http://u:p@h"),
            Err(BaseUrlError::UserInfo)
        );
    }
}
