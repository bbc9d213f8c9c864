//! `bedrock-sse watch JOB_ID`: follow a job to its end.
//!
//! The tokio adapter drives the core's `Watch`; this file turns what the
//! watch reports into either the human display of [`display`]
//! or, with `--json`, JSON Lines whose shape and exit codes are a public
//! contract (README.md, "`bedrock-sse watch`").

use std::io::{self, Write};
use std::time::Duration;

use bedrock_sse_core::job::{JobData, JobEnd, JobStatus, OwnedJobEvent};
use bedrock_sse_core::watch::{
    ConfigError, Failure, Outcome, WatchConfig, WatchConfigBuilder, WatchError, WatchEvent,
};
use bedrock_sse_tokio::{JobWatch, ReqwestTransport};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::{Exit, display, json};

/// Arguments of `bedrock-sse watch`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The job to follow, e.g. `job_01JABCD123`.
    job_id: String,
    /// Where the API lives.
    #[arg(long, env = WatchConfig::ENV_BASE_URL, default_value = WatchConfig::DEFAULT_BASE_URL)]
    base_url: String,
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
    /// Give up after this many consecutive failed connections.
    #[arg(long, value_name = "N")]
    max_failures: Option<u32>,
    /// Resume after this event id (sent as `Last-Event-ID`).
    #[arg(long, value_name = "ID")]
    resume_from: Option<String>,
    /// Also trust the CA certificates of this PEM file (repeatable), on
    /// top of the system's store or `SSL_CERT_FILE`.
    #[arg(long, value_name = "FILE")]
    cacert: Vec<std::path::PathBuf>,
}

pub(crate) fn run(args: Args) -> Exit {
    let config = match config(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("bedrock-sse watch: {message}");
            return Exit::Usage;
        }
    };
    let transport = match transport(&args.cacert) {
        Ok(transport) => transport,
        Err(message) => {
            eprintln!("bedrock-sse watch: {message}");
            return Exit::Usage;
        }
    };
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(follow_with(transport, config, args.json)),
        Err(error) => {
            eprintln!("bedrock-sse watch: cannot start the async runtime: {error}");
            Exit::Io
        }
    }
}

/// The watch's configuration from the command line; the message says what
/// is wrong (never echoing the key).
fn config(args: &Args) -> Result<WatchConfig, String> {
    let flag = |name: &'static str| move |e: ConfigError| format!("{name}: {e}");
    let mut builder: WatchConfigBuilder = WatchConfig::builder(args.job_id.as_str())
        .map_err(flag("the job id"))?
        .base_url(args.base_url.as_str())
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
    if let Some(max) = args.max_failures {
        builder = builder.max_failures(Some(max));
    }
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

/// Follows the job of `config` to its end, printing as asked, and returns
/// the exit code its outcome maps to.
pub(crate) async fn follow(config: WatchConfig, json: bool) -> Exit {
    follow_with(ReqwestTransport::new(), config, json).await
}

/// [`follow`] over `transport`.
async fn follow_with(transport: ReqwestTransport, config: WatchConfig, json: bool) -> Exit {
    let mut watch = JobWatch::new(transport, config);
    let stdout = io::stdout();
    let mut printer: Box<dyn Printer> = if json {
        Box::new(JsonPrinter { out: stdout.lock() })
    } else {
        Box::new(HumanPrinter { out: stdout.lock() })
    };
    while let Some(event) = watch.next_event().await {
        if let Err(error) = printer.event(&event) {
            return write_failed(&error);
        }
    }
    let Some(outcome) = watch.into_outcome() else {
        eprintln!("bedrock-sse watch: the watch ended without an outcome");
        return Exit::Stream;
    };
    let exit = exit_code(&outcome);
    if let Err(error) = printer.outcome(&outcome, exit) {
        return write_failed(&error);
    }
    exit
}

fn write_failed(error: &io::Error) -> Exit {
    if error.kind() == io::ErrorKind::BrokenPipe {
        return Exit::Success;
    }
    eprintln!("bedrock-sse watch: cannot write the output: {error}");
    Exit::Io
}

/// The exit code of an outcome: a public contract (README.md).
pub(crate) fn exit_code(outcome: &Outcome) -> Exit {
    match outcome {
        Outcome::Finished { end, .. } => match end {
            JobEnd::Completed => Exit::Success,
            JobEnd::Failed => Exit::JobFailed,
            JobEnd::Canceled => Exit::JobCanceled,
        },
        Outcome::Stopped => Exit::Stopped,
        Outcome::Failed(error) => match error {
            WatchError::Unauthorized { .. } => Exit::Unauthorized,
            WatchError::JobNotFound { .. } => Exit::NotFound,
            WatchError::DeadlineExceeded => Exit::Deadline,
            _ => Exit::Stream,
        },
        _ => Exit::Stream,
    }
}

/// The lower-case status name used in the JSON output.
fn status_name(status: &JobStatus) -> &str {
    match status {
        JobStatus::Queued => "queued",
        JobStatus::Running => "running",
        JobStatus::Completed => "completed",
        JobStatus::Failed => "failed",
        JobStatus::Canceled => "canceled",
        other => other.as_str(),
    }
}

trait Printer {
    fn event(&mut self, event: &WatchEvent) -> io::Result<()>;
    fn outcome(&mut self, outcome: &Outcome, exit: Exit) -> io::Result<()>;
}

/// `--json`: one object per line.
struct JsonPrinter<W> {
    out: W,
}

impl<W: Write> JsonPrinter<W> {
    fn line(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// A job event in `--json`: every key always present, `null` when the
/// event did not say. Field order is part of the contract.
#[derive(Serialize)]
struct EventLine<'a> {
    event: &'a str,
    id: &'a str,
    job_id: Option<&'a str>,
    #[serde(rename = "type")]
    job_type: Option<&'a str>,
    status: Option<&'a str>,
    progress: Option<f64>,
    message: Option<&'a str>,
    timestamp: Option<&'a str>,
    results: Option<Box<RawValue>>,
    error: Option<ErrorLine<'a>>,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    code: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> EventLine<'a> {
    fn new(job: &'a OwnedJobEvent, id: &'a str) -> Self {
        let data = job.data();
        EventLine {
            event: job.name(),
            id,
            job_id: data.and_then(|d| d.job_id.as_deref()),
            job_type: data.and_then(|d| d.job_type.as_deref()),
            status: data.and_then(|d| d.status.as_ref()).map(status_name),
            progress: data.and_then(JobData::fraction),
            message: data.and_then(|d| d.message.as_deref()),
            timestamp: data.and_then(|d| d.timestamp.as_deref()),
            // One line whatever the server's formatting, numbers and
            // strings as sent. The core checked it is JSON; re-checking
            // costs little and keeps a bad value from corrupting the line.
            results: data
                .and_then(|d| d.results.as_ref())
                .and_then(|r| RawValue::from_string(json::compact(r.get())).ok()),
            error: data.and_then(|d| d.error.as_ref()).map(|e| ErrorLine {
                code: e.code.as_deref(),
                message: e.message.as_deref(),
            }),
        }
    }
}

impl<W: Write> Printer for JsonPrinter<W> {
    fn event(&mut self, event: &WatchEvent) -> io::Result<()> {
        let value = match event {
            WatchEvent::Job { id, event } => return self.line(&EventLine::new(event, id)),
            WatchEvent::Malformed(error) => {
                serde_json::json!({"warning": "malformed_event", "message": error.to_string()})
            }
            WatchEvent::Decode(error) => {
                serde_json::json!({"warning": "event_dropped", "message": error.to_string()})
            }
            WatchEvent::Reconnecting {
                delay,
                failures,
                cause,
            } => serde_json::json!({"reconnecting": {
                "delay_ms": u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "failures": failures,
                "cause": cause.as_ref().map(describe_failure),
            }}),
            _ => return Ok(()),
        };
        self.line(&value)
    }

    fn outcome(&mut self, outcome: &Outcome, exit: Exit) -> io::Result<()> {
        let error = outcome.error();
        self.line(&OutcomeLine {
            outcome: match outcome {
                Outcome::Finished { end, .. } => end.as_str(),
                Outcome::Stopped => "stopped",
                _ => "error",
            },
            exit_code: exit as u8,
            error: error.map(|error| OutcomeError {
                message: error.to_string(),
                code: error.api_error().and_then(|e| e.code.as_deref()),
                request_id: error.request_id(),
                retryable: error.is_retryable(),
            }),
        })
    }
}

/// The last line of `--json`.
#[derive(Serialize)]
struct OutcomeLine<'a> {
    /// `completed`, `failed`, `canceled`, `stopped` or `error`.
    outcome: &'a str,
    exit_code: u8,
    error: Option<OutcomeError<'a>>,
}

#[derive(Serialize)]
struct OutcomeError<'a> {
    message: String,
    code: Option<&'a str>,
    request_id: Option<&'a str>,
    retryable: bool,
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

/// The display for people: see [`display`].
struct HumanPrinter<W> {
    out: W,
}

impl<W: Write> Printer for HumanPrinter<W> {
    fn event(&mut self, event: &WatchEvent) -> io::Result<()> {
        display::event(&mut self.out, event)
    }

    fn outcome(&mut self, outcome: &Outcome, _exit: Exit) -> io::Result<()> {
        // A failed watch is an error message: stderr, like every other.
        if outcome.error().is_some() {
            return display::outcome(&mut io::stderr().lock(), outcome);
        }
        display::outcome(&mut self.out, outcome)
    }
}

#[cfg(test)]
mod tests {
    use bedrock_sse_core::job::{JobEvent, Parsed};
    use bedrock_sse_core::sse::{Decoder, Item};

    use super::EventLine;

    /// A terminal event whose JSON a server pretty-printed over many
    /// `data:` lines, typed by the core as the watch does.
    fn pretty_completed() -> bedrock_sse_core::job::OwnedJobEvent {
        let stream = "event: completed\n\
            data: {\n\
            data:   \"job_id\": \"job_1\",\n\
            data:   \"status\": \"Completed\",\n\
            data:   \"results\": {\n\
            data:     \"score\": 0.870,\n\
            data:     \"big\": 1e400,\n\
            data:     \"note\": \"two  spaces, a \\\"quote\\\" and\\nan escaped newline\",\n\
            data:     \"changes\": [ 1 , 2 ]\n\
            data:   },\n\
            data:   \"error\": { \"code\": \"X\",\n\
            data:              \"message\": \"m\" }\n\
            data: }\n\n";
        let mut decoder = Decoder::new();
        let mut typed = None;
        decoder.decode_each(stream.as_bytes(), |item| {
            if let Ok(Item::Event(sse)) = item {
                if let Ok(Parsed::Event(event)) = JobEvent::from_sse(&sse) {
                    typed = Some(event.into_owned());
                }
            }
        });
        typed.expect("the event types")
    }

    #[test]
    fn multi_line_json_becomes_one_line_with_values_as_sent() {
        let event = pretty_completed();
        let line = serde_json::to_string(&EventLine::new(&event, "9")).expect("serialises");
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.contains(
                r#""results":{"score":0.870,"big":1e400,"note":"two  spaces, a \"quote\" and\nan escaped newline","changes":[1,2]}"#
            ),
            "{line}"
        );
        assert!(
            line.contains(r#""error":{"code":"X","message":"m"}"#),
            "{line}"
        );
    }
}
