//! The fleet at scale: one process follows N jobs of the simulator, which
//! runs in a second process on loopback, through the tokio `FleetWatch`.
//! It reports, as one Markdown table row: whether every job completed with
//! every event once, the client's resident memory and live heap (counted
//! by its allocator) per idle watch, its CPU
//! per delivered event, the requests (over HTTP/1.1, each on a connection
//! of its own) or connections (over HTTP/2) the server saw, and the storm
//! after the server ends every stream at once (the busiest 100 ms at the
//! server, and the time until every watch had reconnected). On stderr: the
//! client's sockets while idle, failed attempts, the storm's histogram at
//! the server and as the client sent it, the fleet's queue after it, and
//! the first gaps in any job's event ids (events the server never sent that
//! watch: a watch that reaches the simulator after its job ended is sent
//! only the terminal event).
//!
//! ```text
//! cargo run -p bedrock-sse-benches --release --bin fleet-bench -- --watches 1000
//! cargo run -p bedrock-sse-benches --release --bin fleet-bench -- --watches 10000 --http2
//! cargo run -p bedrock-sse-benches --release --bin fleet-bench -- --watches 10000 --hyper
//! cargo run -p bedrock-sse-benches --release --bin fleet-bench -- --watches 1000 --blocking
//! ```
//!
//! `--hyper` speaks HTTP/1.1 through `HyperTransport` instead of
//! `ReqwestTransport`. `--current-thread` runs the client on tokio's
//! current-thread runtime instead of the multi-thread one (the server
//! process always runs on the latter). `--blocking` follows each job with the blocking adapter on a thread of
//! its own instead (no fleet), and reports its memory per idle watch.
//!
//! Linux only (it reads `/proc/self`). Timing figures depend on the machine;
//! compare rows of one run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::pin::Pin;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bedrock_sse_core::fleet::FleetConfig;
use bedrock_sse_core::http::Request;
use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::TransportError;
use bedrock_sse_core::watch::{WatchConfig, WatchEvent};
use bedrock_sse_sim::{JobScript, Simulator};
use bedrock_sse_tokio::{
    FleetEvent, FleetWatch, HyperTransport, ReqwestTransport, Response, Transport,
};
use futures_util::future::Either;
use serde_json::json;

/// Counts the heap bytes in use, process-wide: the client's live heap per
/// idle watch, next to its resident memory (which also holds what the
/// allocator keeps but does not use).
struct Counting;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours; the bookkeeping is one
// atomic add, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` through us, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The heap in use now, in KiB.
fn heap_kib() -> f64 {
    LIVE_BYTES.load(Ordering::Relaxed) as f64 / 1024.0
}

/// A transport that notes when each request is sent (since the bench
/// started): the storm as the client made it, to compare with what the
/// server saw.
struct Timed<T> {
    inner: T,
    started: Instant,
    sends: Arc<Mutex<Vec<Duration>>>,
}

impl<T: Transport> Transport for Timed<T> {
    type Body = T::Body;

    fn send(
        &self,
        request: &Request,
    ) -> Pin<Box<dyn Future<Output = Result<Response<T::Body>, TransportError>> + Send>> {
        if let Ok(mut sends) = self.sends.lock() {
            sends.push(self.started.elapsed());
        }
        self.inner.send(request)
    }
}

/// The transport a run uses: reqwest's (HTTP/1.1 or h2c) or hyper's
/// (HTTP/1.1), without boxing either's body.
#[derive(Clone)]
enum Chosen {
    Reqwest(ReqwestTransport),
    Hyper(HyperTransport),
}

impl Transport for Chosen {
    type Body = Either<<ReqwestTransport as Transport>::Body, <HyperTransport as Transport>::Body>;

    fn send(
        &self,
        request: &Request,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Self::Body>, TransportError>> + Send>> {
        fn left<L, R>(response: Response<L>) -> Response<Either<L, R>> {
            Response {
                status: response.status,
                headers: response.headers,
                body: Either::Left(response.body),
            }
        }
        fn right<L, R>(response: Response<R>) -> Response<Either<L, R>> {
            Response {
                status: response.status,
                headers: response.headers,
                body: Either::Right(response.body),
            }
        }
        match self {
            Chosen::Reqwest(transport) => {
                let sent = Transport::send(transport, request);
                Box::pin(async move { sent.await.map(left) })
            }
            Chosen::Hyper(transport) => {
                let sent = Transport::send(transport, request);
                Box::pin(async move { sent.await.map(right) })
            }
        }
    }
}

/// Counts per 100 ms from the earliest time on (times since any origin).
fn histogram(times: &[Duration]) -> Vec<usize> {
    let Some(&first) = times.iter().min() else {
        return Vec::new();
    };
    let mut buckets = Vec::new();
    for &t in times {
        let bucket = ((t - first).as_millis() / 100) as usize;
        if buckets.len() <= bucket {
            buckets.resize(bucket + 1, 0);
        }
        buckets[bucket] += 1;
    }
    buckets
}

const KEY: &str = "sk_fleet_bench";
/// A short job followed once before the memory baseline is read, so that
/// the code every watch runs, the runtime's threads and the transport's
/// shared state are resident before it: fixed costs, not costs per watch.
/// The server's figures leave its requests out.
const WARMUP: &str = "job_warmup";
/// How long each job stays quiet after its first event: the window in
/// which memory is measured and the storm happens.
const QUIET: Duration = Duration::from_secs(25);
/// The job's events after the quiet window.
const EVENTS: u32 = 100;
const TICK: Duration = Duration::from_millis(50);

struct Options {
    watches: usize,
    http2: bool,
    hyper: bool,
    current_thread: bool,
    blocking: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        watches: 1_000,
        http2: false,
        hyper: false,
        current_thread: false,
        blocking: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--watches" => {
                options.watches = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--watches takes a number")?;
            }
            "--http2" => options.http2 = true,
            "--hyper" => options.hyper = true,
            "--current-thread" => options.current_thread = true,
            "--blocking" => options.blocking = true,
            "--serve" => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.http2 && options.hyper {
        return Err("--hyper speaks HTTP/1.1 only: not with --http2".to_owned());
    }
    Ok(options)
}

/// The watch of `job` at the bench's server.
fn watch_config(base_url: &str, job: &str) -> Result<WatchConfig, String> {
    Ok(WatchConfig::builder(job)
        .and_then(|b| b.base_url(base_url))
        .and_then(|b| b.bearer(KEY))
        .map_err(|e| e.to_string())?
        .build())
}

fn job_id(n: usize) -> String {
    format!("job_{n:05}")
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("fleet-bench: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    if std::env::args().any(|a| a == "--serve") {
        runtime.block_on(serve(options.watches));
        return ExitCode::SUCCESS;
    }
    if options.blocking {
        return match blocking_client(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("fleet-bench: {message}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = if options.current_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    } else {
        runtime
    };
    match runtime.block_on(client(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fleet-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The server process: the simulator with the jobs; commands on stdin
/// (`storm`, `report`), answers on stdout.
async fn serve(watches: usize) {
    let mut builder = Simulator::builder()
        .key(KEY)
        .rate_limit(None)
        .max_connection(Duration::from_secs(600))
        .log_capacity(watches * 4 + 1_000);
    for n in 0..watches {
        let mut job = JobScript::new(job_id(n), "overlay.generate").running(QUIET);
        for k in 1..=EVENTS {
            job = job.progress(TICK, f64::from(k) / f64::from(EVENTS), format!("step {k}"));
        }
        builder = builder.job(job.completed(TICK, json!({"n": n})));
    }
    builder = builder.job(
        JobScript::new(WARMUP, "overlay.generate")
            .running(TICK)
            .progress(TICK, 0.5, "half")
            .completed(TICK, json!({})),
    );
    let sim = builder.start().await.expect("the simulator starts");
    println!("{}", sim.base_url());
    let mut storm_from = None;
    // Commands arrive one at a time, on a thread that reads stdin.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(command) = rx.recv().await {
        match command.as_str() {
            "storm" => {
                storm_from = Some(sim.request_log().records().len());
                sim.end_all_streams();
                println!("ok");
            }
            "report" => {
                let log: Vec<_> = sim
                    .request_log()
                    .records()
                    .into_iter()
                    .filter(|r| !r.path.contains(WARMUP))
                    .collect();
                // Distinct peers are connections only over HTTP/2: over
                // HTTP/1.1 a closed connection's port may be used again.
                let peers: std::collections::HashSet<_> = log.iter().map(|r| r.peer).collect();
                let from = storm_from.unwrap_or(log.len()).min(log.len());
                // Counted from the first reconnect, which follows the storm
                // at once.
                let times: Vec<Duration> = log[from..].iter().map(|r| r.since_start).collect();
                let buckets = histogram(&times);
                let last = match (times.iter().min(), times.iter().max()) {
                    (Some(&first), Some(&last)) => last - first,
                    _ => Duration::ZERO,
                };
                println!(
                    "{}",
                    json!({
                        "requests": log.len(),
                        "connections": peers.len(),
                        "requests_total": log.len(),
                        "storm_requests": log.len() - from,
                        "storm_buckets": buckets,
                        "storm_last_ms": last.as_millis() as u64,
                    })
                );
            }
            _ => break,
        }
    }
}

/// RSS of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time of this process (user + system).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// Open TCP sockets of this process.
fn sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// Starts the server process; returns it, its stdin and stdout, and its
/// base URL.
fn start_server(
    options: &Options,
) -> Result<
    (
        std::process::Child,
        std::process::ChildStdin,
        BufReader<std::process::ChildStdout>,
        String,
    ),
    String,
> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut server = Command::new(exe)
        .args(["--serve", "--watches", &options.watches.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let to_server = server.stdin.take().ok_or("no stdin")?;
    let mut from_server = BufReader::new(server.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    from_server
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok((server, to_server, from_server, line.trim().to_owned()))
}

/// The blocking adapter: a thread per job, no fleet; memory per idle watch.
fn blocking_client(options: &Options) -> Result<(), String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (mut server, mut to_server, _from_server, base_url) = start_server(options)?;
    let transport = bedrock_sse_blocking::UreqTransport::new();
    let warmup = watch_config(&base_url, WARMUP)?;
    let outcome = bedrock_sse_blocking::JobWatch::new(transport.clone(), warmup).run(|_| {});
    if outcome.job_end() != Some(JobEnd::Completed) {
        return Err(format!("the warm-up watch ended so: {outcome:?}"));
    }
    let rss_before = rss_kib();
    let streaming = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::with_capacity(options.watches);
    for n in 0..options.watches {
        let config = watch_config(&base_url, &job_id(n))?;
        let (transport, streaming, completed) =
            (transport.clone(), streaming.clone(), completed.clone());
        let thread = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || {
                let mut first = true;
                let outcome = bedrock_sse_blocking::JobWatch::new(transport, config).run(|event| {
                    if first && matches!(event, WatchEvent::Job { .. }) {
                        first = false;
                        streaming.fetch_add(1, Ordering::Relaxed);
                    }
                });
                if outcome.job_end() == Some(JobEnd::Completed) {
                    completed.fetch_add(1, Ordering::Relaxed);
                }
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        threads.push(thread);
    }
    while streaming.load(Ordering::Relaxed) < options.watches {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    let rss_idle = rss_kib();
    for thread in threads {
        thread.join().map_err(|_| "a watch thread panicked")?;
    }
    writeln!(to_server, "quit").ok();
    server.wait().ok();
    println!(
        "| {} | blocking, HTTP/1.1 | {}/{} | {:.1} KiB per idle watch (one thread each) |",
        options.watches,
        completed.load(Ordering::Relaxed),
        options.watches,
        (rss_idle.saturating_sub(rss_before)) as f64 / options.watches as f64,
    );
    Ok(())
}

async fn client(options: &Options) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut server = Command::new(exe)
        .args(["--serve", "--watches", &options.watches.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let mut to_server = server.stdin.take().ok_or("no stdin")?;
    let mut from_server = BufReader::new(server.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    from_server
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let base_url = line.trim().to_owned();

    let transport = if options.hyper {
        Chosen::Hyper(HyperTransport::new())
    } else if options.http2 {
        Chosen::Reqwest(
            ReqwestTransport::builder()
                .http2_prior_knowledge()
                .build()
                .map_err(|e| e.to_string())?,
        )
    } else {
        Chosen::Reqwest(
            ReqwestTransport::builder()
                .build()
                .map_err(|e| e.to_string())?,
        )
    };
    let mut warmup = FleetWatch::new(transport.clone(), FleetConfig::default());
    warmup.add(watch_config(&base_url, WARMUP)?);
    while let Some(report) = warmup.next().await {
        if let FleetEvent::Outcome { outcome, .. } = report {
            if outcome.job_end() != Some(JobEnd::Completed) {
                return Err(format!("the warm-up watch ended so: {outcome:?}"));
            }
        }
    }
    drop(warmup);
    let sends = Arc::new(Mutex::new(Vec::with_capacity(options.watches * 2)));
    let transport = Timed {
        inner: transport,
        started: Instant::now(),
        sends: sends.clone(),
    };
    let config = FleetConfig::default().max_connections(options.watches);
    let mut fleet = FleetWatch::new(transport, config);
    let sockets_before = sockets();
    let rss_before = rss_kib();
    let heap_before = heap_kib();
    let cpu_before = cpu();
    let started = Instant::now();
    for n in 0..options.watches {
        let config = watch_config(&base_url, &job_id(n))?;
        fleet.add(config);
    }
    let mut last_ids: HashMap<String, u64> = HashMap::new();
    let mut events = 0u64;
    let mut failed_attempts = 0u64;
    let mut gaps = Vec::new();
    let mut completed = 0usize;
    let mut problems = 0usize;
    let mut streaming_at = None;
    let mut rss_idle = 0;
    let mut heap_idle = 0.0;
    let mut storm_sends_from = 0;
    let mut sockets_idle = 0;
    let mut stormed = false;
    let mut storm_at = None;
    let mut progress_from = None;
    let mut queue_log = Vec::new();
    loop {
        // Woken every 50 ms even when no watch has news (the quiet
        // window has none), so that the storm and the readings happen on
        // time, not at the first event after the quiet window.
        let report = match tokio::time::timeout(TICK, fleet.next()).await {
            Ok(Some(report)) => Some(report),
            Ok(None) => break,
            Err(_) => None,
        };
        match report {
            Some(FleetEvent::Event {
                job_id,
                event: WatchEvent::Job { id, .. },
                ..
            }) => {
                events += 1;
                let id: u64 = id.parse().unwrap_or(0);
                if id >= 2 && progress_from.is_none() {
                    // The first of the jobs' 100 events: what came before
                    // was set-up, the idle wait and the restart.
                    progress_from = Some((cpu(), events - 1));
                }
                let last = last_ids.entry(job_id.clone()).or_insert(0);
                if id <= *last {
                    problems += 1; // twice, or out of order
                }
                if id > *last + 1 && gaps.len() < 5 {
                    gaps.push((job_id, *last, id, started.elapsed()));
                }
                *last = id;
            }
            Some(FleetEvent::Event {
                event: WatchEvent::Reconnecting { cause: Some(_), .. },
                ..
            }) => {
                failed_attempts += 1;
            }
            Some(FleetEvent::Outcome { outcome, .. }) => {
                if outcome.job_end() == Some(JobEnd::Completed) {
                    completed += 1;
                } else {
                    problems += 1;
                    eprintln!("fleet-bench: {outcome:?}");
                }
            }
            _ => {}
        }
        if streaming_at.is_none() && last_ids.len() == options.watches {
            streaming_at = Some(started.elapsed());
        }
        if let Some(at) = streaming_at {
            if !stormed && started.elapsed() >= at + Duration::from_secs(2) {
                rss_idle = rss_kib();
                heap_idle = heap_kib();
                sockets_idle = sockets();
                storm_sends_from = sends.lock().map(|s| s.len()).unwrap_or(0);
                writeln!(to_server, "storm").map_err(|e| e.to_string())?;
                line.clear();
                from_server
                    .read_line(&mut line)
                    .map_err(|e| e.to_string())?;
                stormed = true;
                storm_at = Some(Instant::now());
            }
        }
        // The fleet's queue after the storm, every 500 ms for 10 s: how
        // many wait, how many hold (or open) a connection.
        if let Some(at) = storm_at {
            let due = at + Duration::from_millis(500) * (queue_log.len() as u32 + 1);
            if queue_log.len() < 20 && Instant::now() >= due {
                let fleet = fleet.fleet();
                queue_log.push((fleet.waiting(), fleet.open_connections(), fleet.len()));
            }
        }
    }
    let cpu_end = cpu();
    let cpu_used = cpu_end - cpu_before;
    writeln!(to_server, "report").map_err(|e| e.to_string())?;
    line.clear();
    from_server
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let report: serde_json::Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
    writeln!(to_server, "quit").ok();
    server.wait().ok();
    let buckets: Vec<u64> = report["storm_buckets"]
        .as_array()
        .map(|b| b.iter().filter_map(|v| v.as_u64()).collect())
        .unwrap_or_default();
    let peak = buckets.iter().copied().max().unwrap_or(0);
    let lost = options.watches as u64 * u64::from(EVENTS + 3) - events;
    let label = if options.http2 {
        "HTTP/2 (h2c)"
    } else if options.hyper {
        "HTTP/1.1, HyperTransport"
    } else {
        "HTTP/1.1, ReqwestTransport"
    };
    let runtime = if options.current_thread {
        ", current-thread runtime"
    } else {
        ""
    };
    println!(
        "| {} | {label}{runtime} | {}/{} | {} | {:.1} KiB | {:.1} KiB | {:.2} µs | {} | {} ({:.1} %) | {:.1} s | {:.1} s |",
        options.watches,
        completed,
        options.watches,
        if problems == 0 && lost == 0 {
            "none lost or twice".to_owned()
        } else {
            format!("{problems} problems, {lost} missing")
        },
        (rss_idle.saturating_sub(rss_before)) as f64 / options.watches as f64,
        (heap_idle - heap_before) / options.watches as f64,
        cpu_used.as_secs_f64() * 1e6 / events.max(1) as f64,
        if options.http2 {
            format!("{} connections", report["connections"])
        } else {
            format!("{} requests", report["requests_total"])
        },
        peak,
        peak as f64 * 100.0 / options.watches as f64,
        report["storm_last_ms"].as_u64().unwrap_or(0) as f64 / 1000.0,
        started.elapsed().as_secs_f64(),
    );
    let client_buckets = sends
        .lock()
        .map(|s| histogram(&s[storm_sends_from.min(s.len())..]))
        .unwrap_or_default();
    eprintln!(
        "client sockets while idle: {sockets_idle} (before: {sockets_before}); failed connection attempts: {failed_attempts}"
    );
    eprintln!(
        "all streaming after {:.1} s, storm at {:.1} s",
        streaming_at.unwrap_or_default().as_secs_f64(),
        storm_at.map_or(0.0, |at| at.duration_since(started).as_secs_f64()),
    );
    if let Some((cpu_at, events_before)) = progress_from {
        let (before, after) = (cpu_at - cpu_before, cpu_end - cpu_at);
        eprintln!(
            "client CPU: {:.2} s until the jobs' events began (set-up, idle, restart), {:.2} s for the {} events after ({:.2} µs each)",
            before.as_secs_f64(),
            after.as_secs_f64(),
            events - events_before,
            after.as_secs_f64() * 1e6 / (events - events_before).max(1) as f64,
        );
    }
    eprintln!("storm per 100 ms at the server: {buckets:?}");
    eprintln!("storm per 100 ms as the client sent it: {client_buckets:?}");
    eprintln!(
        "after the storm, every 500 ms (waiting, connected or connecting, watches): {queue_log:?}"
    );
    if !gaps.is_empty() {
        eprintln!("first gaps in ids (job, last id, next id, when): {gaps:?}");
    }
    Ok(())
}
