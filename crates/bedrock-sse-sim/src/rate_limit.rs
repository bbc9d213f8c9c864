//! Per-key token buckets behind `X-RateLimit-*` and 429 `RATE_LIMITED`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A token bucket: `capacity` requests at once, refilled evenly at
/// `capacity` per `window`.
///
/// Every stream request (each reconnection too) takes one token from its
/// key's bucket; an empty bucket answers 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The burst size, and the `X-RateLimit-Limit` value.
    pub capacity: u32,
    /// The time to refill an empty bucket.
    pub window: Duration,
}

impl RateLimit {
    /// `requests` per minute, as Bedrock's plans are stated (Pro: 300).
    pub const fn per_minute(requests: u32) -> Self {
        RateLimit {
            capacity: requests,
            window: Duration::from_secs(60),
        }
    }

    fn per_second(&self) -> f64 {
        f64::from(self.capacity) / self.window.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// The outcome of taking a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Unix time (seconds) at which the bucket is full again.
    pub(crate) reset: u64,
    /// `Some` when refused: whole seconds until a token is there.
    pub(crate) retry_after: Option<u64>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

#[derive(Debug)]
pub(crate) struct Buckets {
    limit: RateLimit,
    buckets: Mutex<HashMap<usize, Bucket>>,
}

impl Buckets {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Buckets {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for the key with index `key`.
    pub(crate) fn take(&self, key: usize, now: Instant, wall: SystemTime) -> Verdict {
        let capacity = f64::from(self.limit.capacity);
        let rate = self.limit.per_second();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: capacity,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.refilled = now;
        let retry_after = if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            None
        } else {
            Some(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        };
        let until_full = (capacity - bucket.tokens) / rate;
        let now_unix = wall
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        Verdict {
            limit: self.limit.capacity,
            remaining: bucket.tokens.floor() as u32,
            reset: (now_unix + until_full).ceil() as u64,
            retry_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empties_refills_and_keeps_keys_apart() {
        let buckets = Buckets::new(RateLimit {
            capacity: 2,
            window: Duration::from_secs(10),
        });
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_000);
        let first = buckets.take(0, t0, wall);
        assert_eq!(
            (first.limit, first.remaining, first.retry_after),
            (2, 1, None)
        );
        assert_eq!(first.reset, 1_005);
        assert_eq!(buckets.take(0, t0, wall).remaining, 0);
        let refused = buckets.take(0, t0, wall);
        assert_eq!(refused.retry_after, Some(5));
        assert_eq!(refused.reset, 1_010);
        assert_eq!(buckets.take(1, t0, wall).retry_after, None);
        let later = buckets.take(0, t0 + Duration::from_secs(5), wall);
        assert_eq!((later.remaining, later.retry_after), (0, None));
    }
}
