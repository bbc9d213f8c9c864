//! Header values: what may be sent, and how numbers are read.

/// Whether `value` can be sent as an HTTP header value as is: visible ASCII
/// and spaces/tabs, no line breaks (which would inject headers) and no other
/// control characters. `Err` holds the index of the first bad byte.
fn header_safe(value: &str) -> Result<(), usize> {
    match value
        .bytes()
        .position(|b| !(b == b'\t' || (0x20..0x7f).contains(&b)))
    {
        Some(index) => Err(index),
        None => Ok(()),
    }
}

/// Whether a value the *server* gave (an event id, to send back as
/// `Last-Event-ID`) arrives intact if sent as a header value: non-empty, no
/// control character but tab (so no line break that would inject a
/// header), and no leading or trailing space or tab, which the receiving
/// parser would strip. Non-ASCII bytes (`obs-text`) are allowed: HTTP
/// carries them, and ids are the server's own.
pub(crate) fn round_trips(value: &str) -> bool {
    !value.is_empty()
        && value.trim_matches([' ', '\t']) == value
        && value
            .bytes()
            .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// A value that cannot be sent in an HTTP header. It never shows the value
/// itself, which may be secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidHeaderValue {
    /// Empty: the server would reject it; check where the value comes from
    /// (an unset environment variable?).
    #[error("{what} is empty")]
    Empty {
        /// What the value is, e.g. "API key".
        what: &'static str,
    },
    /// A line break, control character or non-ASCII byte: remove trailing
    /// newlines read from files.
    #[error("{what} has a control character or non-ASCII byte at byte {index}")]
    BadByte {
        /// What the value is.
        what: &'static str,
        /// Its position.
        index: usize,
    },
    /// Longer than this client sends.
    #[error("{what} is longer than {max} bytes")]
    TooLong {
        /// What the value is.
        what: &'static str,
        /// The most allowed.
        max: usize,
    },
}

/// Checks that `value`, described as `what`, is a non-empty header-safe
/// value.
pub(crate) fn checked(what: &'static str, value: &str) -> Result<(), InvalidHeaderValue> {
    if value.is_empty() {
        return Err(InvalidHeaderValue::Empty { what });
    }
    header_safe(value).map_err(|index| InvalidHeaderValue::BadByte { what, index })
}

/// A whole decimal number, with surrounding spaces allowed.
pub(crate) fn parse_u64(value: &[u8]) -> Option<u64> {
    let value = value.trim_ascii();
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b" 42 "), Some(42));
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(parse_u64(b"9999999999999999999"), Some(9999999999999999999));
    }

    #[test]
    fn header_safety() {
        assert_eq!(header_safe("Bearer sk_1\tx"), Ok(()));
        assert_eq!(header_safe("a\r\nb"), Err(1));
        assert_eq!(header_safe("é"), Err(0));
        assert_eq!(header_safe("\x7f"), Err(0));
    }
}
