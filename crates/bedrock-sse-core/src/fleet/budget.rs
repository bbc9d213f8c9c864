//! One credential's share of the API's rate limit, as the fleet knows it.

use alloc::collections::BinaryHeap;
use core::cmp::Reverse;
use core::time::Duration;

use crate::api::{Credentials, RateLimit};
use crate::watch::Instant;

/// A queued watch: eligible from `at`, first come first served among
/// equals.
pub(super) type Ticket = Reverse<(Instant, u64, u32, u32)>;

/// What the fleet knows of one credential's rate limit, and the watches
/// under it waiting for a connection.
#[derive(Debug)]
pub(super) struct Budget {
    pub(super) credentials: Option<Credentials>,
    /// `X-RateLimit-Limit`: requests per window.
    limit: Option<u64>,
    /// Requests left in this window, less those in flight; `None` until a
    /// response said.
    remaining: Option<u64>,
    /// When the window resets (and `remaining` goes back to `limit`).
    resets_at: Option<Instant>,
    /// No request before this (a 429's `Retry-After`).
    blocked_until: Instant,
    /// Requests sent whose response head has not come.
    pub(super) in_flight: u32,
    /// The watches waiting for a connection.
    pub(super) queue: BinaryHeap<Ticket>,
}

impl Budget {
    pub(super) fn new(credentials: Option<Credentials>) -> Self {
        Budget {
            credentials,
            limit: None,
            remaining: None,
            resets_at: None,
            blocked_until: Instant::ZERO,
            in_flight: 0,
            queue: BinaryHeap::new(),
        }
    }

    /// Starts a new window if the old one is over; until a response says
    /// otherwise, the next window is as long as the default.
    pub(super) fn refresh(&mut self, now: Instant, window: Duration) {
        if let Some(at) = self.resets_at.filter(|&at| now >= at) {
            // Whole windows may have passed unseen.
            let mut next = at + window.max(Duration::from_millis(1));
            while next <= now {
                next = next + window.max(Duration::from_millis(1));
            }
            self.resets_at = Some(next);
            // A new window: everything in it is ours to spend, less what
            // is in flight (it may land in this window).
            self.remaining = self
                .limit
                .map(|limit| limit.saturating_sub(u64::from(self.in_flight)));
        }
    }

    /// When the budget allows the next request, as last
    /// [refreshed](Self::refresh): `now` if it does, else when its window
    /// resets or its 429 wait ends.
    pub(super) fn blocked_or(&self, now: Instant) -> Instant {
        if now < self.blocked_until {
            return self.blocked_until;
        }
        match self.remaining {
            // Spent, with no known reset (cannot happen once a response
            // said both): let one request probe.
            Some(0) => self.resets_at.unwrap_or(now),
            _ => now,
        }
    }

    /// A request is being sent.
    pub(super) fn spend(&mut self, now: Instant, window: Duration) {
        self.refresh(now, window);
        if let Some(left) = &mut self.remaining {
            *left = left.saturating_sub(1);
        }
        self.in_flight = self.in_flight.saturating_add(1);
    }

    /// A response head came back (the request is no longer in flight):
    /// learn from its rate-limit headers and status.
    pub(super) fn observe(
        &mut self,
        now: Instant,
        status: u16,
        rate_limit: &RateLimit,
        retry_after: Option<Duration>,
        to_instant: impl Fn(u64) -> Option<Instant>,
        window: Duration,
    ) {
        self.refresh(now, window);
        if let Some(limit) = rate_limit.limit {
            self.limit = Some(limit);
        }
        if let Some(reset) = rate_limit.reset.and_then(&to_instant) {
            self.resets_at = Some(reset.max(now));
        }
        if let Some(remaining) = rate_limit.remaining {
            // The server counted up to this response; those still in
            // flight will count too.
            self.remaining = Some(remaining.saturating_sub(u64::from(self.in_flight)));
            if self.resets_at.is_none() {
                self.resets_at = Some(now + window);
            }
        }
        if status == 429 {
            let wait = retry_after.unwrap_or(window);
            self.blocked_until = self.blocked_until.max(now + wait);
            self.remaining = Some(0);
            if self.resets_at.is_none_or(|at| at < self.blocked_until) {
                self.resets_at = Some(self.blocked_until);
            }
        }
    }

    /// How long the known budget needs to serve `queued` more requests:
    /// zero when nothing is known.
    pub(super) fn spread_for(&self, now: Instant, queued: u64) -> Duration {
        match (self.remaining, self.resets_at, self.limit) {
            (Some(left), Some(at), _) if queued > left => {
                let per_window = self.limit.unwrap_or(left).max(1);
                let windows = (queued - left).div_ceil(per_window);
                let window = at - now;
                window.saturating_mul(u32::try_from(windows).unwrap_or(u32::MAX))
            }
            _ => Duration::ZERO,
        }
    }

    /// The first queued ticket.
    pub(super) fn head(&self) -> Option<(Instant, u64)> {
        self.queue
            .peek()
            .map(|Reverse((at, seq, _, _))| (*at, *seq))
    }
}
