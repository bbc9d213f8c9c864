//! `bedrock-sse serve`: run the job-stream simulator until Ctrl-C.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bedrock_sse_sim::{
    DEFAULT_KEY, JobScript, JobStart, RateLimit, Scenario, SimError, Simulator, Step,
};

use crate::Exit;

/// Options of `bedrock-sse serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on. Port 0 picks a free port (the one chosen is
    /// printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Jobs to serve, from a JSON or TOML scenario file (see the
    /// bedrock-sse-sim docs). Without it: the built-in demo jobs.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Interval between heartbeat comments, e.g. 15s or 500ms.
    #[arg(long, value_name = "DUR", default_value = "15s", value_parser = humantime::parse_duration)]
    heartbeat: Duration,
    /// How long a stream stays open while its job runs, e.g. 5m.
    #[arg(long = "max-connection", value_name = "DUR", default_value = "5m", value_parser = humantime::parse_duration)]
    max_connection: Duration,
    /// An API key to accept, starting with sk_ (repeatable). Without any,
    /// the demo key sk_demo is accepted.
    #[arg(long = "key", value_name = "KEY")]
    keys: Vec<String>,
    /// Run job timelines this many times faster (overrides the scenario's).
    #[arg(long, value_name = "FACTOR")]
    speed: Option<f64>,
    /// Send `retry: <ms>` at the start of each stream, e.g. 2s.
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    retry: Option<Duration>,
    /// Requests per minute allowed per key; 0 turns rate limiting off.
    #[arg(long = "rate-limit", value_name = "PER_MINUTE", default_value_t = 300)]
    rate_limit: u32,
}

pub(crate) fn run(args: Args) -> Exit {
    let scenario = match &args.scenario {
        Some(path) => match Scenario::load(path) {
            Ok(scenario) => scenario,
            Err(error) => {
                eprintln!("bedrock-sse serve: {error}");
                return Exit::Usage;
            }
        },
        None => Scenario::demo(),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bedrock-sse serve: cannot start the async runtime: {error}");
            return Exit::Io;
        }
    };
    runtime.block_on(serve(args, scenario))
}

async fn serve(args: Args, scenario: Scenario) -> Exit {
    // Listen before the banner: whoever reads it may signal at once.
    let stop = match stop_signal() {
        Ok(stop) => stop,
        Err(error) => {
            eprintln!("bedrock-sse serve: cannot listen for Ctrl-C: {error}");
            return Exit::Io;
        }
    };
    let mut builder = Simulator::builder()
        .addr(args.addr)
        .scenario(scenario.clone())
        .heartbeat(args.heartbeat)
        .max_connection(args.max_connection)
        .retry(args.retry)
        .rate_limit((args.rate_limit > 0).then(|| RateLimit::per_minute(args.rate_limit)));
    for key in &args.keys {
        builder = builder.key(key.clone());
    }
    if let Some(speed) = args.speed {
        builder = builder.speed(speed);
    }
    let sim = match builder.start().await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("bedrock-sse serve: {error}");
            return match error {
                SimError::Bind { .. } | SimError::Serve(_) => Exit::Io,
                _ => Exit::Usage,
            };
        }
    };
    let speed = args.speed.unwrap_or(scenario.speed);
    let key_given = !args.keys.is_empty() || scenario.jobs.iter().any(|j| j.keys.is_some());
    if let Err(error) = banner(&sim.base_url(), &scenario, speed, key_given) {
        eprintln!("bedrock-sse serve: cannot write to stdout: {error}");
        return Exit::Io;
    }
    stop.await;
    eprintln!("stopping: closing open streams");
    match sim.shutdown().await {
        Ok(()) => Exit::Success,
        Err(error) => {
            eprintln!("bedrock-sse serve: {error}");
            Exit::Io
        }
    }
}

/// Resolves at Ctrl-C (SIGINT) or, on Unix, SIGTERM. The handlers are in
/// place when this returns.
#[cfg(unix)]
fn stop_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// What a scripted job will do, in a few words.
fn describe(job: &JobScript, speed: f64) -> String {
    let outcome = match job.steps.last() {
        Some(Step::Completed { .. }) => "completes",
        Some(Step::Failed { .. }) => "fails",
        Some(Step::Canceled { .. }) => "is canceled",
        _ => "ends",
    };
    let progress = job
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Progress { .. }))
        .count();
    let took = Duration::from_secs_f64(job.duration().as_secs_f64() / speed);
    let when = match job.start {
        JobStart::Launch if took.is_zero() => "already over".to_owned(),
        JobStart::Launch => format!("{outcome} {} after launch", round(took)),
        JobStart::FirstRequest => format!("{outcome} {} after its first request", round(took)),
    };
    let plural = if progress == 1 { "" } else { "s" };
    format!(
        "{}, {} casing, {progress} progress event{plural}, {when}",
        job.job_type, job.casing
    )
}

fn round(duration: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_millis(duration.as_millis() as u64))
}

fn banner(base_url: &str, scenario: &Scenario, speed: f64, key_given: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "bedrock-sse simulator listening on {base_url}")?;
    if key_given {
        writeln!(out, "API keys: the ones you configured")?;
    } else {
        writeln!(
            out,
            "API key: {DEFAULT_KEY} (the demo key; choose your own with --key)"
        )?;
    }
    writeln!(out, "Jobs (speed x{speed}):")?;
    let width = scenario.jobs.iter().map(|j| j.id.len()).max().unwrap_or(0);
    for job in &scenario.jobs {
        writeln!(out, "  {:width$}  {}", job.id, describe(job, speed))?;
    }
    if let Some(first) = scenario.jobs.first() {
        // Never echo a user's own key: the demo key is public, theirs is not.
        let auth = if key_given {
            "Authorization: Bearer $BEDROCK_API_KEY"
        } else {
            "Authorization: Bearer sk_demo"
        };
        writeln!(out, "Follow a job:")?;
        writeln!(
            out,
            "  curl -N {base_url}/jobs/{}/stream -H \"{auth}\"",
            first.id
        )?;
    }
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()
}
