//! The simulator as the scenarios use it, and the small helpers every
//! adapter test needs.

use std::ops::Deref;
use std::time::Duration;

use bedrock_sse_core::watch::{BackoffPolicy, WatchConfig, WatchConfigBuilder};
use bedrock_sse_sim::{BlockingSim, JobScript, RunningSim, Simulator, SimulatorBuilder};
use serde_json::json;

/// The API key the kit's simulators accept.
pub const KEY: &str = "sk_test_adapter_kit";

/// The overall timeout of every watch the kit configures: a bound, so that
/// a bug fails a test instead of hanging it. Never an assertion about speed.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// `millis` milliseconds.
pub const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Queued, running, two progress steps, completed, 20 ms apart (ids 1 to
/// 5), with results `{"overlay_uri": "https://files.example/ovl.pdf",
/// "score": 0.93}`.
pub fn quick_job(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(ms(20))
        .progress(ms(20), 0.5, "Processing sheet 1 of 2")
        .progress(ms(20), 1.0, "Processing sheet 2 of 2")
        .completed(
            ms(20),
            json!({"overlay_uri": "https://files.example/ovl.pdf", "score": 0.93}),
        )
}

/// A port on 127.0.0.1 that nothing listens on (bound, noted, closed).
pub fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The simulator on a runtime of its own, accepting [`KEY`]: the test
/// thread may block freely. It dereferences to [`RunningSim`] (URLs,
/// request log, [`inject`](RunningSim::inject), [`cancel`](RunningSim::cancel));
/// dropping it stops it.
#[derive(Debug)]
pub struct TestSim(BlockingSim);

impl TestSim {
    /// Starts a simulator with `jobs`, after `tune` adjusts its builder
    /// (heartbeat, connection cap, rate limit...). Panics if it cannot
    /// start.
    pub fn start(
        jobs: impl IntoIterator<Item = JobScript>,
        tune: impl FnOnce(SimulatorBuilder) -> SimulatorBuilder,
    ) -> TestSim {
        let mut builder = Simulator::builder().key(KEY);
        for job in jobs {
            builder = builder.job(job);
        }
        TestSim(
            tune(builder)
                .start_blocking()
                .expect("the simulator starts"),
        )
    }

    /// Starts a simulator with `jobs` and its defaults.
    pub fn with_jobs(jobs: impl IntoIterator<Item = JobScript>) -> TestSim {
        Self::start(jobs, |builder| builder)
    }

    /// A config for `job` on this simulator: bearer [`KEY`], test-sized
    /// timeouts (see [`test_config`](Self::test_config)).
    pub fn config(&self, job: &str) -> WatchConfigBuilder {
        Self::test_config(&self.base_url(), job)
            .bearer(KEY)
            .expect("a valid key")
    }

    /// A config for `job` at `base_url`, without credentials, with
    /// test-sized timeouts: 1 s idle timeout, backoff from 10 ms to
    /// 50 ms, rotations counted as planned after 50 ms and followed within
    /// 20 ms, and [`PATIENCE`]
    /// as the overall timeout.
    pub fn test_config(base_url: &str, job: &str) -> WatchConfigBuilder {
        let mut backoff = BackoffPolicy::default();
        backoff.initial = ms(10);
        backoff.max = ms(50);
        WatchConfig::builder(job)
            .and_then(|b| b.base_url(base_url))
            .and_then(|b| b.idle_timeout(ms(1000)))
            .expect("a valid config")
            .backoff(backoff)
            .min_rotation_uptime(ms(50))
            .rotation_jitter(ms(20))
            .timeout(PATIENCE)
    }
}

impl Deref for TestSim {
    type Target = RunningSim;

    fn deref(&self) -> &RunningSim {
        &self.0
    }
}
