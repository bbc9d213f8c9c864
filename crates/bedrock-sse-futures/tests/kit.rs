//! The adapter scenario table and the fault campaign of
//! `bedrock-sse-testkit`, run whole under smol's executor and again under
//! async-std's. The simulator (and the campaign's fault proxy) runs on a
//! runtime of its own, on threads of its own; nothing here starts a tokio
//! runtime.

use bedrock_sse_core::watch::WatchConfig;
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

/// The adapter under `smol::block_on`.
struct SmolRunner;

impl Runner for SmolRunner {
    fn run(&self, config: WatchConfig) -> Run {
        smol::block_on(follow(config))
    }
}

/// The adapter under `async_std::task::block_on`.
struct AsyncStdRunner;

impl Runner for AsyncStdRunner {
    fn run(&self, config: WatchConfig) -> Run {
        async_std::task::block_on(follow(config))
    }
}

mod smol_executor {
    use super::SmolRunner;
    bedrock_sse_testkit::scenarios!(SmolRunner);
    bedrock_sse_testkit::campaign!(SmolRunner);
}

mod async_std_executor {
    use super::AsyncStdRunner;
    bedrock_sse_testkit::scenarios!(AsyncStdRunner);
    bedrock_sse_testkit::campaign!(AsyncStdRunner);
}
