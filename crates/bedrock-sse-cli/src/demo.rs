//! `bedrock-sse demo`: a whole job, end to end, with nothing to set up.
//!
//! Starts the simulator in-process on a free loopback port with one
//! realistic `overlay.generate` job, then watches that job over real HTTP
//! exactly as `bedrock-sse watch` follows a real one: the tokio adapter
//! drives the core's `Watch` over reqwest, and the same display (or, with
//! `--json`, the same JSON Lines) shows what it reports.

use std::time::Duration;

use bedrock_sse_core::watch::WatchConfig;
use bedrock_sse_sim::{DEFAULT_KEY, JobScript, Simulator};

use crate::{Exit, watch};

const JOB_ID: &str = "job_01JDEMOOVERLAY";

/// Options of `bedrock-sse demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Run the job this many times faster than its ~7 s.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    speed: f64,
    /// Print the `watch --json` JSON Lines instead of the display.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Exit {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bedrock-sse demo: cannot start the async runtime: {error}");
            return Exit::Io;
        }
    };
    runtime.block_on(demo(args.speed, args.json))
}

async fn demo(speed: f64, json: bool) -> Exit {
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
    let config = WatchConfig::builder(JOB_ID)
        .and_then(|b| b.base_url(sim.base_url()))
        .and_then(|b| b.bearer(DEFAULT_KEY));
    let config = match config {
        Ok(config) => config.build(),
        Err(error) => {
            eprintln!("bedrock-sse demo: {error}");
            return Exit::Io;
        }
    };
    // The banner goes to stderr under --json, so stdout stays JSON Lines.
    let banner = format!(
        "Simulated Bedrock API on {}\nWatching {JOB_ID} (overlay.generate): GET {}\n",
        sim.base_url(),
        sim.stream_url(JOB_ID)
    );
    if json {
        eprintln!("{banner}");
    } else {
        println!("{banner}");
    }
    let exit = watch::follow(config, json).await;
    if let Err(error) = sim.shutdown().await {
        eprintln!("bedrock-sse demo: {error}");
    }
    exit
}
