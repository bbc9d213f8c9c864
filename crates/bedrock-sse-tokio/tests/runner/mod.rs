//! The tokio adapter as the test kit drives it.

use std::future::Future;
use std::time::{Duration, Instant};

use bedrock_sse_core::watch::{WatchConfig, WatchEvent};
use bedrock_sse_testkit::{PATIENCE, Run, Runner};
use bedrock_sse_tokio::{HyperTransport, JobWatch, ReqwestTransport, Transport};

/// Runs `future` to its end on a runtime of its own, bounded by twice the
/// watches' own timeout. The simulator must be started (and dropped)
/// outside it: it blocks on a runtime of its own.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(async { tokio::time::timeout(2 * PATIENCE, future).await })
        .expect("the watch ends in time")
}

/// Drives a [`JobWatch`] over the transport its function makes with
/// [`JobWatch::next_event`], then takes its outcome (or drops it part way).
pub(crate) struct TokioRunner<T>(fn() -> T);

/// Over the default transport, `ReqwestTransport`.
#[allow(dead_code, reason = "not every test binary runs both")]
pub(crate) const REQWEST: TokioRunner<ReqwestTransport> = TokioRunner(ReqwestTransport::new);

/// Over `HyperTransport`.
#[allow(dead_code, reason = "not every test binary runs both")]
pub(crate) const HYPER: TokioRunner<HyperTransport> = TokioRunner(HyperTransport::new);

impl<T: Transport> Runner for TokioRunner<T> {
    fn run(&self, config: WatchConfig) -> Run {
        block_on(async {
            let mut watch = JobWatch::with_seed(self.0(), config, 7);
            let mut events = Vec::new();
            while let Some(event) = watch.next_event().await {
                events.push(event);
            }
            let outcome = watch
                .into_outcome()
                .expect("an outcome after the last event");
            Run { events, outcome }
        })
    }

    fn run_then_drop(
        &self,
        config: WatchConfig,
        events: usize,
        dropped: &mut dyn FnMut(),
    ) -> Vec<WatchEvent> {
        block_on(async {
            let metrics = tokio::runtime::Handle::current().metrics();
            let tasks = metrics.num_alive_tasks();
            let mut watch = JobWatch::with_seed(self.0(), config, 7);
            let mut taken = Vec::new();
            while taken.len() < events {
                match watch.next_event().await {
                    Some(event) => taken.push(event),
                    None => break,
                }
            }
            drop(watch);
            // What the drop left to the runtime (reqwest's connection
            // task closing its socket) runs now; then no task of it is
            // left.
            let start = Instant::now();
            while metrics.num_alive_tasks() > tasks {
                assert!(
                    start.elapsed() < Duration::from_secs(2),
                    "{} tasks left after the watch was dropped",
                    metrics.num_alive_tasks() - tasks
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            dropped();
            taken
        })
    }
}
