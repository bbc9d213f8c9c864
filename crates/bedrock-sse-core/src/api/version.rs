//! The `X-API-Version` header.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

use crate::http::{InvalidHeaderValue, checked};

/// The API version to ask for, sent as `X-API-Version`.
///
/// The docs give the default `2026-01-01` (and, on one error page, integer
/// versions); the value is passed through as given, only checked to be a
/// valid header value.
///
/// ```
/// use bedrock_sse_core::api::ApiVersion;
///
/// assert_eq!(ApiVersion::default().as_str(), "2026-01-01");
/// assert_eq!(ApiVersion::new("1").unwrap().as_str(), "1");
/// assert!(ApiVersion::new("bad\nvalue").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiVersion(Cow<'static, str>);

impl ApiVersion {
    /// The documented default.
    pub const DEFAULT: &'static str = "2026-01-01";

    /// A version string; it must be a non-empty, printable ASCII header value.
    pub fn new(version: impl Into<String>) -> Result<Self, InvalidHeaderValue> {
        let version = version.into();
        checked("API version", &version)?;
        Ok(ApiVersion(Cow::Owned(version)))
    }

    /// The header value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for ApiVersion {
    type Error = InvalidHeaderValue;
    fn try_from(version: &str) -> Result<Self, Self::Error> {
        ApiVersion::new(version)
    }
}

impl TryFrom<String> for ApiVersion {
    type Error = InvalidHeaderValue;
    fn try_from(version: String) -> Result<Self, Self::Error> {
        ApiVersion::new(version)
    }
}

impl Default for ApiVersion {
    fn default() -> Self {
        ApiVersion(Cow::Borrowed(Self::DEFAULT))
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
