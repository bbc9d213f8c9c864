//! Where a redirect leads, and whether that is still the same origin.

use alloc::string::{String, ToString};
use core::fmt;

use url::Url;

/// An origin: scheme, host and port, as in `https://api.bedrock.cv:443`.
/// Credentials are only ever sent to the origin of the configured base URL.
///
/// Two URLs have the same origin when their schemes, hosts and ports are
/// equal after the usual normalisation (case, default ports). Hosts are
/// compared as written: `localhost` and `127.0.0.1` are different origins.
///
/// ```
/// use bedrock_sse_core::http::Origin;
///
/// let api = Origin::of("https://API.bedrock.cv/jobs/1/stream").unwrap();
/// assert_eq!(api.as_str(), "https://api.bedrock.cv");
/// assert_eq!(api, Origin::of("https://api.bedrock.cv:443/other").unwrap());
/// assert_ne!(Origin::of("http://localhost:8080").unwrap(), Origin::of("http://127.0.0.1:8080").unwrap());
/// assert!(Origin::of("not a url").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin(String);

impl Origin {
    /// The origin of an absolute `http` or `https` URL.
    pub fn of(url: &str) -> Option<Origin> {
        let url = Url::parse(url).ok()?;
        Self::of_url(&url)
    }

    fn of_url(url: &Url) -> Option<Origin> {
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return None;
        }
        Some(Origin(url.origin().ascii_serialization()))
    }

    /// `scheme://host[:port]`, the port only when it is not the scheme's
    /// default.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a `Location` leads: the absolute URL to request (without a
/// fragment) and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedirectTarget {
    pub(crate) url: String,
    pub(crate) origin: Origin,
}

/// Why a redirect's `Location` cannot be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidLocation {
    /// The redirect had no `Location` header.
    #[error("the redirect has no Location header")]
    Missing,
    /// The `Location` is not a URL, even relative to the request's.
    #[error("the redirect's Location is not a valid URL")]
    Unparsable,
    /// The `Location` leads to a scheme other than `http` or `https`.
    #[error("the redirect's Location is not an http or https URL")]
    Scheme,
    /// The `Location` carries a user name or password, which this client
    /// never sends.
    #[error("the redirect's Location carries credentials in the URL")]
    UserInfo,
    /// The `Location` holds the API key (a server echoing it): following
    /// it would put the key in a URL, where logs and proxies keep it.
    #[error("the redirect's Location holds the API key; it was not followed")]
    HoldsKey,
    /// The [`RedirectPolicy`](crate::watch::RedirectPolicy) follows no
    /// redirect.
    #[error("the redirect policy follows no redirect")]
    Refused,
}

/// Resolves a `Location` header value (absolute or relative) against the
/// URL of the request it answered.
pub(crate) fn resolve_location(
    request_url: &str,
    location: Option<&[u8]>,
) -> Result<RedirectTarget, InvalidLocation> {
    let location = location.ok_or(InvalidLocation::Missing)?;
    if location.len() > super::response::MAX_LOCATION {
        return Err(InvalidLocation::Unparsable);
    }
    let location = core::str::from_utf8(location)
        .map_err(|_| InvalidLocation::Unparsable)?
        .trim();
    if location.is_empty() {
        return Err(InvalidLocation::Missing);
    }
    let base = Url::parse(request_url).map_err(|_| InvalidLocation::Unparsable)?;
    let mut url = base
        .join(location)
        .map_err(|_| InvalidLocation::Unparsable)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(InvalidLocation::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidLocation::UserInfo);
    }
    url.set_fragment(None);
    let origin = Origin::of_url(&url).ok_or(InvalidLocation::Unparsable)?;
    Ok(RedirectTarget {
        url: url.to_string(),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "http://127.0.0.1:8080/v1/jobs/job_1/stream";

    fn resolve(location: &str) -> Result<RedirectTarget, InvalidLocation> {
        resolve_location(REQ, Some(location.as_bytes()))
    }

    #[test]
    fn relative_locations_resolve_against_the_request() {
        let t = resolve("/jobs/job_1/stream?x=1#frag").unwrap();
        assert_eq!(t.url, "http://127.0.0.1:8080/jobs/job_1/stream?x=1");
        assert_eq!(t.origin.as_str(), "http://127.0.0.1:8080");
        assert_eq!(
            resolve("../other").unwrap().url,
            "http://127.0.0.1:8080/v1/jobs/other"
        );
        assert_eq!(
            resolve("//localhost:8080/s").unwrap().origin.as_str(),
            "http://localhost:8080"
        );
    }

    #[test]
    fn origins_differ_by_scheme_host_or_port() {
        let here = Origin::of(REQ).unwrap();
        assert_eq!(resolve("http://127.0.0.1:8080/x").unwrap().origin, here);
        for other in [
            "http://127.0.0.1:8081/x",
            "https://127.0.0.1:8080/x",
            "http://localhost:8080/x",
        ] {
            assert_ne!(resolve(other).unwrap().origin, here, "{other}");
        }
        assert_eq!(
            Origin::of("HTTP://Example.COM:80/").unwrap().as_str(),
            "http://example.com"
        );
    }

    #[test]
    fn bad_locations_are_typed() {
        assert_eq!(resolve_location(REQ, None), Err(InvalidLocation::Missing));
        assert_eq!(resolve("  "), Err(InvalidLocation::Missing));
        assert_eq!(resolve("http://[::1"), Err(InvalidLocation::Unparsable));
        assert_eq!(
            resolve_location(REQ, Some(b"/\xff")),
            Err(InvalidLocation::Unparsable)
        );
        let long = alloc::format!("/{}", "a".repeat(9000));
        assert_eq!(resolve(&long), Err(InvalidLocation::Unparsable));
        assert_eq!(resolve("ftp://example.com/"), Err(InvalidLocation::Scheme));
        assert_eq!(resolve("javascript:alert(1)"), Err(InvalidLocation::Scheme));
        assert_eq!(
            resolve("http://user:pw@127.0.0.1:8080/"),
            Err(InvalidLocation::UserInfo)
        );
    }
}
