//! The futures-io adapter as the test kit drives it, under smol's
//! executor and under async-std's. Nothing here starts a tokio runtime.

use bedrock_sse_core::watch::{WatchConfig, WatchEvent};
use bedrock_sse_futures::{HyperTransport, JobWatch};
use bedrock_sse_testkit::{Run, Runner};

/// Follows a watch with [`JobWatch::next_event`], then takes its outcome.
async fn follow(config: WatchConfig) -> Run {
    let mut watch = JobWatch::with_seed(HyperTransport::new(), config, 7);
    let mut events = Vec::new();
    while let Some(event) = watch.next_event().await {
        events.push(event);
    }
    let outcome = watch
        .into_outcome()
        .expect("an outcome after the last event");
    Run { events, outcome }
}

/// Follows a watch for `events` events, then drops it: the transport
/// spawns nothing, so the drop closes its connection there and then.
async fn follow_then_drop(
    config: WatchConfig,
    events: usize,
    dropped: &mut dyn FnMut(),
) -> Vec<WatchEvent> {
    let mut watch = JobWatch::with_seed(HyperTransport::new(), config, 7);
    let mut taken = Vec::new();
    while taken.len() < events {
        match watch.next_event().await {
            Some(event) => taken.push(event),
            None => break,
        }
    }
    drop(watch);
    dropped();
    taken
}

/// The adapter under `smol::block_on`.
pub(crate) struct SmolRunner;

impl Runner for SmolRunner {
    fn run(&self, config: WatchConfig) -> Run {
        smol::block_on(follow(config))
    }

    fn run_then_drop(
        &self,
        config: WatchConfig,
        events: usize,
        dropped: &mut dyn FnMut(),
    ) -> Vec<WatchEvent> {
        smol::block_on(follow_then_drop(config, events, dropped))
    }
}

/// The adapter under `async_std::task::block_on`.
pub(crate) struct AsyncStdRunner;

impl Runner for AsyncStdRunner {
    fn run(&self, config: WatchConfig) -> Run {
        async_std::task::block_on(follow(config))
    }

    fn run_then_drop(
        &self,
        config: WatchConfig,
        events: usize,
        dropped: &mut dyn FnMut(),
    ) -> Vec<WatchEvent> {
        async_std::task::block_on(follow_then_drop(config, events, dropped))
    }
}
