//! The core's time on tokio's clock: the drivers' epoch, and the one timer
//! each driver waits on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bedrock_sse_core::watch::Instant;
use tokio::time::{self, Sleep};

/// The core's [`Instant`] is the time since `origin`; `timer` sleeps until
/// the core's next deadline.
pub(crate) struct Clock {
    origin: time::Instant,
    /// Made on first use: a timer needs the runtime, which the driver's
    /// constructor may have been called outside of.
    timer: Option<Pin<Box<Sleep>>>,
}

impl Clock {
    /// A clock whose epoch is now.
    pub(crate) fn start() -> Clock {
        Clock {
            origin: time::Instant::now(),
            timer: None,
        }
    }

    /// The time since the epoch.
    pub(crate) fn now(&self) -> Instant {
        Instant::from_duration(time::Instant::now().saturating_duration_since(self.origin))
    }

    /// Ready once `at` has come; re-arms the one timer when `at` moved.
    pub(crate) fn poll_until(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let wake = self.origin + at.as_duration();
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(time::sleep_until(wake)));
        if timer.deadline() != wake {
            timer.as_mut().reset(wake);
        }
        timer.as_mut().poll(cx)
    }
}
