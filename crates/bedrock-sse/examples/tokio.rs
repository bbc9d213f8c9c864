//! Follows one Bedrock job to its end with the tokio adapter, printing each
//! event as it comes, then how the job ended.
//!
//! Run it against the local simulator. In one terminal:
//!
//! ```sh
//! cargo run -p bedrock-sse-cli -- serve
//! ```
//!
//! In another:
//!
//! ```sh
//! BEDROCK_BASE_URL=http://127.0.0.1:8787 BEDROCK_API_KEY=sk_demo \
//!     cargo run -p bedrock-sse --example tokio -- job_01JDEMOOVERLAY
//! ```
//!
//! Against the real API, set only `BEDROCK_API_KEY` and give a job id of
//! yours. The exit code is 0 when the job completed, 1 when it failed or
//! was canceled, 2 when the watch itself failed (the reason on stderr).

use std::process::ExitCode;

use bedrock_sse::tokio::{JobWatch, ReqwestTransport};
use bedrock_sse::{JobEnd, Outcome, WatchConfig, WatchEvent};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(job_id) = std::env::args().nth(1) else {
        eprintln!("usage: tokio JOB_ID (with BEDROCK_API_KEY set)");
        return ExitCode::from(2);
    };
    // BEDROCK_API_KEY (required), BEDROCK_BASE_URL and BEDROCK_API_VERSION.
    let config = match WatchConfig::from_env(job_id) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };

    let mut watch = JobWatch::new(ReqwestTransport::new(), config);
    while let Some(event) = watch.next_event().await {
        match event {
            WatchEvent::Job { id, event } => {
                let data = event.data();
                let status = event.status().map(|s| s.as_str()).unwrap_or("-");
                let progress = data
                    .and_then(|d| d.fraction())
                    .map(|f| format!("{:3.0}%", f * 100.0))
                    .unwrap_or_default();
                let message = data.and_then(|d| d.message.as_deref()).unwrap_or("");
                let name = event.name();
                println!("#{id:<3} {name:<9} {status:<9} {progress:>4} {message}");
            }
            WatchEvent::Reconnecting {
                delay,
                failures,
                cause,
            } => match cause {
                None => eprintln!("the server rotated the stream; reconnecting in {delay:.0?}"),
                Some(cause) => {
                    eprintln!("{cause}; reconnecting in {delay:.0?} (failure {failures})")
                }
            },
            WatchEvent::Malformed(warning) => eprintln!("warning: {warning}"),
            WatchEvent::Decode(warning) => eprintln!("warning: {warning}"),
            other => eprintln!("{other:?}"),
        }
    }

    match watch.outcome() {
        Some(Outcome::Finished { end, event }) => {
            println!("the job ended: {end}");
            if let Some(results) = event.data().and_then(|d| d.results.as_ref()) {
                println!("results: {results}");
            }
            if let Some(error) = event.data().and_then(|d| d.error.as_ref()) {
                println!("error: {error}");
            }
            if *end == JobEnd::Completed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some(Outcome::Failed(error)) => {
            eprintln!("the watch failed: {error}");
            ExitCode::from(2)
        }
        other => {
            eprintln!("the watch ended: {other:?}");
            ExitCode::from(2)
        }
    }
}
