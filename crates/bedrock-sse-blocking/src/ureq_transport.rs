//! The ready-made transport over ureq.

use std::io;
use std::time::Duration;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};

use crate::transport::{Response, Transport};

/// A [`Transport`] over a [`ureq::Agent`] (rustls).
///
/// Cheap to clone; share one between watches so they share its connection
/// pool.
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        let config = ureq::Agent::config_builder()
            // A 401 or 503 is an answer for the watch to judge, not an error.
            .http_status_as_error(false)
            // Redirects are the watch's decision: it follows them only
            // within the base URL's origin, so credentials never leave it.
            .max_redirects(0)
            .build();
        UreqTransport {
            agent: config.into(),
        }
    }
}

impl UreqTransport {
    /// A transport with its own agent: statuses are not errors, redirects
    /// are handed to the watch, no timeout on bodies.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transport over your own agent. It must be built with
    /// `http_status_as_error(false)`, `max_redirects(0)` (the watch decides
    /// where credentials may go) and no global or body timeout.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        UreqTransport { agent }
    }
}

impl Transport for UreqTransport {
    type Body = ureq::BodyReader<'static>;

    fn send(
        &self,
        request: &Request,
        timeout: Duration,
    ) -> Result<Response<Self::Body>, TransportError> {
        let mut builder = self.agent.get(request.url());
        for header in request.headers() {
            builder = builder.header(header.name(), header.value());
        }
        let response = builder
            .config()
            .timeout_connect(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .build()
            .call()
            .map_err(|error| classify(&error))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        Ok(Response {
            status,
            headers,
            body: response.into_body().into_reader(),
        })
    }
}

/// A ureq error as the watch takes it: its kind, and its words with their
/// sources (the OS error included).
fn classify(error: &ureq::Error) -> TransportError {
    let kind = match error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => {
                TransportErrorKind::Connect
            }
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Reset,
        },
        ureq::Error::Protocol(_) => TransportErrorKind::Protocol,
        _ => TransportErrorKind::Other,
    };
    TransportError::from_error(kind, error)
}
