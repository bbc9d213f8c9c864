//! The HTTP server: configuration, start, the stream endpoint, shutdown.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router, middleware};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::accept::{AcceptThread, Accepted, Arrival};
use crate::auth::{self, ApiKey, Presented};
use crate::faults::{Faults, Redirect, RedirectTo};
use crate::log::{RequestLog, RequestRecord};
use crate::problem::{ErrorCode, problem};
use crate::rate_limit::{Buckets, RateLimit};
use crate::scenario::{JobScript, JobStart, Scenario, ScenarioError, check_speed};
use crate::stream::{Connection, JobClock, StreamConfig};
use crate::timeline::Timeline;

/// The key accepted when none is configured.
pub const DEFAULT_KEY: &str = "sk_demo";

/// The API version assumed when a request sends no `X-API-Version`, and the
/// only one accepted unless more are configured.
pub const DEFAULT_API_VERSION: &str = "2026-01-01";

const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Entry point: [`Simulator::builder`].
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// A builder with the documented defaults: 127.0.0.1 on an ephemeral
    /// port, no jobs, key [`DEFAULT_KEY`], heartbeats every 15 s, connections
    /// closed after 5 min, no `retry:` field, 300 requests per minute per key.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            scenario: Scenario::default(),
            speed: None,
            keys: Vec::new(),
            stream: StreamConfig {
                heartbeat: Duration::from_secs(15),
                max_connection: Duration::from_secs(300),
                retry: None,
            },
            rate_limit: Some(RateLimit::per_minute(300)),
            max_streams_per_key: None,
            api_versions: vec![DEFAULT_API_VERSION.into()],
            log_capacity: 10_000,
            wall_origin: None,
        }
    }
}

/// Configures and starts a simulator.
///
/// ```
/// use std::time::Duration;
/// use bedrock_sse_sim::{JobScript, Simulator};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), bedrock_sse_sim::SimError> {
/// let sim = Simulator::builder()
///     .job(JobScript::overlay("job_1", 3, Duration::from_millis(20)))
///     .key("sk_test")
///     .heartbeat(Duration::from_millis(50))
///     .start()
///     .await?;
/// assert_eq!(sim.stream_url("job_1"), format!("http://{}/jobs/job_1/stream", sim.addr()));
/// sim.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start`"]
pub struct SimulatorBuilder {
    addr: SocketAddr,
    scenario: Scenario,
    speed: Option<f64>,
    keys: Vec<String>,
    stream: StreamConfig,
    rate_limit: Option<RateLimit>,
    max_streams_per_key: Option<usize>,
    api_versions: Vec<String>,
    log_capacity: usize,
    wall_origin: Option<SystemTime>,
}

impl SimulatorBuilder {
    /// The address to bind; port 0 picks a free one
    /// ([`RunningSim::addr`] tells which).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Adds a scenario's jobs, and takes its speed unless
    /// [`speed`](Self::speed) is set.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenario.speed = scenario.speed;
        self.scenario.jobs.extend(scenario.jobs);
        self
    }

    /// Adds one job.
    pub fn job(mut self, job: JobScript) -> Self {
        self.scenario.jobs.push(job);
        self
    }

    /// Runs every timeline this many times faster (overrides the
    /// scenario's).
    pub fn speed(mut self, speed: f64) -> Self {
        self.speed = Some(speed);
        self
    }

    /// Accepts this key (repeatable). Keys must start with `sk_`. Keys that
    /// a job lists are accepted too. With none at all, [`DEFAULT_KEY`] is.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    /// The interval between heartbeat comments (`: heartbeat`), counted from
    /// the connection's start.
    pub fn heartbeat(mut self, interval: Duration) -> Self {
        self.stream.heartbeat = interval;
        self
    }

    /// How long a connection may stay open while its job runs; then it is
    /// closed cleanly, without a final event.
    pub fn max_connection(mut self, cap: Duration) -> Self {
        self.stream.max_connection = cap;
        self
    }

    /// Sends `retry: <millis>` at the start of every stream.
    pub fn retry(mut self, retry: Option<Duration>) -> Self {
        self.stream.retry = retry;
        self
    }

    /// The per-key token bucket; `None` turns rate limiting (and the
    /// `X-RateLimit-*` headers) off.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// The most streams one key may hold open at once; one more is
    /// answered 429 `RATE_LIMITED` with `Retry-After: 1`. Default: none.
    pub fn max_streams_per_key(mut self, max: Option<usize>) -> Self {
        self.max_streams_per_key = max;
        self
    }

    /// Accepts one more `X-API-Version` value besides
    /// [`DEFAULT_API_VERSION`].
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_versions.push(version.into());
        self
    }

    /// How many requests the log keeps (the oldest go first); default 10 000.
    pub fn log_capacity(mut self, capacity: usize) -> Self {
        self.log_capacity = capacity;
        self
    }

    /// Pretends the simulator started at this wall-clock time: event
    /// timestamps count from it (plus the real time elapsed since start).
    /// With [`JobStart::Launch`] jobs this makes every byte of a stream
    /// reproducible.
    pub fn wall_clock_origin(mut self, origin: SystemTime) -> Self {
        self.wall_origin = Some(origin);
        self
    }

    /// Checks the configuration, binds, and starts serving on the current
    /// tokio runtime.
    pub async fn start(self) -> Result<RunningSim, SimError> {
        let speed = self.speed.unwrap_or(self.scenario.speed);
        check_speed(speed)?;
        self.scenario.validate()?;
        for (setting, value) in [
            ("heartbeat", self.stream.heartbeat),
            ("max_connection", self.stream.max_connection),
        ] {
            if value.is_zero() {
                return Err(SimError::ZeroDuration { setting });
            }
        }
        if let Some(limit) = self.rate_limit {
            if limit.capacity == 0 || limit.window.is_zero() {
                return Err(SimError::EmptyRateLimit);
            }
        }

        let mut keys: Vec<String> = self.keys;
        for job in &self.scenario.jobs {
            for key in job.keys.iter().flatten() {
                if !keys.contains(key) {
                    keys.push(key.clone());
                }
            }
        }
        if keys.is_empty() {
            keys.push(DEFAULT_KEY.into());
        }
        if let Some(index) = keys.iter().position(|k| {
            !k.starts_with("sk_")
                || k.len() < 4
                || k.chars().any(|c| c.is_whitespace() || c.is_control())
        }) {
            return Err(SimError::InvalidKey { index });
        }
        let keys: Vec<ApiKey> = keys.into_iter().map(ApiKey::new).collect();
        let open_streams = keys.iter().map(|_| Arc::new(AtomicUsize::new(0))).collect();

        let launched = Instant::now();
        let launched_wall = self.wall_origin.unwrap_or_else(SystemTime::now);
        let mut jobs = HashMap::new();
        let mut order = Vec::new();
        for script in &self.scenario.jobs {
            let allowed = script.keys.as_ref().map(|names| {
                names
                    .iter()
                    .filter_map(|name| keys.iter().position(|k| k.as_str() == name))
                    .collect()
            });
            let timeline = Timeline::compile(script, speed);
            let started = OnceLock::new();
            if script.start == JobStart::Launch {
                let _ = started.set((launched, launched_wall));
            }
            order.push(script.id.clone());
            jobs.insert(
                script.id.clone(),
                Arc::new(Job {
                    allowed,
                    epoch: (launched, launched_wall),
                    started,
                    current: watch::Sender::new(Arc::new(timeline)),
                    attempts: AtomicU32::new(0),
                    faults: script.faults.clone(),
                    injected: Mutex::new(VecDeque::new()),
                }),
            );
        }

        let listener = listen(self.addr).map_err(|source| SimError::Bind {
            addr: self.addr,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: self.addr,
            source,
        })?;
        let listener = listener.into_std().map_err(|source| SimError::Bind {
            addr: self.addr,
            source,
        })?;
        let (accepts, incoming) =
            AcceptThread::spawn(listener, launched.into_std()).map_err(SimError::AcceptThread)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let log = RequestLog::new(self.log_capacity);
        let state = Arc::new(AppState {
            jobs,
            keys,
            stream: self.stream,
            buckets: self.rate_limit.map(Buckets::new),
            max_streams_per_key: self.max_streams_per_key,
            open_streams,
            api_versions: self.api_versions,
            log: log.clone(),
            addr,
            launched,
            next_request: AtomicU64::new(0),
            shutdown: shutdown_rx.clone(),
            restarts: watch::Sender::new(0),
        });
        let app = Router::new()
            .route("/jobs/{job_id}/stream", get(stream_job))
            // Where `RedirectTo::OtherPath` leads: the same job's stream.
            .route("/moved/jobs/{job_id}/stream", get(stream_job))
            .fallback(fallback)
            // Every request, whatever answers it (a 405 too), so that the
            // first to ask for its connection's accept stamp is the first.
            .layer(middleware::map_request_with_state(
                state.clone(),
                stamp_arrival,
            ))
            .with_state(state.clone());
        let mut stop = shutdown_rx;
        let server = tokio::spawn(async move {
            axum::serve(
                incoming,
                app.into_make_service_with_connect_info::<Accepted>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await
        });
        tracing::info!(%addr, jobs = order.len(), "simulator listening");
        Ok(RunningSim {
            addr,
            state,
            log,
            order,
            shutdown,
            accepts,
            server: Some(server),
        })
    }
}

/// The most connections waiting to be accepted: the usual cap of Linux
/// (`net.core.somaxconn`, which lowers it where smaller). Tokio's default,
/// 1,024, overflows when thousands of clients reconnect while the server is
/// busy, and each SYN dropped is retried by the client's kernel 1, 3, 7 s
/// later: late arrivals, in bunches.
const ACCEPT_BACKLOG: u32 = 4_096;

/// Listens on `addr` as `TcpListener::bind` does (the address reusable at
/// once, on Unix), with a backlog of [`ACCEPT_BACKLOG`]. The simulator
/// then accepts on a thread of its own ([`AcceptThread`]).
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// A simulator that could not start, or failed while serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The address could not be bound (in use, or not local).
    #[error("cannot listen on {addr}: {source} (use port 0 for any free port)")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The scenario or speed is unusable.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A configured key is not of the form `sk_…` (the key is not shown).
    #[error("API key #{} must start with `sk_` and hold no whitespace", index + 1)]
    InvalidKey {
        /// Its position among the configured keys, from 0.
        index: usize,
    },
    /// A duration setting is zero.
    #[error("`{setting}` must be longer than zero")]
    ZeroDuration {
        /// Which one.
        setting: &'static str,
    },
    /// A rate limit that would refuse everything.
    #[error("the rate limit needs a capacity and a window above zero; pass `None` to turn it off")]
    EmptyRateLimit,
    /// The server stopped with an I/O error.
    #[error("the simulator stopped serving: {0}")]
    Serve(io::Error),
    /// The thread that accepts connections could not be started (out of
    /// threads, say).
    #[error("cannot start the simulator's accept thread: {0}")]
    AcceptThread(io::Error),
    /// The server task panicked or was aborted.
    #[error("the simulator's server task ended abnormally")]
    ServerTask,
    /// [`start_blocking`](SimulatorBuilder::start_blocking) could not start
    /// its runtime (out of threads or file descriptors).
    #[error("cannot start the simulator's runtime: {0}")]
    Runtime(io::Error),
}

/// A job not in the simulator's registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no job `{0}` in this simulator")]
pub struct UnknownJob(pub String);

/// A started simulator. Dropping it stops accepting connections (the
/// listener closes) and stops the server without waiting for the open
/// ones; [`shutdown`](Self::shutdown) stops it and waits.
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    state: Arc<AppState>,
    log: RequestLog,
    order: Vec<String>,
    shutdown: watch::Sender<bool>,
    /// The thread that accepts connections, owner of the listener.
    accepts: AcceptThread,
    server: Option<JoinHandle<io::Result<()>>>,
}

impl RunningSim {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The stream URL of a job.
    pub fn stream_url(&self, job_id: &str) -> String {
        format!("http://{}/jobs/{job_id}/stream", self.addr)
    }

    /// The job ids, in scenario order.
    pub fn jobs(&self) -> &[String] {
        &self.order
    }

    /// The request log.
    pub fn request_log(&self) -> &RequestLog {
        &self.log
    }

    /// Queues faults for the next connection to `job_id` that gets past
    /// auth, in place of the job's own faults. Several queue up, one per
    /// connection.
    pub fn inject(&self, job_id: &str, faults: Faults) -> Result<(), UnknownJob> {
        let job = self.job(job_id)?;
        job.injected
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push_back(faults);
        Ok(())
    }

    /// Ends every open stream at once, cleanly (each body ends as at its
    /// planned close), as a server restarting gracefully does: the storm a
    /// fleet of clients must spread out. The server goes on accepting.
    pub fn end_all_streams(&self) {
        self.state.restarts.send_modify(|restarts| *restarts += 1);
    }

    /// Cancels a job now (starting its clock if it had not started): open
    /// streams get `canceled` and close. `Ok(false)` if it had already
    /// ended.
    pub fn cancel(&self, job_id: &str) -> Result<bool, UnknownJob> {
        let job = self.job(job_id)?;
        let (started, _) = job.start_clock();
        let at = Instant::now().saturating_duration_since(started);
        Ok(job
            .current
            .send_if_modified(|timeline| match timeline.canceled_at(at) {
                Some(canceled) => {
                    *timeline = Arc::new(canceled);
                    true
                }
                None => false,
            }))
    }

    fn job(&self, job_id: &str) -> Result<&Arc<Job>, UnknownJob> {
        self.state
            .jobs
            .get(job_id)
            .ok_or_else(|| UnknownJob(job_id.into()))
    }

    /// Stops accepting connections, ends every open stream cleanly, and
    /// waits for the server to finish: at most 5 s, because a client that
    /// stopped reading can hold its connection open indefinitely (after
    /// that the server task is aborted).
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        self.shutdown.send_replace(true);
        self.accepts.stop();
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(SimError::Serve(error)),
            Ok(Err(_)) => Err(SimError::ServerTask),
            Err(_) => {
                tracing::warn!(
                    "connections still open {SHUTDOWN_GRACE:?} after shutdown; aborting"
                );
                server.abort();
                Ok(())
            }
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        self.accepts.stop();
    }
}

#[derive(Debug)]
struct Job {
    /// Indices into the configured keys; `None` allows all.
    allowed: Option<Vec<usize>>,
    /// The simulator's start, in both clocks.
    epoch: (Instant, SystemTime),
    started: OnceLock<(Instant, SystemTime)>,
    /// The timeline in force (a cancel replaces it).
    current: watch::Sender<Arc<Timeline>>,
    attempts: AtomicU32,
    faults: Faults,
    injected: Mutex<VecDeque<Faults>>,
}

impl Job {
    fn start_clock(&self) -> (Instant, SystemTime) {
        *self.started.get_or_init(|| {
            let now = Instant::now();
            (
                now,
                self.epoch.1 + now.saturating_duration_since(self.epoch.0),
            )
        })
    }
}

/// A key's open stream, counted until dropped.
struct StreamHeld(Arc<AtomicUsize>);

impl Drop for StreamHeld {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct AppState {
    jobs: HashMap<String, Arc<Job>>,
    keys: Vec<ApiKey>,
    stream: StreamConfig,
    buckets: Option<Buckets>,
    api_versions: Vec<String>,
    log: RequestLog,
    addr: SocketAddr,
    launched: Instant,
    next_request: AtomicU64,
    shutdown: watch::Receiver<bool>,
    /// Bumped to end every open stream at once (a restart's storm).
    restarts: watch::Sender<u64>,
    max_streams_per_key: Option<usize>,
    /// Streams open, per key (by index).
    open_streams: Vec<Arc<AtomicUsize>>,
}

/// Stamps a request's arrival for the log: its connection's accept stamp
/// if it is the first request to ask for it, else now.
async fn stamp_arrival(
    State(state): State<Arc<AppState>>,
    ConnectInfo(connection): ConnectInfo<Accepted>,
    mut request: Request,
) -> Request {
    let arrival = connection.first_arrival().unwrap_or_else(|| Arrival {
        at: SystemTime::now(),
        since_start: Instant::now().saturating_duration_since(state.launched),
    });
    request.extensions_mut().insert(arrival);
    request
}

async fn stream_job(
    State(state): State<Arc<AppState>>,
    ConnectInfo(connection): ConnectInfo<Accepted>,
    Extension(arrival): Extension<Arrival>,
    path: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let job_id = path.map(|Path(id)| id).ok();
    state.handle(
        job_id.as_deref(),
        connection.peer,
        arrival,
        &method,
        &uri,
        &headers,
    )
}

async fn fallback(
    State(state): State<Arc<AppState>>,
    ConnectInfo(connection): ConnectInfo<Accepted>,
    Extension(arrival): Extension<Arrival>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    state.handle(None, connection.peer, arrival, &method, &uri, &headers)
}

impl AppState {
    /// Answers a request and logs it.
    fn handle(
        &self,
        job_id: Option<&str>,
        peer: SocketAddr,
        arrival: Arrival,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Response {
        let seq = self.next_request.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("req_01SIM{seq:012}");
        let mut response = self.respond(job_id, uri, headers, &request_id);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-request-id", value);
        }
        self.log.push(RequestRecord {
            request_id,
            seq,
            at: arrival.at,
            since_start: arrival.since_start,
            peer,
            method: method.to_string(),
            path: uri.path().to_owned(),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes());
                    (
                        name.as_str().to_owned(),
                        auth::redact(name.as_str(), &value),
                    )
                })
                .collect(),
            last_event_id: headers
                .get("last-event-id")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            status: response.status().as_u16(),
        });
        response
    }

    fn respond(
        &self,
        job_id: Option<&str>,
        uri: &Uri,
        headers: &HeaderMap,
        request_id: &str,
    ) -> Response {
        let key = match auth::presented(headers) {
            Presented::Missing => {
                return problem(
                    ErrorCode::Unauthorized,
                    "Missing API key. Send `Authorization: Bearer sk_...` or `X-API-Key: sk_...`.",
                    request_id,
                );
            }
            Presented::Malformed => {
                return problem(
                    ErrorCode::Unauthorized,
                    "Malformed credentials. Send `Authorization: Bearer sk_...` or `X-API-Key: sk_...`.",
                    request_id,
                );
            }
            Presented::Key(key) => match self.keys.iter().position(|k| k.as_str() == key) {
                Some(index) => index,
                None => {
                    return problem(
                        ErrorCode::Unauthorized,
                        "Invalid or missing API key.",
                        request_id,
                    );
                }
            },
        };
        let verdict = self
            .buckets
            .as_ref()
            .map(|buckets| buckets.take(key, Instant::now(), SystemTime::now()));
        let mut response = match verdict.and_then(|v| v.retry_after) {
            Some(seconds) => problem(
                ErrorCode::RateLimited,
                &format!("Rate limit exceeded. Try again in {seconds} seconds."),
                request_id,
            ),
            None if self
                .max_streams_per_key
                .is_some_and(|max| self.open_streams[key].load(Ordering::Relaxed) >= max) =>
            {
                let mut response = problem(
                    ErrorCode::RateLimited,
                    "Too many concurrent streams for this API key. Close one, or try again in 1 second.",
                    request_id,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            None => self.authorized(key, job_id, uri, headers, request_id),
        };
        if let Some(verdict) = verdict {
            let out = response.headers_mut();
            out.insert("x-ratelimit-limit", verdict.limit.into());
            out.insert("x-ratelimit-remaining", verdict.remaining.into());
            out.insert("x-ratelimit-reset", verdict.reset.into());
            if let Some(seconds) = verdict.retry_after {
                out.insert(header::RETRY_AFTER, seconds.into());
            }
        }
        response
    }

    fn authorized(
        &self,
        key: usize,
        job_id: Option<&str>,
        uri: &Uri,
        headers: &HeaderMap,
        request_id: &str,
    ) -> Response {
        let version = match headers.get("x-api-version") {
            None => DEFAULT_API_VERSION,
            Some(value) => match value
                .to_str()
                .ok()
                .filter(|v| self.api_versions.iter().any(|a| a == v))
            {
                Some(version) => version,
                None => {
                    let detail = format!(
                        "Unsupported API version: {}. Supported versions: {}.",
                        String::from_utf8_lossy(value.as_bytes()),
                        self.api_versions.join(", ")
                    );
                    return problem(ErrorCode::BadRequest, &detail, request_id);
                }
            },
        };
        let Some(job_id) = job_id else {
            let detail = format!(
                "No resource at {}. The simulator serves GET /jobs/{{job_id}}/stream.",
                uri.path()
            );
            return problem(ErrorCode::NotFound, &detail, request_id);
        };
        let Some(job) = self.jobs.get(job_id) else {
            return problem(
                ErrorCode::NotFound,
                &format!("Job {job_id} not found."),
                request_id,
            );
        };
        if job
            .allowed
            .as_ref()
            .is_some_and(|allowed| !allowed.contains(&key))
        {
            return problem(
                ErrorCode::Forbidden,
                &format!("This API key cannot access job {job_id}."),
                request_id,
            );
        }
        let (started, started_wall) = job.start_clock();
        let attempt = job.attempts.fetch_add(1, Ordering::Relaxed);
        let injected = job
            .injected
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .pop_front();
        let (faults, per_connection) = match injected {
            Some(faults) => (faults, true),
            None => (job.faults.clone(), false),
        };
        if let Some(errors) = faults.server_errors {
            let fail = if per_connection {
                errors.attempts > 0
            } else {
                attempt < errors.attempts
            };
            if fail {
                let status = StatusCode::from_u16(errors.status)
                    .ok()
                    .filter(StatusCode::is_server_error)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let detail = format!(
                    "Simulated server error (fault injection, attempt {}).",
                    attempt + 1
                );
                return problem(ErrorCode::Server(status), &detail, request_id);
            }
        }
        if let Some(redirect) = &faults.redirect {
            let redirected = uri.path().starts_with("/moved/")
                || uri
                    .query()
                    .is_some_and(|q| q.split('&').any(|p| p.starts_with("redirected=")));
            if per_connection || !redirected {
                return self.redirect(redirect, job_id, uri);
            }
        }
        if faults.no_content {
            return StatusCode::NO_CONTENT.into_response();
        }
        let version =
            HeaderValue::from_str(version).unwrap_or(HeaderValue::from_static(DEFAULT_API_VERSION));
        if faults.wrong_content_type {
            return (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                "<!doctype html><html><head><title>Sign in</title></head>\
                 <body><p>Please sign in to the network to continue.</p></body></html>\n",
            )
                .into_response();
        }
        let last_event_id = headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(last) = last_event_id {
            let elapsed = Instant::now().saturating_duration_since(started);
            if job
                .current
                .borrow()
                .ended_by(elapsed)
                .is_some_and(|terminal| last >= terminal.id)
            {
                // The client has the end already: 204 tells it to stop
                // reconnecting (a browser's `EventSource` obeys it).
                return StatusCode::NO_CONTENT.into_response();
            }
        }
        let encoding = faults
            .content_encoding
            .as_deref()
            .and_then(|e| HeaderValue::from_str(e).ok());
        let clock = JobClock {
            timeline: job.current.subscribe(),
            started,
            started_wall,
        };
        let connection = Connection::new(
            clock,
            last_event_id,
            self.stream,
            faults,
            self.shutdown.clone(),
            self.restarts.subscribe(),
        );
        // The stream counts against its key while its body lives.
        let open = self.open_streams[key].clone();
        open.fetch_add(1, Ordering::Relaxed);
        let held = StreamHeld(open);
        let body = futures_util::StreamExt::map(connection.into_body(), move |chunk| {
            let _held = &held;
            chunk
        });
        let mut response = Response::new(Body::from_stream(body));
        let out = response.headers_mut();
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        // Tells reverse proxies (nginx) not to buffer the stream.
        out.insert(
            HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        );
        out.insert(HeaderName::from_static("x-api-version"), version);
        if let Some(encoding) = encoding {
            out.insert(header::CONTENT_ENCODING, encoding);
        }
        response
    }

    /// The answer of a [`Redirect`] fault to a request for `uri`.
    fn redirect(&self, redirect: &Redirect, job_id: &str, uri: &Uri) -> Response {
        let status = StatusCode::from_u16(redirect.status)
            .ok()
            .filter(StatusCode::is_redirection)
            .unwrap_or(StatusCode::TEMPORARY_REDIRECT);
        let path = uri.path();
        let location = match &redirect.to {
            RedirectTo::SamePath => Some(format!("{path}?redirected=1")),
            RedirectTo::OtherPath => Some(format!("/moved/jobs/{job_id}/stream")),
            RedirectTo::Port(port) => Some(format!("http://127.0.0.1:{port}{path}?redirected=1")),
            RedirectTo::Localhost { port } => Some(format!(
                "http://localhost:{}{path}?redirected=1",
                port.unwrap_or(self.addr.port())
            )),
            RedirectTo::Location(location) => Some(location.clone()),
            RedirectTo::Missing => None,
        };
        let mut response = status.into_response();
        if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }
}
