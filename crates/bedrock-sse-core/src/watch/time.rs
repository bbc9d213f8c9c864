//! Time as an input.

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point in time, as the driver counts it: the time elapsed since an epoch
/// of the driver's choosing (its start, say). The core never reads a clock;
/// every input carries `now`, and deadlines come back in the same terms.
///
/// Arithmetic saturates instead of overflowing.
///
/// ```
/// use core::time::Duration;
/// use bedrock_sse_core::watch::Instant;
///
/// let start = std::time::Instant::now();
/// let now = Instant::from_duration(start.elapsed());
/// let later = now + Duration::from_secs(45);
/// assert_eq!(later - now, Duration::from_secs(45));
/// assert_eq!(now - later, Duration::ZERO);
/// assert_eq!(Instant::from_millis(1500).as_duration(), Duration::from_millis(1500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(Duration);

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant(Duration::ZERO);

    /// `since_epoch` after the epoch.
    pub const fn from_duration(since_epoch: Duration) -> Instant {
        Instant(since_epoch)
    }

    /// `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Instant {
        Instant(Duration::from_millis(ms))
    }

    /// The time since the epoch; add it to the driver's epoch to get a
    /// clock reading back.
    pub const fn as_duration(self) -> Duration {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs))
    }
}

impl Sub for Instant {
    type Output = Duration;
    /// The time from `rhs` to `self`; zero if `rhs` is later.
    fn sub(self, rhs: Instant) -> Duration {
        self.0.saturating_sub(rhs.0)
    }
}

/// A duration kept in whole milliseconds, saturating at about 49 days:
/// what a watch's settings need, in a quarter of a `Duration`'s room (a
/// fleet keeps thousands of watches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Millis(u32);

impl Millis {
    pub(crate) fn get(self) -> Duration {
        Duration::from_millis(u64::from(self.0))
    }
}

impl From<Duration> for Millis {
    /// Rounds up, so that a non-zero duration never becomes zero.
    fn from(d: Duration) -> Millis {
        let ms = d.as_nanos().div_ceil(1_000_000);
        Millis(u32::try_from(ms).unwrap_or(u32::MAX))
    }
}
