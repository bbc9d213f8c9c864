//! What the TLS and proxy tests share: a simulator with one quick job, a
//! test-sized watch config, and running a watch to its outcome.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use bedrock_sse_blocking::{JobWatch, Outcome, Transport, WatchConfig};
use bedrock_sse_core::watch::BackoffPolicy;
use bedrock_sse_sim::{BlockingSim, JobScript, Simulator};
use serde_json::json;

pub const KEY: &str = "sk_test_tls";
pub const JOB: &str = "job_tls";

pub fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A simulator serving one short job that completes.
pub fn sim() -> BlockingSim {
    Simulator::builder()
        .key(KEY)
        .job(
            JobScript::new(JOB, "overlay.generate")
                .running(ms(10))
                .completed(ms(10), json!({"ok": true})),
        )
        .start_blocking()
        .expect("the simulator starts")
}

/// A watch of the job at `base_url`, retrying fast, bounded by an overall
/// deadline so that a bug fails a test rather than hanging it.
pub fn config(base_url: &str) -> WatchConfig {
    let mut backoff = BackoffPolicy::default();
    backoff.initial = ms(10);
    backoff.max = ms(50);
    WatchConfig::builder(JOB)
        .and_then(|b| b.base_url(base_url))
        .and_then(|b| b.bearer(KEY))
        .and_then(|b| b.idle_timeout(ms(2_000)))
        .expect("a valid config")
        .backoff(backoff)
        .max_failures(Some(3))
        .timeout(Duration::from_secs(30))
        .build()
}

/// Runs a watch of `base_url` over `transport` to its outcome.
pub fn watch<T: Transport>(transport: T, base_url: &str) -> Outcome {
    JobWatch::with_seed(transport, config(base_url), 7).run(|_| {})
}
