//! Follow a job to its end under smol, with no tokio runtime anywhere.
//!
//! Start the local simulator in one terminal, then run this in another:
//!
//! ```sh
//! cargo run -p bedrock-sse-cli -- serve
//! BEDROCK_API_KEY=sk_demo BEDROCK_BASE_URL=http://127.0.0.1:8787 \
//!     cargo run -p bedrock-sse --no-default-features --features smol --example smol -- job_01JDEMOOVERLAY
//! ```
//!
//! Against the real API, set only `BEDROCK_API_KEY` (HTTPS by default;
//! `HTTPS_PROXY` and `NO_PROXY` are honoured).

use std::process::ExitCode;

use bedrock_sse::futures::{HyperTransport, JobWatch};
use bedrock_sse::{Outcome, WatchConfig, WatchEvent};

fn main() -> ExitCode {
    let job_id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "job_01JDEMOOVERLAY".to_owned());
    // BEDROCK_API_KEY, and optionally BEDROCK_BASE_URL and BEDROCK_API_VERSION.
    let config = match WatchConfig::from_env(job_id.as_str()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    smol::block_on(async {
        let mut watch = JobWatch::new(HyperTransport::new(), config);
        while let Some(event) = watch.next_event().await {
            match event {
                WatchEvent::Job { id, event } => {
                    let progress = event
                        .data()
                        .and_then(|data| data.fraction())
                        .map(|f| format!(" {:.0}%", f * 100.0))
                        .unwrap_or_default();
                    println!("#{id} {} {:?}{progress}", event.name(), event.status());
                }
                other => eprintln!("{other:?}"),
            }
        }
        match watch.outcome() {
            Some(Outcome::Finished { end, .. }) => {
                println!("the job ended: {end}");
                ExitCode::SUCCESS
            }
            Some(Outcome::Failed(error)) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
            other => {
                eprintln!("the watch ended without the job's end: {other:?}");
                ExitCode::FAILURE
            }
        }
    })
}
