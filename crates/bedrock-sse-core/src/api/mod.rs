//! What the Bedrock API says around the stream: problem-JSON errors
//! ([`ApiError`]), how to authenticate ([`Credentials`]), which API version
//! to ask for ([`ApiVersion`]) and where the API lives ([`BaseUrl`]).

mod base_url;
mod credentials;
mod error;
mod rate_limit;
pub(crate) use rate_limit::parse_u64;
mod version;

pub use base_url::{BaseUrl, BaseUrlError};
pub use credentials::{Credentials, InvalidHeaderValue};
pub use error::ApiError;
pub use rate_limit::RateLimit;
pub use version::ApiVersion;

/// Whether `value` can be sent as an HTTP header value as is: visible ASCII
/// and spaces/tabs, no line breaks (which would inject headers) and no other
/// control characters.
pub(crate) fn header_safe(value: &str) -> Result<(), usize> {
    match value
        .bytes()
        .position(|b| !(b == b'\t' || (0x20..0x7f).contains(&b)))
    {
        Some(index) => Err(index),
        None => Ok(()),
    }
}
