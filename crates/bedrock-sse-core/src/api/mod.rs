//! What the Bedrock API says around the stream: problem-JSON errors
//! ([`ApiError`]), how to authenticate ([`Credentials`]), which API version
//! to ask for ([`ApiVersion`]) and where the API lives ([`BaseUrl`]).

mod base_url;
mod credentials;
mod error;
mod rate_limit;
mod version;

pub use crate::http::InvalidHeaderValue;
pub use base_url::{BaseUrl, BaseUrlError};
pub use credentials::{Credentials, Secret};
pub use error::ApiError;
pub use rate_limit::RateLimit;
pub use version::ApiVersion;
