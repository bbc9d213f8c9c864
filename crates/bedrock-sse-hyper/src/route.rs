//! Where a request goes: straight to the server, or through a proxy.

use std::fmt;

use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use http::Uri;
use http::header::HeaderValue;

/// How a request reaches its server.
pub(crate) enum Route {
    Direct,
    /// An `http` URL through a proxy: sent to it in absolute form.
    Forward {
        via: Endpoint,
        auth: Option<HeaderValue>,
    },
    /// An `https` URL through a proxy: a `CONNECT` tunnel, then TLS inside.
    Tunnel {
        via: Endpoint,
        auth: Option<HeaderValue>,
    },
}

/// Where to connect: a host (no brackets), a port, and whether TLS.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
}

impl Endpoint {
    pub(crate) fn of(url: &Uri) -> Result<Endpoint, TransportError> {
        let tls = match url.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => true,
            Some(s) if s.eq_ignore_ascii_case("http") => false,
            other => {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    format!("unsupported URL scheme {other:?}"),
                ));
            }
        };
        let Some(host) = url.host().filter(|h| !h.is_empty()) else {
            return Err(TransportError::new(
                TransportErrorKind::Other,
                "URL without a host",
            ));
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_owned();
        let port = url.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Ok(Endpoint { host, port, tls })
    }

    /// `host[:port]` as the URL wrote it, for the `Host` header.
    pub(crate) fn host_header(url: &Uri) -> String {
        let host = url.host().unwrap_or_default();
        match url.port_u16() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }
}

impl fmt::Display for Endpoint {
    /// `host:port`, brackets around an IPv6 address: a `CONNECT` target.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The path and query of `url`: a request's target sent straight to its
/// server or through a tunnel.
pub(crate) fn origin_form(url: &Uri) -> Result<Uri, TransportError> {
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    path.parse()
        .map_err(|error| TransportError::from_error(TransportErrorKind::Other, &error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::of(&url.parse().expect("a URI")).expect("an endpoint")
    }

    #[test]
    fn endpoints_take_default_ports_and_lose_ipv6_brackets() {
        let https = endpoint("https://api.example");
        assert_eq!(
            (https.host.as_str(), https.port, https.tls),
            ("api.example", 443, true)
        );
        let http = endpoint("http://api.example/x");
        assert_eq!((http.port, http.tls), (80, false));
        let v6 = endpoint("http://[::1]:8080/");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8080));
        assert_eq!(v6.to_string(), "[::1]:8080");
        assert!(Endpoint::of(&"ftp://x/".parse().expect("a URI")).is_err());
    }
}
