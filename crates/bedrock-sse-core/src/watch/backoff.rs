//! Retry delays: exponential backoff with jitter from a seeded generator.

use core::time::Duration;

/// How failed connections are retried.
///
/// The `n`-th consecutive failure waits a delay drawn uniformly from
/// `[nominal/2, nominal]`, where `nominal = min(initial × multiplierⁿ⁻¹, max)`:
/// jitter spreads many clients apart, and never halves a delay twice, so
/// retries cannot turn into a tight loop. After `max_failures` consecutive
/// failures the watch gives up.
///
/// ```
/// use core::time::Duration;
/// use bedrock_sse_core::watch::BackoffPolicy;
///
/// let policy = BackoffPolicy::default();
/// assert_eq!(policy.nominal(1), Duration::from_secs(1));
/// assert_eq!(policy.nominal(3), Duration::from_secs(4));
/// assert_eq!(policy.nominal(30), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackoffPolicy {
    /// Nominal delay after the first failure. Default: 1 s.
    pub initial: Duration,
    /// Cap on the nominal delay. Default: 30 s.
    pub max: Duration,
    /// Growth factor per consecutive failure. Default: 2.
    pub multiplier: u32,
    /// Give up at this many consecutive failures; `None` retries forever
    /// (bound the watch with a deadline then). Default: `Some(10)`.
    pub max_failures: Option<u32>,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            multiplier: 2,
            max_failures: Some(10),
        }
    }
}

impl BackoffPolicy {
    /// The nominal (un-jittered) delay after `failures` consecutive failures
    /// (at least 1).
    pub fn nominal(&self, failures: u32) -> Duration {
        let mut delay = self.initial;
        for _ in 1..failures {
            if delay >= self.max {
                break;
            }
            delay = delay.saturating_mul(self.multiplier.max(1));
        }
        delay.min(self.max)
    }

    /// A jittered delay in `[nominal/2, nominal]`.
    pub(crate) fn delay(&self, failures: u32, rng: &mut SplitMix64) -> Duration {
        let nominal = self.nominal(failures);
        let half = nominal / 2;
        let span = u64::try_from((nominal - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rng.below_inclusive(span))
    }
}

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and good enough to
/// spread retries; seeded by the driver so the core stays deterministic.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..=max`; the modulo bias is below 2⁻⁶⁴·max, irrelevant
    /// for jitter.
    pub(crate) fn below_inclusive(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(n) => self.next_u64() % n,
            None => self.next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_stays_within_half_to_full() {
        let policy = BackoffPolicy::default();
        let mut rng = SplitMix64::new(7);
        for failures in 1..40 {
            let nominal = policy.nominal(failures);
            for _ in 0..50 {
                let d = policy.delay(failures, &mut rng);
                assert!(d >= nominal / 2 && d <= nominal, "{failures}: {d:?}");
            }
        }
        assert_eq!(policy.nominal(6), Duration::from_secs(30));
        assert_eq!(policy.nominal(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn degenerate_policies_do_not_panic() {
        let mut rng = SplitMix64::new(0);
        let zero = BackoffPolicy {
            initial: Duration::ZERO,
            multiplier: 0,
            ..BackoffPolicy::default()
        };
        assert_eq!(zero.delay(5, &mut rng), Duration::ZERO);
        let huge = BackoffPolicy {
            initial: Duration::MAX,
            max: Duration::MAX,
            ..BackoffPolicy::default()
        };
        assert!(huge.delay(3, &mut rng) >= Duration::MAX / 2);
        rng.below_inclusive(u64::MAX);
        assert_eq!(rng.below_inclusive(0), 0);
    }

    #[test]
    fn seeds_differ() {
        let (mut a, mut b) = (SplitMix64::new(1), SplitMix64::new(2));
        assert_ne!(a.next_u64(), b.next_u64());
    }
}
