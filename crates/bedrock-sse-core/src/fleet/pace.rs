//! Storm control: how many connection attempts any 100 ms may see.

use alloc::collections::VecDeque;
use core::time::Duration;

use crate::watch::Instant;

/// A sliding window over the latest grants: at most `burst` in any `tick`.
#[derive(Debug, Default)]
pub(super) struct Pace {
    /// The latest grants, oldest first (no more than `burst` are kept).
    recent: VecDeque<Instant>,
}

impl Pace {
    /// When the next grant may happen, given `burst` per `tick`.
    pub(super) fn next_at(&self, now: Instant, burst: usize, tick: Duration) -> Instant {
        if self.recent.len() < burst {
            return now;
        }
        let oldest_counted = self.recent[self.recent.len() - burst];
        (oldest_counted + tick).max(now)
    }

    pub(super) fn record(&mut self, now: Instant, burst: usize) {
        self.recent.push_back(now);
        while self.recent.len() > burst.max(1) {
            self.recent.pop_front();
        }
    }
}
