//! API keys and how a request presents one.

use std::fmt;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

/// An API key the simulator accepts. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    pub(crate) fn new(key: String) -> Self {
        ApiKey(key)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// What a request offered as its credential.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Presented<'a> {
    /// Neither header.
    Missing,
    /// An `Authorization` header that is not `Bearer <key>`.
    Malformed,
    /// A key, from `Authorization: Bearer` (preferred) or `X-API-Key`.
    Key(&'a str),
}

pub(crate) fn presented(headers: &HeaderMap) -> Presented<'_> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let Ok(value) = value.to_str() else {
            return Presented::Malformed;
        };
        let mut parts = value.trim().splitn(2, ' ');
        return match (parts.next(), parts.next()) {
            (Some(scheme), Some(key))
                if scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty() =>
            {
                Presented::Key(key.trim())
            }
            _ => Presented::Malformed,
        };
    }
    match headers.get("x-api-key").map(|v| v.to_str()) {
        Some(Ok(key)) if !key.trim().is_empty() => Presented::Key(key.trim()),
        Some(_) => Presented::Malformed,
        None => Presented::Missing,
    }
}

/// Header values that must not reach the request log as they are.
pub(crate) fn redact(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization") {
        match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} <redacted>"),
            None => "<redacted>".into(),
        }
    } else if name.eq_ignore_ascii_case("x-api-key") {
        "<redacted>".into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_bearer_first_then_x_api_key() {
        assert_eq!(
            presented(&headers(&[("authorization", "Bearer sk_a")])),
            Presented::Key("sk_a")
        );
        assert_eq!(
            presented(&headers(&[("authorization", "bearer  sk_a ")])),
            Presented::Key("sk_a")
        );
        assert_eq!(
            presented(&headers(&[("x-api-key", "sk_b")])),
            Presented::Key("sk_b")
        );
        assert_eq!(
            presented(&headers(&[
                ("authorization", "Bearer sk_a"),
                ("x-api-key", "sk_b")
            ])),
            Presented::Key("sk_a")
        );
        assert_eq!(
            presented(&headers(&[("authorization", "Basic abc")])),
            Presented::Malformed
        );
        assert_eq!(
            presented(&headers(&[("authorization", "Bearer")])),
            Presented::Malformed
        );
        assert_eq!(presented(&headers(&[])), Presented::Missing);
    }

    #[test]
    fn never_shows_a_key() {
        assert_eq!(
            format!("{:?}", ApiKey::new("sk_secret".into())),
            "ApiKey(<redacted>)"
        );
        assert_eq!(
            redact("Authorization", "Bearer sk_secret"),
            "Bearer <redacted>"
        );
        assert_eq!(redact("X-API-Key", "sk_secret"), "<redacted>");
        assert_eq!(redact("Accept", "text/event-stream"), "text/event-stream");
    }
}
