//! `bedrock-sse demo`: a whole job, end to end, with nothing to set up.
//!
//! Starts the simulator in-process on a free loopback port with one
//! realistic `overlay.generate` job, then watches that job over real HTTP
//! the way a client of Bedrock would: the core's `Watch` decides what to
//! request, when to reconnect and what is new; this file only moves bytes
//! between reqwest and the watch, and prints what the watch reports.

use std::io::{self, Write};
use std::time::Duration;

use bedrock_sse_core::api::{BaseUrl, Credentials};
use bedrock_sse_core::job::watch::{
    Action, Instant, Outcome, Request, TransportError, Watch, WatchConfig, WatchEvent,
};
use bedrock_sse_core::job::{JobData, JobEvent, OwnedJobEvent};
use bedrock_sse_sim::{DEFAULT_KEY, JobScript, Simulator};
use serde_json::Value;

use crate::Exit;

const JOB_ID: &str = "job_01JDEMOOVERLAY";

/// Options of `bedrock-sse demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Run the job this many times faster than its ~7 s.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    speed: f64,
}

pub(crate) fn run(args: Args) -> Exit {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bedrock-sse demo: cannot start the async runtime: {error}");
            return Exit::Io;
        }
    };
    runtime.block_on(demo(args.speed))
}

async fn demo(speed: f64) -> Exit {
    let sim = match Simulator::builder()
        .job(JobScript::overlay(JOB_ID, 12, Duration::from_millis(500)))
        .speed(speed)
        .start()
        .await
    {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("bedrock-sse demo: cannot start the simulator: {error}");
            return Exit::Io;
        }
    };
    let mut config = match WatchConfig::new(JOB_ID) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("bedrock-sse demo: {error}");
            return Exit::Io;
        }
    };
    config.base_url = match BaseUrl::parse(&sim.base_url()) {
        Ok(url) => url,
        Err(error) => {
            eprintln!("bedrock-sse demo: {error}");
            return Exit::Io;
        }
    };
    config.credentials = Credentials::bearer(DEFAULT_KEY).ok();
    println!("Simulated Bedrock API on {}", sim.base_url());
    println!(
        "Watching {JOB_ID} (overlay.generate): GET {}\n",
        sim.stream_url(JOB_ID)
    );
    let outcome = drive(Watch::new(config, Instant::ZERO, seed())).await;
    let exit = match outcome {
        Ok(Outcome::Finished(last)) => {
            print_results(&last);
            Exit::Success
        }
        Ok(Outcome::Stopped) => {
            println!("The server asked us to stop watching (204).");
            Exit::Success
        }
        Ok(Outcome::Failed(error)) => {
            eprintln!("bedrock-sse demo: the watch failed: {error}");
            Exit::Stream
        }
        Ok(_) => Exit::Stream,
        Err(error) => {
            eprintln!("bedrock-sse demo: cannot write to stdout: {error}");
            Exit::Io
        }
    };
    if let Err(error) = sim.shutdown().await {
        eprintln!("bedrock-sse demo: {error}");
    }
    exit
}

/// Jitter only needs to differ between processes.
fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    u64::from(nanos) ^ u64::from(std::process::id()).rotate_left(32)
}

/// The driver loop: requests out, bytes and time in, events printed, until
/// the watch has an outcome.
async fn drive(mut watch: Watch) -> io::Result<Outcome> {
    let client = reqwest::Client::new();
    let start = tokio::time::Instant::now();
    let now = || Instant::from_duration(start.elapsed());
    let mut response: Option<reqwest::Response> = None;
    loop {
        while let Some(action) = watch.poll_action() {
            match action {
                Action::Connect(request) => {
                    response = None;
                    let deadline = watch.poll_timeout().map(|at| start + at.as_duration());
                    let sent = tokio::select! {
                        sent = build(&client, &request).send() => Some(sent),
                        () = sleep_until(deadline) => None,
                    };
                    match sent {
                        Some(Ok(answer)) => {
                            let headers = answer
                                .headers()
                                .iter()
                                .map(|(name, value)| (name.as_str(), value.as_bytes()));
                            watch.handle_response(now(), answer.status().as_u16(), headers);
                            response = Some(answer);
                        }
                        Some(Err(error)) => watch.handle_transport_error(now(), transport(&error)),
                        None => watch.handle_timeout(now()),
                    }
                }
                Action::Close => response = None,
                Action::Done => {}
            }
        }
        while let Some(event) = watch.poll_event() {
            show(&event)?;
        }
        if let Some(outcome) = watch.poll_outcome() {
            return Ok(outcome);
        }
        let deadline = watch.poll_timeout().map(|at| start + at.as_duration());
        match response.as_mut() {
            Some(body) => tokio::select! {
                chunk = body.chunk() => match chunk {
                    Ok(Some(bytes)) => watch.handle_body(now(), &bytes),
                    Ok(None) => {
                        response = None;
                        watch.handle_eof(now());
                    }
                    Err(error) => {
                        response = None;
                        watch.handle_transport_error(now(), transport(&error));
                    }
                },
                () = sleep_until(deadline) => watch.handle_timeout(now()),
            },
            None => {
                sleep_until(deadline).await;
                watch.handle_timeout(now());
            }
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn build(client: &reqwest::Client, request: &Request) -> reqwest::RequestBuilder {
    let mut builder = client.get(request.url());
    for header in request.headers() {
        builder = builder.header(header.name(), header.value());
    }
    builder
}

fn transport(error: &reqwest::Error) -> TransportError {
    if error.is_connect() {
        TransportError::Connect
    } else if error.is_timeout() {
        TransportError::Timeout
    } else if error.is_body() || error.is_decode() {
        TransportError::Reset
    } else {
        TransportError::Other
    }
}

fn show(event: &WatchEvent) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match event {
        WatchEvent::Job(job) => writeln!(out, "{}", line(job))?,
        WatchEvent::Malformed(problem) => {
            writeln!(out, "  (skipped an unreadable event: {problem})")?
        }
        WatchEvent::Decode(problem) => writeln!(out, "  (dropped an event: {problem})")?,
        WatchEvent::Reconnecting { delay, cause, .. } => match cause {
            None => writeln!(out, "  (the server rotated the connection; reconnecting)")?,
            Some(cause) => writeln!(
                out,
                "  (connection lost: {cause}; retrying in {})",
                humantime::format_duration(*delay)
            )?,
        },
        _ => {}
    }
    out.flush()
}

/// One event as a line: time, kind, and what it says.
fn line(event: &OwnedJobEvent) -> String {
    let data = event.data();
    let time = data
        .and_then(|d| d.timestamp.as_deref())
        .and_then(|t| t.get(11..19))
        .unwrap_or("--:--:--");
    let status = data
        .and_then(|d| d.status.as_ref())
        .map_or("?", |s| s.as_str());
    match event {
        JobEvent::Progress(data) => {
            let fraction = data.fraction().unwrap_or(0.0).clamp(0.0, 1.0);
            let filled = (fraction * 24.0).round() as usize;
            format!(
                "{time}  progress   [{}{}] {:>3.0}%  {}",
                "#".repeat(filled),
                "-".repeat(24 - filled),
                fraction * 100.0,
                data.message.as_deref().unwrap_or("")
            )
        }
        JobEvent::Failed(data) => {
            let (code, message) = error_text(data);
            format!("{time}  failed     {status}: {code}: {message}")
        }
        JobEvent::Other { event, .. } => {
            format!("{time}  {event:<10} (an event this client does not know)")
        }
        _ => format!("{time}  {:<10} {status}", event.name()),
    }
}

fn error_text<'a>(data: &'a JobData<'_>) -> (&'a str, &'a str) {
    let error = data.error.as_ref();
    (
        error.and_then(|e| e.code.as_deref()).unwrap_or("UNKNOWN"),
        error
            .and_then(|e| e.message.as_deref())
            .unwrap_or("no message"),
    )
}

fn print_results(last: &OwnedJobEvent) {
    match last {
        JobEvent::Completed(data) => {
            let results: Value = data
                .results
                .as_ref()
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or(Value::Null);
            println!("\nJob completed.");
            if let Some(uri) = results["overlay_uri"].as_str() {
                println!("  overlay: {uri}");
            }
            if let Some(score) = results["score"].as_f64() {
                println!("  score:   {score:.2}");
            }
            if let Some(changes) = results["changes"].as_array() {
                println!("  changes: {}", changes.len());
                for change in changes {
                    let mark = match change["kind"].as_str() {
                        Some("added") => "+",
                        Some("removed") => "-",
                        _ => "~",
                    };
                    println!(
                        "    {mark} {:<6} {}",
                        change["sheet"].as_str().unwrap_or(""),
                        change["description"].as_str().unwrap_or("")
                    );
                }
            }
        }
        JobEvent::Failed(data) => {
            let (code, message) = error_text(data);
            println!("\nJob failed: {code}: {message}");
        }
        JobEvent::Canceled(_) => println!("\nJob canceled."),
        other => println!("\nJob ended: {}", other.name()),
    }
}
