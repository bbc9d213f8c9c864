//! `bedrock-sse watch JOB [JOB...]`: follow jobs to their end.
//!
//! The tokio adapter's `FleetWatch` drives the core's `Fleet` (one rate
//! budget for the key, a connection cap, reconnects spread out); this module
//! reads the command line, runs the fleet until every job has ended or
//! Ctrl-C, and hands what it reports to one of three outputs: JSON Lines
//! ([`json_lines`], a public contract: README.md, "`bedrock-sse watch`"),
//! live bars on a terminal or plain lines elsewhere ([`human`]).

mod human;
mod json_lines;
mod report;

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

use bedrock_sse_core::api::BaseUrl;
use bedrock_sse_core::fleet::{FleetConfig, WatchId};
use bedrock_sse_core::watch::{
    BackoffPolicy, ConfigError, Failure, WatchConfig, WatchConfigBuilder, WatchEvent,
};
use bedrock_sse_tokio::{FleetEvent, FleetWatch, ReqwestTransport};

use self::report::{JobReport, overall};
use crate::Exit;

/// What the outputs are told, job by job, then once at the end.
pub(crate) trait Reporter {
    /// Something a job's watch reported.
    fn event(&mut self, job: &str, event: &WatchEvent) -> io::Result<()>;
    /// A job's watch ended (or was interrupted).
    fn outcome(&mut self, report: &JobReport) -> io::Result<()>;
    /// Every job has ended.
    fn summary(&mut self, reports: &[JobReport]) -> io::Result<()>;
}

/// Arguments of `bedrock-sse watch`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The jobs to follow, e.g. `job_01JABCD123` (one or more, or
    /// `--jobs-from`).
    #[arg(value_name = "JOB_ID")]
    job_ids: Vec<String>,
    /// Also follow the jobs listed in FILE, one id per line (`-` reads
    /// stdin; blank lines and `#` comments are skipped).
    #[arg(long, value_name = "FILE")]
    jobs_from: Option<PathBuf>,
    /// Where the API lives.
    #[arg(long, env = WatchConfig::ENV_BASE_URL, default_value = WatchConfig::DEFAULT_BASE_URL)]
    base_url: String,
    /// Accept a plain `http://` base URL to a host that is not loopback,
    /// sending the key unencrypted (loopback `http://` needs no flag).
    #[arg(long)]
    allow_http: bool,
    /// The API key (`sk_...`). Prefer the environment variable: a command
    /// line is visible to every user of the machine.
    #[arg(long, env = WatchConfig::ENV_API_KEY, hide_env_values = true)]
    api_key: Option<String>,
    /// Send the key as `X-API-Key` instead of `Authorization: Bearer`.
    #[arg(long)]
    x_api_key: bool,
    /// The `X-API-Version` header.
    #[arg(long, env = WatchConfig::ENV_API_VERSION, default_value = WatchConfig::DEFAULT_API_VERSION)]
    api_version: String,
    /// Print JSON Lines (a stable format for scripts) instead of a display.
    #[arg(long)]
    json: bool,
    /// A connection silent this long (no event, no heartbeat) is dead.
    /// [default: 45s, the library's]
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    idle_timeout: Option<Duration>,
    /// Give up on the whole watch after this long.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
    /// Give up on a job after this many consecutive failed connections.
    #[arg(long, value_name = "N", default_value_t = default_max_failures())]
    max_failures: u32,
    /// At most this many connections open at once; the other jobs wait
    /// their turn.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    max_connections: usize,
    /// Resume after this event id (sent as `Last-Event-ID`); one job only.
    #[arg(long, value_name = "ID")]
    resume_from: Option<String>,
    /// Also trust the CA certificates of this PEM file (repeatable), on
    /// top of the system's store or `SSL_CERT_FILE`.
    #[arg(long, value_name = "FILE")]
    cacert: Vec<std::path::PathBuf>,
}

/// The library's default budget of consecutive failures.
fn default_max_failures() -> u32 {
    BackoffPolicy::default().max_failures.unwrap_or(u32::MAX)
}

pub(crate) fn run(args: Args) -> Exit {
    let prepared = jobs(&args).and_then(|jobs| {
        let configs = jobs
            .iter()
            .map(|job| config(&args, job))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((configs, transport(&args.cacert)?))
    });
    let (configs, transport) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("bedrock-sse watch: {message}");
            return Exit::Usage;
        }
    };
    let fleet = FleetConfig::default().max_connections(args.max_connections);
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(follow_with(transport, fleet, configs, args.json)),
        Err(error) => {
            eprintln!("bedrock-sse watch: cannot start the async runtime: {error}");
            Exit::Io
        }
    }
}

/// The job ids of the command line, then of `--jobs-from`, each once.
fn jobs(args: &Args) -> Result<Vec<String>, String> {
    let mut jobs = args.job_ids.clone();
    if let Some(path) = &args.jobs_from {
        let read = |reader: &mut dyn BufRead| -> io::Result<Vec<String>> {
            let mut ids = Vec::new();
            for line in reader.lines() {
                let line = line?;
                let id = line.trim();
                if !id.is_empty() && !id.starts_with('#') {
                    ids.push(id.to_owned());
                }
            }
            Ok(ids)
        };
        let listed = if path.as_os_str() == "-" {
            read(&mut io::stdin().lock())
        } else {
            std::fs::File::open(path).and_then(|file| read(&mut io::BufReader::new(file)))
        };
        jobs.extend(listed.map_err(|e| format!("--jobs-from {}: {e}", path.display()))?);
    }
    let mut seen = std::collections::HashSet::new();
    jobs.retain(|job| seen.insert(job.clone()));
    if jobs.is_empty() {
        return Err("no job to watch: give job ids, or --jobs-from FILE".into());
    }
    if jobs.len() > 1 && args.resume_from.is_some() {
        return Err("--resume-from applies to one job; watch the others without it".into());
    }
    Ok(jobs)
}

/// A job's configuration from the command line; the message says what is
/// wrong (never echoing the key).
fn config(args: &Args, job: &str) -> Result<WatchConfig, String> {
    let flag = |name: &'static str| move |e: ConfigError| format!("{name}: {e}");
    let base_url = if args.allow_http {
        BaseUrl::parse_allowing_http(&args.base_url)
    } else {
        BaseUrl::parse(&args.base_url)
    };
    let mut builder: WatchConfigBuilder = WatchConfig::builder(job)
        .map_err(|e| format!("job id {job:?}: {e}"))?
        .base_url(base_url.map_err(|e| format!("--base-url: {e}"))?)
        .map_err(flag("--base-url"))?
        .api_version(args.api_version.as_str())
        .map_err(flag("--api-version"))?;
    if let Some(idle) = args.idle_timeout {
        builder = builder.idle_timeout(idle).map_err(flag("--idle-timeout"))?;
    }
    builder = match &args.api_key {
        None => builder,
        Some(key) if args.x_api_key => {
            builder.api_key(key.as_str()).map_err(flag("the API key"))?
        }
        Some(key) => builder.bearer(key.as_str()).map_err(flag("the API key"))?,
    };
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout);
    }
    builder = builder.max_failures(Some(args.max_failures));
    if let Some(id) = &args.resume_from {
        builder = builder
            .resume_from(id.as_str())
            .map_err(flag("--resume-from"))?;
    }
    Ok(builder.build())
}

/// The transport, trusting the `--cacert` files too; the message names
/// the file (or `SSL_CERT_FILE`) and what is wrong with it.
fn transport(cacerts: &[std::path::PathBuf]) -> Result<ReqwestTransport, String> {
    let mut builder = ReqwestTransport::builder();
    for path in cacerts {
        builder = builder
            .add_ca_file(path)
            .map_err(|e| format!("--cacert: {e}"))?;
    }
    builder.build().map_err(|e| e.to_string())
}

/// Follows one job with the defaults of `watch` (for `demo`).
pub(crate) async fn follow(config: WatchConfig, json: bool) -> Exit {
    follow_with(
        ReqwestTransport::new(),
        FleetConfig::default(),
        vec![config],
        json,
    )
    .await
}

/// Follows every job of `configs` to its end (or to Ctrl-C), reporting as
/// asked, and returns the exit code of them all.
async fn follow_with(
    transport: ReqwestTransport,
    fleet_config: FleetConfig,
    configs: Vec<WatchConfig>,
    json: bool,
) -> Exit {
    let jobs: Vec<String> = configs
        .iter()
        .map(|c| c.job_id().as_str().to_owned())
        .collect();
    let mut reporter: Box<dyn Reporter> = if json {
        Box::new(json_lines::JsonLines::new(
            io::stdout().lock(),
            jobs.len() > 1,
        ))
    } else if io::stdout().is_terminal() {
        Box::new(human::Live::new(&jobs))
    } else {
        Box::new(human::Plain::new(io::stdout().lock(), &jobs))
    };
    let mut fleet = FleetWatch::new(transport, fleet_config);
    let mut live: HashMap<WatchId, String> = HashMap::new();
    let mut last_ids: HashMap<String, String> = HashMap::new();
    for config in configs {
        if let Some(id) = config.resume_from() {
            last_ids.insert(config.job_id().as_str().to_owned(), id.as_str().to_owned());
        }
        let job = config.job_id().as_str().to_owned();
        live.insert(fleet.add(config), job);
    }
    let mut reports: Vec<JobReport> = Vec::with_capacity(jobs.len());
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    loop {
        let report = tokio::select! {
            report = fleet.next() => report,
            _ = &mut ctrl_c => {
                interrupted = true;
                None
            }
        };
        let written = match report {
            None => break,
            Some(FleetEvent::Event { job_id, event, .. }) => {
                if let WatchEvent::Job { id, .. } = &event {
                    if !id.is_empty() {
                        last_ids.insert(job_id.clone(), id.clone());
                    }
                }
                reporter.event(&job_id, &event)
            }
            Some(FleetEvent::Outcome {
                id,
                job_id,
                outcome,
            }) => {
                live.remove(&id);
                let last_event_id = last_ids.get(&job_id).cloned();
                reports.push(JobReport {
                    job_id,
                    outcome: Some(*outcome),
                    last_event_id,
                });
                reporter.outcome(reports.last().expect("just pushed"))
            }
            Some(_) => Ok(()),
        };
        if let Err(error) = written {
            return write_failed(&error);
        }
    }
    if interrupted {
        // Every job still running ends here, with where to resume it.
        let mut stopped: Vec<(WatchId, String)> = live.into_iter().collect();
        stopped.sort_by_key(|(_, job)| jobs.iter().position(|j| j == job));
        for (id, job_id) in stopped {
            fleet.remove(id);
            let last_event_id = last_ids.get(&job_id).cloned();
            reports.push(JobReport {
                job_id,
                outcome: None,
                last_event_id,
            });
            if let Err(error) = reporter.outcome(reports.last().expect("just pushed")) {
                return write_failed(&error);
            }
        }
    }
    // The closing table lists the jobs in the order they were given.
    reports.sort_by_key(|report| jobs.iter().position(|job| *job == report.job_id));
    if let Err(error) = reporter.summary(&reports) {
        return write_failed(&error);
    }
    overall(&reports)
}

/// The output could not be written (a closed pipe included): exit 3, as
/// documented, whatever the jobs did.
fn write_failed(error: &io::Error) -> Exit {
    if error.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("bedrock-sse watch: cannot write the output: {error}");
    }
    Exit::Io
}

pub(crate) fn describe_failure(failure: &Failure) -> String {
    match failure {
        Failure::Status { status, .. } => format!("status {status}"),
        Failure::RateLimited { .. } => "rate limited (429)".into(),
        Failure::Transport(error) => error.to_string(),
        Failure::ClosedBeforeResponse => "closed before a response".into(),
        Failure::ResponseTimeout => "no response in time".into(),
        Failure::IdleTimeout => "idle timeout".into(),
        Failure::ClosedEarly => "closed without delivering anything".into(),
        other => other.to_string(),
    }
}
