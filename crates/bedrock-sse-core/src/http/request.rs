//! The HTTP request a watch asks the driver to make.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// One request header.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    name: &'static str,
    value: String,
    sensitive: bool,
}

impl Header {
    /// The name, in lower case.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The value, ready to send.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the value is a secret (the credentials): mark it sensitive in
    /// your HTTP client (e.g. `HeaderValue::set_sensitive`) and never log it.
    /// `Debug` shows it as `<redacted>`.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.sensitive {
            &format_args!("<redacted>")
        } else {
            &self.value
        };
        write!(f, "{}: {:?}", self.name, value)
    }
}

/// A `GET` of the job's stream: method, URL and headers, in a form any HTTP
/// client takes directly.
///
/// ```
/// # use bedrock_sse_core::watch::{Watch, WatchConfig, Action, Instant};
/// let config = WatchConfig::builder("job_01JABCD123").unwrap().bearer("sk_xxx").unwrap().build();
/// let mut watch = Watch::new(config, Instant::ZERO, 42);
/// let Some(Action::Connect(request)) = watch.poll_action() else { panic!() };
/// assert_eq!(request.method(), "GET");
/// assert_eq!(request.url(), "https://api.bedrock.cv/jobs/job_01JABCD123/stream");
/// assert_eq!(request.header("accept"), Some("text/event-stream"));
/// assert_eq!(request.header("authorization"), Some("Bearer sk_xxx"));
/// assert!(!format!("{request:?}").contains("sk_xxx"));
/// // e.g. with reqwest:
/// // let mut builder = client.get(request.url());
/// // for h in request.headers() { builder = builder.header(h.name(), h.value()); }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    url: String,
    headers: Vec<Header>,
}

impl Request {
    pub(crate) fn new(url: String) -> Self {
        Request {
            url,
            headers: Vec::with_capacity(6),
        }
    }

    pub(crate) fn push(&mut self, name: &'static str, value: String, sensitive: bool) {
        self.headers.push(Header {
            name,
            value,
            sensitive,
        });
    }

    /// Always `"GET"`.
    pub fn method(&self) -> &'static str {
        "GET"
    }

    /// The absolute URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every header to send, names in lower case.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// A header's value by name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(Header::value)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("url", &self.url)
            .field("headers", &self.headers)
            .finish()
    }
}
