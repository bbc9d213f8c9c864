//! The `X-RateLimit-*` headers.

use crate::http::parse_u64;

/// What the `X-RateLimit-*` headers of a response said. Each is `None` when
/// absent or not a whole number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: requests allowed per window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in this window.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: when the window resets, in Unix seconds.
    pub reset: Option<u64>,
}

impl RateLimit {
    /// Takes one response header into account, if it is a rate-limit one.
    /// Returns whether it was.
    pub fn observe(&mut self, name: &str, value: &[u8]) -> bool {
        let slot = if name.eq_ignore_ascii_case("x-ratelimit-limit") {
            &mut self.limit
        } else if name.eq_ignore_ascii_case("x-ratelimit-remaining") {
            &mut self.remaining
        } else if name.eq_ignore_ascii_case("x-ratelimit-reset") {
            &mut self.reset
        } else {
            return false;
        };
        *slot = parse_u64(value);
        true
    }

    /// Whether any of the headers was present and readable.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_headers() {
        let mut rl = RateLimit::default();
        assert!(rl.is_empty());
        assert!(rl.observe("X-RateLimit-Limit", b"60"));
        assert!(rl.observe("x-ratelimit-remaining", b" 59 "));
        assert!(rl.observe("X-RATELIMIT-RESET", b"1704067200"));
        assert!(!rl.observe("retry-after", b"1"));
        assert_eq!(
            (rl.limit, rl.remaining, rl.reset),
            (Some(60), Some(59), Some(1704067200))
        );
        assert!(rl.observe("x-ratelimit-limit", b"-1"));
        assert_eq!(rl.limit, None);
    }
}
