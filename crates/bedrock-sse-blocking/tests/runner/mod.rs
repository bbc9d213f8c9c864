//! The blocking adapter as the test kit drives it.

use bedrock_sse_blocking::{JobWatch, UreqTransport};
use bedrock_sse_core::watch::{WatchConfig, WatchEvent};
use bedrock_sse_testkit::{Run, Runner};

/// Drives a [`JobWatch`] with [`JobWatch::run`], or as an iterator until
/// it is dropped.
pub(crate) struct BlockingRunner;

impl Runner for BlockingRunner {
    fn run(&self, config: WatchConfig) -> Run {
        let mut events = Vec::new();
        let outcome =
            JobWatch::with_seed(UreqTransport::new(), config, 7).run(|event| events.push(event));
        Run { events, outcome }
    }

    fn run_then_drop(
        &self,
        config: WatchConfig,
        events: usize,
        dropped: &mut dyn FnMut(),
    ) -> Vec<WatchEvent> {
        let mut watch = JobWatch::with_seed(UreqTransport::new(), config, 7);
        let taken = watch.by_ref().take(events).collect();
        drop(watch);
        dropped();
        taken
    }
}
