//! What an adapter implements ([`Runner`]) and what it hands back ([`Run`]).

use bedrock_sse_core::job::{JobEnd, OwnedJobEvent};
use bedrock_sse_core::watch::{Failure, Outcome, WatchConfig, WatchError, WatchEvent};

/// An adapter, as the scenarios drive it.
pub trait Runner {
    /// Follows the watch `config` describes to its end and returns every
    /// event it yielded, in order, and its outcome: what a user of the
    /// adapter would see. Called on a plain test thread, which it may block
    /// (an async adapter starts a runtime of its own). It must not add a
    /// deadline shorter than the config's own timeout.
    fn run(&self, config: WatchConfig) -> Run;

    /// Follows the watch `config` describes until it has yielded `events`
    /// events, then drops it mid-stream, as a user who stops caring would,
    /// and calls `dropped` (which checks that the connection was closed and
    /// nothing of the watch is left) before ending anything the runner
    /// started itself (a runtime, an executor). An async runner first lets
    /// its executor run what the drop left to do, and checks there, where
    /// it can count them, that no task of the watch is left. Returns the
    /// events yielded.
    fn run_then_drop(
        &self,
        config: WatchConfig,
        events: usize,
        dropped: &mut dyn FnMut(),
    ) -> Vec<WatchEvent>;
}

impl<R: Runner + ?Sized> Runner for &R {
    fn run(&self, config: WatchConfig) -> Run {
        (**self).run(config)
    }

    fn run_then_drop(
        &self,
        config: WatchConfig,
        events: usize,
        dropped: &mut dyn FnMut(),
    ) -> Vec<WatchEvent> {
        (**self).run_then_drop(config, events, dropped)
    }
}

/// A whole watch as an adapter delivered it: the events in order, then the
/// outcome. Its accessors panic with the whole run in the message when the
/// run is not what they expect, so a failed scenario shows what happened.
#[derive(Debug)]
pub struct Run {
    /// Every event yielded, in order.
    pub events: Vec<WatchEvent>,
    /// How the watch ended.
    pub outcome: Outcome,
}

impl Run {
    /// The job events with their ids, in order.
    pub fn jobs(&self) -> Vec<(&str, &OwnedJobEvent)> {
        self.events
            .iter()
            .filter_map(|event| match event {
                WatchEvent::Job { id, event } => Some((id.as_str(), &**event)),
                _ => None,
            })
            .collect()
    }

    /// The job events' names (`status`, `progress`, `completed`...).
    pub fn job_names(&self) -> Vec<&str> {
        self.jobs()
            .into_iter()
            .map(|(_, event)| event.name())
            .collect()
    }

    /// The job events' ids.
    pub fn job_ids(&self) -> Vec<&str> {
        self.jobs().into_iter().map(|(id, _)| id).collect()
    }

    /// Everything that is not a job event: warnings and reconnections.
    pub fn others(&self) -> Vec<&WatchEvent> {
        self.events
            .iter()
            .filter(|event| !matches!(event, WatchEvent::Job { .. }))
            .collect()
    }

    /// Each reconnection's cause (`None` for a planned rotation) and count
    /// of consecutive failures.
    pub fn reconnects(&self) -> Vec<(Option<&Failure>, u32)> {
        self.events
            .iter()
            .filter_map(|event| match event {
                WatchEvent::Reconnecting {
                    cause, failures, ..
                } => Some((cause.as_ref(), *failures)),
                _ => None,
            })
            .collect()
    }

    /// Checks that each job event came at most once and in order, and
    /// that the job's end came: the events' ids are numeric and increasing,
    /// the event with id `n` is named `script[n - 1]`, and the last id is
    /// `script.len()`.
    ///
    /// Gaps pass: a watch started with `resume_from` rightly skips what
    /// came before its id. The fault campaign
    /// ([`campaign`](mod@crate::campaign)) checks the whole sequence instead.
    pub fn assert_each_once_in_order(&self, script: &[&str]) {
        let mut previous = 0;
        for (id, event) in self.jobs() {
            let n: usize = id
                .parse()
                .unwrap_or_else(|_| panic!("a numeric id, got {id:?}: {self:#?}"));
            assert!(n > previous, "ids increase: {self:#?}");
            assert_eq!(
                script.get(n.wrapping_sub(1)).copied(),
                Some(event.name()),
                "event {n} is the script's: {self:#?}"
            );
            previous = n;
        }
        assert_eq!(previous, script.len(), "the job's end came: {self:#?}");
    }

    /// The terminal event, after checking that the job ended as `end` and
    /// that the terminal event was also the last job event delivered.
    pub fn finished(&self, end: JobEnd) -> &OwnedJobEvent {
        let Outcome::Finished { end: got, event } = &self.outcome else {
            panic!("expected a finished job, got {self:#?}")
        };
        assert_eq!(*got, end, "{self:#?}");
        assert_eq!(
            self.jobs().last().map(|(_, last)| *last),
            Some(event),
            "the terminal event is the last one delivered: {self:#?}"
        );
        event
    }

    /// The error the watch failed with; panics if it did not fail.
    pub fn error(&self) -> &WatchError {
        match &self.outcome {
            Outcome::Failed(error) => error,
            _ => panic!("expected a failed watch, got {self:#?}"),
        }
    }
}
