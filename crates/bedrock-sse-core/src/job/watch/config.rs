//! What a watch is told at construction.

use alloc::string::String;
use core::time::Duration;

use super::backoff::BackoffPolicy;
use super::time::Instant;
use crate::api::{ApiVersion, BaseUrl, Credentials};
use crate::sse::Limits;

/// Everything a [`Watch`](super::Watch) needs to know, with production
/// defaults. Change fields directly:
///
/// ```
/// use core::time::Duration;
/// use bedrock_sse_core::api::{BaseUrl, Credentials};
/// use bedrock_sse_core::job::watch::{Instant, WatchConfig};
///
/// let mut config = WatchConfig::new("job_01JABCD123").unwrap();
/// config.base_url = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
/// config.credentials = Some(Credentials::api_key("sk_xxx").unwrap());
/// config.idle_timeout = Duration::from_secs(20);
/// config.backoff.max_failures = None;
/// config.deadline = Some(Instant::from_duration(Duration::from_secs(3600)));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WatchConfig {
    job_id: String,
    /// Where the API lives. Default: `https://api.bedrock.cv`.
    pub base_url: BaseUrl,
    /// How to authenticate; `None` sends no credentials (a local simulator).
    pub credentials: Option<Credentials>,
    /// Sent as `X-API-Version`. Default: `2026-01-01`.
    pub api_version: ApiVersion,
    /// Sent as `User-Agent`. Default: `bedrock-sse/<crate version>`.
    pub user_agent: String,
    /// A last-event-ID to resume from (sent as `Last-Event-ID` on the first
    /// request), e.g. saved from an earlier watch's
    /// [`last_event_id`](super::Watch::last_event_id).
    pub resume_from: Option<String>,
    /// No bytes at all (heartbeats and comments count) for this long means
    /// the connection is dead; it also bounds the wait for a response head.
    /// Default: 45 s, three of the server's 15 s heartbeat intervals.
    pub idle_timeout: Duration,
    /// Retries of failed connections.
    pub backoff: BackoffPolicy,
    /// Wait after a 429 without a (delta-seconds) `Retry-After`.
    /// Default: 60 s, as the API's error docs do.
    pub retry_after_default: Duration,
    /// Cap on a 429's `Retry-After`. Default: 10 min.
    pub retry_after_max: Duration,
    /// Reconnect delay after a planned rotation when the stream sent no
    /// `retry` field. Default: zero (promptly).
    pub rotation_delay: Duration,
    /// The range a stream's `retry` field is clamped to. Default: 0..=30 s.
    pub retry_clamp: (Duration, Duration),
    /// A stream that ends after delivering no new event counts as a planned
    /// rotation only if it stayed open at least this long (receiving
    /// bytes); otherwise it is a failure. Default: 10 s.
    pub min_rotation_uptime: Duration,
    /// When the whole watch must have ended, in the driver's time.
    pub deadline: Option<Instant>,
    /// Bounds on the SSE decoder's buffers.
    pub limits: Limits,
    /// The most of an error response's body read for its problem details.
    /// Default: 16 KiB.
    pub max_error_body: usize,
}

/// A job id the stream URL cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidJobId {
    /// Empty.
    #[error("job id is empty")]
    Empty,
}

impl WatchConfig {
    /// The default `User-Agent`.
    pub const USER_AGENT: &'static str = concat!("bedrock-sse/", env!("CARGO_PKG_VERSION"));

    /// Defaults for watching `job_id` (any non-empty string: it is
    /// percent-encoded into the URL).
    pub fn new(job_id: impl Into<String>) -> Result<Self, InvalidJobId> {
        let job_id = job_id.into();
        if job_id.is_empty() {
            return Err(InvalidJobId::Empty);
        }
        Ok(WatchConfig {
            job_id,
            base_url: BaseUrl::default(),
            credentials: None,
            api_version: ApiVersion::default(),
            user_agent: Self::USER_AGENT.into(),
            resume_from: None,
            idle_timeout: Duration::from_secs(45),
            backoff: BackoffPolicy::default(),
            retry_after_default: Duration::from_secs(60),
            retry_after_max: Duration::from_secs(600),
            rotation_delay: Duration::ZERO,
            retry_clamp: (Duration::ZERO, Duration::from_secs(30)),
            min_rotation_uptime: Duration::from_secs(10),
            deadline: None,
            limits: Limits::default(),
            max_error_body: 16 * 1024,
        })
    }

    /// The job being watched.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The stream's `retry` value, clamped, as a delay.
    pub(crate) fn clamp_retry(&self, ms: u64) -> Duration {
        let (lo, hi) = self.retry_clamp;
        Duration::from_millis(ms).clamp(lo, hi.max(lo))
    }
}
