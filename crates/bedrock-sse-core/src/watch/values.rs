//! The validated values a [`WatchConfig`](super::WatchConfig) holds: each
//! is checked once, when made, so a request built from them is always
//! sendable.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

use crate::http::{InvalidHeaderValue, checked};

macro_rules! header_value {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(Cow<'static, str>);

        impl $name {
            /// The most bytes accepted.
            pub const MAX_LEN: usize = $max;

            /// Checks `value`: non-empty, at most
            #[doc = concat!("[`", stringify!($name), "::MAX_LEN`]")]
            /// bytes, printable ASCII (spaces and tabs allowed).
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidHeaderValue> {
                let value = value.into();
                checked($what, &value)?;
                if value.len() > Self::MAX_LEN {
                    return Err(InvalidHeaderValue::TooLong { what: $what, max: Self::MAX_LEN });
                }
                Ok($name(Cow::Owned(value)))
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidHeaderValue;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                $name::new(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidHeaderValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

header_value!(
    /// A job's id, e.g. `job_01JABCD123`. It is percent-encoded as one path
    /// segment of the stream URL, so `/`, `?` or `..` in it cannot change
    /// the path.
    ///
    /// ```
    /// use bedrock_sse_core::watch::JobId;
    ///
    /// assert_eq!(JobId::new("job_01JABCD123").unwrap().as_str(), "job_01JABCD123");
    /// assert!(JobId::new("").is_err());
    /// assert!(JobId::new("job\n1").is_err());
    /// ```
    JobId,
    "job id",
    256
);

header_value!(
    /// A last-event-ID to resume from, sent as `Last-Event-ID`: an id saved
    /// from an earlier watch's events.
    ///
    /// ```
    /// use bedrock_sse_core::watch::ResumeId;
    ///
    /// assert_eq!(ResumeId::new("42").unwrap().as_str(), "42");
    /// assert!(ResumeId::new("4\r2").is_err());
    /// ```
    ResumeId,
    "resume id",
    1024
);

header_value!(
    /// The `User-Agent` to send.
    ///
    /// ```
    /// use bedrock_sse_core::watch::UserAgent;
    ///
    /// assert!(UserAgent::default().as_str().starts_with("bedrock-sse/"));
    /// assert!(UserAgent::new("my-service/1.2 (ops@example.com)").is_ok());
    /// assert!(UserAgent::new("bad\nagent").is_err());
    /// ```
    UserAgent,
    "user agent",
    512
);

impl UserAgent {
    /// The default: `bedrock-sse/<crate version>`.
    pub const DEFAULT: &'static str = concat!("bedrock-sse/", env!("CARGO_PKG_VERSION"));
}

impl Default for UserAgent {
    fn default() -> Self {
        UserAgent(Cow::Borrowed(Self::DEFAULT))
    }
}
