//! What a watch is told at construction: [`WatchConfig`], made by its
//! [`WatchConfigBuilder`], which checks each value as it is set.

use alloc::boxed::Box;
use core::convert::Infallible;
use core::time::Duration;

use super::backoff::BackoffPolicy;
use super::time::Millis;
use super::values::{JobId, ResumeId, UserAgent};
use crate::api::{ApiVersion, BaseUrl, BaseUrlError, Credentials, Secret};
use crate::http::InvalidHeaderValue;
use crate::sse::Limits;

/// Which redirects a watch follows. Whatever the policy, credentials are
/// only ever sent to the origin (scheme, host as written, port) of the
/// configured base URL, and at most [`WatchConfig::MAX_REDIRECTS`]
/// redirects are followed in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RedirectPolicy {
    /// Follow redirects within the base URL's origin, with the
    /// credentials; refuse any to another origin
    /// ([`WatchError::CrossOriginRedirect`](super::WatchError::CrossOriginRedirect)).
    #[default]
    SameOrigin,
    /// Also follow redirects to other origins, but without credentials
    /// (from that hop on, even back to the base URL's origin). For streams
    /// served from a CDN that needs no key.
    CrossOriginWithoutCredentials,
    /// Follow none: every redirect ends the watch
    /// ([`WatchError::InvalidRedirect`](super::WatchError::InvalidRedirect)).
    Never,
}

/// Everything a [`Watch`](super::Watch) needs to know, with production
/// defaults. Made by [`WatchConfig::builder`] (or
/// [`WatchConfig::from_env`]), read through its accessors.
///
/// ```
/// use core::time::Duration;
/// use bedrock_sse_core::watch::WatchConfig;
///
/// let config = WatchConfig::builder("job_01JABCD123")?
///     .base_url("http://127.0.0.1:8787")?
///     .bearer("sk_demo")?
///     .idle_timeout(Duration::from_secs(20))?
///     .timeout(Duration::from_secs(3600))
///     .max_failures(None)
///     .build();
/// assert_eq!(config.job_id().as_str(), "job_01JABCD123");
/// assert_eq!(config.base_url().as_str(), "http://127.0.0.1:8787");
/// assert!(!format!("{config:?}").contains("sk_demo"));
/// # Ok::<(), bedrock_sse_core::watch::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub(crate) job_id: JobId,
    pub(crate) base_url: BaseUrl,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) api_version: ApiVersion,
    pub(crate) user_agent: UserAgent,
    pub(crate) resume_from: Option<ResumeId>,
    // Milliseconds: small, and plenty for timeouts.
    idle_timeout: Millis,
    head_timeout: Millis,
    timeout: Option<Millis>,
    pub(crate) backoff: BackoffPolicy,
    pub(crate) redirects: RedirectPolicy,
    retry_after_default: Millis,
    retry_after_max: Millis,
    rotation_delay: Millis,
    rotation_jitter: Millis,
    retry_clamp: (Millis, Millis),
    min_rotation_uptime: Millis,
    pub(crate) limits: Limits,
    pub(crate) max_error_body: usize,
}

/// A configuration value that cannot be used. Says which, and never shows
/// a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value that must go in a header (job id, API key, API version, user
    /// agent, resume id) cannot.
    #[error(transparent)]
    Header(#[from] InvalidHeaderValue),
    /// The base URL is unusable.
    #[error(transparent)]
    BaseUrl(#[from] BaseUrlError),
    /// A timeout of zero would end every connection at once.
    #[error("{what} must be more than zero")]
    ZeroTimeout {
        /// Which timeout.
        what: &'static str,
    },
    /// A required environment variable is not set (or is empty).
    #[error("the environment variable {var} is not set")]
    MissingEnv {
        /// Its name, e.g. `BEDROCK_API_KEY`.
        var: &'static str,
    },
    /// An environment variable holds an unusable value.
    #[error("the environment variable {var}: {error}")]
    Env {
        /// Its name.
        var: &'static str,
        /// What is wrong with it.
        error: Box<ConfigError>,
    },
}

impl From<Infallible> for ConfigError {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

impl WatchConfig {
    /// The default base URL, [`BaseUrl::DEFAULT`].
    pub const DEFAULT_BASE_URL: &'static str = BaseUrl::DEFAULT;
    /// The default API version, [`ApiVersion::DEFAULT`].
    pub const DEFAULT_API_VERSION: &'static str = ApiVersion::DEFAULT;
    /// The default idle timeout: 45 s, three of the server's 15 s
    /// heartbeat intervals.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(45);
    /// The default wait for a response head: 30 s.
    pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default jitter added to a planned rotation's reconnect: up to
    /// 250 ms, prompt, yet enough that watches which connected together do
    /// not stay in lockstep.
    pub const DEFAULT_ROTATION_JITTER: Duration = Duration::from_millis(250);
    /// The most redirects followed in a row for one connection attempt.
    pub const MAX_REDIRECTS: u8 = 5;
    /// The environment variable [`from_env`](Self::from_env) reads the API
    /// key from (sent as `Authorization: Bearer`).
    pub const ENV_API_KEY: &'static str = "BEDROCK_API_KEY";
    /// The environment variable for the base URL.
    pub const ENV_BASE_URL: &'static str = "BEDROCK_BASE_URL";
    /// The environment variable for the API version.
    pub const ENV_API_VERSION: &'static str = "BEDROCK_API_VERSION";

    /// A builder with production defaults for watching `job_id`.
    pub fn builder<J>(job_id: J) -> Result<WatchConfigBuilder, ConfigError>
    where
        J: TryInto<JobId>,
        ConfigError: From<J::Error>,
    {
        Ok(WatchConfigBuilder {
            config: WatchConfig {
                job_id: job_id.try_into()?,
                base_url: BaseUrl::default(),
                credentials: None,
                api_version: ApiVersion::default(),
                user_agent: UserAgent::default(),
                resume_from: None,
                idle_timeout: Self::DEFAULT_IDLE_TIMEOUT.into(),
                head_timeout: Self::DEFAULT_HEAD_TIMEOUT.into(),
                timeout: None,
                backoff: BackoffPolicy::default(),
                redirects: RedirectPolicy::default(),
                retry_after_default: Duration::from_secs(60).into(),
                retry_after_max: Duration::from_secs(600).into(),
                rotation_delay: Millis::default(),
                rotation_jitter: Self::DEFAULT_ROTATION_JITTER.into(),
                retry_clamp: (Millis::default(), Duration::from_secs(30).into()),
                min_rotation_uptime: Duration::from_secs(10).into(),
                limits: Limits::default(),
                max_error_body: 16 * 1024,
            },
        })
    }

    /// Defaults for `job_id`, with the API key from `BEDROCK_API_KEY`
    /// (required, sent as a bearer token) and, when set, the base URL from
    /// `BEDROCK_BASE_URL` and the API version from `BEDROCK_API_VERSION`.
    /// Use [`WatchConfigBuilder::from_env`] to change more.
    ///
    /// ```
    /// use bedrock_sse_core::watch::{ConfigError, WatchConfig};
    ///
    /// // SAFETY of the example: no other thread reads the environment.
    /// unsafe { std::env::remove_var("BEDROCK_API_KEY") };
    /// let error = WatchConfig::from_env("job_1").unwrap_err();
    /// assert_eq!(error, ConfigError::MissingEnv { var: "BEDROCK_API_KEY" });
    /// assert_eq!(error.to_string(), "the environment variable BEDROCK_API_KEY is not set");
    /// ```
    #[cfg(feature = "std")]
    pub fn from_env<J>(job_id: J) -> Result<WatchConfig, ConfigError>
    where
        J: TryInto<JobId>,
        ConfigError: From<J::Error>,
    {
        Ok(Self::builder(job_id)?.from_env()?.build())
    }

    /// The job being watched.
    pub fn job_id(&self) -> &JobId {
        &self.job_id
    }
    /// Where the API lives. Default: `https://api.bedrock.cv`.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }
    /// How requests authenticate; `None` sends no credentials.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }
    /// Sent as `X-API-Version`. Default: `2026-01-01`.
    pub fn api_version(&self) -> &ApiVersion {
        &self.api_version
    }
    /// Sent as `User-Agent`.
    pub fn user_agent(&self) -> &UserAgent {
        &self.user_agent
    }
    /// The id the first request resumes after, if any.
    pub fn resume_from(&self) -> Option<&ResumeId> {
        self.resume_from.as_ref()
    }
    /// How long a stream may stay silent (heartbeats count) before it is
    /// taken for dead.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout.get()
    }
    /// How long to wait for a response head.
    pub fn head_timeout(&self) -> Duration {
        self.head_timeout.get()
    }
    /// The most the whole watch may take, from its start.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.map(Millis::get)
    }
    /// How failed connections are retried.
    pub fn backoff(&self) -> &BackoffPolicy {
        &self.backoff
    }
    /// Which redirects are followed.
    pub fn redirects(&self) -> RedirectPolicy {
        self.redirects
    }
    /// Bounds on the SSE decoder's buffers.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
    /// The wait after a 429 without a `Retry-After`, and the cap on one.
    pub fn retry_after(&self) -> (Duration, Duration) {
        (self.retry_after_default.get(), self.retry_after_max.get())
    }
    /// The delay after a planned rotation without a stream `retry`, and the
    /// range a stream's `retry` is clamped to.
    pub fn rotation(&self) -> (Duration, (Duration, Duration)) {
        let (lo, hi) = self.retry_clamp;
        (self.rotation_delay.get(), (lo.get(), hi.get()))
    }

    /// The most random delay added to a planned rotation's reconnect.
    pub fn rotation_jitter(&self) -> Duration {
        self.rotation_jitter.get()
    }

    /// How long a stream that delivered nothing new must have stayed open
    /// for its close to count as a planned rotation.
    pub fn min_rotation_uptime(&self) -> Duration {
        self.min_rotation_uptime.get()
    }

    /// The stream's `retry` value, clamped, as a delay.
    pub(crate) fn clamp_retry(&self, ms: u64) -> Duration {
        let (lo, hi) = self.retry_clamp;
        Duration::from_millis(ms).clamp(lo.get(), hi.max(lo).get())
    }
}

/// Builds a [`WatchConfig`]; every setter that can be given a bad value
/// checks it and says what is wrong at once. Durations are kept to the
/// millisecond (a non-zero one rounds up), up to about 49 days.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct WatchConfigBuilder {
    config: WatchConfig,
}

impl WatchConfigBuilder {
    /// The configuration.
    pub fn build(self) -> WatchConfig {
        self.config
    }

    /// Where the API lives, e.g. `http://127.0.0.1:8787` for a local
    /// simulator. A path prefix is kept. Plain `http://` is accepted for
    /// loopback hosts only; to send the key unencrypted to another host,
    /// pass a [`BaseUrl`] made by [`BaseUrl::parse_allowing_http`]:
    ///
    /// ```
    /// use bedrock_sse_core::api::{BaseUrl, BaseUrlError};
    /// use bedrock_sse_core::watch::{ConfigError, WatchConfig};
    ///
    /// let builder = WatchConfig::builder("job_1")?;
    /// assert_eq!(
    ///     builder.clone().base_url("http://sim.internal:8787").unwrap_err(),
    ///     ConfigError::BaseUrl(BaseUrlError::PlaintextHttp)
    /// );
    /// let config = builder
    ///     .base_url(BaseUrl::parse_allowing_http("http://sim.internal:8787")?)?
    ///     .build();
    /// assert!(config.base_url().is_plaintext());
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn base_url<U>(mut self, url: U) -> Result<Self, ConfigError>
    where
        U: TryInto<BaseUrl>,
        ConfigError: From<U::Error>,
    {
        self.config.base_url = url.try_into()?;
        Ok(self)
    }

    /// Authenticate with `Authorization: Bearer <key>` (the docs' way).
    pub fn bearer(mut self, key: impl Into<alloc::string::String>) -> Result<Self, ConfigError> {
        self.config.credentials = Some(Credentials::Bearer(Secret::new(key)?));
        Ok(self)
    }

    /// Authenticate with `X-API-Key: <key>`.
    pub fn api_key(mut self, key: impl Into<alloc::string::String>) -> Result<Self, ConfigError> {
        self.config.credentials = Some(Credentials::ApiKey(Secret::new(key)?));
        Ok(self)
    }

    /// Authenticate with these credentials; `None` sends none (a local
    /// simulator that needs no key).
    pub fn credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.config.credentials = credentials;
        self
    }

    /// The `X-API-Version` to ask for.
    pub fn api_version<V>(mut self, version: V) -> Result<Self, ConfigError>
    where
        V: TryInto<ApiVersion>,
        ConfigError: From<V::Error>,
    {
        self.config.api_version = version.try_into()?;
        Ok(self)
    }

    /// The `User-Agent` to send.
    pub fn user_agent<A>(mut self, agent: A) -> Result<Self, ConfigError>
    where
        A: TryInto<UserAgent>,
        ConfigError: From<A::Error>,
    {
        self.config.user_agent = agent.try_into()?;
        Ok(self)
    }

    /// Resume after this event id (sent as `Last-Event-ID` on the first
    /// request), e.g. one saved from an earlier watch's events.
    pub fn resume_from<R>(mut self, id: R) -> Result<Self, ConfigError>
    where
        R: TryInto<ResumeId>,
        ConfigError: From<R::Error>,
    {
        self.config.resume_from = Some(id.try_into()?);
        Ok(self)
    }

    /// A stream silent this long (not even a heartbeat) is taken for dead
    /// and reconnected. Default: 45 s.
    pub fn idle_timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        self.config.idle_timeout = nonzero(timeout, "the idle timeout")?.into();
        Ok(self)
    }

    /// How long to wait for a response head (connecting included) before
    /// the attempt counts as failed. Default: 30 s.
    pub fn head_timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        self.config.head_timeout = nonzero(timeout, "the head timeout")?.into();
        Ok(self)
    }

    /// The most the whole watch may take, from its start: then it ends
    /// with [`WatchError::DeadlineExceeded`](super::WatchError::DeadlineExceeded).
    /// Default: none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = Some(timeout.into());
        self
    }

    /// How failed connections are retried.
    pub fn backoff(mut self, backoff: BackoffPolicy) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// Give up after this many consecutive failed connections; `None`
    /// retries forever (bound the watch with a [`timeout`](Self::timeout)
    /// then). Default: 10.
    pub fn max_failures(mut self, max: Option<u32>) -> Self {
        self.config.backoff.max_failures = max;
        self
    }

    /// Which redirects to follow. Default: [`RedirectPolicy::SameOrigin`].
    pub fn redirects(mut self, policy: RedirectPolicy) -> Self {
        self.config.redirects = policy;
        self
    }

    /// The wait after a 429 that gave no (delta-seconds) `Retry-After`, and
    /// the cap on one that did. Defaults: 60 s and 10 min.
    pub fn retry_after(mut self, default: Duration, max: Duration) -> Self {
        self.config.retry_after_default = default.into();
        self.config.retry_after_max = max.into();
        self
    }

    /// The reconnect delay after a planned rotation when the stream sent no
    /// `retry` field (default: zero), and the range a stream's `retry` is
    /// clamped to (default: 0 to 30 s).
    pub fn rotation(mut self, delay: Duration, retry_clamp: (Duration, Duration)) -> Self {
        self.config.rotation_delay = delay.into();
        self.config.retry_clamp = (retry_clamp.0.into(), retry_clamp.1.into());
        self
    }

    /// The most random delay added to the reconnect after a planned
    /// rotation, drawn anew each time (default 250 ms; zero turns it off).
    pub fn rotation_jitter(mut self, jitter: Duration) -> Self {
        self.config.rotation_jitter = jitter.into();
        self
    }

    /// A stream that ends without delivering a new event counts as a
    /// planned rotation only if it stayed open at least this long receiving
    /// bytes; otherwise it is a failure. Default: 10 s.
    pub fn min_rotation_uptime(mut self, uptime: Duration) -> Self {
        self.config.min_rotation_uptime = uptime.into();
        self
    }

    /// Bounds on the SSE decoder's buffers.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// The most of an error response's body read for its problem details.
    /// Default: 16 KiB.
    pub fn max_error_body(mut self, bytes: usize) -> Self {
        self.config.max_error_body = bytes;
        self
    }

    /// Takes the API key from `BEDROCK_API_KEY` (required, sent as a bearer
    /// token) and, when set, the base URL from `BEDROCK_BASE_URL` and the
    /// API version from `BEDROCK_API_VERSION`.
    #[cfg(feature = "std")]
    pub fn from_env(self) -> Result<Self, ConfigError> {
        let key = env(WatchConfig::ENV_API_KEY)?.ok_or(ConfigError::MissingEnv {
            var: WatchConfig::ENV_API_KEY,
        })?;
        let mut this = in_env(WatchConfig::ENV_API_KEY, self.bearer(key))?;
        if let Some(url) = env(WatchConfig::ENV_BASE_URL)? {
            this = in_env(WatchConfig::ENV_BASE_URL, this.base_url(url))?;
        }
        if let Some(version) = env(WatchConfig::ENV_API_VERSION)? {
            this = in_env(WatchConfig::ENV_API_VERSION, this.api_version(version))?;
        }
        Ok(this)
    }
}

fn nonzero(timeout: Duration, what: &'static str) -> Result<Duration, ConfigError> {
    if timeout.is_zero() {
        return Err(ConfigError::ZeroTimeout { what });
    }
    Ok(timeout)
}

/// A variable's value; `None` when unset or empty.
#[cfg(feature = "std")]
fn env(var: &'static str) -> Result<Option<alloc::string::String>, ConfigError> {
    match std::env::var(var) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::Env {
            var,
            error: Box::new(ConfigError::Header(InvalidHeaderValue::BadByte {
                what: "value",
                index: 0,
            })),
        }),
    }
}

#[cfg(feature = "std")]
fn in_env<T>(var: &'static str, result: Result<T, ConfigError>) -> Result<T, ConfigError> {
    result.map_err(|error| ConfigError::Env {
        var,
        error: Box::new(error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_check_their_values() {
        let b = WatchConfig::builder("job_1").unwrap();
        assert!(matches!(
            b.clone().base_url("ftp://x"),
            Err(ConfigError::BaseUrl(BaseUrlError::Scheme))
        ));
        assert!(matches!(
            b.clone().bearer("sk_1\n"),
            Err(ConfigError::Header(InvalidHeaderValue::BadByte {
                what: "API key",
                index: 4
            }))
        ));
        assert!(matches!(
            b.clone().idle_timeout(Duration::ZERO),
            Err(ConfigError::ZeroTimeout {
                what: "the idle timeout"
            })
        ));
        assert!(b.clone().resume_from("x".repeat(1025)).is_err());
        assert!(WatchConfig::builder("").is_err());
        let error = b.clone().api_key("sk_secret\r\n").unwrap_err();
        assert!(!alloc::format!("{error}{error:?}").contains("sk_secret"));
        let config = b
            .resume_from("7")
            .unwrap()
            .head_timeout(Duration::from_secs(5))
            .unwrap()
            .build();
        assert_eq!(config.resume_from().unwrap().as_str(), "7");
        assert_eq!(config.head_timeout(), Duration::from_secs(5));
        assert_eq!(config.idle_timeout(), WatchConfig::DEFAULT_IDLE_TIMEOUT);
    }
}
