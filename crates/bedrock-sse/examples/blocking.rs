//! Follows one Bedrock job to its end from a plain thread, with the blocking
//! adapter: no async runtime. It builds its configuration with the builder,
//! starting from the environment, and bounds the whole watch to 10 minutes.
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
//!     cargo run -p bedrock-sse --features blocking --example blocking -- job_01JDEMOFAILED
//! ```
//!
//! The exit code is 0 when the job completed, 1 when it failed or was
//! canceled, 2 when the watch itself failed (the reason on stderr).

use std::process::ExitCode;
use std::time::Duration;

use bedrock_sse::blocking::{JobWatch, UreqTransport};
use bedrock_sse::{ConfigError, JobEnd, Outcome, WatchConfig, WatchEvent};

fn config(job_id: String) -> Result<WatchConfig, ConfigError> {
    Ok(WatchConfig::builder(job_id)?
        // BEDROCK_API_KEY (required), BEDROCK_BASE_URL and BEDROCK_API_VERSION.
        .from_env()?
        .user_agent("bedrock-sse-example/0.1")?
        .idle_timeout(Duration::from_secs(45))?
        .timeout(Duration::from_secs(600))
        .build())
}

fn main() -> ExitCode {
    let Some(job_id) = std::env::args().nth(1) else {
        eprintln!("usage: blocking JOB_ID (with BEDROCK_API_KEY set)");
        return ExitCode::from(2);
    };
    let config = match config(job_id) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };

    let watch = JobWatch::new(UreqTransport::new(), config);
    // `run` calls back for each event and returns how the watch ended;
    // `for event in &mut watch { ... }` then `watch.outcome()` is the same.
    let outcome = watch.run(|event| match event {
        WatchEvent::Job { id, event } => {
            let status = event.status().map(|s| s.as_str()).unwrap_or("-");
            let message = event
                .data()
                .and_then(|d| d.message.as_deref())
                .unwrap_or("");
            let name = event.name();
            println!("#{id:<3} {name:<9} {status:<9} {message}");
        }
        WatchEvent::Reconnecting { delay, cause, .. } => match cause {
            None => eprintln!("the server rotated the stream; reconnecting in {delay:.0?}"),
            Some(cause) => eprintln!("{cause}; reconnecting in {delay:.0?}"),
        },
        other => eprintln!("warning: {other:?}"),
    });

    match outcome {
        Outcome::Finished { end, event } => {
            println!("the job ended: {end}");
            if let Some(error) = event.data().and_then(|d| d.error.as_ref()) {
                println!("error: {error}");
            }
            if end == JobEnd::Completed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Outcome::Failed(error) => {
            eprintln!("the watch failed: {error}");
            ExitCode::from(2)
        }
        other => {
            eprintln!("the watch ended: {other:?}");
            ExitCode::from(2)
        }
    }
}
