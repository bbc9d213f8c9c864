//! Storm control: how many connection attempts any 100 ms may see, and how
//! evenly they come.
//!
//! Grants are spaced evenly rather than let through `burst` at a time:
//! a queue drained in whole bursts at each tick's boundary puts two bursts
//! within one tick of each other as soon as the first is delayed a little
//! more than the second on its way (which a server accepting a burst of
//! new connections does), and the server then counts twice the share in
//! one 100 ms. Evenly spaced, a delay that varies by `δ` adds only about
//! `δ / interval` attempts to any window.
//!
//! It is a generic cell rate algorithm: a grant is due one
//! [`interval`](Pace::interval) after the one before, and a driver that
//! wakes late may catch up with a few at once (at most a tenth of the
//! burst), which the interval leaves room for: any `tick` still sees at
//! most `burst` grants.

use core::time::Duration;

use crate::watch::Instant;

/// The pacing state: when the next grant is due.
#[derive(Debug, Default)]
pub(super) struct Pace {
    /// When the next grant is due, were grants evenly spaced (the
    /// algorithm's theoretical arrival time).
    due: Instant,
}

impl Pace {
    /// Grants that may come back to back after a late wake-up: a tenth of
    /// the burst, at least one.
    fn catch_up(burst: usize) -> usize {
        burst.div_ceil(10).max(1)
    }

    /// The spacing of grants for `burst` per `tick`: `tick / (burst -
    /// catch_up + 1)`, rounded up, so that no window of `tick` holds more
    /// than `burst` even with a catch-up in it.
    pub(super) fn interval(burst: usize, tick: Duration) -> Duration {
        let burst = burst.max(1);
        let steady = u32::try_from(burst - Self::catch_up(burst) + 1).unwrap_or(u32::MAX);
        let nanos = tick.as_nanos().div_ceil(u128::from(steady));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// When the next grant may happen, given `burst` per `tick`.
    pub(super) fn next_at(&self, now: Instant, burst: usize, tick: Duration) -> Instant {
        let slack = Self::interval(burst, tick)
            .saturating_mul(u32::try_from(Self::catch_up(burst) - 1).unwrap_or(u32::MAX));
        let earliest = Instant::from_duration(self.due.as_duration().saturating_sub(slack));
        earliest.max(now)
    }

    /// A grant happened at `now`.
    pub(super) fn record(&mut self, now: Instant, burst: usize, tick: Duration) {
        self.due = self.due.max(now) + Self::interval(burst, tick);
    }
}
