//! `bedrock-sse`: the command-line face of the bedrock-sse toolkit.
//!
//! Exit codes are a public contract (see README.md, "Exit codes"):
//! 0 success, 1 the stream or watch failed, 2 bad usage, 3 I/O error, and
//! for `watch` 4 job failed, 5 job canceled, 6 told to stop (204),
//! 7 credentials refused, 8 no such job, 9 `--timeout` passed, 130
//! interrupted (with several jobs, the most severe of theirs).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;
mod demo;
mod display;
mod json;
mod serve;
mod watch;

/// Consume, inspect and serve Bedrock job streams (Server-Sent Events).
#[derive(Debug, Parser)]
#[command(name = "bedrock-sse", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success, 1 the stream or watch failed, 2 bad usage, \
3 I/O error; for watch also 4 job failed, 5 job canceled, 6 told to stop (204), \
7 credentials refused, 8 no such job, 9 --timeout passed, 130 interrupted \
(with several jobs, the most severe of theirs)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log what the watch decides to stderr: -v reconnects and the outcome,
    /// -vv also connection attempts, responses and rate limits, -vvv
    /// everything of bedrock-sse, -vvvv the HTTP client's too. `RUST_LOG` (e.g.
    /// `RUST_LOG=bedrock_sse=debug`) overrides it. Keys are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

/// Sends `tracing` output to stderr, as `-v` or `RUST_LOG` ask.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(match verbose {
            0 => return,
            1 => "bedrock_sse=info",
            2 => "bedrock_sse=debug",
            3 => "bedrock_sse=trace",
            _ => "trace",
        }),
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a captured event stream into JSON Lines, one item per line.
    Decode(decode::Args),
    /// Run a local Bedrock job-stream simulator until Ctrl-C.
    Serve(serve::Args),
    /// Follow jobs to their end: their events, then their outcomes.
    Watch(watch::Args),
    /// Watch a realistic job end to end on an in-process simulator.
    Demo(demo::Args),
}

/// The process exit codes, stable for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Everything went as asked.
    Success = 0,
    /// The stream broke a limit or a protocol rule.
    Stream = 1,
    /// The command line, or a file it names, is unusable.
    Usage = 2,
    /// Reading input or writing output failed.
    Io = 3,
    /// `watch`: the job failed (its terminal event is `failed`).
    JobFailed = 4,
    /// `watch`: the job was canceled.
    JobCanceled = 5,
    /// `watch`: the server answered 204, asking us to stop watching.
    Stopped = 6,
    /// `watch`: the credentials were refused (401 or 403).
    Unauthorized = 7,
    /// `watch`: no such job (404).
    NotFound = 8,
    /// `watch`: the `--timeout` passed first.
    Deadline = 9,
    /// `watch`: interrupted (Ctrl-C) before every job ended; each job's
    /// outcome says where to resume it.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match cli.command {
        Command::Decode(args) => decode::run(args).into(),
        Command::Serve(args) => serve::run(args).into(),
        Command::Watch(args) => watch::run(args).into(),
        Command::Demo(args) => demo::run(args).into(),
    }
}
