//! How a watch can fail, and how a connection can.

use alloc::string::String;
use core::time::Duration;

use crate::api::ApiError;

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

/// Why the driver's connection failed, as the driver tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportError {
    /// DNS resolution or TCP connect failed.
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// The connection was reset or broke mid-body.
    Reset,
    /// The HTTP client's own timeout fired.
    Timeout,
    /// The response could not be read as HTTP (bad framing, bad chunking).
    Protocol,
    /// Anything else.
    Other,
}

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
    /// The driver reported a transport error.
    Transport(TransportError),
    /// The connection ended before a response head arrived.
    ClosedBeforeResponse,
    /// No response head within the idle timeout.
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
                Some(d) => write!(f, "rate limited (retry after {} s)", d.as_secs()),
                None => f.write_str("rate limited"),
            },
            Failure::Transport(kind) => write!(f, "transport error: {kind:?}"),
            Failure::ClosedBeforeResponse => f.write_str("connection closed before the response"),
            Failure::ResponseTimeout => f.write_str("no response within the idle timeout"),
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
    /// A status the stream should never answer (a 3xx, 400, 402, 409,
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
    /// The overall deadline passed, or the next attempt would start after it.
    #[error("the watch's deadline passed before the job ended")]
    DeadlineExceeded,
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
            WatchError::UnexpectedStatus { .. } | WatchError::NotAnEventStream { .. } => {
                Fault::Server
            }
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
            WatchError::NotAnEventStream { request_id, .. } => request_id.as_deref(),
            WatchError::RetriesExhausted {
                last: Failure::Status { request_id, .. } | Failure::RateLimited { request_id, .. },
                ..
            } => request_id.as_deref(),
            _ => self.api_error().and_then(|e| e.request_id.as_deref()),
        }
    }
}
