//! How a watch can fail, and how a connection can.

use alloc::string::{String, ToString};
use core::time::Duration;

use crate::api::{ApiError, Secret};
use crate::http::{InvalidLocation, Origin};

/// Whose fault an error is, for deciding what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// Ours: the request (credentials, job id, base URL, API version) or our
    /// own limits (deadline, rate limit). Fix the configuration.
    Client,
    /// The server's (or a proxy's): it failed or broke the protocol.
    Server,
    /// The network between us.
    Network,
}

/// What kind of failure a [`TransportError`] is: the watch's retry decision
/// rests on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// DNS resolution or the TCP connect failed (refused, unreachable).
    Connect,
    /// The TLS handshake failed for a reason other than the certificate.
    Tls,
    /// The server's TLS certificate was rejected (unknown issuer, name
    /// mismatch, expired). Never retried: trust the right CA, or fix the
    /// base URL.
    Certificate,
    /// The connection was reset or broke mid-body.
    Reset,
    /// The HTTP client's own timeout fired.
    Timeout,
    /// The response could not be read as HTTP (bad framing, bad chunking).
    Protocol,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// A few words for messages, e.g. `"connect failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connect failed",
            TransportErrorKind::Tls => "TLS handshake failed",
            TransportErrorKind::Certificate => "server certificate rejected",
            TransportErrorKind::Reset => "connection broken",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Protocol => "malformed HTTP response",
            TransportErrorKind::Other => "transport error",
        }
    }
}

/// Why the driver's connection failed, as the driver tells it: a
/// [kind](TransportErrorKind) for the watch to decide on, and the client's
/// own words (with the OS error, e.g. `connection refused (os error 111)`)
/// for people.
///
/// The message must never hold a credential: drivers build it from their
/// HTTP client's error, whose URL carries none (the watch refuses base URLs
/// with a user or password), and the watch cuts any copy of its key out of
/// the messages it is handed.
///
/// ```
/// use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
///
/// let io = std::io::Error::from_raw_os_error(111);
/// let error = TransportError::from_error(TransportErrorKind::Connect, &io);
/// assert!(error.to_string().starts_with("connect failed: "));
/// assert!(error.to_string().contains("(os error 111)"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
}

impl TransportError {
    /// The most of a message kept.
    const MAX_MESSAGE: usize = 512;

    /// An error of `kind`, described by `message` (cut to 512 bytes).
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.len() > Self::MAX_MESSAGE {
            let mut end = Self::MAX_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        TransportError { kind, message }
    }

    /// An error of `kind` described by `error` and its chain of sources,
    /// joined with `": "` (a source whose words its parent already says is
    /// left out).
    pub fn from_error(
        kind: TransportErrorKind,
        error: &(dyn core::error::Error + 'static),
    ) -> Self {
        use core::fmt::Write;
        let mut message = String::new();
        let mut next = Some(error);
        while let Some(error) = next {
            let text = error.to_string();
            if !message.contains(text.as_str()) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                let _ = write!(message, "{text}");
            }
            next = error.source();
        }
        Self::new(kind, message)
    }

    /// The same error with every copy of `key` cut out of its message.
    pub(crate) fn scrubbed(self, key: &Secret) -> Self {
        let mut message = Some(self.message);
        key.scrub_text(&mut message);
        TransportError {
            kind: self.kind,
            message: message.unwrap_or_default(),
        }
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The HTTP client's description (may be empty).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<TransportErrorKind> for TransportError {
    fn from(kind: TransportErrorKind) -> Self {
        TransportError::new(kind, String::new())
    }
}

impl core::fmt::Display for TransportError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.kind.as_str())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl core::error::Error for TransportError {}

/// One failed connection attempt, which the watch retries (until its
/// budget of consecutive failures runs out).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// 408 or a 5xx status.
    Status {
        /// The status code.
        status: u16,
        /// The `X-Request-Id` header, if sent.
        request_id: Option<String>,
    },
    /// 429 Too Many Requests.
    RateLimited {
        /// `Retry-After` as sent (delta-seconds), if it was.
        retry_after: Option<Duration>,
        /// The `X-Request-Id` header, if sent.
        request_id: Option<String>,
    },
    /// The driver reported a transport error (other than a rejected
    /// certificate, which ends the watch).
    Transport(TransportError),
    /// The connection ended before a response head arrived.
    ClosedBeforeResponse,
    /// No response head within the head timeout
    /// ([`WatchConfig::head_timeout`](super::WatchConfig::head_timeout)).
    ResponseTimeout,
    /// The stream went silent (not even a heartbeat) for the idle timeout.
    IdleTimeout,
    /// The stream ended without delivering anything new: a close that is
    /// not a planned rotation.
    ClosedEarly,
}

impl Failure {
    /// Whose fault it is.
    pub fn fault(&self) -> Fault {
        match self {
            Failure::Status { .. } | Failure::ClosedEarly => Fault::Server,
            Failure::RateLimited { .. } => Fault::Client,
            Failure::Transport(_)
            | Failure::ClosedBeforeResponse
            | Failure::ResponseTimeout
            | Failure::IdleTimeout => Fault::Network,
        }
    }
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Status { status, request_id } => {
                write!(f, "server answered {status}")?;
                if let Some(id) = request_id {
                    write!(f, " (request {id})")?;
                }
                Ok(())
            }
            Failure::RateLimited { retry_after, .. } => match retry_after {
                Some(d) => write!(f, "rate limited (429; retry after {} s)", d.as_secs()),
                None => f.write_str("rate limited (429)"),
            },
            Failure::Transport(error) => write!(f, "{error}"),
            Failure::ClosedBeforeResponse => f.write_str("connection closed before the response"),
            Failure::ResponseTimeout => f.write_str("no response head within the head timeout"),
            Failure::IdleTimeout => f.write_str("stream silent for the idle timeout"),
            Failure::ClosedEarly => f.write_str("stream closed without delivering anything new"),
        }
    }
}

/// Why a watch ended without the job's terminal event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// 401 or 403: the API key is missing, wrong, revoked, or may not see
    /// this job. Never retried; check the key and its organization.
    #[error("credentials refused ({status}): {error}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The problem details (its `request_id` falls back to the
        /// `X-Request-Id` header).
        error: ApiError,
    },
    /// 404: no such job (or not visible to this key). Check the job id.
    #[error("job not found: {error}")]
    JobNotFound {
        /// The problem details.
        error: ApiError,
    },
    /// A status the stream should never answer (300, 304, 400, 402, 409,
    /// another 2xx...).
    #[error("unexpected response status {status}: {error}")]
    UnexpectedStatus {
        /// The status code.
        status: u16,
        /// The problem details, or the body as text.
        error: ApiError,
    },
    /// A 200 that is not `text/event-stream`: usually a wrong base URL or a
    /// proxy's page.
    #[error("expected text/event-stream, got a 200 with content type {}", .content_type.as_deref().unwrap_or("(none)"))]
    NotAnEventStream {
        /// The `Content-Type` received.
        content_type: Option<String>,
        /// The `X-Request-Id` header, if sent.
        request_id: Option<String>,
    },
    /// The budget of consecutive failures ran out.
    #[error("gave up after {failures} consecutive failures; last: {last}")]
    RetriesExhausted {
        /// How many.
        failures: u32,
        /// The last one.
        last: Failure,
    },
    /// The overall timeout passed, or the next attempt would start after it.
    #[error("the watch's timeout passed before the job ended")]
    DeadlineExceeded,
    /// A redirect led to another origin, and the
    /// [`RedirectPolicy`](super::RedirectPolicy) refuses to follow it. No
    /// credential was sent there. Fix the base URL, or opt in to following
    /// without credentials.
    #[error("refused a redirect ({status}) from {from} to another origin, {to}")]
    CrossOriginRedirect {
        /// The redirect's status.
        status: u16,
        /// The origin that answered with the redirect.
        from: Origin,
        /// The origin the redirect led to.
        to: Origin,
    },
    /// A redirect that cannot be followed: no `Location`, an unparsable or
    /// non-http one, or (with
    /// [`RedirectPolicy::Never`](super::RedirectPolicy::Never)) any.
    #[error("cannot follow the {status} redirect: {reason}")]
    InvalidRedirect {
        /// The redirect's status.
        status: u16,
        /// What is wrong with it.
        reason: InvalidLocation,
    },
    /// More redirects in a row than the watch follows for one attempt
    /// (a loop, most likely).
    #[error("more than {max} redirects in a row")]
    TooManyRedirects {
        /// The most followed.
        max: u8,
    },
    /// The stream came with a `Content-Encoding` this client did not ask
    /// for (it sends `Accept-Encoding: identity`) and does not decode: a
    /// proxy or server that compresses regardless. Turn compression off for
    /// `text/event-stream` there.
    #[error("the stream came with Content-Encoding {encoding}, which this client does not decode")]
    UnsupportedEncoding {
        /// The `Content-Encoding` received.
        encoding: String,
        /// The `X-Request-Id` header, if sent.
        request_id: Option<String>,
    },
    /// The server's TLS certificate was rejected. Not retried: add the CA
    /// that issued it to the transport's trust (the CLI's `--cacert`), or
    /// fix the base URL.
    #[error("{0}")]
    Certificate(TransportError),
}

impl WatchError {
    /// Whose fault it is.
    pub fn fault(&self) -> Fault {
        match self {
            WatchError::Unauthorized { .. }
            | WatchError::JobNotFound { .. }
            | WatchError::DeadlineExceeded => Fault::Client,
            WatchError::UnexpectedStatus { status, .. } if (400..500).contains(status) => {
                Fault::Client
            }
            WatchError::UnexpectedStatus { .. }
            | WatchError::NotAnEventStream { .. }
            | WatchError::InvalidRedirect { .. }
            | WatchError::TooManyRedirects { .. }
            | WatchError::UnsupportedEncoding { .. } => Fault::Server,
            WatchError::CrossOriginRedirect { .. } | WatchError::Certificate(_) => Fault::Client,
            WatchError::RetriesExhausted { last, .. } => last.fault(),
        }
    }

    /// Whether watching again later, unchanged, could succeed: true for
    /// exhausted retries and a passed deadline; false when the request
    /// itself must change (credentials, job id, base URL).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            WatchError::RetriesExhausted { .. } | WatchError::DeadlineExceeded
        )
    }

    /// The problem details the server sent, if any.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            WatchError::Unauthorized { error, .. }
            | WatchError::JobNotFound { error }
            | WatchError::UnexpectedStatus { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The request id to quote to support, if the server gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            WatchError::NotAnEventStream { request_id, .. }
            | WatchError::UnsupportedEncoding { request_id, .. } => request_id.as_deref(),
            WatchError::RetriesExhausted {
                last: Failure::Status { request_id, .. } | Failure::RateLimited { request_id, .. },
                ..
            } => request_id.as_deref(),
            _ => self.api_error().and_then(|e| e.request_id.as_deref()),
        }
    }
}
